/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Internals of the resolution (lib/resolve*.c): the view layout and the
 * steps gwr_resolve__run chains. Never installed.
 */
#ifndef GWR_RESOLVE_INT_H
#define GWR_RESOLVE_INT_H

#include "diag.h"
#include "resolve.h"

/* Our GatewayClass controllerName (docs/STATUS.md). */
#define GWR_CONTROLLER_NAME_STR "gwroute.dev/libgwroute"

/* Attachments of one Gateway (or of the implicit listener). */
typedef struct gwr_att_list {
    gwr_attachment *items;
    size_t n, cap;
} gwr_att_list;

/* One resolved reference, keyed by the address of the model's ref. */
typedef struct gwr_backend_slot {
    uintptr_t key;
    gwr_backend_res res;
} gwr_backend_slot;

struct gwr_view {
    gwr_ctx *ctx;
    gwr_arena arena;
    const gwr_model *model;
    gwr_diag_list *diags;     /* where warnings go; may be NULL */

    gwr_route_status *routes;         /* parallel to model->routes */
    gwr_gateway_status *gateways;     /* parallel to model->gateways */
    gwr_att_list *gw_atts;            /* parallel to model->gateways */
    gwr_att_list implicit;            /* no Gateway loaded */

    gwr_backend_slot *backends;       /* sorted by key */
    size_t n_backends, cap_backends;
};

/* Short printable name of a route kind. */
const char *gwr_resolve__route_kind(const gwr_route *r);

/* Fresh copy of a formatted string in the view's arena; the empty view on
 * allocation failure is reported as GWR_E_NOMEM. */
int gwr_resolve__fmt(gwr_view *v, gwr_str *out, const char *fmt, ...)
    GWR_PRINTF(3, 4);

/* 1 when a is older than b for conflict resolution: the older
 * creationTimestamp (objects without one are newer than any that has
 * one, spec §3.8 recommendation), then "{namespace}/{name}", then load
 * order. */
int gwr_resolve__older(const gwr_meta *a, const gwr_meta *b);

/* Move a buffer's text into the view's arena and free the buffer.
 * GWR_E_NOMEM when the buffer saw an allocation failure or the copy
 * fails. */
int gwr_resolve__take(gwr_view *v, gwr_buf *b, gwr_str *out);

/* Append a condition to a (arena) array of at most cap entries. */
void gwr_resolve__cond(gwr_condition *conds, size_t *n, const char *type,
                       uint32_t status, const char *reason, gwr_str message);

/* 1 when some ReferenceGrant in to_ns lets (from_group, from_kind,
 * from_ns) refer to (to_group, to_kind, to_name) (spec §5.4). */
int gwr_resolve__granted(const gwr_model *m, const char *from_group,
                         const char *from_kind, gwr_str from_ns,
                         gwr_str to_ns, const char *to_group,
                         const char *to_kind, gwr_str to_name);

/* ---- attachment state, shared by resolve_attach.c and resolve_status.c */

/* A route that passed every listener check for one parentRef. */
typedef struct gwr_cand {
    size_t route, parent;     /* indexes into the model */
    size_t gateway, listener;
    size_t age;               /* rank of the route, oldest first */
    gwr_str *hosts;           /* effective hostnames (view arena) */
    size_t n_hosts;
    int match_all;
    int lost;                 /* lost an HTTPRoute/GRPCRoute conflict */
    const gwr_route *winner;  /* ... to this route */
    size_t next;              /* next candidate of the same parentRef, in
                                 gateway/listener order; SIZE_MAX ends */
} gwr_cand;

/* How far one parentRef got (§2.1 step 5 ranking). */
enum {
    GWR_STAGE_NO_PARENT = 0,  /* NoMatchingParent */
    GWR_STAGE_NOT_ALLOWED,    /* NotAllowedByListeners */
    GWR_STAGE_HOSTNAME,       /* NoMatchingListenerHostname */
    GWR_STAGE_ATTACHED        /* at least one candidate */
};

typedef struct gwr_pstate {
    size_t first_cand;        /* head of the candidate list, SIZE_MAX */
    int stage;
    const char *reason;       /* failure reason when stage < ATTACHED */
    gwr_str message;
} gwr_pstate;

typedef struct gwr_attach_state {
    gwr_view *v;
    gwr_cand *cands;          /* ctx memory */
    size_t n_cands, cap_cands;
    gwr_pstate *pstates;      /* per (route, parent), view arena */
    size_t *pstate_base;      /* first pstate of each route */
    size_t *age;              /* rank of each route, oldest first */
    unsigned char *all_dropped;   /* per route: rules exist, none valid */
} gwr_attach_state;

/* allowedRoutes.namespaces of listener l lets routes of route_ns in. */
int gwr_resolve__ns_allowed(const gwr_model *m, const gwr_gateway *gw,
                            const gwr_listener *l, gwr_str route_ns);

/* Write the conditions of every parentRef of route ri (resolve_status.c),
 * after the candidates were settled. */
int gwr_resolve__route_conditions(gwr_attach_state *st, size_t ri);

/* Steps of gwr_resolve__run, in order (lib/resolve_backend.c,
 * lib/resolve_attach.c, lib/resolve_status.c). Each returns GWR_OK or
 * GWR_E_NOMEM. */
int gwr_resolve__backends(gwr_view *v);
int gwr_resolve__gateways(gwr_view *v);
int gwr_resolve__routes(gwr_view *v);

#endif /* GWR_RESOLVE_INT_H */
