/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * HTTPRoute and GRPCRoute (spec §1.3, §1.4, §7.2, §7.3): parentRefs and
 * their CEL distinctness rules, hostnames, rules with the §1.8 defaults,
 * backendRefs, timeouts, retry and sessionPersistence. Matches are in
 * lib/build_match.c, filters in lib/build_filter.c.
 */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "duration.h"
#include "hostname.h"
#include "names.h"

/* ---- parentRefs ------------------------------------------------------------ */

static int
same_parent_cel(const gwr_parent_ref *a, const gwr_parent_ref *b)
{
    /* CEL compares the namespace as written: unset equals "". */
    gwr_str na = a->ns_set ? a->ns : gwr_build__lit("");
    gwr_str nb = b->ns_set ? b->ns : gwr_build__lit("");
    return gwr_str__eq(a->group, b->group) && gwr_str__eq(a->kind, b->kind) &&
           gwr_str__eq(a->name, b->name) && gwr_str__eq(na, nb);
}

static int
same_parent_resolved(const gwr_parent_ref *a, const gwr_parent_ref *b)
{
    return gwr_str__eq(a->group, b->group) && gwr_str__eq(a->kind, b->kind) &&
           gwr_str__eq(a->name, b->name) && gwr_str__eq(a->ns, b->ns);
}

/* Check ref j against the refs before it; report at most one problem. */
static void
parent_distinct(gwr_build *b, const gwr_node *item, const gwr_parent_ref *p,
                size_t j)
{
    const gwr_parent_ref *q = &p[j];
    for (size_t i = 0; i < j; i++) {
        const gwr_parent_ref *o = &p[i];
        if (!same_parent_resolved(o, q))
            continue;
        int cel = same_parent_cel(o, q);
        int o_none = o->section_name.len == 0 && o->port == 0;
        int q_none = q->section_name.len == 0 && q->port == 0;
        int same_key = gwr_str__eq(o->section_name, q->section_name) &&
                       o->port == q->port;
        char pre[128] = "";
        if (!cel)
            snprintf(pre, sizeof(pre), "refers to the same parent as "
                     "spec.parentRefs[%zu] once the namespace is resolved: ",
                     i);
        /* The experimental rules (sectionName and port) are enforced:
         * the model carries ports. The standard ones, which ignore the
         * port, only warn. */
        if (o_none != q_none) {
            gwr_build__error(b, item, "%ssectionName or port must be "
                             "specified when parentRefs includes 2 or more "
                             "references to the same parent", pre);
            return;
        }
        if (same_key) {
            gwr_build__error(b, item, "%ssectionName or port must be unique "
                             "when parentRefs includes 2 or more references "
                             "to the same parent", pre);
            return;
        }
        int o_sec = o->section_name.len == 0, q_sec = q->section_name.len == 0;
        if (o_sec != q_sec || gwr_str__eq(o->section_name, q->section_name)) {
            gwr_build__warn(b, item, "%ssectionName must be %s when "
                            "parentRefs includes 2 or more references to the "
                            "same parent (the standard channel CRD rejects "
                            "this; the experimental one accepts it because "
                            "the ports differ)", pre,
                            o_sec != q_sec ? "specified" : "unique");
            return;
        }
    }
}

static void
parent_refs(gwr_build *b, const gwr_node *spec, gwr_route *r)
{
    const gwr_node *l = gwr_build__list(b, spec, "parentRefs", 0, 0, 32);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "parentRefs");
    r->parents = gwr_build__alloc(b, l->n, sizeof(*r->parents));
    for (size_t i = 0; i < l->n && r->parents != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        gwr_parent_ref *p = &r->parents[r->n_parents];
        if (gwr_build__parent_ref(b, l->items[i], r->meta.ns, p)) {
            r->n_parents++;
            parent_distinct(b, l->items[i], r->parents, r->n_parents - 1);
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

/* ---- hostnames ----------------------------------------------------------------- */

static const char *
check_hostname(gwr_str h)
{
    return gwr_hostname__check(h, 1);
}

static void
hostnames(gwr_build *b, const gwr_node *spec, gwr_route *r)
{
    const gwr_node *l = gwr_build__list(b, spec, "hostnames", 0, 0, 16);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "hostnames");
    r->hostnames.items = gwr_build__alloc(b, l->n, sizeof(gwr_str));
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *it = l->items[i];
        const char *msg;
        if (!gwr_build__is(b, it, GWR_NODE_STRING)) {
            /* reported */
        } else if ((msg = check_hostname(it->text)) != NULL) {
            gwr_build__error(b, it, "%s", msg);
        } else if (r->hostnames.items != NULL) {
            r->hostnames.items[r->hostnames.n++] = gwr_build__copy(b,
                                                                   it->text);
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

/* ---- backendRefs -------------------------------------------------------------- */

static void
backend_refs(gwr_build *b, const gwr_node *rn, int grpc, gwr_str ns,
             gwr_rule *rule)
{
    static const char *const known[] = {
        "group", "kind", "namespace", "name", "port", "weight", "filters",
        NULL
    };
    const gwr_node *l = gwr_build__list(b, rn, "backendRefs", 0, 0, 16);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "backendRefs");
    rule->backends = gwr_build__alloc(b, l->n, sizeof(*rule->backends));
    for (size_t i = 0; i < l->n && rule->backends != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *it = l->items[i];
        gwr_backend_ref *br = &rule->backends[rule->n_backends];
        if (gwr_build__is(b, it, GWR_NODE_MAP)) {
            size_t e0 = b->errors;
            gwr_build__backend_obj_ref(b, it, ns, br);
            int64_t w;
            if (gwr_build__int(b, it, "weight", 0, 0, 1000000, &w))
                br->weight = (uint32_t)w;
            gwr_build__filters(b, it, grpc, ns, rule, &br->filters,
                               &br->n_filters);
            gwr_build__fields(b, it, known);
            if (b->errors == e0)
                rule->n_backends++;
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

/* ---- timeouts and retry ---------------------------------------------------- */

static int
duration(gwr_build *b, const gwr_node *map, const char *key, int64_t *ms)
{
    const gwr_node *v = gwr_build__get(b, map, key, GWR_NODE_STRING, 0);
    if (v == NULL)
        return 0;
    if (gwr_duration__parse(v->text, ms) != GWR_OK) {
        gwr_build__error_key(b, map, key, "must be a Gateway API duration "
                             "matching ^([0-9]{1,5}(h|m|s|ms)){1,4}$, got "
                             "\"%s\"", v->text.ptr);
        return 0;
    }
    return 1;
}

static void
timeouts(gwr_build *b, const gwr_node *rn, gwr_rule *rule)
{
    static const char *const known[] = { "request", "backendRequest", NULL };
    const gwr_node *t = gwr_build__get(b, rn, "timeouts", GWR_NODE_MAP, 0);
    if (t == NULL)
        return;
    size_t mk = gwr_build__push(b, "timeouts");
    int hr = duration(b, t, "request", &rule->timeout_request_ms);
    int hb = duration(b, t, "backendRequest", &rule->timeout_backend_ms);
    gwr_build__fields(b, t, known);
    /* CEL: backendRequest <= request unless request is 0s (disabled). */
    if (hr && hb && rule->timeout_request_ms != 0 &&
        rule->timeout_backend_ms > rule->timeout_request_ms)
        gwr_build__error(b, t, "backendRequest timeout cannot be longer than "
                         "request timeout");
    gwr_build__pop(b, mk);
}

static void
retry(gwr_build *b, const gwr_node *rn, gwr_rule *rule)
{
    static const char *const known[] = {
        "codes", "attempts", "backoff", NULL
    };
    const gwr_node *r = gwr_build__get(b, rn, "retry", GWR_NODE_MAP, 0);
    if (r == NULL)
        return;
    size_t mk = gwr_build__push(b, "retry");
    rule->retry.set = 1;
    const gwr_node *l = gwr_build__list(b, r, "codes", 0, 0, 0);
    if (l != NULL) {
        size_t mc = gwr_build__push(b, "codes");
        rule->retry.codes = gwr_build__alloc(b, l->n, sizeof(uint16_t));
        for (size_t i = 0; i < l->n; i++) {
            size_t mi = gwr_build__push_index(b, i);
            const gwr_node *c = l->items[i];
            if (!gwr_build__is(b, c, GWR_NODE_INT)) {
                /* reported */
            } else if (c->ival < 400 || c->ival > 599) {
                gwr_build__error(b, c, "must be between 400 and 599, got "
                                 "%lld", (long long)c->ival);
            } else {
                int dup = 0;
                for (size_t j = 0; j < rule->retry.n_codes; j++)
                    dup |= rule->retry.codes[j] == (uint16_t)c->ival;
                if (dup)
                    gwr_build__error(b, c, "duplicate value %lld",
                                     (long long)c->ival);
                else if (rule->retry.codes != NULL)
                    rule->retry.codes[rule->retry.n_codes++] =
                        (uint16_t)c->ival;
            }
            gwr_build__pop(b, mi);
        }
        gwr_build__pop(b, mc);
    }
    /* v1.2 has no minimum for attempts (>= 1.6: 1); 0 means "no retry". */
    if (!gwr_build__int(b, r, "attempts", 0, 0, INT32_MAX,
                        &rule->retry.attempts))
        rule->retry.attempts = -1;
    else if (rule->retry.attempts > 1000)
        /* The API has no maximum; the exchange engine stops at 1000
         * retries (docs/LIMITS.md), so say so instead of capping silently. */
        gwr_build__warn(b, gwr_node__get(r, "attempts"),
                        "attempts %lld: the exchange engine retries at most "
                        "1000 times", (long long)rule->retry.attempts);
    if (!duration(b, r, "backoff", &rule->retry.backoff_ms))
        rule->retry.backoff_ms = -1;
    gwr_build__fields(b, r, known);
    gwr_build__pop(b, mk);
}

/* ---- sessionPersistence ------------------------------------------------------------ */

/*
 * rules[].sessionPersistence (experimental; spec §6.4, §7.2). Two schema
 * shapes exist and are told apart by the fields present:
 *
 *   - `cookie` or `header` present: the later (HEAD) shape {type,
 *     absoluteTimeout, cookie{name, path, lifetimeType}, header{name}},
 *     with the CEL rules cookie <=> type Cookie, header <=> type Header,
 *     Permanent => absoluteTimeout;
 *   - otherwise the v1.2 experimental shape {sessionName, absoluteTimeout,
 *     idleTimeout, type, cookieConfig{lifetimeType}} with its CEL rule
 *     Permanent => absoluteTimeout. `{}` and {type, absoluteTimeout} are
 *     read as v1.2, the schema that admits them.
 *
 * Fields of the other shape are unknown fields of the chosen one
 * (warning, as the API server would prune them). Names: sessionName
 * 0..128 (v1.2 MaxLength=128, no pattern); cookie.name / header.name are
 * HeaderName (1..256, RFC 7230 token: spec §7.1 lists session cookie and
 * header names under HeaderName). The CEL messages of the later shape are
 * not in the spec text; ours name the rule in the same style.
 */
static void
session_lifetime(gwr_build *b, const gwr_node *map, gwr_session_persistence *sp)
{
    static const char *const lifetimes[] = { "Session", "Permanent", NULL };
    size_t lt;
    if (gwr_build__enum(b, map, "lifetimeType", 0, lifetimes, NULL, &lt))
        sp->lifetime = lt == 1 ? GWR_COOKIE_LIFETIME_PERMANENT
                               : GWR_COOKIE_LIFETIME_SESSION;
}

static void
session_persistence(gwr_build *b, const gwr_node *rn, gwr_rule *rule)
{
    static const char *const v12_known[] = {
        "sessionName", "absoluteTimeout", "idleTimeout", "type",
        "cookieConfig", NULL
    };
    static const char *const head_known[] = {
        "type", "absoluteTimeout", "cookie", "header", NULL
    };
    static const char *const cc_known[] = { "lifetimeType", NULL };
    static const char *const cookie_known[] = {
        "name", "path", "lifetimeType", NULL
    };
    static const char *const header_known[] = { "name", NULL };
    static const char *const types[] = { "Cookie", "Header", NULL };
    gwr_session_persistence *sp = &rule->session;
    sp->absolute_timeout_ms = -1;
    sp->idle_timeout_ms = -1;
    const gwr_node *n = gwr_build__get(b, rn, "sessionPersistence",
                                       GWR_NODE_MAP, 0);
    if (n == NULL)
        return;
    size_t mk = gwr_build__push(b, "sessionPersistence");
    size_t e0 = b->errors;
    int head = gwr_build__has(n, "cookie") || gwr_build__has(n, "header");
    sp->shape = head ? GWR_SESSION_SHAPE_HEAD : GWR_SESSION_SHAPE_V1_2;
    size_t t;
    int has_type = gwr_build__enum(b, n, "type", 0, types, NULL, &t);
    sp->type = has_type && t == 1 ? GWR_SESSION_HEADER : GWR_SESSION_COOKIE;
    duration(b, n, "absoluteTimeout", &sp->absolute_timeout_ms);
    if (!head) {
        gwr_build__str(b, n, "sessionName", 0, 0, 128, &sp->name);
        duration(b, n, "idleTimeout", &sp->idle_timeout_ms);
        const gwr_node *cc = gwr_build__get(b, n, "cookieConfig",
                                            GWR_NODE_MAP, 0);
        if (cc != NULL) {
            size_t mc = gwr_build__push(b, "cookieConfig");
            session_lifetime(b, cc, sp);
            gwr_build__fields(b, cc, cc_known);
            gwr_build__pop(b, mc);
        }
        gwr_build__fields(b, n, v12_known);
    } else {
        const gwr_node *ck = gwr_build__get(b, n, "cookie", GWR_NODE_MAP, 0);
        const gwr_node *hd = gwr_build__get(b, n, "header", GWR_NODE_MAP, 0);
        if (ck != NULL) {
            size_t mc = gwr_build__push(b, "cookie");
            gwr_build__str_check(b, ck, "name", 0,
                                 gwr_names__check_header_name, &sp->name);
            sp->cookie_path = gwr_build__lit("/");
            gwr_build__str(b, ck, "path", 0, 0, 0, &sp->cookie_path);
            session_lifetime(b, ck, sp);
            gwr_build__fields(b, ck, cookie_known);
            gwr_build__pop(b, mc);
        }
        if (hd != NULL) {
            size_t mh = gwr_build__push(b, "header");
            gwr_build__str_check(b, hd, "name", 0,
                                 gwr_names__check_header_name, &sp->name);
            gwr_build__fields(b, hd, header_known);
            gwr_build__pop(b, mh);
        }
        gwr_build__fields(b, n, head_known);
        /* CEL of the later shape; type defaults to Cookie. */
        if (sp->type == GWR_SESSION_COOKIE && !gwr_build__has(n, "cookie"))
            gwr_build__error(b, n, "cookie must be specified when type is "
                             "Cookie");
        if (sp->type != GWR_SESSION_COOKIE && gwr_build__has(n, "cookie"))
            gwr_build__error(b, n, "cookie must not be specified when type "
                             "is not Cookie");
        if (sp->type == GWR_SESSION_HEADER && !gwr_build__has(n, "header"))
            gwr_build__error(b, n, "header must be specified when type is "
                             "Header");
        if (sp->type != GWR_SESSION_HEADER && gwr_build__has(n, "header"))
            gwr_build__error(b, n, "header must not be specified when type "
                             "is not Header");
    }
    /* Both shapes: Permanent => absoluteTimeout (the v1.2 message). */
    if (sp->lifetime == GWR_COOKIE_LIFETIME_PERMANENT &&
        !gwr_build__has(n, "absoluteTimeout"))
        gwr_build__error(b, n, "AbsoluteTimeout must be specified when "
                         "cookie lifetimeType is Permanent");
    sp->set = b->errors == e0;
    gwr_build__pop(b, mk);
}

/* ---- rules ------------------------------------------------------------------------ */

/* A ReplacePrefixMatch in a filter list of the given type. */
static size_t
prefix_filters(const gwr_filter *f, size_t n, uint32_t type)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        const gwr_path_mod *pm = type == GWR_FILTER_REDIRECT
                                     ? &f[i].redirect.path
                                     : &f[i].rewrite.path;
        if (f[i].type == type && pm->type == GWR_PATH_MOD_PREFIX)
            c++;
    }
    return c;
}

static int
one_prefix_match(const gwr_rule *r)
{
    return r->n_matches == 1 && r->matches[0].path_type == GWR_MATCH_PREFIX;
}

static void
rule_cel(gwr_build *b, const gwr_node *rn, gwr_rule *r)
{
    static const struct {
        uint32_t type;
        const char *name;
    } pm[] = {
        { GWR_FILTER_REDIRECT, "RequestRedirect" },
        { GWR_FILTER_URL_REWRITE, "URLRewrite" },
    };
    size_t redirects = 0;
    for (size_t i = 0; i < r->n_filters; i++)
        redirects += r->filters[i].type == GWR_FILTER_REDIRECT;
    if (redirects > 0 && gwr_build__has(rn, "backendRefs") &&
        gwr_node__get(rn, "backendRefs")->n > 0)
        gwr_build__error(b, rn, "RequestRedirect filter must not be used "
                         "together with backendRefs");
    for (size_t k = 0; k < GWR_ARRAY_LEN(pm); k++) {
        if (prefix_filters(r->filters, r->n_filters, pm[k].type) > 0 &&
            !one_prefix_match(r))
            gwr_build__error(b, rn, "When using %s filter with "
                             "path.replacePrefixMatch, exactly one PathPrefix "
                             "match must be specified", pm[k].name);
        /* The backendRef variant (quirk, spec §7.2): it only fires when
         * exactly one backendRef has exactly one such filter. */
        size_t carriers = 0, any = 0;
        for (size_t i = 0; i < r->n_backends; i++) {
            size_t c = prefix_filters(r->backends[i].filters,
                                      r->backends[i].n_filters, pm[k].type);
            carriers += c == 1;
            any += c;
        }
        if (one_prefix_match(r) || any == 0)
            continue;
        if (carriers == 1)
            gwr_build__error(b, rn, "Within backendRefs, when using %s filter "
                             "with path.replacePrefixMatch, exactly one "
                             "PathPrefix match must be specified", pm[k].name);
        else
            gwr_build__rule_invalid(b, r, rn, "a backendRef %s filter uses "
                                    "path.replacePrefixMatch but the rule "
                                    "does not have exactly one PathPrefix "
                                    "match", pm[k].name);
    }
}

static void
rule_one(gwr_build *b, const gwr_node *rn, int grpc, gwr_str ns, gwr_rule *r)
{
    static const char *const http_known[] = {
        "name", "matches", "filters", "backendRefs", "timeouts", "retry",
        "sessionPersistence", NULL
    };
    static const char *const grpc_known[] = {
        "name", "matches", "filters", "backendRefs", "sessionPersistence",
        NULL
    };
    r->pos = gwr_build__pos(b, rn);
    r->timeout_request_ms = -1;
    r->timeout_backend_ms = -1;
    r->retry.attempts = -1;
    r->retry.backoff_ms = -1;
    gwr_build__str_check(b, rn, "name", 0, gwr_names__check_section_name,
                         &r->name);
    gwr_build__matches(b, rn, grpc, r);
    gwr_build__filters(b, rn, grpc, ns, r, &r->filters, &r->n_filters);
    backend_refs(b, rn, grpc, ns, r);
    session_persistence(b, rn, r);
    if (!grpc) {
        timeouts(b, rn, r);
        retry(b, rn, r);
        rule_cel(b, rn, r);
    }
    gwr_build__fields(b, rn, grpc ? grpc_known : http_known);
}

static void
rules(gwr_build *b, const gwr_node *spec, int grpc, gwr_route *r)
{
    const gwr_node *l = gwr_build__list(b, spec, "rules", 0, 0, 16);
    size_t n = l != NULL ? l->n : 0;
    if (n == 0 && !grpc) {
        /* Default: one rule matching PathPrefix "/" with no backends. */
        r->rules = gwr_build__alloc(b, 1, sizeof(*r->rules));
        if (r->rules == NULL)
            return;
        r->n_rules = 1;
        r->rules[0].pos = gwr_build__pos(b, l != NULL ? l : spec);
        r->rules[0].timeout_request_ms = -1;
        r->rules[0].timeout_backend_ms = -1;
        r->rules[0].retry.attempts = -1;
        r->rules[0].retry.backoff_ms = -1;
        r->rules[0].session.absolute_timeout_ms = -1;
        r->rules[0].session.idle_timeout_ms = -1;
        gwr_build__default_match(b, &r->rules[0]);
        return;
    }
    if (n == 0)
        return;
    size_t mk = gwr_build__push(b, "rules");
    r->rules = gwr_build__alloc(b, n, sizeof(*r->rules));
    size_t total = 0;
    for (size_t i = 0; i < n && r->rules != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *rn = l->items[i];
        if (gwr_build__is(b, rn, GWR_NODE_MAP)) {
            gwr_rule *ru = &r->rules[r->n_rules++];
            rule_one(b, rn, grpc, r->meta.ns, ru);
            const gwr_node *mn = gwr_node__get(rn, "matches");
            /* Counted after defaulting, as the CEL rule sees it. */
            if (mn != NULL && mn->type == GWR_NODE_SEQ && mn->n > 0)
                total += mn->n;
            else
                total += grpc ? 0 : 1;
            for (size_t j = 0; ru->name.len > 0 && j + 1 < r->n_rules; j++)
                if (gwr_str__eq(r->rules[j].name, ru->name)) {
                    gwr_build__error_key(b, rn, "name", "rule name \"%s\" "
                                         "is not unique: spec.rules[%zu] "
                                         "has it too", ru->name.ptr, j);
                    break;
                }
        }
        gwr_build__pop(b, mi);
    }
    if (total > 128)
        gwr_build__error(b, l, "the total number of matches over all rules "
                         "must be at most 128, got %zu", total);
    gwr_build__pop(b, mk);
}

void *
gwr_build__route(gwr_build *b, const gwr_node *obj, const gwr_meta *meta)
{
    static const char *const http_known[] = {
        "parentRefs", "hostnames", "rules", "useDefaultGateways", NULL
    };
    static const char *const grpc_known[] = {
        "parentRefs", "hostnames", "rules", NULL
    };
    static const char *const udg[] = { "All", "None", NULL };
    int grpc = meta->kind == GWR_KIND_GRPC_ROUTE;
    gwr_route *r = gwr_build__alloc(b, 1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->meta = *meta;
    /* GRPCRoute's spec became required only in v1.4. */
    const gwr_node *spec = gwr_build__get(b, obj, "spec", GWR_NODE_MAP,
                                          !grpc);
    if (spec == NULL && !grpc)
        return r;
    size_t mk = gwr_build__push(b, "spec");
    parent_refs(b, spec, r);
    hostnames(b, spec, r);
    rules(b, spec, grpc, r);
    if (!grpc)
        gwr_build__enum(b, spec, "useDefaultGateways", 0, udg, NULL, NULL);
    gwr_build__fields(b, spec, grpc ? grpc_known : http_known);
    gwr_build__pop(b, mk);
    return r;
}
