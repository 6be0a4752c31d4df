/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Gateway and listener status (spec §1.2, §2.1): which Gateways are ours,
 * each listener's supported route kinds and its Accepted / ResolvedRefs /
 * Programmed / Conflicted conditions, and the Gateway's own conditions.
 * attachedRoutes is filled later by lib/resolve_attach.c.
 */
#include <string.h>

#include "resolve_int.h"

static int
supported_protocol(gwr_str proto)
{
    /* We route HTTP and HTTPS; TLS, TCP, UDP and domain-prefixed
     * protocols have no route kind we implement (docs/STATUS.md). */
    return gwr_str__eq_cstr(proto, "HTTP") || gwr_str__eq_cstr(proto, "HTTPS");
}

static int
routable_kind(gwr_str group, gwr_str kind)
{
    return gwr_str__eq_cstr(group, GWR_GROUP_GATEWAY) &&
           (gwr_str__eq_cstr(kind, "HTTPRoute") ||
            gwr_str__eq_cstr(kind, "GRPCRoute"));
}

static void
add_kind(gwr_listener_status *ls, const char *kind)
{
    for (size_t i = 0; i < ls->n_supported_kinds; i++) {
        if (gwr_str__eq_cstr(ls->supported_kinds[i].kind, kind))
            return;
    }
    gwr_route_kind_ref *k = &ls->supported_kinds[ls->n_supported_kinds++];
    k->group = gwr_str__from_cstr(GWR_GROUP_GATEWAY);
    k->kind = gwr_str__from_cstr(kind);
}

/* Append "; " between the items of a message being built. */
static void
sep(gwr_buf *b)
{
    if (b->len != 0)
        gwr_buf__puts(b, "; ");
}

/*
 * certificateRefs (§5.4): core Secrets only; another namespace needs a
 * ReferenceGrant from this Gateway. Secrets are not loaded, so a
 * permitted reference is assumed to name a valid kubernetes.io/tls
 * Secret (docs/DECISIONS.md).
 */
static const char *
check_certs(const gwr_gateway *gw, const gwr_listener *l, const gwr_model *m,
            gwr_buf *b)
{
    const char *reason = NULL;
    if (gwr_str__eq_cstr(l->protocol, "HTTPS") && l->n_cert_refs == 0) {
        sep(b);
        gwr_buf__puts(b, "an HTTPS listener needs tls.certificateRefs "
                         "(certificates in tls.options are not supported)");
        reason = "InvalidCertificateRef";
    }
    for (size_t i = 0; i < l->n_cert_refs; i++) {
        const gwr_secret_ref *c = &l->cert_refs[i];
        const char *why = NULL, *r = NULL;
        if (c->group.len != 0 || !gwr_str__eq_cstr(c->kind, "Secret")) {
            why = "only core Secrets are supported";
            r = "InvalidCertificateRef";
        } else if (!gwr_str__eq(c->ns, gw->meta.ns) &&
                   !gwr_resolve__granted(m, GWR_GROUP_GATEWAY, "Gateway",
                                         gw->meta.ns, c->ns, "", "Secret",
                                         c->name)) {
            why = "no ReferenceGrant in the Secret's namespace allows "
                  "this Gateway to refer to it";
            r = "RefNotPermitted";
        }
        if (why == NULL)
            continue;
        sep(b);
        gwr_buf__printf(b, "tls.certificateRefs[%zu] %.*s/%.*s: %s", i,
                        (int)c->ns.len, c->ns.ptr, (int)c->name.len,
                        c->name.ptr, why);
        if (reason == NULL)
            reason = r;
    }
    return reason;
}

static int
listener_status(gwr_view *v, const gwr_gateway *gw, size_t li,
                gwr_listener_status *ls)
{
    const gwr_listener *l = &gw->listeners[li];
    int supported = supported_protocol(l->protocol);
    ls->listener = l;
    size_t cap = l->n_kinds > 2 ? l->n_kinds : 2;
    ls->supported_kinds = gwr_arena__calloc(&v->arena, cap,
                                            sizeof(*ls->supported_kinds));
    ls->conds = gwr_arena__calloc(&v->arena, 4, sizeof(*ls->conds));
    if (ls->supported_kinds == NULL || ls->conds == NULL)
        return GWR_E_NOMEM;

    gwr_buf b;
    gwr_buf__init(&b, v->ctx);
    const char *reason = NULL;
    if (l->has_kinds && l->n_kinds > 0) {
        for (size_t i = 0; i < l->n_kinds; i++) {
            const gwr_route_kind_ref *k = &l->kinds[i];
            if (supported && routable_kind(k->group, k->kind)) {
                add_kind(ls, gwr_str__eq_cstr(k->kind, "HTTPRoute")
                                 ? "HTTPRoute"
                                 : "GRPCRoute");
                continue;
            }
            sep(&b);
            gwr_buf__printf(&b, "route kind %.*s/%.*s is not supported on "
                                "a %.*s listener",
                            (int)k->group.len, k->group.ptr, (int)k->kind.len,
                            k->kind.ptr, (int)l->protocol.len,
                            l->protocol.ptr);
            reason = "InvalidRouteKinds";
        }
    } else if (supported) {
        add_kind(ls, "HTTPRoute");
        add_kind(ls, "GRPCRoute");
    }
    const char *cert_reason = check_certs(gw, l, v->model, &b);
    if (reason == NULL)
        reason = cert_reason;
    gwr_str refs_msg;
    int rc = gwr_resolve__take(v, &b, &refs_msg);
    if (rc != GWR_OK)
        return rc;

    gwr_str msg;
    if (supported) {
        rc = gwr_resolve__fmt(v, &msg, "Listener accepted");
        gwr_resolve__cond(ls->conds, &ls->n_conds, "Accepted", GWR_COND_TRUE,
                          "Accepted", msg);
    } else {
        rc = gwr_resolve__fmt(v, &msg,
                              "protocol %.*s is not supported: gwroute "
                              "routes HTTP and HTTPS listeners only",
                              (int)l->protocol.len, l->protocol.ptr);
        gwr_resolve__cond(ls->conds, &ls->n_conds, "Accepted", GWR_COND_FALSE,
                          "UnsupportedProtocol", msg);
    }
    if (reason == NULL) {
        if (rc == GWR_OK)
            rc = gwr_resolve__fmt(v, &msg, "All references resolved");
        gwr_resolve__cond(ls->conds, &ls->n_conds, "ResolvedRefs",
                          GWR_COND_TRUE, "ResolvedRefs", msg);
    } else {
        gwr_resolve__cond(ls->conds, &ls->n_conds, "ResolvedRefs",
                          GWR_COND_FALSE, reason, refs_msg);
    }
    /* Programmed only when we would really serve routes on it. A listener
     * left with no usable kind cannot carry traffic. */
    int programmed = supported && cert_reason == NULL &&
                     ls->n_supported_kinds > 0;
    if (rc == GWR_OK)
        rc = gwr_resolve__fmt(v, &msg, programmed
                                           ? "Listener programmed"
                                           : "Listener is not valid");
    gwr_resolve__cond(ls->conds, &ls->n_conds, "Programmed",
                      programmed ? GWR_COND_TRUE : GWR_COND_FALSE,
                      programmed ? "Programmed" : "Invalid", msg);
    /* Duplicate (port, protocol, hostname) triples are rejected by
     * validation; HTTP and HTTPS sharing a port are told apart by the
     * scheme the host reports, so nothing is left to conflict. */
    if (rc == GWR_OK)
        rc = gwr_resolve__fmt(v, &msg, "No conflicts");
    gwr_resolve__cond(ls->conds, &ls->n_conds, "Conflicted", GWR_COND_FALSE,
                      "NoConflicts", msg);
    if (rc != GWR_OK)
        return rc;

    /* from: Selector without a selector admits nothing (see
     * gwr_resolve__ns_allowed); the loader already warns about it. */
    return rc;
}

static const gwr_gateway_class *
find_class(const gwr_model *m, gwr_str name)
{
    for (size_t i = 0; i < m->n_classes; i++) {
        if (gwr_str__eq(m->classes[i]->meta.name, name))
            return m->classes[i];
    }
    return NULL;
}

/* spec.backendTLS / spec.tls.backend clientCertificateRef (§1.2). */
static int
gateway_refs(gwr_view *v, const gwr_gateway *gw, gwr_gateway_status *gs)
{
    if (!gw->has_backend_client_cert)
        return GWR_OK;
    const gwr_secret_ref *c = &gw->backend_client_cert;
    const char *reason = NULL, *why = NULL;
    if (c->group.len != 0 || !gwr_str__eq_cstr(c->kind, "Secret")) {
        reason = "InvalidClientCertificateRef";
        why = "only core Secrets are supported";
    } else if (!gwr_str__eq(c->ns, gw->meta.ns) &&
               !gwr_resolve__granted(v->model, GWR_GROUP_GATEWAY, "Gateway",
                                     gw->meta.ns, c->ns, "", "Secret",
                                     c->name)) {
        reason = "RefNotPermitted";
        why = "no ReferenceGrant in the Secret's namespace allows this "
              "Gateway to refer to it";
    }
    gwr_str msg;
    int rc;
    if (reason == NULL) {
        rc = gwr_resolve__fmt(v, &msg, "All references resolved");
        gwr_resolve__cond(gs->conds, &gs->n_conds, "ResolvedRefs",
                          GWR_COND_TRUE, "ResolvedRefs", msg);
    } else {
        rc = gwr_resolve__fmt(v, &msg, "backend clientCertificateRef "
                                       "%.*s/%.*s: %s",
                              (int)c->ns.len, c->ns.ptr, (int)c->name.len,
                              c->name.ptr, why);
        gwr_resolve__cond(gs->conds, &gs->n_conds, "ResolvedRefs",
                          GWR_COND_FALSE, reason, msg);
    }
    return rc;
}

static int
gateway_status(gwr_view *v, const gwr_gateway *gw, gwr_gateway_status *gs)
{
    const gwr_gateway_class *cls = find_class(v->model, gw->class_name);
    gs->gateway = gw;
    /* Every Gateway is ours unless its GatewayClass is loaded and names
     * another controller (spec §1.2 recommendation). */
    gs->ours = cls == NULL ||
               gwr_str__eq_cstr(cls->controller_name, GWR_CONTROLLER_NAME_STR);
    if (!gs->ours)
        return GWR_OK;
    gs->conds = gwr_arena__calloc(&v->arena, 3, sizeof(*gs->conds));
    gs->listeners = gwr_arena__calloc(&v->arena, gw->n_listeners,
                                      sizeof(*gs->listeners));
    if (gs->conds == NULL || (gs->listeners == NULL && gw->n_listeners > 0))
        return GWR_E_NOMEM;
    gs->n_listeners = gw->n_listeners;
    size_t accepted = 0, programmed = 0;
    for (size_t i = 0; i < gw->n_listeners; i++) {
        int rc = listener_status(v, gw, i, &gs->listeners[i]);
        if (rc != GWR_OK)
            return rc;
        accepted += gs->listeners[i].conds[0].status == GWR_COND_TRUE;
        programmed += gs->listeners[i].conds[2].status == GWR_COND_TRUE;
    }
    gwr_str msg;
    int rc;
    if (accepted == gw->n_listeners) {
        rc = gwr_resolve__fmt(v, &msg, "Gateway accepted");
        gwr_resolve__cond(gs->conds, &gs->n_conds, "Accepted", GWR_COND_TRUE,
                          "Accepted", msg);
    } else {
        rc = gwr_resolve__fmt(v, &msg, "%zu of %zu listeners are not valid",
                              gw->n_listeners - accepted, gw->n_listeners);
        gwr_resolve__cond(gs->conds, &gs->n_conds, "Accepted",
                          accepted > 0 ? GWR_COND_TRUE : GWR_COND_FALSE,
                          "ListenersNotValid", msg);
    }
    if (rc == GWR_OK)
        rc = gwr_resolve__fmt(v, &msg, programmed > 0
                                           ? "Gateway programmed"
                                           : "No listener is programmed");
    gwr_resolve__cond(gs->conds, &gs->n_conds, "Programmed",
                      programmed > 0 ? GWR_COND_TRUE : GWR_COND_FALSE,
                      programmed > 0 ? "Programmed" : "Invalid", msg);
    if (rc == GWR_OK)
        rc = gateway_refs(v, gw, gs);
    return rc;
}

int
gwr_resolve__gateways(gwr_view *v)
{
    const gwr_model *m = v->model;
    if (m->n_gateways == 0)
        return GWR_OK;
    v->gateways = gwr_arena__calloc(&v->arena, m->n_gateways,
                                    sizeof(*v->gateways));
    v->gw_atts = gwr_arena__calloc(&v->arena, m->n_gateways,
                                   sizeof(*v->gw_atts));
    if (v->gateways == NULL || v->gw_atts == NULL)
        return GWR_E_NOMEM;
    for (size_t i = 0; i < m->n_gateways; i++) {
        int rc = gateway_status(v, m->gateways[i], &v->gateways[i]);
        if (rc != GWR_OK)
            return rc;
    }
    return GWR_OK;
}
