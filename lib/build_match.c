/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * rules[].matches of HTTPRoute and GRPCRoute (spec §1.3, §1.4, §3, §7.2,
 * §7.3): path, headers, query parameters, method and the GRPC method
 * matcher, with the §1.8 defaults. RegularExpression values must compile
 * in our engine, else the rule is invalid (§7.6).
 */
#include <string.h>

#include "build.h"
#include "names.h"
#include "path.h"
#include "regex.h"

static const char *const value_types[] = {
    "Exact", "RegularExpression", NULL
};

/* Compile and free: only whether our engine accepts it matters here. */
static void
regex_check(gwr_build *b, gwr_rule *rule, const gwr_node *at, gwr_str pat)
{
    gwr_regex *re = NULL;
    char err[256] = "";
    int rc = gwr_regex__compile(b->ctx, pat, &re, err, sizeof(err));
    if (rc == GWR_OK) {
        gwr_regex__free(re);
    } else if (rc == GWR_E_NOMEM) {
        b->nomem = 1;
    } else if (rc == GWR_E_LIMIT) {
        gwr_build__rule_invalid(b, rule, at, "regular expression is longer "
                                "than %u bytes", GWR_REGEX_MAX_PATTERN);
    } else {
        gwr_build__rule_invalid(b, rule, at, "regular expression does not "
                                "compile: %s", err);
    }
}

static void
path_match(gwr_build *b, const gwr_node *m, gwr_rule *rule,
           gwr_route_match *out)
{
    static const char *const known[] = { "type", "value", NULL };
    static const char *const types[] = {
        "Exact", "PathPrefix", "RegularExpression", NULL
    };
    static const uint32_t ids[] = {
        GWR_MATCH_EXACT, GWR_MATCH_PREFIX, GWR_MATCH_REGEX
    };
    out->path_type = GWR_MATCH_PREFIX;
    out->path = gwr_build__lit("/");
    const gwr_node *p = gwr_build__get(b, m, "path", GWR_NODE_MAP, 0);
    if (p == NULL)
        return;
    size_t mk = gwr_build__push(b, "path");
    size_t t;
    if (gwr_build__enum(b, p, "type", 0, types, NULL, &t))
        out->path_type = ids[t];
    const gwr_node *v = gwr_build__get(b, p, "value", GWR_NODE_STRING, 0);
    if (v != NULL) {
        size_t mv = gwr_build__push(b, "value");
        const char *msg = NULL;
        if (out->path_type != GWR_MATCH_REGEX)
            msg = gwr_path__check_match_value(v->text);
        else if (v->text.len > 1024)
            msg = "must be at most 1024 characters";
        if (msg != NULL)
            gwr_build__error(b, v, "%s", msg);
        else if (out->path_type == GWR_MATCH_REGEX)
            regex_check(b, rule, v, v->text);
        out->path = gwr_build__copy(b, v->text);
        gwr_build__pop(b, mv);
    }
    gwr_build__fields(b, p, known);
    gwr_build__pop(b, mk);
}

/* headers / queryParams: list-map by exact name (the CRD rejects exact
 * repeats); header names also repeat case-insensitively, and then only
 * the first counts (§3.4). */
static void
value_matches(gwr_build *b, const gwr_node *m, const char *key, int header,
              gwr_rule *rule, gwr_value_match **out, size_t *n_out)
{
    static const char *const known[] = { "type", "name", "value", NULL };
    const gwr_node *l = gwr_build__list(b, m, key, 0, 0, 16);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, key);
    gwr_value_match *vm = gwr_build__alloc(b, l->n, sizeof(*vm));
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *it = l->items[i];
        if (gwr_build__is(b, it, GWR_NODE_MAP)) {
            gwr_value_match x;
            memset(&x, 0, sizeof(x));
            x.pos = gwr_build__pos(b, it);
            size_t t = 0;
            int ok = 1;
            if (gwr_build__has(it, "type"))
                ok &= gwr_build__enum(b, it, "type", 0, value_types, NULL,
                                      &t);
            x.type = t == 0 ? GWR_MATCH_EXACT : GWR_MATCH_REGEX;
            ok &= gwr_build__str_check(b, it, "name", 1,
                                       gwr_names__check_header_name, &x.name);
            ok &= gwr_build__str(b, it, "value", 1, 1, header ? 4096 : 1024,
                                 &x.value);
            gwr_build__fields(b, it, known);
            if (ok && header) {
                const char *msg =
                    gwr_names__check_header_value_pattern(x.value);
                if (msg != NULL)
                    gwr_build__warn_key(b, it, "value",
                                        "%s (the experimental channel since "
                                        "v1.5 rejects this value)", msg);
            }
            if (ok && x.type == GWR_MATCH_REGEX) {
                size_t mv = gwr_build__push(b, "value");
                regex_check(b, rule, gwr_node__get(it, "value"), x.value);
                gwr_build__pop(b, mv);
            }
            size_t dup = SIZE_MAX;
            for (size_t j = 0; ok && j < n; j++)
                if (header ? gwr_str__eq_ci(vm[j].name, x.name)
                           : gwr_str__eq(vm[j].name, x.name))
                    dup = j;
            if (ok && dup != SIZE_MAX) {
                if (gwr_str__eq(vm[dup].name, x.name))
                    gwr_build__error_key(b, it, "name",
                                         "duplicate entry for name \"%s\"",
                                         x.name.ptr);
                else
                    gwr_build__warn_key(b, it, "name",
                                        "header \"%s\" repeats \"%s\" (names "
                                        "are case-insensitive); only the "
                                        "first is used", x.name.ptr,
                                        vm[dup].name.ptr);
            } else if (ok && vm != NULL) {
                vm[n++] = x;
            }
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
    *out = vm;
    *n_out = n;
}

/* GRPC Exact service: ^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$ */
static int
grpc_service_ok(gwr_str s)
{
    size_t i = 0;
    if (i < s.len && s.ptr[i] == '.')
        i++;
    size_t label = 0;
    if (i >= s.len)
        return 0;
    for (; i < s.len; i++) {
        char c = gwr__tolower(s.ptr[i]);
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || c == '_') {
            label++;
        } else if (c >= '0' && c <= '9') {
            if (label == 0)
                return 0;
            label++;
        } else {
            return 0;
        }
    }
    return label > 0;
}

/* GRPC Exact method: ^[A-Za-z_][A-Za-z_0-9]*$ */
static int
grpc_method_ok(gwr_str s)
{
    if (s.len == 0)
        return 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = gwr__tolower(s.ptr[i]);
        if (!((c >= 'a' && c <= 'z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static void
grpc_method(gwr_build *b, const gwr_node *m, gwr_rule *rule,
            gwr_route_match *out)
{
    static const char *const known[] = { "type", "service", "method", NULL };
    const gwr_node *g = gwr_build__get(b, m, "method", GWR_NODE_MAP, 0);
    if (g == NULL)
        return;
    size_t mk = gwr_build__push(b, "method");
    out->has_grpc_method = 1;
    size_t t = 0;
    if (gwr_build__has(g, "type"))
        gwr_build__enum(b, g, "type", 0, value_types, NULL, &t);
    out->grpc_type = t == 0 ? GWR_MATCH_EXACT : GWR_MATCH_REGEX;
    int hs = gwr_build__str(b, g, "service", 0, 0, 1024, &out->grpc_service);
    int hm = gwr_build__str(b, g, "method", 0, 0, 1024, &out->grpc_method);
    gwr_build__fields(b, g, known);
    if (!gwr_build__has(g, "service") && !gwr_build__has(g, "method"))
        gwr_build__error(b, g, "One or both of 'service' or 'method' must be "
                         "specified");
    if (t == 0) {
        if (hs && !grpc_service_ok(out->grpc_service))
            gwr_build__error_key(b, g, "service", "service must only contain "
                                 "valid characters (matching ^(?i)\\.?[a-z_]"
                                 "[a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$)");
        if (hm && !grpc_method_ok(out->grpc_method))
            gwr_build__error_key(b, g, "method", "method must only contain "
                                 "valid characters (matching "
                                 "^[A-Za-z_][A-Za-z_0-9]*$)");
    } else {
        if (hs) {
            size_t ms = gwr_build__push(b, "service");
            regex_check(b, rule, gwr_node__get(g, "service"),
                        out->grpc_service);
            gwr_build__pop(b, ms);
        }
        if (hm) {
            size_t mm = gwr_build__push(b, "method");
            regex_check(b, rule, gwr_node__get(g, "method"),
                        out->grpc_method);
            gwr_build__pop(b, mm);
        }
    }
    gwr_build__pop(b, mk);
}

void
gwr_build__default_match(gwr_build *b, gwr_rule *rule)
{
    rule->matches = gwr_build__alloc(b, 1, sizeof(*rule->matches));
    if (rule->matches == NULL)
        return;
    rule->n_matches = 1;
    rule->matches[0].path_type = GWR_MATCH_PREFIX;
    rule->matches[0].path = gwr_build__lit("/");
    rule->matches[0].pos = rule->pos;
}

void
gwr_build__matches(gwr_build *b, const gwr_node *rn, int grpc, gwr_rule *rule)
{
    static const char *const http_known[] = {
        "path", "headers", "queryParams", "method", NULL
    };
    static const char *const grpc_known[] = { "method", "headers", NULL };
    const gwr_node *l = gwr_build__list(b, rn, "matches", 0, 0, 64);
    if (l == NULL || l->n == 0) {
        /* HTTPRoute: [{path: {type: PathPrefix, value: /}}]; GRPCRoute has
         * no default (no matches = every request). */
        if (!grpc)
            gwr_build__default_match(b, rule);
        return;
    }
    size_t mk = gwr_build__push(b, "matches");
    rule->matches = gwr_build__alloc(b, l->n, sizeof(*rule->matches));
    for (size_t i = 0; i < l->n && rule->matches != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *m = l->items[i];
        if (gwr_build__is(b, m, GWR_NODE_MAP)) {
            gwr_route_match *x = &rule->matches[rule->n_matches++];
            x->pos = gwr_build__pos(b, m);
            if (grpc) {
                grpc_method(b, m, rule, x);
            } else {
                path_match(b, m, rule, x);
                value_matches(b, m, "queryParams", 0, rule, &x->query,
                              &x->n_query);
                gwr_build__str_check(b, m, "method", 0,
                                     gwr_names__check_http_method,
                                     &x->method);
            }
            value_matches(b, m, "headers", 1, rule, &x->headers,
                          &x->n_headers);
            gwr_build__fields(b, m, grpc ? grpc_known : http_known);
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}
