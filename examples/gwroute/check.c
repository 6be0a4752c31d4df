/*
 * gwroute check - print the status a conformant controller would write.
 * SPDX-License-Identifier: MIT
 *
 *   gwroute check [--json] FILE...
 *
 * The output is a `kind: List` of the Gateways (of our controller) and
 * the routes, each with apiVersion, kind, metadata and status, keys in
 * the alphabetical order `kubectl get -o yaml` uses (docs/CLI.md). The
 * document is built as a small tree first so that YAML and JSON come
 * from the same data.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- a tiny document tree ---------------------------------------------- */

enum { N_MAP, N_LIST, N_STR, N_INT };

typedef struct node node;
struct node {
    int type;
    const char *key;          /* when a member of a map */
    char *str;                /* N_STR (owned) */
    long long num;            /* N_INT */
    node *first, *last;       /* N_MAP / N_LIST children */
    node *next;
};

/* Allocation failures end the program: this is a short-lived tool and a
 * half-printed status would be worse than none. */
static void *
xcalloc(size_t n)
{
    void *p = calloc(1, n);
    if (p == NULL) {
        fputs("gwroute: out of memory\n", stderr);
        exit(CLI_EXIT_USAGE);
    }
    return p;
}

static node *
add(node *parent, const char *key, int type)
{
    node *n = xcalloc(sizeof(*n));
    n->type = type;
    n->key = key;
    if (parent->last != NULL)
        parent->last->next = n;
    else
        parent->first = n;
    parent->last = n;
    return n;
}

static void
add_str(node *parent, const char *key, gwr_str s)
{
    node *n = add(parent, key, N_STR);
    n->str = xcalloc(s.len + 1);
    if (s.len != 0)
        memcpy(n->str, s.ptr, s.len);
}

static void
add_cstr(node *parent, const char *key, const char *s)
{
    gwr_str v = { s, strlen(s) };
    add_str(parent, key, v);
}

static void
add_int(node *parent, const char *key, long long v)
{
    add(parent, key, N_INT)->num = v;
}

static void
free_tree(node *n)
{
    while (n != NULL) {
        node *next = n->next;
        free_tree(n->first);
        free(n->str);
        free(n);
        n = next;
    }
}

/* ---- printers ----------------------------------------------------------- */

static void
json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

static void
indent(FILE *out, int n)
{
    for (int i = 0; i < n; i++)
        fputc(' ', out);
}

static void
print_json(FILE *out, const node *n, int depth)
{
    if (n->type == N_STR) {
        json_string(out, n->str);
        return;
    }
    if (n->type == N_INT) {
        fprintf(out, "%lld", n->num);
        return;
    }
    int map = n->type == N_MAP;
    if (n->first == NULL) {
        fputs(map ? "{}" : "[]", out);
        return;
    }
    fputs(map ? "{\n" : "[\n", out);
    for (const node *c = n->first; c != NULL; c = c->next) {
        indent(out, 4 * (depth + 1));
        if (map) {
            json_string(out, c->key);
            fputs(": ", out);
        }
        print_json(out, c, depth + 1);
        fputs(c->next != NULL ? ",\n" : "\n", out);
    }
    indent(out, 4 * depth);
    fputc(map ? '}' : ']', out);
}

/* A scalar can be written plain when YAML would read it back as the same
 * string: no indicator characters, not a bool/null/number look-alike. */
static int
yaml_plain(const char *s)
{
    static const char *const words[] = {
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
        "True", "False", "Yes", "No", "On", "Off", "Null", "TRUE", "FALSE",
        "NULL", "YES", "NO", "ON", "OFF", "Y", "N",
    };
    if (*s == '\0')
        return 0;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcmp(s, words[i]) == 0)
            return 0;
    }
    const char *p = s;
    if (*p == '-' || *p == '+' || *p == '.')
        p++;
    int numeric = *p != '\0';
    for (; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
              *p == 'E' || *p == '_'))
            numeric = 0;
    }
    if (numeric)
        return 0;
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
          (*s >= '0' && *s <= '9')))
        return 0;
    for (p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7f || strchr("#:{}[],&*!|>'\"%@`", c))
            return 0;
    }
    return s[strlen(s) - 1] != ' ';
}

static void
yaml_scalar(FILE *out, const node *n)
{
    if (n->type == N_INT)
        fprintf(out, "%lld", n->num);
    else if (yaml_plain(n->str))
        fputs(n->str, out);
    else
        json_string(out, n->str);   /* a JSON string is a YAML scalar */
}

/*
 * Members of a map or list at 2 * depth spaces, kubectl style: a list
 * under a key is not indented further, and "- key: v" starts a map item
 * with its other keys aligned under the first. first_inline: the first
 * member goes right after an already printed "- ".
 */
static void
print_yaml_members(FILE *out, const node *n, int depth, int first_inline)
{
    for (const node *c = n->first; c != NULL; c = c->next) {
        if (!(first_inline && c == n->first))
            indent(out, 2 * depth);
        if (n->type == N_LIST) {
            if (c->type == N_MAP && c->first != NULL) {
                fputs("- ", out);
                print_yaml_members(out, c, depth + 1, 1);
            } else if (c->type == N_STR || c->type == N_INT) {
                fputs("- ", out);
                yaml_scalar(out, c);
                fputc('\n', out);
            } else {
                fputs(c->type == N_MAP ? "- {}\n" : "- []\n", out);
            }
            continue;
        }
        fprintf(out, "%s:", c->key);
        if (c->type == N_STR || c->type == N_INT) {
            fputc(' ', out);
            yaml_scalar(out, c);
            fputc('\n', out);
        } else if (c->first == NULL) {
            fputs(c->type == N_MAP ? " {}\n" : " []\n", out);
        } else {
            fputc('\n', out);
            print_yaml_members(out, c, c->type == N_LIST ? depth : depth + 1,
                               0);
        }
    }
}

/* ---- status to tree ------------------------------------------------------ */

static void
add_conditions(node *parent, size_t n,
               const gwr_condition *(*get)(const void *, size_t),
               const void *obj)
{
    node *list = add(parent, "conditions", N_LIST);
    for (size_t i = 0; i < n; i++) {
        const gwr_condition *c = get(obj, i);
        node *m = add(list, NULL, N_MAP);
        add_str(m, "message", gwr_condition_message(c));
        add_str(m, "reason", gwr_condition_reason(c));
        uint32_t st = gwr_condition_status(c);
        add_cstr(m, "status", st == GWR_CONDITION_TRUE    ? "True"
                              : st == GWR_CONDITION_FALSE ? "False"
                                                          : "Unknown");
        add_str(m, "type", gwr_condition_type(c));
    }
}

static const gwr_condition *
gw_cond(const void *o, size_t i)
{
    return gwr_gateway_status_condition(o, i);
}

static const gwr_condition *
li_cond(const void *o, size_t i)
{
    return gwr_listener_status_condition(o, i);
}

static const gwr_condition *
pa_cond(const void *o, size_t i)
{
    return gwr_parent_status_condition(o, i);
}

static node *
add_object(node *items, gwr_str kind, gwr_str ns, gwr_str name)
{
    node *obj = add(items, NULL, N_MAP);
    add_cstr(obj, "apiVersion", "gateway.networking.k8s.io/v1");
    add_str(obj, "kind", kind);
    node *meta = add(obj, "metadata", N_MAP);
    add_str(meta, "name", name);
    add_str(meta, "namespace", ns);
    return add(obj, "status", N_MAP);
}

static void
add_gateway(node *items, const gwr_gateway_status *gs)
{
    gwr_str kind = GWR_STR_LIT("Gateway");
    node *st = add_object(items, kind, gwr_gateway_status_namespace(gs),
                          gwr_gateway_status_name(gs));
    add_conditions(st, gwr_gateway_status_condition_count(gs), gw_cond, gs);
    node *ls = add(st, "listeners", N_LIST);
    for (size_t i = 0; i < gwr_gateway_status_listener_count(gs); i++) {
        const gwr_listener_status *l = gwr_gateway_status_listener(gs, i);
        node *m = add(ls, NULL, N_MAP);
        add_int(m, "attachedRoutes", gwr_listener_status_attached_routes(l));
        add_conditions(m, gwr_listener_status_condition_count(l), li_cond, l);
        add_str(m, "name", gwr_listener_status_name(l));
        node *kinds = add(m, "supportedKinds", N_LIST);
        for (size_t k = 0; k < gwr_listener_status_supported_kind_count(l);
             k++) {
            node *km = add(kinds, NULL, N_MAP);
            add_str(km, "group",
                    gwr_listener_status_supported_kind_group(l, k));
            add_str(km, "kind", gwr_listener_status_supported_kind(l, k));
        }
    }
}

static void
add_route(node *items, const gwr_route_status *rs)
{
    node *st = add_object(items, gwr_route_status_kind(rs),
                          gwr_route_status_namespace(rs),
                          gwr_route_status_name(rs));
    node *parents = add(st, "parents", N_LIST);
    for (size_t i = 0; i < gwr_route_status_parent_count(rs); i++) {
        const gwr_parent_status *ps = gwr_route_status_parent(rs, i);
        node *m = add(parents, NULL, N_MAP);
        add_conditions(m, gwr_parent_status_condition_count(ps), pa_cond, ps);
        add_cstr(m, "controllerName", GWR_CONTROLLER_NAME);
        node *ref = add(m, "parentRef", N_MAP);
        add_str(ref, "group", gwr_parent_status_group(ps));
        add_str(ref, "kind", gwr_parent_status_kind(ps));
        add_str(ref, "name", gwr_parent_status_name(ps));
        if (gwr_parent_status_namespace_set(ps))
            add_str(ref, "namespace", gwr_parent_status_namespace(ps));
        if (gwr_parent_status_port(ps) != 0)
            add_int(ref, "port", gwr_parent_status_port(ps));
        if (gwr_parent_status_section_name(ps).len != 0)
            add_str(ref, "sectionName", gwr_parent_status_section_name(ps));
    }
}

/* The GatewayClasses of our Gateways (by gatewayClassName, whether or not
 * the GatewayClass object was loaded), each with the supportedFeatures the
 * library implements: a list of {name} objects since Gateway API v1.2. */
static void
add_gateway_classes(gwr_config *cfg, node *items, size_t ng)
{
    const char **seen = xcalloc((ng ? ng : 1) * sizeof(*seen));
    size_t n_seen = 0;
    for (size_t i = 0; i < ng; i++) {
        const gwr_gateway_status *gs = gwr_config_status_gateway(cfg, i);
        if (gs == NULL || !gwr_gateway_status_ours(gs))
            continue;
        gwr_str cls = { "", 0 };
        for (size_t g = 0; g < gwr_config_gateway_count(cfg); g++) {
            const gwr_gateway *gw = gwr_config_gateway(cfg, g);
            gwr_str ns = gwr_gateway_namespace(gw);
            gwr_str name = gwr_gateway_name(gw);
            gwr_str sns = gwr_gateway_status_namespace(gs);
            gwr_str sname = gwr_gateway_status_name(gs);
            if (ns.len == sns.len && name.len == sname.len &&
                memcmp(ns.ptr, sns.ptr, ns.len) == 0 &&
                memcmp(name.ptr, sname.ptr, name.len) == 0)
                cls = gwr_gateway_class_name(gw);
        }
        size_t k = 0;
        while (k < n_seen && strcmp(seen[k], cls.ptr) != 0)
            k++;
        if (cls.len == 0 || k < n_seen)
            continue;
        seen[n_seen++] = cls.ptr;
        node *obj = add(items, NULL, N_MAP);
        add_cstr(obj, "apiVersion", "gateway.networking.k8s.io/v1");
        add_cstr(obj, "kind", "GatewayClass");
        node *meta = add(obj, "metadata", N_MAP);
        add_str(meta, "name", cls);
        node *st = add(obj, "status", N_MAP);
        node *conds = add(st, "conditions", N_LIST);
        node *c = add(conds, NULL, N_MAP);
        add_cstr(c, "message", "Handled by " GWR_CONTROLLER_NAME);
        add_cstr(c, "reason", "Accepted");
        add_cstr(c, "status", "True");
        add_cstr(c, "type", "Accepted");
        node *feats = add(st, "supportedFeatures", N_LIST);
        const char *f;
        for (size_t j = 0; (f = gwr_config_supported_features(j)) != NULL;
             j++)
            add_cstr(add(feats, NULL, N_MAP), "name", f);
    }
    free(seen);
}

static int
build(gwr_config *cfg, node *root)
{
    size_t ng = 0, nr = 0;
    int rc = gwr_config_status_gateway_count(cfg, &ng);
    if (rc == GWR_OK)
        rc = gwr_config_status_route_count(cfg, &nr);
    if (rc != GWR_OK)
        return rc;
    add_cstr(root, "apiVersion", "v1");
    node *items = add(root, "items", N_LIST);
    add_gateway_classes(cfg, items, ng);
    for (size_t i = 0; i < ng; i++) {
        const gwr_gateway_status *gs = gwr_config_status_gateway(cfg, i);
        /* Another controller's Gateway gets no status from us. */
        if (gs != NULL && gwr_gateway_status_ours(gs))
            add_gateway(items, gs);
    }
    for (size_t i = 0; i < nr; i++) {
        const gwr_route_status *rs = gwr_config_status_route(cfg, i);
        if (rs != NULL)
            add_route(items, rs);
    }
    add_cstr(root, "kind", "List");
    return GWR_OK;
}

static void
print_status_diags(gwr_config *cfg)
{
    size_t n = 0;
    if (gwr_config_status_diag_count(cfg, &n) != GWR_OK)
        return;
    char line[2048];
    for (size_t i = 0; i < n; i++) {
        if (gwr_diag_format(gwr_config_status_diag(cfg, i), line,
                            sizeof(line)) >= 0)
            fprintf(stderr, "%s\n", line);
    }
}

static int
check_usage(void)
{
    fputs("usage: gwroute check [--json] FILE...\n", stderr);
    return CLI_EXIT_USAGE;
}

int
cli_check(int argc, char **argv)
{
    int json = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "gwroute check: unknown option '%s'\n", argv[i]);
            return check_usage();
        } else {
            break;
        }
    }
    if (i >= argc)
        return check_usage();

    gwr_ctx *ctx = NULL;
    gwr_config *cfg = NULL;
    int rc = gwr_ctx_new(&ctx, NULL, NULL, NULL);
    if (rc == GWR_OK)
        rc = gwr_config_new(&cfg, ctx);
    if (rc != GWR_OK) {
        fprintf(stderr, "gwroute: %s\n", gwr_strerror(rc));
        gwr_ctx_free(ctx);
        return CLI_EXIT_USAGE;
    }
    int result = cli_load_files(cfg, argc - i, argv + i);
    if (result != CLI_EXIT_USAGE) {
        node root = { N_MAP, NULL, NULL, 0, NULL, NULL, NULL };
        rc = build(cfg, &root);
        if (rc != GWR_OK) {
            fprintf(stderr, "gwroute: %s\n", gwr_strerror(rc));
            result = CLI_EXIT_USAGE;
        } else {
            print_status_diags(cfg);
            if (json) {
                print_json(stdout, &root, 0);
                fputc('\n', stdout);
            } else {
                print_yaml_members(stdout, &root, 0, 0);
            }
            if (fflush(stdout) != 0 || ferror(stdout)) {
                fputs("gwroute: error writing standard output\n", stderr);
                result = CLI_EXIT_USAGE;
            }
        }
        free_tree(root.first);
    }
    gwr_config_free(cfg);
    gwr_ctx_free(ctx);
    return result;
}
