/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * gwroute/status.h: the status a conformant Gateway API controller would
 * write for the loaded objects: per route, one status.parents[] entry per
 * parentRef with its Accepted / ResolvedRefs (/ PartiallyInvalid)
 * conditions; per Gateway, its conditions and each listener's
 * attachedRoutes, supportedKinds and conditions. docs/STATUS.md lists
 * every condition and reason and when it is set.
 *
 * The status is computed from the whole config on first use and cached
 * until the config changes (gwr_config_add_text()). The functions taking
 * a gwr_config * compute it; they can therefore fail with GWR_E_NOMEM and
 * count as a use of the config for thread-safety. Everything they return
 * is borrowed from the config and valid until the config is changed or
 * freed.
 *
 * Thread-safety: like the gwr_config it comes from (one thread at a
 * time); the const accessors only read.
 */
#ifndef GWROUTE_STATUS_H
#define GWROUTE_STATUS_H

#include "gwroute/common.h"
#include "gwroute/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The controllerName of libgwroute, written in status.parents[]. */
#define GWR_CONTROLLER_NAME "gwroute.dev/libgwroute"

typedef struct gwr_route_status gwr_route_status;
typedef struct gwr_parent_status gwr_parent_status;
typedef struct gwr_gateway_status gwr_gateway_status;
typedef struct gwr_listener_status gwr_listener_status;
typedef struct gwr_condition gwr_condition;

/** Condition status values (gwr_condition_status()). */
typedef enum gwr_condition_value {
    GWR_CONDITION_TRUE = 0,
    GWR_CONDITION_FALSE = 1,
    GWR_CONDITION_UNKNOWN = 2
} gwr_condition_value;

/**
 * Compute the status now (it is otherwise computed by the first accessor
 * that needs it). Calling it again without a change is cheap.
 * @param cfg the config.
 * @return GWR_OK, GWR_E_INVAL (NULL config) or GWR_E_NOMEM (nothing is
 *         cached; a later call retries).
 * @since 1.0
 */
GWR_API
int gwr_config_status_update(gwr_config *cfg);

/**
 * Number of routes (HTTPRoute and GRPCRoute) with a status, in load order.
 * @param[in]  cfg the config.
 * @param[out] out receives the count (0 on error).
 * @return GWR_OK, GWR_E_INVAL or GWR_E_NOMEM.
 * @since 1.0
 */
GWR_API
int gwr_config_status_route_count(gwr_config *cfg, size_t *out);

/**
 * The status of the i-th route, borrowed from the config.
 * @return NULL when i is out of range or the status cannot be computed
 *         (gwr_config_status_route_count() tells which).
 * @since 1.0
 */
GWR_API
const gwr_route_status *gwr_config_status_route(gwr_config *cfg, size_t i);

/**
 * Number of Gateways with a status, in load order (including Gateways of
 * another controller, see gwr_gateway_status_ours()).
 * @param[in]  cfg the config.
 * @param[out] out receives the count (0 on error).
 * @return GWR_OK, GWR_E_INVAL or GWR_E_NOMEM.
 * @since 1.0
 */
GWR_API
int gwr_config_status_gateway_count(gwr_config *cfg, size_t *out);

/**
 * The status of the i-th Gateway, borrowed from the config.
 * @return NULL when i is out of range or the status cannot be computed.
 * @since 1.0
 */
GWR_API
const gwr_gateway_status *gwr_config_status_gateway(gwr_config *cfg,
                                                    size_t i);

/**
 * Number of diagnostics found while computing the status (warnings such
 * as a `from: Selector` listener without a selector). They are separate
 * from gwr_config_diag(), which holds the loading diagnostics.
 * @param[in]  cfg the config.
 * @param[out] out receives the count (0 on error).
 * @return GWR_OK, GWR_E_INVAL or GWR_E_NOMEM.
 * @since 1.0
 */
GWR_API
int gwr_config_status_diag_count(gwr_config *cfg, size_t *out);

/**
 * The i-th status diagnostic (read it with the gwr_diag_* accessors),
 * borrowed from the config; NULL when out of range or not computable.
 * @since 1.0
 */
GWR_API
const gwr_diag *gwr_config_status_diag(gwr_config *cfg, size_t i);

/**
 * The i-th GatewayClass `supportedFeatures` name libgwroute implements
 * (Gateway API feature names, e.g. "HTTPRouteQueryParamMatching"), in
 * alphabetical order; docs/STATUS.md explains the choice.
 * @return a static NUL-terminated string, or NULL past the last one.
 * Thread-safety: safe from any thread.
 * @since 1.0
 */
GWR_API
const char *gwr_config_supported_features(size_t i);

/* ---- routes ------------------------------------------------------------- */

/**
 * Kind of the route.
 *
 * The status accessors below (gwr_route_status_*, gwr_parent_status_*,
 * gwr_gateway_status_*, gwr_listener_status_*, gwr_condition_*) accept a
 * NULL handle like every accessor of the library: it reads as empty (an
 * empty view, 0 or NULL). What they return is borrowed from the config,
 * valid until it is changed (gwr_config_add_text()) or freed.
 * @return "HTTPRoute" or "GRPCRoute" (static, NUL-terminated).
 * @since 1.0
 */
GWR_API
gwr_str gwr_route_status_kind(const gwr_route_status *rs);
/** The route's namespace.
 *  @return the namespace; NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_route_status_namespace(const gwr_route_status *rs);
/** The route's name.
 *  @return the name; NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_route_status_name(const gwr_route_status *rs);
/** Number of status.parents[] entries: one per spec.parentRefs[] entry,
 * in the same order.
 * @return the count; NULL gives an empty value. @since 1.0 */
GWR_API
size_t gwr_route_status_parent_count(const gwr_route_status *rs);
/** The i-th parent entry, or NULL when out of range (@p rs must not be
 * NULL). @since 1.0 */
GWR_API
const gwr_parent_status *gwr_route_status_parent(const gwr_route_status *rs,
                                                 size_t i);

/* ---- route parents (status.parents[]) ------------------------------------ */

/** parentRef.group after defaulting ("gateway.networking.k8s.io").
 * @return the group; NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_parent_status_group(const gwr_parent_status *ps);
/** parentRef.kind after defaulting ("Gateway").
 * @return the kind; NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_parent_status_kind(const gwr_parent_status *ps);
/** parentRef.namespace, resolved: the route's namespace when unset.
 *; NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_parent_status_namespace(const gwr_parent_status *ps);
/** 1 when parentRef.namespace was written, 0 when it was defaulted.
 *; NULL gives an empty value. @since 1.0 */
GWR_API
int gwr_parent_status_namespace_set(const gwr_parent_status *ps);
/** parentRef.name.
 * @return the name; NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_parent_status_name(const gwr_parent_status *ps);
/** parentRef.sectionName, empty when unset.; NULL gives an empty value.
 * @since 1.0 */
GWR_API
gwr_str gwr_parent_status_section_name(const gwr_parent_status *ps);
/** parentRef.port, 0 when unset.; NULL gives an empty value. @since 1.0 */
GWR_API
uint32_t gwr_parent_status_port(const gwr_parent_status *ps);
/** Whether the route is accepted by this parent.
 * @return 1 when the Accepted condition is True, else 0; @p ps must not
 *         be NULL. @since 1.0 */
GWR_API
int gwr_parent_status_accepted(const gwr_parent_status *ps);
/** Number of conditions: Accepted, ResolvedRefs, then PartiallyInvalid
 * when some rules were dropped.
 * @return the count; NULL gives an empty value. @since 1.0 */
GWR_API
size_t gwr_parent_status_condition_count(const gwr_parent_status *ps);
/** The i-th condition, or NULL when out of range (@p ps must not be
 * NULL). @since 1.0 */
GWR_API
const gwr_condition *gwr_parent_status_condition(const gwr_parent_status *ps,
                                                 size_t i);

/* ---- gateways and listeners ---------------------------------------------- */

/** The Gateway's namespace.
 * @return the namespace; NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_gateway_status_namespace(const gwr_gateway_status *gs);
/** The Gateway's name.
 * @return the name; NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_gateway_status_name(const gwr_gateway_status *gs);
/**
 * Whether libgwroute handles this Gateway: its GatewayClass is not loaded,
 * or names GWR_CONTROLLER_NAME. Gateways of another controller have no
 * conditions and no listeners here.
 * @return 1 when ours, else 0; NULL gives an empty value.
 * @since 1.0
 */
GWR_API
int gwr_gateway_status_ours(const gwr_gateway_status *gs);
/** Number of Gateway conditions (Accepted, Programmed, and ResolvedRefs
 * when a backend client certificate is configured).
 * @return the count, 0 for a Gateway of another controller; @p gs must
 *         not be NULL. @since 1.0 */
GWR_API
size_t gwr_gateway_status_condition_count(const gwr_gateway_status *gs);
/** The i-th Gateway condition.
 * @return the condition; NULL when out of range or for a NULL handle.
 * @since 1.0 */
GWR_API
const gwr_condition *gwr_gateway_status_condition(
    const gwr_gateway_status *gs, size_t i);
/** Number of listener entries, in spec.listeners[] order.
 * @return the count, 0 for a Gateway of another controller; @p gs must
 *         not be NULL. @since 1.0 */
GWR_API
size_t gwr_gateway_status_listener_count(const gwr_gateway_status *gs);
/** The i-th listener entry.
 * @return the entry; NULL when out of range or for a NULL handle.
 * @since 1.0 */
GWR_API
const gwr_listener_status *gwr_gateway_status_listener(
    const gwr_gateway_status *gs, size_t i);

/** The listener's name.
 * @return the name; NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_listener_status_name(const gwr_listener_status *ls);
/** Number of Accepted routes attached to the listener (the Gateway API
 * >= v1.5 rule, docs/STATUS.md).
 * @return the count; NULL gives an empty value. @since 1.0 */
GWR_API
uint32_t gwr_listener_status_attached_routes(const gwr_listener_status *ls);
/** Number of status.listeners[].supportedKinds entries.
 * @return the count; NULL gives an empty value. @since 1.0 */
GWR_API
size_t gwr_listener_status_supported_kind_count(
    const gwr_listener_status *ls);
/** Group of the i-th supported kind; empty when out of range or for
 * a NULL handle. @since 1.0 */
GWR_API
gwr_str gwr_listener_status_supported_kind_group(
    const gwr_listener_status *ls, size_t i);
/** The i-th supported kind ("HTTPRoute"); empty when out of range or for
 * a NULL handle. @since 1.0 */
GWR_API
gwr_str gwr_listener_status_supported_kind(const gwr_listener_status *ls,
                                           size_t i);
/** Number of listener conditions (Accepted, ResolvedRefs, Programmed,
 * Conflicted).
 * @return the count; NULL gives an empty value. @since 1.0 */
GWR_API
size_t gwr_listener_status_condition_count(const gwr_listener_status *ls);
/** The i-th listener condition.
 * @return the condition; NULL when out of range or for a NULL handle.
 * @since 1.0 */
GWR_API
const gwr_condition *gwr_listener_status_condition(
    const gwr_listener_status *ls, size_t i);

/* ---- conditions ---------------------------------------------------------- */

/** Condition type, e.g. "Accepted".
 * @return the type (NUL-terminated); NULL gives an empty value. @since 1.0 */
GWR_API
gwr_str gwr_condition_type(const gwr_condition *c);
/** Condition status.
 * @return a gwr_condition_value; NULL gives an empty value. @since 1.0 */
GWR_API
uint32_t gwr_condition_status(const gwr_condition *c);
/** Upstream reason, e.g. "NotAllowedByListeners".
 * @return the reason (NUL-terminated); NULL gives an empty value.
 * @since 1.0 */
GWR_API
gwr_str gwr_condition_reason(const gwr_condition *c);
/** Human-readable message.
 * @return the message, possibly empty; NULL gives an empty value.
 * @since 1.0 */
GWR_API
gwr_str gwr_condition_message(const gwr_condition *c);

#ifdef __cplusplus
}
#endif

#endif /* GWROUTE_STATUS_H */
