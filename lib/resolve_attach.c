/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Route attachment (spec §2.1-§2.3): for every parentRef, the relevant
 * listeners, the kind / namespace / hostname checks per listener, the
 * HTTPRoute-vs-GRPCRoute conflicts, then the attachment lists the
 * compiler reads and the listeners' attachedRoutes. The route conditions
 * are written by lib/resolve_status.c from what is decided here.
 */
#include <stdlib.h>
#include <string.h>

#include "hostname.h"
#include "resolve_int.h"

/* ---- namespaces ---------------------------------------------------------- */

static const gwr_str *
label(const gwr_kvs *labels, gwr_str key)
{
    for (size_t i = 0; i < labels->n; i++) {
        if (gwr_str__eq(labels->items[i].key, key))
            return &labels->items[i].value;
    }
    return NULL;
}

static int
in_values(const gwr_strs *vals, const gwr_str *v)
{
    for (size_t i = 0; v != NULL && i < vals->n; i++) {
        if (gwr_str__eq(vals->items[i], *v))
            return 1;
    }
    return 0;
}

/* Kubernetes LabelSelector semantics: every matchLabels entry AND every
 * expression must hold; an empty selector selects everything. */
static int
selector_matches(const gwr_label_selector *sel, const gwr_kvs *labels)
{
    for (size_t i = 0; i < sel->match_labels.n; i++) {
        const gwr_str *v = label(labels, sel->match_labels.items[i].key);
        if (v == NULL || !gwr_str__eq(*v, sel->match_labels.items[i].value))
            return 0;
    }
    for (size_t i = 0; i < sel->n_exprs; i++) {
        const gwr_label_expr *e = &sel->exprs[i];
        const gwr_str *v = label(labels, e->key);
        int ok;
        if (gwr_str__eq_cstr(e->op, "In"))
            ok = in_values(&e->values, v);
        else if (gwr_str__eq_cstr(e->op, "NotIn"))
            ok = !in_values(&e->values, v);
        else if (gwr_str__eq_cstr(e->op, "Exists"))
            ok = v != NULL;
        else if (gwr_str__eq_cstr(e->op, "DoesNotExist"))
            ok = v == NULL;
        else
            ok = 0;   /* unknown operators select nothing */
        if (!ok)
            return 0;
    }
    return 1;
}

int
gwr_resolve__ns_allowed(const gwr_model *m, const gwr_gateway *gw,
                        const gwr_listener *l, gwr_str route_ns)
{
    switch (l->from) {
    case GWR_FROM_ALL:
        return 1;
    case GWR_FROM_SELECTOR: {
        if (!l->has_selector)
            return 0;
        for (size_t i = 0; i < m->n_namespaces; i++) {
            if (gwr_str__eq(m->namespaces[i]->meta.name, route_ns))
                return selector_matches(&l->selector,
                                        &m->namespaces[i]->meta.labels);
        }
        /* No Namespace object: every namespace carries the immutable
         * kubernetes.io/metadata.name label, so that one is known. */
        gwr_kv synth = { gwr_str__from_cstr("kubernetes.io/metadata.name"),
                         route_ns };
        gwr_kvs labels = { &synth, 1 };
        return selector_matches(&l->selector, &labels);
    }
    default:
        return gwr_str__eq(gw->meta.ns, route_ns);
    }
}

/* ---- per-listener checks ------------------------------------------------- */

static int
kind_allowed(const gwr_listener_status *ls, const gwr_route *r)
{
    const char *kind = gwr_resolve__route_kind(r);
    for (size_t i = 0; i < ls->n_supported_kinds; i++) {
        if (gwr_str__eq_cstr(ls->supported_kinds[i].kind, kind))
            return 1;
    }
    return 0;
}

/* Effective hostnames of r on l (§2.2) into hosts (room for
 * r->hostnames.n entries). Returns 0 when nothing intersects. */
static int
intersect(const gwr_listener *l, const gwr_route *r, gwr_str *hosts,
          size_t *n, int *match_all)
{
    *n = 0;
    *match_all = 0;
    if (r->hostnames.n == 0) {
        if (l->hostname.len == 0)
            *match_all = 1;
        else
            hosts[(*n)++] = l->hostname;
        return 1;
    }
    for (size_t i = 0; i < r->hostnames.n; i++) {
        gwr_str out;
        if (!gwr_hostname__intersect(l->hostname, r->hostnames.items[i], &out))
            continue;
        int dup = 0;
        for (size_t k = 0; k < *n && !dup; k++)
            dup = gwr_str__eq(hosts[k], out);
        if (!dup)
            hosts[(*n)++] = out;
    }
    return *n > 0;
}

/* 1 when two effective hostname sets share a host (§2.3). */
static int
hosts_overlap(const gwr_cand *a, const gwr_cand *b)
{
    if (a->match_all || b->match_all)
        return 1;
    for (size_t i = 0; i < a->n_hosts; i++) {
        for (size_t k = 0; k < b->n_hosts; k++) {
            gwr_str out;
            if (gwr_hostname__intersect(a->hosts[i], b->hosts[k], &out))
                return 1;
        }
    }
    return 0;
}

static const gwr_gateway *
find_gateway(const gwr_model *m, gwr_str ns, gwr_str name, size_t *idx)
{
    for (size_t i = 0; i < m->n_gateways; i++) {
        if (gwr_str__eq(m->gateways[i]->meta.ns, ns) &&
            gwr_str__eq(m->gateways[i]->meta.name, name)) {
            *idx = i;
            return m->gateways[i];
        }
    }
    return NULL;
}

static int
push_cand(gwr_attach_state *st, const gwr_cand *c)
{
    if (gwr__grow(st->v->ctx, (void **)&st->cands, &st->cap_cands,
                  st->n_cands + 1, sizeof(*st->cands)) != GWR_OK)
        return GWR_E_NOMEM;
    st->cands[st->n_cands++] = *c;
    return GWR_OK;
}

/* Outcome of one listener for one parentRef, for the failure message. */
enum { L_IRRELEVANT = 0, L_KIND, L_NAMESPACE, L_HOSTNAME, L_ATTACHED };

static int
describe_failures(gwr_view *v, gwr_pstate *ps, const gwr_gateway *gw,
                  const gwr_route *r, const unsigned char *res, int want)
{
    gwr_buf b;
    gwr_buf__init(&b, v->ctx);
    if (want == L_HOSTNAME)
        gwr_buf__puts(&b, "no listener hostname intersects the route's "
                          "hostnames:");
    else
        gwr_buf__puts(&b, "no listener allows this route:");
    const char *sepr = " ";
    for (size_t i = 0; i < gw->n_listeners; i++) {
        const gwr_listener *l = &gw->listeners[i];
        if (want == L_HOSTNAME && res[i] == L_HOSTNAME) {
            gwr_buf__printf(&b, "%slistener %.*s (%.*s)", sepr,
                            (int)l->name.len, l->name.ptr,
                            (int)l->hostname.len, l->hostname.ptr);
        } else if (want != L_HOSTNAME && res[i] == L_KIND) {
            gwr_buf__printf(&b, "%slistener %.*s does not allow kind %s",
                            sepr, (int)l->name.len, l->name.ptr,
                            gwr_resolve__route_kind(r));
        } else if (want != L_HOSTNAME && res[i] == L_NAMESPACE) {
            static const char *const from[] = { "Same", "All", "Selector" };
            gwr_buf__printf(&b, "%slistener %.*s does not allow namespace "
                                "%.*s (from: %s)",
                            sepr, (int)l->name.len, l->name.ptr,
                            (int)r->meta.ns.len, r->meta.ns.ptr,
                            l->from < 3 ? from[l->from] : "?");
        } else {
            continue;
        }
        sepr = "; ";
    }
    ps->reason = want == L_HOSTNAME ? "NoMatchingListenerHostname"
                                    : "NotAllowedByListeners";
    return gwr_resolve__take(v, &b, &ps->message);
}

/* The relevant listeners of a parentRef and the outcome on each. */
static int
attach_parent(gwr_attach_state *st, size_t ri, size_t pi)
{
    gwr_view *v = st->v;
    const gwr_model *m = v->model;
    const gwr_route *r = m->routes[ri];
    const gwr_parent_ref *p = &r->parents[pi];
    gwr_pstate *ps = &st->pstates[st->pstate_base[ri] + pi];
    ps->first_cand = SIZE_MAX;
    ps->stage = GWR_STAGE_NO_PARENT;
    ps->reason = "NoMatchingParent";

    if (!gwr_str__eq_cstr(p->group, GWR_GROUP_GATEWAY) ||
        !gwr_str__eq_cstr(p->kind, "Gateway"))
        return gwr_resolve__fmt(v, &ps->message,
                                "parent kind %.*s/%.*s is not handled by %s: "
                                "only Gateways are supported",
                                (int)(p->group.len ? p->group.len : 4),
                                p->group.len ? p->group.ptr : "core",
                                (int)p->kind.len, p->kind.ptr,
                                GWR_CONTROLLER_NAME_STR);
    size_t gi = 0;
    const gwr_gateway *gw = find_gateway(m, p->ns, p->name, &gi);
    if (gw == NULL)
        return gwr_resolve__fmt(v, &ps->message, "Gateway %.*s/%.*s not found",
                                (int)p->ns.len, p->ns.ptr, (int)p->name.len,
                                p->name.ptr);
    const gwr_gateway_status *gs = &v->gateways[gi];
    if (!gs->ours)
        return gwr_resolve__fmt(v, &ps->message,
                                "Gateway %.*s/%.*s uses GatewayClass %.*s, "
                                "which another controller handles",
                                (int)p->ns.len, p->ns.ptr, (int)p->name.len,
                                p->name.ptr, (int)gw->class_name.len,
                                gw->class_name.ptr);

    /* Room for each listener's effective hostnames: the route's own, or
     * the listener's one when the route has none. */
    size_t stride = r->hostnames.n > 0 ? r->hostnames.n : 1;
    unsigned char *res = gwr__calloc(v->ctx, gw->n_listeners + 1, 1);
    gwr_str *hosts = gwr_arena__calloc(&v->arena, stride * gw->n_listeners + 1,
                                       sizeof(*hosts));
    if (res == NULL || hosts == NULL) {
        gwr__free(v->ctx, res);
        return GWR_E_NOMEM;
    }
    int best = L_IRRELEVANT, rc = GWR_OK;
    for (size_t i = 0; i < gw->n_listeners && rc == GWR_OK; i++) {
        const gwr_listener *l = &gw->listeners[i];
        if ((p->section_name.len != 0 &&
             !gwr_str__eq(p->section_name, l->name)) ||
            (p->port != 0 && p->port != l->port))
            continue;
        const gwr_listener_status *ls = &gs->listeners[i];
        gwr_cand c = { .route = ri, .parent = pi, .gateway = gi,
                       .listener = i, .age = st->age[ri] };
        c.hosts = hosts + stride * i;
        if (!kind_allowed(ls, r))
            res[i] = L_KIND;
        else if (!gwr_resolve__ns_allowed(m, gw, l, r->meta.ns))
            res[i] = L_NAMESPACE;
        else if (!intersect(l, r, c.hosts, &c.n_hosts, &c.match_all))
            res[i] = L_HOSTNAME;
        else
            res[i] = L_ATTACHED;
        if (res[i] > best)
            best = res[i];
        if (res[i] == L_ATTACHED)
            rc = push_cand(st, &c);
    }
    if (rc != GWR_OK) {
        gwr__free(v->ctx, res);
        return rc;
    }
    if (best == L_IRRELEVANT) {
        if (p->section_name.len != 0 && p->port != 0)
            rc = gwr_resolve__fmt(v, &ps->message,
                                  "Gateway %.*s/%.*s has no listener named "
                                  "%.*s on port %u",
                                  (int)p->ns.len, p->ns.ptr, (int)p->name.len,
                                  p->name.ptr, (int)p->section_name.len,
                                  p->section_name.ptr, (unsigned)p->port);
        else if (p->section_name.len != 0)
            rc = gwr_resolve__fmt(v, &ps->message,
                                  "Gateway %.*s/%.*s has no listener named "
                                  "%.*s",
                                  (int)p->ns.len, p->ns.ptr, (int)p->name.len,
                                  p->name.ptr, (int)p->section_name.len,
                                  p->section_name.ptr);
        else
            rc = gwr_resolve__fmt(v, &ps->message,
                                  "Gateway %.*s/%.*s has no listener on port "
                                  "%u",
                                  (int)p->ns.len, p->ns.ptr, (int)p->name.len,
                                  p->name.ptr, (unsigned)p->port);
    } else if (best == L_ATTACHED) {
        ps->stage = GWR_STAGE_ATTACHED;
        ps->reason = NULL;
    } else {
        /* Report the furthest stage any listener reached (§2.1 step 5
         * recommendation): hostname beats kind/namespace. */
        ps->stage = best == L_HOSTNAME ? GWR_STAGE_HOSTNAME
                                       : GWR_STAGE_NOT_ALLOWED;
        rc = describe_failures(v, ps, gw, r, res,
                               best == L_HOSTNAME ? L_HOSTNAME : L_KIND);
    }
    gwr__free(v->ctx, res);
    return rc;
}

/* ---- HTTPRoute vs GRPCRoute (§2.3) ------------------------------------- */

static int
cand_cmp(const void *pa, const void *pb)
{
    const gwr_cand *a = pa, *b = pb;
    if (a->gateway != b->gateway)
        return a->gateway < b->gateway ? -1 : 1;
    if (a->listener != b->listener)
        return a->listener < b->listener ? -1 : 1;
    if (a->age != b->age)
        return a->age < b->age ? -1 : 1;
    return (a->parent > b->parent) - (a->parent < b->parent);
}

/*
 * On each listener, walk the candidates oldest first; one whose kind
 * differs from an older surviving candidate with overlapping hostnames
 * loses there. Routes whose every rule was dropped never attach, so they
 * take no part.
 */
static void
resolve_conflicts(gwr_attach_state *st)
{
    const gwr_model *m = st->v->model;
    if (st->n_cands > 1)
        qsort(st->cands, st->n_cands, sizeof(*st->cands), cand_cmp);
    /* Per-parentRef lists, so that the status pass does not scan every
     * candidate for every parentRef. */
    for (size_t i = st->n_cands; i-- > 0;) {
        gwr_cand *c = &st->cands[i];
        gwr_pstate *ps = &st->pstates[st->pstate_base[c->route] + c->parent];
        c->next = ps->first_cand;
        ps->first_cand = i;
    }
    for (size_t i = 0; i < st->n_cands; i++) {
        gwr_cand *c = &st->cands[i];
        const gwr_route *r = m->routes[c->route];
        if (st->all_dropped[c->route])
            continue;
        for (size_t k = i; k-- > 0;) {
            const gwr_cand *o = &st->cands[k];
            if (o->gateway != c->gateway || o->listener != c->listener)
                break;
            const gwr_route *orr = m->routes[o->route];
            if (o->lost || st->all_dropped[o->route] ||
                orr->meta.kind == r->meta.kind || !hosts_overlap(c, o))
                continue;
            c->lost = 1;
            c->winner = orr;
            break;
        }
    }
}

/* ---- driver -------------------------------------------------------------- */

typedef struct route_ord {
    const gwr_route *r;
    size_t idx;
} route_ord;

static int
ord_cmp(const void *pa, const void *pb)
{
    const route_ord *a = pa, *b = pb;
    if (a->idx == b->idx)
        return 0;
    return gwr_resolve__older(&a->r->meta, &b->r->meta) ? -1 : 1;
}

static int
att_cmp(const void *pa, const void *pb)
{
    const gwr_attachment *a = pa, *b = pb;
    if (a->listener_index != b->listener_index)
        return a->listener_index < b->listener_index ? -1 : 1;
    uint64_t x = a->route->meta.load_seq, y = b->route->meta.load_seq;
    return (x > y) - (x < y);
}

static int
setup(gwr_attach_state *st)
{
    gwr_view *v = st->v;
    const gwr_model *m = v->model;
    size_t n = m->n_routes, total = 0;
    st->pstate_base = gwr__calloc(v->ctx, n + 1, sizeof(*st->pstate_base));
    st->age = gwr__calloc(v->ctx, n + 1, sizeof(*st->age));
    st->all_dropped = gwr__calloc(v->ctx, n + 1, 1);
    route_ord *ord = gwr__calloc(v->ctx, n + 1, sizeof(*ord));
    v->routes = gwr_arena__calloc(&v->arena, n + 1, sizeof(*v->routes));
    if (st->pstate_base == NULL || st->age == NULL ||
        st->all_dropped == NULL || ord == NULL || v->routes == NULL) {
        gwr__free(v->ctx, ord);
        return GWR_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const gwr_route *r = m->routes[i];
        st->pstate_base[i] = total;
        total += r->n_parents;
        size_t valid = 0;
        for (size_t k = 0; k < r->n_rules; k++)
            valid += !r->rules[k].invalid;
        st->all_dropped[i] = r->n_rules > 0 && valid == 0;
        ord[i] = (route_ord){ r, i };
    }
    if (n > 1)
        qsort(ord, n, sizeof(*ord), ord_cmp);
    for (size_t k = 0; k < n; k++)
        st->age[ord[k].idx] = k;
    gwr__free(v->ctx, ord);
    st->pstates = gwr_arena__calloc(&v->arena, total + 1, sizeof(*st->pstates));
    return st->pstates == NULL ? GWR_E_NOMEM : GWR_OK;
}

/* Attachment lists of every Gateway, from the surviving candidates of
 * Accepted parentRefs, each (route, listener) once. */
static int
build_lists(gwr_attach_state *st)
{
    gwr_view *v = st->v;
    const gwr_model *m = v->model;
    for (size_t i = 0; i < st->n_cands; i++) {
        const gwr_cand *c = &st->cands[i];
        if (!c->lost && v->routes[c->route].parents[c->parent].accepted)
            v->gw_atts[c->gateway].cap++;
    }
    for (size_t g = 0; g < m->n_gateways; g++) {
        gwr_att_list *al = &v->gw_atts[g];
        if (al->cap == 0)
            continue;
        al->items = gwr_arena__calloc(&v->arena, al->cap, sizeof(*al->items));
        if (al->items == NULL)
            return GWR_E_NOMEM;
    }
    /* Candidates are sorted by gateway, listener, route age, so repeats of
     * one route on one listener (two parentRefs) are adjacent. */
    for (size_t i = 0; i < st->n_cands; i++) {
        const gwr_cand *c = &st->cands[i];
        if (c->lost || !v->routes[c->route].parents[c->parent].accepted)
            continue;
        gwr_att_list *al = &v->gw_atts[c->gateway];
        const gwr_route *r = m->routes[c->route];
        if (al->n > 0 && al->items[al->n - 1].route == r &&
            al->items[al->n - 1].listener_index == c->listener)
            continue;
        const gwr_gateway *gw = m->gateways[c->gateway];
        al->items[al->n++] = (gwr_attachment){
            .route = r, .gateway = gw, .listener = &gw->listeners[c->listener],
            .listener_index = c->listener, .hostnames = c->hosts,
            .n_hostnames = c->n_hosts, .match_all = c->match_all };
        /* Only Accepted routes count (the >= v1.5 rule, §2.1 step 6). */
        v->gateways[c->gateway].listeners[c->listener].attached_routes++;
    }
    for (size_t g = 0; g < m->n_gateways; g++) {
        if (v->gw_atts[g].n > 1)
            qsort(v->gw_atts[g].items, v->gw_atts[g].n,
                  sizeof(*v->gw_atts[g].items), att_cmp);
    }
    return GWR_OK;
}

/* No Gateway loaded: every route on one implicit listener that accepts
 * everything, with its own hostnames (docs/STATUS.md). */
static int
build_implicit(gwr_view *v)
{
    const gwr_model *m = v->model;
    if (m->n_gateways != 0 || m->n_routes == 0)
        return GWR_OK;
    gwr_att_list *al = &v->implicit;
    al->items = gwr_arena__calloc(&v->arena, m->n_routes, sizeof(*al->items));
    if (al->items == NULL)
        return GWR_E_NOMEM;
    al->cap = m->n_routes;
    for (size_t i = 0; i < m->n_routes; i++) {
        const gwr_route *r = m->routes[i];
        al->items[al->n++] = (gwr_attachment){
            .route = r, .hostnames = r->hostnames.items,
            .n_hostnames = r->hostnames.n, .match_all = r->hostnames.n == 0 };
    }
    if (al->n > 1)
        qsort(al->items, al->n, sizeof(*al->items), att_cmp);
    return GWR_OK;
}

int
gwr_resolve__routes(gwr_view *v)
{
    const gwr_model *m = v->model;
    gwr_attach_state st;
    memset(&st, 0, sizeof(st));
    st.v = v;
    int rc = setup(&st);
    for (size_t ri = 0; ri < m->n_routes && rc == GWR_OK; ri++) {
        for (size_t pi = 0; pi < m->routes[ri]->n_parents && rc == GWR_OK;
             pi++)
            rc = attach_parent(&st, ri, pi);
    }
    if (rc == GWR_OK)
        resolve_conflicts(&st);
    for (size_t ri = 0; ri < m->n_routes && rc == GWR_OK; ri++)
        rc = gwr_resolve__route_conditions(&st, ri);
    if (rc == GWR_OK)
        rc = build_lists(&st);
    if (rc == GWR_OK)
        rc = build_implicit(v);
    gwr__free(v->ctx, st.cands);
    gwr__free(v->ctx, st.pstate_base);
    gwr__free(v->ctx, st.age);
    gwr__free(v->ctx, st.all_dropped);
    return rc;
}
