/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Resolution driver: builds a gwr_view from a model (backends first, then
 * listeners, then routes, since route status needs both), its accessors,
 * and the config's cached view. The steps live in lib/resolve_backend.c,
 * lib/resolve_attach.c and lib/resolve_status.c; docs/STATUS.md says what
 * they decide.
 */
#include <stdio.h>
#include <string.h>

#include "config_int.h"
#include "resolve_int.h"

const char *
gwr_resolve__route_kind(const gwr_route *r)
{
    return r->meta.kind == GWR_KIND_GRPC_ROUTE ? "GRPCRoute" : "HTTPRoute";
}

int
gwr_resolve__fmt(gwr_view *v, gwr_str *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    *out = (gwr_str){ "", 0 };
    if (n <= 0)
        return GWR_OK;
    char *p = gwr_arena__alloc(&v->arena, (size_t)n + 1);
    if (p == NULL)
        return GWR_E_NOMEM;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *out = (gwr_str){ p, (size_t)n };
    return GWR_OK;
}

int
gwr_resolve__take(gwr_view *v, gwr_buf *b, gwr_str *out)
{
    int rc = b->err;
    *out = (gwr_str){ "", 0 };
    if (rc == GWR_OK && b->len != 0) {
        char *p = gwr_arena__strndup(&v->arena, b->ptr, b->len);
        if (p == NULL)
            rc = GWR_E_NOMEM;
        else
            *out = (gwr_str){ p, b->len };
    }
    gwr_buf__free(b);
    return rc;
}

void
gwr_resolve__cond(gwr_condition *conds, size_t *n, const char *type,
                  uint32_t status, const char *reason, gwr_str message)
{
    gwr_condition *c = &conds[(*n)++];
    c->type = type;
    c->status = status;
    c->reason = reason;
    c->message = message;
}

int
gwr_resolve__granted(const gwr_model *m, const char *from_group,
                     const char *from_kind, gwr_str from_ns, gwr_str to_ns,
                     const char *to_group, const char *to_kind,
                     gwr_str to_name)
{
    /* Exact, case-sensitive comparisons everywhere (spec §5.4): the
     * conformance near misses differ only in one of these strings. */
    for (size_t i = 0; i < m->n_grants; i++) {
        const gwr_reference_grant *g = m->grants[i];
        if (!gwr_str__eq(g->meta.ns, to_ns))
            continue;
        int from_ok = 0, to_ok = 0;
        for (size_t f = 0; f < g->n_from && !from_ok; f++) {
            const gwr_grant_from *e = &g->from[f];
            from_ok = gwr_str__eq_cstr(e->group, from_group) &&
                      gwr_str__eq_cstr(e->kind, from_kind) &&
                      gwr_str__eq(e->ns, from_ns);
        }
        for (size_t t = 0; t < g->n_to && from_ok && !to_ok; t++) {
            const gwr_grant_to *e = &g->to[t];
            to_ok = gwr_str__eq_cstr(e->group, to_group) &&
                    gwr_str__eq_cstr(e->kind, to_kind) &&
                    (e->name.len == 0 || gwr_str__eq(e->name, to_name));
        }
        if (from_ok && to_ok)
            return 1;
    }
    return 0;
}

int
gwr_resolve__run(gwr_ctx *ctx, const gwr_model *model, gwr_diag_list *diags,
                 gwr_view **out)
{
    *out = NULL;
    gwr_view *v = gwr__calloc(ctx, 1, sizeof(*v));
    if (v == NULL)
        return GWR_E_NOMEM;
    v->ctx = ctx;
    gwr_arena__init(&v->arena, ctx);
    v->model = model;
    v->diags = diags;
    int rc = gwr_resolve__backends(v);
    if (rc == GWR_OK)
        rc = gwr_resolve__gateways(v);
    if (rc == GWR_OK)
        rc = gwr_resolve__routes(v);
    if (rc != GWR_OK) {
        gwr_resolve__free(v);
        return rc;
    }
    /* The view keeps no pointer to the caller's list past this call. */
    v->diags = NULL;
    *out = v;
    return GWR_OK;
}

void
gwr_resolve__free(gwr_view *v)
{
    if (v == NULL)
        return;
    gwr_arena__free(&v->arena);
    gwr__free(v->ctx, v);
}

size_t
gwr_resolve__route_count(const gwr_view *v)
{
    return v->model->n_routes;
}

const gwr_route_status *
gwr_resolve__route(const gwr_view *v, size_t i)
{
    return i < v->model->n_routes ? &v->routes[i] : NULL;
}

size_t
gwr_resolve__gateway_count(const gwr_view *v)
{
    return v->model->n_gateways;
}

const gwr_gateway_status *
gwr_resolve__gateway(const gwr_view *v, size_t i)
{
    return i < v->model->n_gateways ? &v->gateways[i] : NULL;
}

size_t
gwr_resolve__attachments(const gwr_view *v, const gwr_gateway *gw,
                         const gwr_attachment **out)
{
    if (gw == NULL) {
        *out = v->implicit.items;
        return v->implicit.n;
    }
    for (size_t i = 0; i < v->model->n_gateways; i++) {
        if (v->model->gateways[i] == gw) {
            *out = v->gw_atts[i].items;
            return v->gw_atts[i].n;
        }
    }
    *out = NULL;
    return 0;
}

const gwr_backend_res *
gwr_resolve__backend(const gwr_view *v, const gwr_backend_ref *ref)
{
    uintptr_t key = (uintptr_t)ref;
    size_t lo = 0, hi = v->n_backends;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uintptr_t k = v->backends[mid].key;
        if (k == key)
            return &v->backends[mid].res;
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int
gwr_config__view(const gwr_config *cfg, const gwr_view **out)
{
    /* The cache is logically const: computing it changes no observable
     * state of the config, so const accessors may fill it. */
    gwr_config *c = (gwr_config *)cfg;
    if (c->view != NULL) {
        *out = c->view;
        return GWR_OK;
    }
    *out = NULL;
    if (c->view_diags.ctx == NULL)
        gwr_diag__list_init(&c->view_diags, c->ctx);
    gwr_diag__list_truncate(&c->view_diags, 0);
    gwr_view *v = NULL;
    int rc = gwr_resolve__run(c->ctx, &c->model, &c->view_diags, &v);
    if (rc != GWR_OK) {
        gwr_diag__list_truncate(&c->view_diags, 0);
        return rc;
    }
    c->view = v;
    *out = v;
    return GWR_OK;
}
