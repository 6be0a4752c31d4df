/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Backend resolution (spec §5.3-§5.6): every backendRef and mirror
 * backendRef of every loaded route becomes a gwr_backend_res saying
 * whether it can carry traffic, with which protocol and BackendTLSPolicy.
 * The decisions are listed in docs/STATUS.md and docs/DECISIONS.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_int.h"

int
gwr_resolve__older(const gwr_meta *a, const gwr_meta *b)
{
    if (a->has_creation != b->has_creation)
        return a->has_creation;
    if (a->has_creation && a->creation_ms != b->creation_ms)
        return a->creation_ms < b->creation_ms;
    int c = gwr_str__cmp(a->ns, b->ns);
    if (c == 0)
        c = gwr_str__cmp(a->name, b->name);
    if (c != 0)
        return c < 0;
    return a->load_seq < b->load_seq;
}

static const gwr_service *
find_service(const gwr_model *m, gwr_str ns, gwr_str name)
{
    for (size_t i = 0; i < m->n_services; i++) {
        const gwr_service *s = m->services[i];
        if (gwr_str__eq(s->meta.ns, ns) && gwr_str__eq(s->meta.name, name))
            return s;
    }
    return NULL;
}

/*
 * The BackendTLSPolicy for Service `svc` in `ns` reached through the port
 * named `port_name` (§5.6). A policy naming the port (sectionName) beats
 * one for the whole Service; among equals the oldest wins. Without a
 * known port (no Services loaded) only whole-Service policies apply.
 */
static const gwr_backend_tls_policy *
pick_policy(const gwr_model *m, gwr_str ns, gwr_str svc, gwr_str port_name,
            int know_port)
{
    const gwr_backend_tls_policy *best = NULL;
    int best_specific = 0;
    for (size_t i = 0; i < m->n_policies; i++) {
        const gwr_backend_tls_policy *p = m->policies[i];
        if (!gwr_str__eq(p->meta.ns, ns))
            continue;
        for (size_t t = 0; t < p->n_targets; t++) {
            const gwr_policy_target *tg = &p->targets[t];
            if (tg->group.len != 0 || !gwr_str__eq_cstr(tg->kind, "Service") ||
                !gwr_str__eq(tg->name, svc))
                continue;
            int specific;
            if (tg->section_name.len == 0)
                specific = 0;
            else if (know_port && port_name.len != 0 &&
                     gwr_str__eq(tg->section_name, port_name))
                specific = 1;
            else
                continue;
            if (best == NULL || specific > best_specific ||
                (specific == best_specific &&
                 gwr_resolve__older(&p->meta, &best->meta))) {
                best = p;
                best_specific = specific;
            }
        }
    }
    return best;
}

static int
find_slices(gwr_view *v, const gwr_service *svc, gwr_backend_res *res)
{
    const gwr_model *m = v->model;
    size_t n = 0;
    for (size_t i = 0; i < m->n_slices; i++) {
        const gwr_endpoint_slice *s = m->slices[i];
        n += gwr_str__eq(s->meta.ns, svc->meta.ns) &&
             gwr_str__eq(s->service_name, svc->meta.name);
    }
    if (n == 0)
        return GWR_OK;
    const gwr_endpoint_slice **arr =
        gwr_arena__calloc(&v->arena, n, sizeof(*arr));
    if (arr == NULL)
        return GWR_E_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < m->n_slices; i++) {
        const gwr_endpoint_slice *s = m->slices[i];
        if (gwr_str__eq(s->meta.ns, svc->meta.ns) &&
            gwr_str__eq(s->service_name, svc->meta.name))
            arr[k++] = s;
    }
    res->slices = arr;
    res->n_slices = n;
    return GWR_OK;
}

/* Mark res invalid; the caller formats the message. */
static gwr_str *
invalid(gwr_backend_res *res, const char *reason)
{
    res->valid = 0;
    res->reason = reason;
    return &res->message;
}

/*
 * Protocol from the Service port's appProtocol (§5.5). Unset: the route
 * kind decides (GRPCRoute speaks h2c, HTTPRoute HTTP/1.1 with upgrades).
 * Values we cannot honour make the backend invalid rather than silently
 * falling back to plaintext HTTP/1.1.
 */
static int
set_proto(gwr_view *v, const gwr_route *r, gwr_backend_res *res,
          gwr_str app)
{
    int grpc = r->meta.kind == GWR_KIND_GRPC_ROUTE;
    const char *why = NULL;
    if (app.len == 0) {
        res->proto = grpc ? GWR_BPROTO_H2C : GWR_BPROTO_HTTP;
    } else if (gwr_str__eq_cstr(app, "kubernetes.io/h2c")) {
        res->proto = GWR_BPROTO_H2C;
    } else if (gwr_str__eq_ci(app, gwr_str__from_cstr("http"))) {
        res->proto = GWR_BPROTO_HTTP;
        if (grpc)
            why = "HTTP/1.1 cannot carry gRPC";
    } else if (gwr_str__eq_cstr(app, "kubernetes.io/ws")) {
        res->proto = GWR_BPROTO_WS;
        if (grpc)
            why = "a GRPCRoute cannot use WebSocket backends";
    } else if (gwr_str__eq_cstr(app, "kubernetes.io/wss")) {
        res->proto = GWR_BPROTO_WSS;
        if (grpc)
            why = "a GRPCRoute cannot use WebSocket backends";
        else if (res->tls == NULL)
            why = "WebSocket over TLS needs a BackendTLSPolicy for the port";
    } else {
        why = "the value is not supported";
    }
    if (why == NULL)
        return GWR_OK;
    res->valid = 0;
    res->reason = "UnsupportedProtocol";
    return gwr_resolve__fmt(v, &res->message,
                            "Service %.*s/%.*s port %u: appProtocol %.*s: %s",
                            (int)res->ref->ns.len, res->ref->ns.ptr,
                            (int)res->ref->name.len, res->ref->name.ptr,
                            (unsigned)res->ref->port, (int)app.len, app.ptr,
                            why);
}

#define REF_NS_NAME(ref) \
    (int)(ref)->ns.len, (ref)->ns.ptr, (int)(ref)->name.len, (ref)->name.ptr

static int
resolve_ref(gwr_view *v, const gwr_route *r, const gwr_backend_ref *ref,
            gwr_backend_res *res)
{
    const gwr_model *m = v->model;
    memset(res, 0, sizeof(*res));
    res->ref = ref;
    res->valid = 1;
    res->proto = r->meta.kind == GWR_KIND_GRPC_ROUTE ? GWR_BPROTO_H2C
                                                     : GWR_BPROTO_HTTP;
    if (ref->group.len != 0 || !gwr_str__eq_cstr(ref->kind, "Service"))
        return gwr_resolve__fmt(v, invalid(res, "InvalidKind"),
                                "unsupported backend kind %.*s/%.*s: only "
                                "core Service is supported",
                                (int)(ref->group.len ? ref->group.len : 4),
                                ref->group.len ? ref->group.ptr : "core",
                                (int)ref->kind.len, ref->kind.ptr);
    /* The grant is checked before existence so that a missing grant does
     * not reveal whether the Service exists (§5.3). */
    if (!gwr_str__eq(ref->ns, r->meta.ns) &&
        !gwr_resolve__granted(m, GWR_GROUP_GATEWAY, gwr_resolve__route_kind(r),
                              r->meta.ns, ref->ns, "", "Service", ref->name))
        return gwr_resolve__fmt(v, invalid(res, "RefNotPermitted"),
                                "Service %.*s/%.*s: no ReferenceGrant in "
                                "namespace %.*s allows references from %s "
                                "objects in namespace %.*s",
                                REF_NS_NAME(ref), (int)ref->ns.len,
                                ref->ns.ptr, gwr_resolve__route_kind(r),
                                (int)r->meta.ns.len, r->meta.ns.ptr);
    if (ref->port == 0)
        return gwr_resolve__fmt(v, invalid(res, "BackendNotFound"),
                                "Service %.*s/%.*s: port is required",
                                REF_NS_NAME(ref));
    if (m->n_services == 0) {
        /* A host that does not track Services still routes: every Service
         * reference is assumed to exist (docs/DECISIONS.md). */
        res->tls = pick_policy(m, ref->ns, ref->name, (gwr_str){ NULL, 0 }, 0);
        return GWR_OK;
    }
    const gwr_service *svc = find_service(m, ref->ns, ref->name);
    if (svc == NULL)
        return gwr_resolve__fmt(v, invalid(res, "BackendNotFound"),
                                "Service %.*s/%.*s not found",
                                REF_NS_NAME(ref));
    res->service = svc;
    int rc = find_slices(v, svc, res);
    if (rc != GWR_OK)
        return rc;
    if (gwr_str__eq_cstr(svc->type, "ExternalName"))
        return gwr_resolve__fmt(v, invalid(res, "InvalidKind"),
                                "Service %.*s/%.*s is of type ExternalName, "
                                "which is not supported (CVE-2021-25740)",
                                REF_NS_NAME(ref));
    const gwr_service_port *port = NULL;
    for (size_t i = 0; i < svc->n_ports && port == NULL; i++) {
        if (svc->ports[i].port == ref->port)
            port = &svc->ports[i];
    }
    if (port == NULL)
        return gwr_resolve__fmt(v, invalid(res, "BackendNotFound"),
                                "Service %.*s/%.*s has no port %u",
                                REF_NS_NAME(ref), (unsigned)ref->port);
    res->port = port;
    res->tls = pick_policy(m, ref->ns, ref->name, port->name, 1);
    if (port->protocol.len != 0 && !gwr_str__eq_cstr(port->protocol, "TCP"))
        return gwr_resolve__fmt(v, invalid(res, "UnsupportedProtocol"),
                                "Service %.*s/%.*s port %u: protocol %.*s "
                                "cannot carry HTTP",
                                REF_NS_NAME(ref), (unsigned)ref->port,
                                (int)port->protocol.len, port->protocol.ptr);
    return set_proto(v, r, res, port->app_protocol);
}

/* Calls fn(v, route, ref, ud) for every backend reference of a route, in
 * rule order: rule-level filters (mirrors), then each backendRef followed
 * by its own filters' mirrors. */
typedef int (*ref_fn)(gwr_view *v, const gwr_route *r, size_t rule,
                      const gwr_backend_ref *ref, void *ud);

static int
each_filter_ref(gwr_view *v, const gwr_route *r, size_t rule,
                const gwr_filter *f, size_t n, ref_fn fn, void *ud)
{
    for (size_t i = 0; i < n; i++) {
        if (f[i].type != GWR_FILTER_MIRROR)
            continue;
        int rc = fn(v, r, rule, &f[i].mirror.backend, ud);
        if (rc != GWR_OK)
            return rc;
    }
    return GWR_OK;
}

static int
each_ref(gwr_view *v, const gwr_route *r, ref_fn fn, void *ud)
{
    for (size_t i = 0; i < r->n_rules; i++) {
        const gwr_rule *rule = &r->rules[i];
        int rc = each_filter_ref(v, r, i, rule->filters, rule->n_filters, fn,
                                 ud);
        for (size_t b = 0; b < rule->n_backends && rc == GWR_OK; b++) {
            const gwr_backend_ref *ref = &rule->backends[b];
            rc = fn(v, r, i, ref, ud);
            if (rc == GWR_OK)
                rc = each_filter_ref(v, r, i, ref->filters, ref->n_filters,
                                     fn, ud);
        }
        if (rc != GWR_OK)
            return rc;
    }
    return GWR_OK;
}

static int
count_ref(gwr_view *v, const gwr_route *r, size_t rule,
          const gwr_backend_ref *ref, void *ud)
{
    (*(size_t *)ud)++;
    return GWR_OK;
}

static int
add_ref(gwr_view *v, const gwr_route *r, size_t rule,
        const gwr_backend_ref *ref, void *ud)
{
    gwr_backend_slot *slot = &v->backends[v->n_backends++];
    slot->key = (uintptr_t)ref;
    return resolve_ref(v, r, ref, &slot->res);
}

static int
slot_cmp(const void *a, const void *b)
{
    uintptr_t x = ((const gwr_backend_slot *)a)->key;
    uintptr_t y = ((const gwr_backend_slot *)b)->key;
    return (x > y) - (x < y);
}

/*
 * A BackendTLSPolicy that another, older policy shadows on the same
 * target (same Service and sectionName) is never applied (§5.6 step 2:
 * Conflicted). Policy status is not part of the view, so this becomes a
 * warning.
 */
static int
policy_conflicts(gwr_view *v)
{
    const gwr_model *m = v->model;
    if (v->diags == NULL)
        return GWR_OK;
    for (size_t i = 0; i < m->n_policies; i++) {
        const gwr_backend_tls_policy *p = m->policies[i];
        for (size_t t = 0; t < p->n_targets; t++) {
            const gwr_policy_target *a = &p->targets[t];
            const gwr_backend_tls_policy *winner = NULL;
            for (size_t k = 0; k < m->n_policies && winner == NULL; k++) {
                const gwr_backend_tls_policy *o = m->policies[k];
                if (o == p || !gwr_str__eq(o->meta.ns, p->meta.ns) ||
                    !gwr_resolve__older(&o->meta, &p->meta))
                    continue;
                for (size_t u = 0; u < o->n_targets; u++) {
                    const gwr_policy_target *b = &o->targets[u];
                    if (gwr_str__eq(a->group, b->group) &&
                        gwr_str__eq(a->kind, b->kind) &&
                        gwr_str__eq(a->name, b->name) &&
                        gwr_str__eq(a->section_name, b->section_name))
                        winner = o;
                }
            }
            if (winner == NULL)
                continue;
            char field[64];
            snprintf(field, sizeof(field), "spec.targetRefs[%zu]", t);
            gwr_diag_loc loc = { p->meta.pos.source, p->meta.pos.line,
                                 p->meta.pos.col,
                                 gwr_str__from_cstr("BackendTLSPolicy"),
                                 p->meta.ns, p->meta.name,
                                 gwr_str__from_cstr(field) };
            int rc = gwr_diag__add(
                v->diags, GWR_DIAG_WARNING, &loc,
                "Conflicted: the older BackendTLSPolicy %.*s/%.*s targets the "
                "same Service%s%.*s and wins; this one is not applied there",
                (int)winner->meta.ns.len, winner->meta.ns.ptr,
                (int)winner->meta.name.len, winner->meta.name.ptr,
                a->section_name.len ? " port " : "",
                (int)a->section_name.len, a->section_name.ptr);
            if (rc != GWR_OK)
                return rc;
        }
    }
    return GWR_OK;
}

int
gwr_resolve__backends(gwr_view *v)
{
    const gwr_model *m = v->model;
    int prc = policy_conflicts(v);
    if (prc != GWR_OK)
        return prc;
    size_t n = 0;
    for (size_t i = 0; i < m->n_routes; i++)
        each_ref(v, m->routes[i], count_ref, &n);
    if (n == 0)
        return GWR_OK;
    v->backends = gwr_arena__calloc(&v->arena, n, sizeof(*v->backends));
    if (v->backends == NULL)
        return GWR_E_NOMEM;
    v->cap_backends = n;
    for (size_t i = 0; i < m->n_routes; i++) {
        int rc = each_ref(v, m->routes[i], add_ref, NULL);
        if (rc != GWR_OK)
            return rc;
    }
    qsort(v->backends, v->n_backends, sizeof(*v->backends), slot_cmp);
    return GWR_OK;
}
