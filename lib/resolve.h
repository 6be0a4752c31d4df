/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Resolution: what a conformant controller computes from the whole loaded
 * set (spec §2, §5.3-§5.6): which routes attach to which listeners with
 * which effective hostnames, route and listener status conditions, and
 * whether each backend reference can carry traffic. The compiler reads a
 * view; the status API and `gwroute check` print it.
 *
 * A view is computed from one gwr_model and borrows it: it is valid until
 * the model changes. It owns its own arena.
 */
#ifndef GWR_RESOLVE_H
#define GWR_RESOLVE_H

#include "diag.h"
#include "model.h"

/* Backend protocol from the Service port's appProtocol (GEP-1911). */
typedef enum gwr_backend_proto {
    GWR_BPROTO_HTTP = 0,
    GWR_BPROTO_H2C,
    GWR_BPROTO_WS,
    GWR_BPROTO_WSS
} gwr_backend_proto;

/* The resolution of one BackendObjectReference (a rule's backendRef, a
 * backendRef's, or a mirror filter's). */
typedef struct gwr_backend_res {
    const gwr_backend_ref *ref;
    int valid;                /* may carry traffic */
    const char *reason;       /* NULL when valid; else BackendNotFound,
                                 InvalidKind, RefNotPermitted,
                                 UnsupportedProtocol */
    gwr_str message;          /* why, for status messages */
    const gwr_service *service;       /* NULL when no Services are loaded */
    const gwr_service_port *port;     /* the port whose port == ref->port */
    uint32_t proto;           /* gwr_backend_proto */
    const gwr_backend_tls_policy *tls;   /* the applicable policy or NULL */
    const gwr_endpoint_slice *const *slices;  /* of the Service */
    size_t n_slices;
} gwr_backend_res;

/* Status condition (metav1.Condition without times). */
typedef enum gwr_cond_status {
    GWR_COND_TRUE = 0,
    GWR_COND_FALSE,
    GWR_COND_UNKNOWN
} gwr_cond_status;

typedef struct gwr_condition {
    const char *type;         /* "Accepted", "ResolvedRefs", ... (static) */
    uint32_t status;          /* gwr_cond_status */
    const char *reason;       /* static upstream reason string */
    gwr_str message;
} gwr_condition;

/* One status.parents[] entry of a route. */
typedef struct gwr_parent_status {
    const gwr_parent_ref *ref;
    gwr_condition *conds;     /* Accepted, ResolvedRefs, then optionally
                                 PartiallyInvalid */
    size_t n_conds;
    int accepted;             /* the Accepted condition is True */
} gwr_parent_status;

typedef struct gwr_route_status {
    const gwr_route *route;
    gwr_parent_status *parents;   /* parallel to route->parents */
    size_t n_parents;
} gwr_route_status;

typedef struct gwr_listener_status {
    const gwr_listener *listener;
    uint32_t attached_routes;
    gwr_route_kind_ref *supported_kinds;
    size_t n_supported_kinds;
    gwr_condition *conds;     /* Accepted, ResolvedRefs, Programmed,
                                 Conflicted */
    size_t n_conds;
} gwr_listener_status;

typedef struct gwr_gateway_status {
    const gwr_gateway *gateway;
    int ours;                 /* handled by us (see docs/STATUS.md) */
    gwr_condition *conds;     /* Accepted, Programmed, ResolvedRefs */
    size_t n_conds;
    gwr_listener_status *listeners;   /* parallel to gateway->listeners */
    size_t n_listeners;
} gwr_gateway_status;

/*
 * A route attached to a listener and Accepted there. `hostnames` are the
 * effective (intersected) hostnames on that listener (spec §2.2); n == 0
 * with match_all set means every host. For the implicit listener (no
 * Gateway loaded), gateway and listener are NULL.
 */
typedef struct gwr_attachment {
    const gwr_route *route;
    const gwr_gateway *gateway;
    const gwr_listener *listener;
    size_t listener_index;
    const gwr_str *hostnames;
    size_t n_hostnames;
    int match_all;
} gwr_attachment;

typedef struct gwr_view gwr_view;

/* Compute the view of a model. Returns GWR_OK or GWR_E_NOMEM. Problems
 * found (e.g. a shadowed BackendTLSPolicy) become warnings in diags. */
int gwr_resolve__run(gwr_ctx *ctx, const gwr_model *model,
                     gwr_diag_list *diags, gwr_view **out);
void gwr_resolve__free(gwr_view *v);

/* Status, for gwroute check and the public status API. */
size_t gwr_resolve__route_count(const gwr_view *v);
const gwr_route_status *gwr_resolve__route(const gwr_view *v, size_t i);
size_t gwr_resolve__gateway_count(const gwr_view *v);
const gwr_gateway_status *gwr_resolve__gateway(const gwr_view *v, size_t i);

/* The attachments of one Gateway (NULL gateway = the implicit listener,
 * which has attachments only when the model has no Gateway). Ordered by
 * listener, then route load order. */
size_t gwr_resolve__attachments(const gwr_view *v, const gwr_gateway *gw,
                                const gwr_attachment **out);

/* The resolution of a backend reference from the model (rule backendRefs,
 * backendRef-level and rule-level mirror filters). Never NULL for a
 * reference of a loaded route. */
const gwr_backend_res *gwr_resolve__backend(const gwr_view *v,
                                            const gwr_backend_ref *ref);

#endif /* GWR_RESOLVE_H */
