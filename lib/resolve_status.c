/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Route status (spec §2.4): the Accepted, ResolvedRefs and
 * PartiallyInvalid conditions of every parentRef, from the attachment
 * outcome (lib/resolve_attach.c), the rules validation dropped and the
 * backend resolutions (lib/resolve_backend.c).
 */
#include <stdio.h>
#include <string.h>

#include "resolve_int.h"

/* The ResolvedRefs verdict of a route; the same for all its parents,
 * since references do not depend on the parent. */
typedef struct refs_verdict {
    const char *reason;       /* NULL: every reference resolved */
    gwr_str message;
} refs_verdict;

static void
note(refs_verdict *rv, gwr_buf *b, const char *reason, const char *field,
     gwr_str msg)
{
    if (rv->reason == NULL)
        rv->reason = reason;
    if (b->len != 0)
        gwr_buf__puts(b, "; ");
    gwr_buf__printf(b, "%s: %.*s", field, (int)msg.len, msg.ptr);
}

static void
check_filters(gwr_view *v, refs_verdict *rv, gwr_buf *b, const char *prefix,
              const gwr_filter *f, size_t n)
{
    char field[128];
    for (size_t k = 0; k < n; k++) {
        if (f[k].type == GWR_FILTER_MIRROR) {
            const gwr_backend_res *res =
                gwr_resolve__backend(v, &f[k].mirror.backend);
            if (res == NULL || res->valid)
                continue;
            snprintf(field, sizeof(field),
                     "%s.filters[%zu].requestMirror.backendRef", prefix, k);
            note(rv, b, res->reason, field, res->message);
        } else if (f[k].type == GWR_FILTER_EXTENSION_REF) {
            /* No extension kind is implemented: the filter cannot be
             * resolved and must not be skipped (§4.6). */
            const gwr_local_ref *e = &f[k].ext;
            char msg[160];
            int len = snprintf(msg, sizeof(msg),
                               "ExtensionRef %.*s/%.*s %.*s is not supported",
                               (int)(e->group.len > 40 ? 40 : e->group.len),
                               e->group.ptr,
                               (int)(e->kind.len > 40 ? 40 : e->kind.len),
                               e->kind.ptr,
                               (int)(e->name.len > 40 ? 40 : e->name.len),
                               e->name.ptr);
            snprintf(field, sizeof(field), "%s.filters[%zu].extensionRef",
                     prefix, k);
            gwr_str m = { msg, len > 0 ? (size_t)len : 0 };
            if (m.len >= sizeof(msg))
                m.len = sizeof(msg) - 1;
            note(rv, b, "InvalidKind", field, m);
        }
    }
}

/* First failing reference in rule order gives the reason; the message
 * lists them all (§2.4 recommendation). Dropped rules are not programmed,
 * so their references do not count. */
static int
route_refs(gwr_view *v, const gwr_route *r, refs_verdict *rv)
{
    gwr_buf b;
    gwr_buf__init(&b, v->ctx);
    rv->reason = NULL;
    char prefix[96];
    for (size_t i = 0; i < r->n_rules; i++) {
        const gwr_rule *rule = &r->rules[i];
        if (rule->invalid)
            continue;
        snprintf(prefix, sizeof(prefix), "spec.rules[%zu]", i);
        check_filters(v, rv, &b, prefix, rule->filters, rule->n_filters);
        for (size_t j = 0; j < rule->n_backends; j++) {
            const gwr_backend_ref *ref = &rule->backends[j];
            const gwr_backend_res *res = gwr_resolve__backend(v, ref);
            snprintf(prefix, sizeof(prefix), "spec.rules[%zu].backendRefs[%zu]",
                     i, j);
            if (res != NULL && !res->valid)
                note(rv, &b, res->reason, prefix, res->message);
            check_filters(v, rv, &b, prefix, ref->filters, ref->n_filters);
        }
    }
    if (rv->reason == NULL) {
        gwr_buf__free(&b);
        return gwr_resolve__fmt(v, &rv->message, "All references resolved");
    }
    return gwr_resolve__take(v, &b, &rv->message);
}

/* The "Dropped Rule" message (§2.4) and the reason of the first dropped
 * rule; n_dropped counts them. */
static int
dropped_rules(gwr_view *v, const gwr_route *r, size_t *n_dropped,
              const char **reason, gwr_str *msg)
{
    gwr_buf b;
    gwr_buf__init(&b, v->ctx);
    *n_dropped = 0;
    *reason = NULL;
    for (size_t i = 0; i < r->n_rules; i++) {
        const gwr_rule *rule = &r->rules[i];
        if (!rule->invalid)
            continue;
        if (*reason == NULL)
            *reason = rule->invalid_reason != NULL ? rule->invalid_reason
                                                   : "UnsupportedValue";
        if (b.len != 0)
            gwr_buf__puts(&b, "; ");
        gwr_buf__printf(&b, "Dropped Rule %zu", i);
        if (rule->name.len != 0)
            gwr_buf__printf(&b, " (%.*s)", (int)rule->name.len,
                            rule->name.ptr);
        if (rule->invalid_message.len != 0)
            gwr_buf__printf(&b, ": %.*s", (int)rule->invalid_message.len,
                            rule->invalid_message.ptr);
        (*n_dropped)++;
    }
    return gwr_resolve__take(v, &b, msg);
}

/* Accepted=True message naming the listeners, or the conflict that cost
 * the parentRef every listener. */
static int
accepted_outcome(gwr_attach_state *st, size_t ri, size_t pi, int *ok,
                 gwr_str *msg)
{
    gwr_view *v = st->v;
    const gwr_model *m = v->model;
    const gwr_cand *lost = NULL;
    gwr_buf b;
    gwr_buf__init(&b, v->ctx);
    *ok = 0;
    const gwr_pstate *ps = &st->pstates[st->pstate_base[ri] + pi];
    for (size_t i = ps->first_cand; i != SIZE_MAX; i = st->cands[i].next) {
        const gwr_cand *c = &st->cands[i];
        if (c->lost) {
            if (lost == NULL)
                lost = c;
            continue;
        }
        const gwr_gateway *gw = m->gateways[c->gateway];
        const gwr_listener *l = &gw->listeners[c->listener];
        gwr_buf__printf(&b, "%s%.*s", *ok ? ", " : "Accepted by listener ",
                        (int)l->name.len, l->name.ptr);
        *ok = 1;
    }
    if (*ok || lost == NULL)
        return gwr_resolve__take(v, &b, msg);
    gwr_buf__free(&b);
    const gwr_listener *l =
        &m->gateways[lost->gateway]->listeners[lost->listener];
    const gwr_route *w = lost->winner;
    return gwr_resolve__fmt(v, msg,
                            "listener %.*s: the hostnames conflict with the "
                            "older %s %.*s/%.*s, which the listener serves",
                            (int)l->name.len, l->name.ptr,
                            gwr_resolve__route_kind(w), (int)w->meta.ns.len,
                            w->meta.ns.ptr, (int)w->meta.name.len,
                            w->meta.name.ptr);
}

int
gwr_resolve__route_conditions(gwr_attach_state *st, size_t ri)
{
    gwr_view *v = st->v;
    const gwr_route *r = v->model->routes[ri];
    gwr_route_status *rs = &v->routes[ri];
    rs->route = r;
    rs->n_parents = r->n_parents;
    if (r->n_parents == 0)
        return GWR_OK;
    rs->parents = gwr_arena__calloc(&v->arena, r->n_parents,
                                    sizeof(*rs->parents));
    if (rs->parents == NULL)
        return GWR_E_NOMEM;

    refs_verdict rv;
    int rc = route_refs(v, r, &rv);
    size_t n_dropped = 0;
    const char *drop_reason = NULL;
    gwr_str drop_msg = { "", 0 };
    if (rc == GWR_OK)
        rc = dropped_rules(v, r, &n_dropped, &drop_reason, &drop_msg);
    gwr_str all_dropped_msg = { "", 0 };
    if (rc == GWR_OK && st->all_dropped[ri])
        rc = gwr_resolve__fmt(v, &all_dropped_msg,
                              "no rule is valid: %.*s", (int)drop_msg.len,
                              drop_msg.ptr);
    if (rc != GWR_OK)
        return rc;

    for (size_t pi = 0; pi < r->n_parents; pi++) {
        gwr_parent_status *ps = &rs->parents[pi];
        const gwr_pstate *pst = &st->pstates[st->pstate_base[ri] + pi];
        ps->ref = &r->parents[pi];
        ps->conds = gwr_arena__calloc(&v->arena, 3, sizeof(*ps->conds));
        if (ps->conds == NULL)
            return GWR_E_NOMEM;
        const char *reason = pst->reason;
        gwr_str msg = pst->message;
        if (pst->stage == GWR_STAGE_ATTACHED) {
            int ok = 0;
            rc = accepted_outcome(st, ri, pi, &ok, &msg);
            if (rc != GWR_OK)
                return rc;
            if (!ok) {
                /* Lost every listener to an HTTPRoute/GRPCRoute conflict
                 * (§2.3; the reason is ours, docs/DECISIONS.md). */
                reason = "NotAllowedByListeners";
            } else if (st->all_dropped[ri]) {
                reason = drop_reason;
                msg = all_dropped_msg;
            } else {
                reason = NULL;
            }
        }
        ps->accepted = reason == NULL;
        gwr_resolve__cond(ps->conds, &ps->n_conds, "Accepted",
                          reason == NULL ? GWR_COND_TRUE : GWR_COND_FALSE,
                          reason == NULL ? "Accepted" : reason, msg);
        /* Reported whatever Accepted says: conformance expects
         * ResolvedRefs on rejected routes too (§2.4). */
        gwr_resolve__cond(ps->conds, &ps->n_conds, "ResolvedRefs",
                          rv.reason == NULL ? GWR_COND_TRUE : GWR_COND_FALSE,
                          rv.reason == NULL ? "ResolvedRefs" : rv.reason,
                          rv.message);
        if (n_dropped > 0 && !st->all_dropped[ri])
            gwr_resolve__cond(ps->conds, &ps->n_conds, "PartiallyInvalid",
                              GWR_COND_TRUE, drop_reason, drop_msg);
    }
    return GWR_OK;
}
