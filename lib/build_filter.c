/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * HTTPRoute / GRPCRoute filters (spec §4, §7.2, §7.3): the tagged union,
 * header modifiers, redirect, rewrite, mirror, ExtensionRef and CORS, with
 * their defaults, CRD rules and the semantic checks of §7.6.
 */
#include <string.h>

#include "build.h"
#include "hostname.h"
#include "names.h"

/* type value, union member, usable in GRPCRoute */
typedef struct filter_kind {
    const char *type;
    const char *member;
    uint32_t id;
    int grpc;
} filter_kind;

#define GWR_FILTER_EXT_AUTH 100u  /* ExternalAuth: valid, not supported */

static const filter_kind fkinds[] = {
    { "RequestHeaderModifier", "requestHeaderModifier",
      GWR_FILTER_REQUEST_HEADER, 1 },
    { "ResponseHeaderModifier", "responseHeaderModifier",
      GWR_FILTER_RESPONSE_HEADER, 1 },
    { "RequestMirror", "requestMirror", GWR_FILTER_MIRROR, 1 },
    { "RequestRedirect", "requestRedirect", GWR_FILTER_REDIRECT, 0 },
    { "URLRewrite", "urlRewrite", GWR_FILTER_URL_REWRITE, 0 },
    { "ExtensionRef", "extensionRef", GWR_FILTER_EXTENSION_REF, 1 },
    { "CORS", "cors", GWR_FILTER_CORS, 0 },
    { "ExternalAuth", "externalAuth", GWR_FILTER_EXT_AUTH, 0 },
};

static const char *const http_types[] = {
    "RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror",
    "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS", "ExternalAuth",
    NULL
};
static const char *const grpc_types[] = {
    "ResponseHeaderModifier", "RequestHeaderModifier", "RequestMirror",
    "ExtensionRef", NULL
};

/* ---- header modifiers ----------------------------------------------------- */

static int
warn_header_value(gwr_build *b, const gwr_node *item)
{
    /* The >= v1.5 experimental pattern: a warning only, since the v1.2
     * schema accepts these values. */
    const gwr_node *v = gwr_node__get(item, "value");
    if (v == NULL || v->type != GWR_NODE_STRING ||
        gwr_names__check_header_value(v->text) != NULL)
        return 0;
    const char *msg = gwr_names__check_header_value_pattern(v->text);
    if (msg != NULL)
        gwr_build__warn_key(b, item, "value",
                            "%s (the experimental channel since v1.5 "
                            "rejects this value)", msg);
    return 1;
}

/* set / add: list-map by exact name; case-insensitive repeats keep the
 * first. Returns the kvs; names are also collected for the overlap check. */
static void
header_list(gwr_build *b, const gwr_node *map, const char *key, gwr_kvs *out)
{
    static const char *const known[] = { "name", "value", NULL };
    const gwr_node *l = gwr_build__list(b, map, key, 0, 0, 16);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, key);
    out->items = gwr_build__alloc(b, l->n, sizeof(*out->items));
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *it = l->items[i];
        gwr_kv kv = { { "", 0 }, { "", 0 } };
        if (gwr_build__is(b, it, GWR_NODE_MAP)) {
            int ok = gwr_build__str_check(b, it, "name", 1,
                                          gwr_names__check_header_name,
                                          &kv.key);
            ok &= gwr_build__str_check(b, it, "value", 1,
                                       gwr_names__check_header_value,
                                       &kv.value);
            warn_header_value(b, it);
            gwr_build__fields(b, it, known);
            size_t dup = SIZE_MAX;
            for (size_t j = 0; ok && j < out->n; j++)
                if (gwr_str__eq_ci(out->items[j].key, kv.key))
                    dup = j;
            if (ok && dup != SIZE_MAX) {
                /* Index j of the kept entries is not the list index;
                 * name the entry by its name instead. */
                if (gwr_str__eq(out->items[dup].key, kv.key))
                    gwr_build__error_key(b, it, "name",
                                         "duplicate entry for name \"%s\"",
                                         kv.key.ptr);
                else
                    gwr_build__warn_key(b, it, "name",
                                        "header \"%s\" repeats \"%s\" (names "
                                        "are case-insensitive); only the "
                                        "first is used", kv.key.ptr,
                                        out->items[dup].key.ptr);
            } else if (ok && out->items != NULL) {
                out->items[out->n++] = kv;
            }
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

static void
header_remove(gwr_build *b, const gwr_node *map, gwr_strs *out)
{
    const gwr_node *l = gwr_build__list(b, map, "remove", 0, 0, 16);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "remove");
    out->items = gwr_build__alloc(b, l->n, sizeof(*out->items));
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *it = l->items[i];
        if (gwr_build__is(b, it, GWR_NODE_STRING)) {
            size_t dup = SIZE_MAX;
            for (size_t j = 0; j < out->n; j++)
                if (gwr_str__eq_ci(out->items[j], it->text))
                    dup = j;
            if (dup != SIZE_MAX && gwr_str__eq(out->items[dup], it->text))
                gwr_build__error(b, it, "duplicate value \"%s\"",
                                 it->text.ptr);
            else if (dup != SIZE_MAX)
                gwr_build__warn(b, it, "header \"%s\" repeats \"%s\" (names "
                                "are case-insensitive); only the first is "
                                "used", it->text.ptr,
                                out->items[dup].ptr);
            else if (out->items != NULL)
                out->items[out->n++] = gwr_build__copy(b, it->text);
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

static int
in_kvs(const gwr_kvs *k, gwr_str name)
{
    for (size_t i = 0; i < k->n; i++)
        if (gwr_str__eq_ci(k->items[i].key, name))
            return 1;
    return 0;
}

static void
header_mod(gwr_build *b, const gwr_node *n, gwr_rule *rule,
           gwr_header_mod *out)
{
    static const char *const known[] = { "set", "add", "remove", NULL };
    if (!gwr_build__is(b, n, GWR_NODE_MAP))
        return;
    header_list(b, n, "set", &out->set);
    header_list(b, n, "add", &out->add);
    header_remove(b, n, &out->remove);
    gwr_build__fields(b, n, known);
    /* §7.6: one action per header name per filter. */
    for (size_t i = 0; i < out->add.n; i++)
        if (in_kvs(&out->set, out->add.items[i].key))
            gwr_build__rule_invalid(b, rule, n,
                                    "header \"%s\" is both in set and add",
                                    out->add.items[i].key.ptr);
    for (size_t i = 0; i < out->remove.n; i++) {
        const char *where = in_kvs(&out->set, out->remove.items[i]) ? "set"
                            : in_kvs(&out->add, out->remove.items[i]) ? "add"
                                                                      : NULL;
        if (where != NULL)
            gwr_build__rule_invalid(b, rule, n,
                                    "header \"%s\" is both in %s and remove",
                                    out->remove.items[i].ptr, where);
    }
}

/* ---- redirect, rewrite ---------------------------------------------------- */

static const char *
check_precise_hostname(gwr_str h)
{
    return gwr_hostname__check(h, 0);
}

static void
path_mod(gwr_build *b, const gwr_node *map, gwr_path_mod *out)
{
    static const char *const known[] = {
        "type", "replaceFullPath", "replacePrefixMatch", NULL
    };
    static const char *const types[] = {
        "ReplaceFullPath", "ReplacePrefixMatch", NULL
    };
    const gwr_node *n = gwr_build__get(b, map, "path", GWR_NODE_MAP, 0);
    if (n == NULL)
        return;
    size_t mk = gwr_build__push(b, "path");
    size_t t = 0;
    int have_type = gwr_build__enum(b, n, "type", 1, types, NULL, &t);
    gwr_str full = { "", 0 }, prefix = { "", 0 };
    int has_full = gwr_build__str(b, n, "replaceFullPath", 0, 0, 1024, &full);
    int has_prefix = gwr_build__str(b, n, "replacePrefixMatch", 0, 0, 1024,
                                    &prefix);
    gwr_build__fields(b, n, known);
    if (have_type) {
        /* The four CEL rules of HTTPPathModifier, upstream's messages. */
        if (t == 0 && !has_full)
            gwr_build__error(b, n, "replaceFullPath must be specified when "
                             "type is set to 'ReplaceFullPath'");
        if (t != 0 && has_full)
            gwr_build__error(b, n, "type must be 'ReplaceFullPath' when "
                             "replaceFullPath is set");
        if (t == 1 && !has_prefix)
            gwr_build__error(b, n, "replacePrefixMatch must be specified when "
                             "type is set to 'ReplacePrefixMatch'");
        if (t != 1 && has_prefix)
            gwr_build__error(b, n, "type must be 'ReplacePrefixMatch' when "
                             "replacePrefixMatch is set");
        out->type = t == 0 ? GWR_PATH_MOD_FULL : GWR_PATH_MOD_PREFIX;
        out->value = t == 0 ? full : prefix;
        const char *key = t == 0 ? "replaceFullPath" : "replacePrefixMatch";
        if (out->value.len > 0 && out->value.ptr[0] != '/')
            gwr_build__warn_key(b, n, key, "does not start with '/'; used as "
                                "given");
    }
    gwr_build__pop(b, mk);
}

static void
redirect(gwr_build *b, const gwr_node *n, gwr_redirect *out)
{
    static const char *const known[] = {
        "scheme", "hostname", "path", "port", "statusCode", NULL
    };
    static const char *const schemes[] = { "http", "https", NULL };
    out->status = 302;
    if (!gwr_build__is(b, n, GWR_NODE_MAP))
        return;
    gwr_build__enum(b, n, "scheme", 0, schemes, &out->scheme, NULL);
    gwr_build__str_check(b, n, "hostname", 0, check_precise_hostname,
                         &out->hostname);
    path_mod(b, n, &out->path);
    int64_t v;
    if (gwr_build__int(b, n, "port", 0, 1, 65535, &v))
        out->port = (uint32_t)v;
    const gwr_node *sc = gwr_build__get(b, n, "statusCode", GWR_NODE_INT, 0);
    if (sc != NULL) {
        /* v1.2: 301 302; >= v1.5 adds 303 307 308 (spec §4.2). */
        if (sc->ival == 301 || sc->ival == 302 || sc->ival == 303 ||
            sc->ival == 307 || sc->ival == 308)
            out->status = (uint32_t)sc->ival;
        else
            gwr_build__error_key(b, n, "statusCode",
                                 "unsupported value %lld; allowed values: "
                                 "301, 302, 303, 307, 308",
                                 (long long)sc->ival);
    }
    gwr_build__fields(b, n, known);
}

static void
rewrite(gwr_build *b, const gwr_node *n, gwr_rewrite *out)
{
    static const char *const known[] = { "hostname", "path", NULL };
    if (!gwr_build__is(b, n, GWR_NODE_MAP))
        return;
    gwr_build__str_check(b, n, "hostname", 0, check_precise_hostname,
                         &out->hostname);
    path_mod(b, n, &out->path);
    gwr_build__fields(b, n, known);
}

/* ---- mirror ----------------------------------------------------------------- */

static void
mirror(gwr_build *b, const gwr_node *n, gwr_str route_ns, gwr_mirror *out)
{
    static const char *const known[] = {
        "backendRef", "percent", "fraction", NULL
    };
    static const char *const ref_known[] = {
        "group", "kind", "namespace", "name", "port", NULL
    };
    static const char *const frac_known[] = {
        "numerator", "denominator", NULL
    };
    out->num = 100;
    out->den = 100;
    if (!gwr_build__is(b, n, GWR_NODE_MAP))
        return;
    const gwr_node *ref = gwr_build__get(b, n, "backendRef", GWR_NODE_MAP, 1);
    if (ref != NULL) {
        size_t mk = gwr_build__push(b, "backendRef");
        gwr_build__backend_obj_ref(b, ref, route_ns, &out->backend);
        gwr_build__fields(b, ref, ref_known);
        gwr_build__pop(b, mk);
    }
    int64_t pct;
    int has_pct = gwr_build__int(b, n, "percent", 0, 0, 100, &pct);
    if (has_pct) {
        out->num = (uint32_t)pct;
        out->den = 100;
    }
    const gwr_node *f = gwr_build__get(b, n, "fraction", GWR_NODE_MAP, 0);
    if (f != NULL) {
        size_t mk = gwr_build__push(b, "fraction");
        int64_t num = 0, den = 100;
        int ok = gwr_build__int(b, f, "numerator", 1, 0, INT32_MAX, &num);
        if (gwr_build__has(f, "denominator"))
            ok &= gwr_build__int(b, f, "denominator", 0, 1, INT32_MAX, &den);
        gwr_build__fields(b, f, frac_known);
        if (ok && num > den)
            gwr_build__error(b, f, "numerator must be less than or equal to "
                             "denominator");
        gwr_build__pop(b, mk);
        if (ok) {
            out->num = (uint32_t)num;
            out->den = (uint32_t)den;
        }
    }
    if (gwr_build__has(n, "percent") && f != NULL)
        gwr_build__error(b, n, "Only one of percent or fraction may be "
                         "specified in HTTPRequestMirrorFilter");
    gwr_build__fields(b, n, known);
}

/* ---- CORS ------------------------------------------------------------------- */

static int
origin_host_ok(const char *s, size_t n)
{
    /* ((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*) */
    if (n == 1 && s[0] == '*')
        return 1;
    if (n >= 2 && s[0] == '*' && s[1] == '.') {
        s += 2;
        n -= 2;
    }
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == '-') {
            label++;
        } else {
            return 0;
        }
    }
    return label > 0;
}

/* CORSOrigin (spec §7.1), by hand: "*" or http(s)://host[:port]. */
static const char *
check_origin(gwr_str v)
{
    static const char msg[] =
        "must match (^\\*$)|(^(http(s)?):\\/\\/(((\\*\\.)?([a-zA-Z0-9\\-]+"
        "\\.)*[a-zA-Z0-9-]+|\\*)(:([0-9]{1,5}))?)$)";
    if (v.len < 1 || v.len > 253)
        return "must be 1 to 253 characters";
    if (v.len == 1 && v.ptr[0] == '*')
        return NULL;
    size_t p;
    if (v.len > 8 && memcmp(v.ptr, "https://", 8) == 0)
        p = 8;
    else if (v.len > 7 && memcmp(v.ptr, "http://", 7) == 0)
        p = 7;
    else
        return msg;
    size_t end = v.len, colon = SIZE_MAX;
    for (size_t i = p; i < v.len; i++)
        if (v.ptr[i] == ':')
            colon = i;
    if (colon != SIZE_MAX) {
        size_t digits = v.len - colon - 1;
        if (digits < 1 || digits > 5)
            return msg;
        for (size_t i = colon + 1; i < v.len; i++)
            if (v.ptr[i] < '0' || v.ptr[i] > '9')
                return msg;
        end = colon;
    }
    return origin_host_ok(v.ptr + p, end - p) ? NULL : msg;
}

static const char *
check_cors_method(gwr_str v)
{
    if (v.len == 1 && v.ptr[0] == '*')
        return NULL;
    return gwr_names__check_http_method(v);
}

/* A CORS list: a set (no duplicates) of checked values; "*" alone. */
static void
cors_list(gwr_build *b, const gwr_node *n, const char *key, size_t max,
          gwr_build_check_fn check, int star_alone, gwr_strs *out)
{
    const gwr_node *l = gwr_build__list(b, n, key, 0, 0, max);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, key);
    out->items = gwr_build__alloc(b, l->n, sizeof(*out->items));
    int star = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *it = l->items[i];
        const char *msg = NULL;
        if (gwr_build__is(b, it, GWR_NODE_STRING) &&
            (msg = check(it->text)) != NULL)
            gwr_build__error(b, it, "%s", msg);
        if (it != NULL && it->type == GWR_NODE_STRING && msg == NULL) {
            int dup = 0;
            for (size_t j = 0; j < out->n; j++)
                dup |= gwr_str__eq(out->items[j], it->text);
            if (dup)
                gwr_build__error(b, it, "duplicate value \"%s\"",
                                 it->text.ptr);
            else if (out->items != NULL)
                out->items[out->n++] = gwr_build__copy(b, it->text);
            star |= it->text.len == 1 && it->text.ptr[0] == '*';
        }
        gwr_build__pop(b, mi);
    }
    if (star_alone && star && l->n > 1)
        gwr_build__error(b, l, "a wildcard \"*\" must be the only entry");
    gwr_build__pop(b, mk);
}

static void
cors(gwr_build *b, const gwr_node *n, gwr_cors *out)
{
    static const char *const known[] = {
        "allowOrigins", "allowCredentials", "allowMethods", "allowHeaders",
        "exposeHeaders", "maxAge", NULL
    };
    out->max_age_s = 5;
    if (!gwr_build__is(b, n, GWR_NODE_MAP))
        return;
    cors_list(b, n, "allowOrigins", 64, check_origin, 1, &out->allow_origins);
    gwr_build__bool(b, n, "allowCredentials", 0, &out->allow_credentials);
    cors_list(b, n, "allowMethods", 9, check_cors_method, 1,
              &out->allow_methods);
    cors_list(b, n, "allowHeaders", 64, gwr_names__check_header_name, 1,
              &out->allow_headers);
    cors_list(b, n, "exposeHeaders", 64, gwr_names__check_header_name, 0,
              &out->expose_headers);
    gwr_build__int(b, n, "maxAge", 0, 1, INT32_MAX, &out->max_age_s);
    gwr_build__fields(b, n, known);
}

/* ---- one filter and the list -------------------------------------------------- */

static const filter_kind *
fkind_by_type(gwr_str t)
{
    for (size_t i = 0; i < GWR_ARRAY_LEN(fkinds); i++)
        if (gwr_str__eq_cstr(t, fkinds[i].type))
            return &fkinds[i];
    return NULL;
}

/* Returns 1 when *out was filled with a filter the model can carry. */
static int
filter(gwr_build *b, const gwr_node *n, int grpc, gwr_str route_ns,
       gwr_rule *rule, gwr_filter *out, uint32_t *type_out)
{
    const char *known[GWR_ARRAY_LEN(fkinds) + 2];
    size_t nk = 0;
    known[nk++] = "type";
    for (size_t i = 0; i < GWR_ARRAY_LEN(fkinds); i++)
        if (!grpc || fkinds[i].grpc)
            known[nk++] = fkinds[i].member;
    known[nk] = NULL;
    *type_out = UINT32_MAX;
    if (!gwr_build__is(b, n, GWR_NODE_MAP))
        return 0;
    out->pos = gwr_build__pos(b, n);
    gwr_str t;
    const filter_kind *fk = NULL;
    if (gwr_build__enum(b, n, "type", 1, grpc ? grpc_types : http_types, &t,
                        NULL))
        fk = fkind_by_type(t);
    /* The union's CEL pairs, one per member of this route kind. */
    for (size_t i = 0; fk != NULL && i < GWR_ARRAY_LEN(fkinds); i++) {
        const filter_kind *k = &fkinds[i];
        if (grpc && !k->grpc)
            continue;
        int present = gwr_build__has(n, k->member);
        if (k == fk && !present)
            gwr_build__error(b, n, "filter.%s must be specified for %s "
                             "filter.type", k->member, k->type);
        else if (k != fk && present)
            gwr_build__error(b, n, "filter.%s must be nil if the "
                             "filter.type is not %s", k->member, k->type);
    }
    gwr_build__fields(b, n, known);
    if (fk == NULL)
        return 0;
    *type_out = fk->id;
    const gwr_node *m = gwr_node__get(n, fk->member);
    if (m == NULL || m->type == GWR_NODE_NULL)
        return 0;
    out->type = fk->id;
    size_t mk = gwr_build__push(b, fk->member);
    int ok = 1;
    switch (fk->id) {
    case GWR_FILTER_REQUEST_HEADER:
    case GWR_FILTER_RESPONSE_HEADER:
        header_mod(b, m, rule, &out->headers);
        break;
    case GWR_FILTER_MIRROR:
        mirror(b, m, route_ns, &out->mirror);
        break;
    case GWR_FILTER_REDIRECT:
        redirect(b, m, &out->redirect);
        break;
    case GWR_FILTER_URL_REWRITE:
        rewrite(b, m, &out->rewrite);
        break;
    case GWR_FILTER_EXTENSION_REF:
        gwr_build__local_ref(b, m, &out->ext);
        break;
    case GWR_FILTER_CORS:
        cors(b, m, &out->cors);
        break;
    default:
        /* ExternalAuth passes the CRD but this library cannot run it. */
        gwr_build__rule_invalid(b, rule, m, "ExternalAuth filters are not "
                                "supported by libgwroute");
        ok = 0;
        break;
    }
    gwr_build__pop(b, mk);
    return ok;
}

void
gwr_build__filters(gwr_build *b, const gwr_node *map, int grpc,
                   gwr_str route_ns, gwr_rule *rule, gwr_filter **out,
                   size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    const gwr_node *l = gwr_build__list(b, map, "filters", 0, 0, 16);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "filters");
    gwr_filter *fs = gwr_build__alloc(b, l->n, sizeof(*fs));
    size_t n = 0;
    size_t count[8] = { 0 };
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        gwr_filter tmp;
        memset(&tmp, 0, sizeof(tmp));
        uint32_t type;
        if (filter(b, l->items[i], grpc, route_ns, rule, &tmp, &type) &&
            fs != NULL)
            fs[n++] = tmp;
        if (type < GWR_ARRAY_LEN(count))
            count[type]++;
        gwr_build__pop(b, mi);
    }
    /* The list's CEL rules, upstream's messages. */
    if (count[GWR_FILTER_REDIRECT] > 0 && count[GWR_FILTER_URL_REWRITE] > 0)
        gwr_build__error(b, l, "May specify either "
                         "httpRouteFilterRequestRedirect or "
                         "httpRouteFilterRequestRewrite, but not both");
    static const struct {
        uint32_t id;
        const char *name;
    } once[] = {
        { GWR_FILTER_REQUEST_HEADER, "RequestHeaderModifier" },
        { GWR_FILTER_RESPONSE_HEADER, "ResponseHeaderModifier" },
        { GWR_FILTER_REDIRECT, "RequestRedirect" },
        { GWR_FILTER_URL_REWRITE, "URLRewrite" },
        { GWR_FILTER_CORS, "CORS" },
    };
    for (size_t i = 0; i < GWR_ARRAY_LEN(once); i++)
        if (count[once[i].id] > 1)
            gwr_build__error(b, l, "%s filter cannot be repeated",
                             once[i].name);
    gwr_build__pop(b, mk);
    *out = fs;
    *n_out = n;
}
