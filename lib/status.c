/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The public status API (include/gwroute/status.h): thin accessors over
 * the config's cached resolution (lib/resolve.c).
 */
#include <string.h>

#include "config_int.h"
#include "resolve_int.h"

/* The Gateway API feature names (spec §8) that the library as a whole
 * implements, alphabetical. CORS, retries on connection errors and
 * backendRef-level redirects/rewrites are left out on purpose
 * (docs/STATUS.md). */
static const char *const features[] = {
    "GRPCRoute",
    "Gateway",
    "GatewayHTTPListenerIsolation",
    "GatewayPort8080",
    "HTTPRoute",
    "HTTPRoute303RedirectStatusCode",
    "HTTPRoute307RedirectStatusCode",
    "HTTPRoute308RedirectStatusCode",
    "HTTPRouteBackendProtocolH2C",
    "HTTPRouteBackendProtocolWebSocket",
    "HTTPRouteBackendRequestHeaderModification",
    "HTTPRouteBackendRequestRedirect",
    "HTTPRouteBackendTimeout",
    "HTTPRouteBackendURLRewrite",
    "HTTPRouteCORS",
    "HTTPRouteDestinationPortMatching",
    "HTTPRouteHTTPSListenerDetectMisdirectedRequests",
    "HTTPRouteHostRewrite",
    "HTTPRouteMethodMatching",
    "HTTPRouteNamedRouteRule",
    "HTTPRouteParentRefPort",
    "HTTPRoutePathRedirect",
    "HTTPRoutePathRewrite",
    "HTTPRoutePortRedirect",
    "HTTPRouteQueryParamMatching",
    "HTTPRouteRequestMirror",
    "HTTPRouteRequestMultipleMirrors",
    "HTTPRouteRequestPercentageMirror",
    "HTTPRouteRequestTimeout",
    "HTTPRouteResponseHeaderModification",
    "HTTPRouteRetry",
    "HTTPRouteRetryBackendTimeout",
    "HTTPRouteRetryConnectionError",
    "HTTPRouteSchemeRedirect",
    "ReferenceGrant",
};

const char *
gwr_config_supported_features(size_t i)
{
    return i < GWR_ARRAY_LEN(features) ? features[i] : NULL;
}

static const gwr_view *
view_or_null(gwr_config *cfg)
{
    const gwr_view *v = NULL;
    if (cfg == NULL || gwr_config__view(cfg, &v) != GWR_OK)
        return NULL;
    return v;
}

int
gwr_config_status_update(gwr_config *cfg)
{
    const gwr_view *v;
    if (cfg == NULL)
        return GWR_E_INVAL;
    return gwr_config__view(cfg, &v);
}

/* Shared shape of the count functions. */
static int
count(gwr_config *cfg, size_t *out, size_t (*fn)(const gwr_config *,
                                                 const gwr_view *))
{
    if (out != NULL)
        *out = 0;
    if (cfg == NULL || out == NULL)
        return GWR_E_INVAL;
    const gwr_view *v;
    int rc = gwr_config__view(cfg, &v);
    if (rc == GWR_OK)
        *out = fn(cfg, v);
    return rc;
}

static size_t
n_routes(const gwr_config *cfg, const gwr_view *v)
{
    return gwr_resolve__route_count(v);
}

static size_t
n_gateways(const gwr_config *cfg, const gwr_view *v)
{
    return gwr_resolve__gateway_count(v);
}

static size_t
n_diags(const gwr_config *cfg, const gwr_view *v)
{
    return cfg->view_diags.n;
}

int
gwr_config_status_route_count(gwr_config *cfg, size_t *out)
{
    return count(cfg, out, n_routes);
}

const gwr_route_status *
gwr_config_status_route(gwr_config *cfg, size_t i)
{
    const gwr_view *v = view_or_null(cfg);
    return v != NULL ? gwr_resolve__route(v, i) : NULL;
}

int
gwr_config_status_gateway_count(gwr_config *cfg, size_t *out)
{
    return count(cfg, out, n_gateways);
}

const gwr_gateway_status *
gwr_config_status_gateway(gwr_config *cfg, size_t i)
{
    const gwr_view *v = view_or_null(cfg);
    return v != NULL ? gwr_resolve__gateway(v, i) : NULL;
}

int
gwr_config_status_diag_count(gwr_config *cfg, size_t *out)
{
    return count(cfg, out, n_diags);
}

const gwr_diag *
gwr_config_status_diag(gwr_config *cfg, size_t i)
{
    if (view_or_null(cfg) == NULL || i >= cfg->view_diags.n)
        return NULL;
    return cfg->view_diags.items[i];
}

/* Every accessor tolerates a NULL handle (as the other accessor
 * families do): gwr_config_status_route() and friends return NULL on
 * errors, and a host may pass that straight on. */
static const gwr_str empty = { "", 0 };

/* ---- routes ------------------------------------------------------------- */

gwr_str
gwr_route_status_kind(const gwr_route_status *rs)
{
    if (rs == NULL)
        return empty;
    return gwr_str__from_cstr(gwr_resolve__route_kind(rs->route));
}

gwr_str
gwr_route_status_namespace(const gwr_route_status *rs)
{
    if (rs == NULL)
        return empty;
    return rs->route->meta.ns;
}

gwr_str
gwr_route_status_name(const gwr_route_status *rs)
{
    if (rs == NULL)
        return empty;
    return rs->route->meta.name;
}

size_t
gwr_route_status_parent_count(const gwr_route_status *rs)
{
    if (rs == NULL)
        return 0;
    return rs->n_parents;
}

const gwr_parent_status *
gwr_route_status_parent(const gwr_route_status *rs, size_t i)
{
    if (rs == NULL)
        return NULL;
    return i < rs->n_parents ? &rs->parents[i] : NULL;
}

/* ---- parents ------------------------------------------------------------ */

gwr_str
gwr_parent_status_group(const gwr_parent_status *ps)
{
    if (ps == NULL)
        return empty;
    return ps->ref->group;
}

gwr_str
gwr_parent_status_kind(const gwr_parent_status *ps)
{
    if (ps == NULL)
        return empty;
    return ps->ref->kind;
}

gwr_str
gwr_parent_status_namespace(const gwr_parent_status *ps)
{
    if (ps == NULL)
        return empty;
    return ps->ref->ns;
}

int
gwr_parent_status_namespace_set(const gwr_parent_status *ps)
{
    if (ps == NULL)
        return 0;
    return ps->ref->ns_set != 0;
}

gwr_str
gwr_parent_status_name(const gwr_parent_status *ps)
{
    if (ps == NULL)
        return empty;
    return ps->ref->name;
}

gwr_str
gwr_parent_status_section_name(const gwr_parent_status *ps)
{
    if (ps == NULL)
        return empty;
    return ps->ref->section_name;
}

uint32_t
gwr_parent_status_port(const gwr_parent_status *ps)
{
    if (ps == NULL)
        return 0;
    return ps->ref->port;
}

int
gwr_parent_status_accepted(const gwr_parent_status *ps)
{
    if (ps == NULL)
        return 0;
    return ps->accepted != 0;
}

size_t
gwr_parent_status_condition_count(const gwr_parent_status *ps)
{
    if (ps == NULL)
        return 0;
    return ps->n_conds;
}

const gwr_condition *
gwr_parent_status_condition(const gwr_parent_status *ps, size_t i)
{
    if (ps == NULL)
        return NULL;
    return i < ps->n_conds ? &ps->conds[i] : NULL;
}

/* ---- gateways and listeners ---------------------------------------------- */

gwr_str
gwr_gateway_status_namespace(const gwr_gateway_status *gs)
{
    if (gs == NULL)
        return empty;
    return gs->gateway->meta.ns;
}

gwr_str
gwr_gateway_status_name(const gwr_gateway_status *gs)
{
    if (gs == NULL)
        return empty;
    return gs->gateway->meta.name;
}

int
gwr_gateway_status_ours(const gwr_gateway_status *gs)
{
    if (gs == NULL)
        return 0;
    return gs->ours != 0;
}

size_t
gwr_gateway_status_condition_count(const gwr_gateway_status *gs)
{
    if (gs == NULL)
        return 0;
    return gs->n_conds;
}

const gwr_condition *
gwr_gateway_status_condition(const gwr_gateway_status *gs, size_t i)
{
    if (gs == NULL)
        return NULL;
    return i < gs->n_conds ? &gs->conds[i] : NULL;
}

size_t
gwr_gateway_status_listener_count(const gwr_gateway_status *gs)
{
    if (gs == NULL)
        return 0;
    return gs->n_listeners;
}

const gwr_listener_status *
gwr_gateway_status_listener(const gwr_gateway_status *gs, size_t i)
{
    if (gs == NULL)
        return NULL;
    return i < gs->n_listeners ? &gs->listeners[i] : NULL;
}

gwr_str
gwr_listener_status_name(const gwr_listener_status *ls)
{
    if (ls == NULL)
        return empty;
    return ls->listener->name;
}

uint32_t
gwr_listener_status_attached_routes(const gwr_listener_status *ls)
{
    if (ls == NULL)
        return 0;
    return ls->attached_routes;
}

size_t
gwr_listener_status_supported_kind_count(const gwr_listener_status *ls)
{
    if (ls == NULL)
        return 0;
    return ls->n_supported_kinds;
}

gwr_str
gwr_listener_status_supported_kind_group(const gwr_listener_status *ls,
                                         size_t i)
{
    if (ls == NULL)
        return empty;
    return i < ls->n_supported_kinds ? ls->supported_kinds[i].group : empty;
}

gwr_str
gwr_listener_status_supported_kind(const gwr_listener_status *ls, size_t i)
{
    if (ls == NULL)
        return empty;
    return i < ls->n_supported_kinds ? ls->supported_kinds[i].kind : empty;
}

size_t
gwr_listener_status_condition_count(const gwr_listener_status *ls)
{
    if (ls == NULL)
        return 0;
    return ls->n_conds;
}

const gwr_condition *
gwr_listener_status_condition(const gwr_listener_status *ls, size_t i)
{
    if (ls == NULL)
        return NULL;
    return i < ls->n_conds ? &ls->conds[i] : NULL;
}

/* ---- conditions ---------------------------------------------------------- */

gwr_str
gwr_condition_type(const gwr_condition *c)
{
    if (c == NULL)
        return empty;
    return gwr_str__from_cstr(c->type);
}

uint32_t
gwr_condition_status(const gwr_condition *c)
{
    if (c == NULL)
        return 0;
    return c->status;
}

gwr_str
gwr_condition_reason(const gwr_condition *c)
{
    if (c == NULL)
        return empty;
    return gwr_str__from_cstr(c->reason);
}

gwr_str
gwr_condition_message(const gwr_condition *c)
{
    if (c == NULL)
        return empty;
    return c->message;
}
