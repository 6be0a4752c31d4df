/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Resolution (lib/resolve*.c): attachment, hostname intersection, status
 * conditions and backend resolution, on models built by hand so that the
 * loader is not involved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "gwr_private.h"
#include "resolve.h"

/* ---- model builder ------------------------------------------------------- */

#define CAP 32

typedef struct fixture {
    gwr_model m;
    void *blk[2048];
    size_t nb;
    gwr_gateway_class *classes[CAP];
    gwr_gateway *gws[CAP];
    gwr_route *routes[CAP];
    gwr_reference_grant *grants[CAP];
    gwr_service *svcs[CAP];
    gwr_endpoint_slice *slices[CAP];
    gwr_namespace *nss[CAP];
    gwr_backend_tls_policy *pols[CAP];
    gwr_ctx *ctx;
    gwr_diag_list diags;
    gwr_view *view;
} fixture;

static fixture *F;

static void *
al(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    assert_non_null(p);
    assert_true(F->nb < GWR_ARRAY_LEN(F->blk));
    F->blk[F->nb++] = p;
    return p;
}

static gwr_str
S(const char *s)
{
    return gwr_str__from_cstr(s);
}

static void
meta(gwr_meta *mt, uint32_t kind, const char *ns, const char *name)
{
    mt->kind = kind;
    mt->ns = S(ns);
    mt->name = S(name);
    mt->load_seq = F->m.next_seq++;
}

static int
setup(void **state)
{
    F = calloc(1, sizeof(*F));
    assert_non_null(F);
    F->m.classes = F->classes;
    F->m.gateways = F->gws;
    F->m.routes = F->routes;
    F->m.grants = F->grants;
    F->m.services = F->svcs;
    F->m.slices = F->slices;
    F->m.namespaces = F->nss;
    F->m.policies = F->pols;
    assert_int_equal(gwr_ctx_new(&F->ctx, NULL, NULL, NULL), GWR_OK);
    gwr_diag__list_init(&F->diags, F->ctx);
    *state = F;
    return 0;
}

static int
teardown(void **state)
{
    gwr_resolve__free(F->view);
    gwr_diag__list_free(&F->diags);
    gwr_ctx_free(F->ctx);
    for (size_t i = 0; i < F->nb; i++)
        free(F->blk[i]);
    free(F);
    F = NULL;
    return 0;
}

static gwr_gateway *
gateway(const char *ns, const char *name, size_t nl)
{
    gwr_gateway *g = al(sizeof(*g));
    meta(&g->meta, GWR_KIND_GATEWAY, ns, name);
    g->class_name = S("gwroute");
    g->listeners = al(nl * sizeof(*g->listeners));
    g->n_listeners = nl;
    F->gws[F->m.n_gateways++] = g;
    return g;
}

static gwr_listener *
listener(gwr_gateway *g, size_t i, const char *name, const char *proto,
         uint32_t port, const char *host)
{
    gwr_listener *l = &g->listeners[i];
    l->name = S(name);
    l->protocol = S(proto);
    l->port = port;
    l->hostname = S(host != NULL ? host : "");
    l->from = GWR_FROM_SAME;
    return l;
}

static void
kinds(gwr_listener *l, size_t n, const char *const *k)
{
    l->has_kinds = 1;
    l->kinds = al(n * sizeof(*l->kinds));
    l->n_kinds = n;
    for (size_t i = 0; i < n; i++) {
        l->kinds[i].group = S(GWR_GROUP_GATEWAY);
        l->kinds[i].kind = S(k[i]);
    }
}

static gwr_route *
route(uint32_t kind, const char *ns, const char *name, size_t np, size_t nr)
{
    gwr_route *r = al(sizeof(*r));
    meta(&r->meta, kind, ns, name);
    r->parents = al(np * sizeof(*r->parents));
    r->n_parents = np;
    r->rules = al(nr * sizeof(*r->rules));
    r->n_rules = nr;
    for (size_t i = 0; i < nr; i++)
        r->rules[i].backends = al(8 * sizeof(gwr_backend_ref));
    F->routes[F->m.n_routes++] = r;
    return r;
}

static gwr_parent_ref *
parent(gwr_route *r, size_t i, const char *ns, const char *name)
{
    gwr_parent_ref *p = &r->parents[i];
    p->group = S(GWR_GROUP_GATEWAY);
    p->kind = S("Gateway");
    p->ns = S(ns);
    p->name = S(name);
    return p;
}

static void
hostnames(gwr_route *r, size_t n, const char *const *h)
{
    r->hostnames.items = al(n * sizeof(gwr_str));
    r->hostnames.n = n;
    for (size_t i = 0; i < n; i++)
        r->hostnames.items[i] = S(h[i]);
}

static gwr_backend_ref *
backend(gwr_route *r, size_t rule, const char *ns, const char *name,
        uint32_t port)
{
    gwr_rule *ru = &r->rules[rule];
    gwr_backend_ref *b = &ru->backends[ru->n_backends++];
    b->group = S("");
    b->kind = S("Service");
    b->ns = S(ns);
    b->name = S(name);
    b->port = port;
    b->weight = 1;
    return b;
}

static gwr_service *
service(const char *ns, const char *name, uint32_t port, const char *pname,
        const char *app)
{
    gwr_service *s = al(sizeof(*s));
    meta(&s->meta, GWR_KIND_SERVICE, ns, name);
    s->type = S("ClusterIP");
    s->ports = al(4 * sizeof(*s->ports));
    s->n_ports = 1;
    s->ports[0].port = port;
    s->ports[0].name = S(pname != NULL ? pname : "");
    s->ports[0].protocol = S("TCP");
    s->ports[0].app_protocol = S(app != NULL ? app : "");
    F->svcs[F->m.n_services++] = s;
    return s;
}

static gwr_reference_grant *
grant(const char *ns, const char *fg, const char *fk, const char *fns,
      const char *tg, const char *tk, const char *tname)
{
    gwr_reference_grant *g = al(sizeof(*g));
    meta(&g->meta, GWR_KIND_REFERENCE_GRANT, ns, "grant");
    g->from = al(sizeof(*g->from));
    g->n_from = 1;
    g->from[0] = (gwr_grant_from){ S(fg), S(fk), S(fns) };
    g->to = al(sizeof(*g->to));
    g->n_to = 1;
    g->to[0] = (gwr_grant_to){ S(tg), S(tk), S(tname != NULL ? tname : "") };
    F->grants[F->m.n_grants++] = g;
    return g;
}

static gwr_namespace *
namespace_obj(const char *name, size_t n, const char *const *kv)
{
    gwr_namespace *ns = al(sizeof(*ns));
    meta(&ns->meta, GWR_KIND_NAMESPACE, "", name);
    ns->meta.labels.items = al((n + 1) * sizeof(gwr_kv));
    for (size_t i = 0; i < n; i++)
        ns->meta.labels.items[i] = (gwr_kv){ S(kv[2 * i]), S(kv[2 * i + 1]) };
    ns->meta.labels.items[n] =
        (gwr_kv){ S("kubernetes.io/metadata.name"), S(name) };
    ns->meta.labels.n = n + 1;
    F->nss[F->m.n_namespaces++] = ns;
    return ns;
}

static gwr_backend_tls_policy *
policy(const char *ns, const char *name, const char *svc, const char *section,
       int64_t created)
{
    gwr_backend_tls_policy *p = al(sizeof(*p));
    meta(&p->meta, GWR_KIND_BACKEND_TLS_POLICY, ns, name);
    p->meta.has_creation = created >= 0;
    p->meta.creation_ms = created;
    p->targets = al(sizeof(*p->targets));
    p->n_targets = 1;
    p->targets[0] = (gwr_policy_target){ S(""), S("Service"), S(svc),
                                          S(section != NULL ? section : "") };
    p->hostname = S("backend.example");
    p->well_known = S("System");
    F->pols[F->m.n_policies++] = p;
    return p;
}

/* ---- running and reading ------------------------------------------------- */

static void
run(void)
{
    gwr_resolve__free(F->view);
    F->view = NULL;
    gwr_diag__list_truncate(&F->diags, 0);
    assert_int_equal(gwr_resolve__run(F->ctx, &F->m, &F->diags, &F->view),
                     GWR_OK);
}

static const gwr_condition *
find_cond(const gwr_condition *c, size_t n, const char *type)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(c[i].type, type) == 0)
            return &c[i];
    }
    return NULL;
}

static const gwr_parent_status *
pstat(size_t route_idx, size_t parent_idx)
{
    const gwr_route_status *rs = gwr_resolve__route(F->view, route_idx);
    assert_non_null(rs);
    assert_true(parent_idx < rs->n_parents);
    return &rs->parents[parent_idx];
}

#define expect_cond(conds, n, type_, st_, reason_)                             \
    do {                                                                       \
        const gwr_condition *c_ = find_cond((conds), (n), (type_));            \
        if (c_ == NULL)                                                        \
            fail_msg("no %s condition", (type_));                              \
        if (c_->status != (st_) || strcmp(c_->reason, (reason_)) != 0)         \
            fail_msg("%s: got %u %s (%.*s), want %u %s", (type_),              \
                     (unsigned)c_->status, c_->reason, (int)c_->message.len,   \
                     c_->message.ptr, (unsigned)(st_), (reason_));             \
    } while (0)

#define expect_route(ri, pi, type_, st_, reason_)                              \
    expect_cond(pstat(ri, pi)->conds, pstat(ri, pi)->n_conds, type_, st_,      \
                reason_)

static const gwr_listener_status *
lstat(size_t gi, size_t li)
{
    const gwr_gateway_status *gs = gwr_resolve__gateway(F->view, gi);
    assert_non_null(gs);
    assert_true(li < gs->n_listeners);
    return &gs->listeners[li];
}

#define expect_listener(gi, li, type_, st_, reason_)                           \
    expect_cond(lstat(gi, li)->conds, lstat(gi, li)->n_conds, type_, st_,      \
                reason_)

static int
msg_has(const gwr_condition *c, const char *needle)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "%.*s", (int)c->message.len, c->message.ptr);
    return strstr(buf, needle) != NULL;
}

static const gwr_condition *
route_cond(size_t ri, size_t pi, const char *type)
{
    const gwr_parent_status *ps = pstat(ri, pi);
    const gwr_condition *c = find_cond(ps->conds, ps->n_conds, type);
    assert_non_null(c);
    return c;
}

/* The attachment of route r on listener li of gateway g, or NULL. */
static const gwr_attachment *
attachment(const gwr_gateway *g, const gwr_route *r, size_t li)
{
    const gwr_attachment *a = NULL;
    size_t n = gwr_resolve__attachments(F->view, g, &a);
    for (size_t i = 0; i < n; i++) {
        if (a[i].route == r && (g == NULL || a[i].listener_index == li))
            return &a[i];
    }
    return NULL;
}

static int
has_host(const gwr_attachment *a, const char *h)
{
    for (size_t i = 0; i < a->n_hostnames; i++) {
        if (gwr_str__eq_cstr(a->hostnames[i], h))
            return 1;
    }
    return 0;
}

/* A Gateway "infra/gw" with one HTTP listener "http" on port 80. */
static gwr_gateway *
simple_gateway(void)
{
    gwr_gateway *g = gateway("infra", "gw", 1);
    listener(g, 0, "http", "HTTP", 80, NULL);
    return g;
}

static gwr_route *
simple_route(const char *ns, const char *name)
{
    gwr_route *r = route(GWR_KIND_HTTP_ROUTE, ns, name, 1, 1);
    parent(r, 0, "infra", "gw");
    return r;
}

/* ---- attachment ---------------------------------------------------------- */

static void
test_resolve_accepted(void **state)
{
    gwr_gateway *g = simple_gateway();
    gwr_route *r = simple_route("infra", "r");
    backend(r, 0, "infra", "svc", 8080);
    run();
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(0, 0, "ResolvedRefs", GWR_COND_TRUE, "ResolvedRefs");
    assert_true(pstat(0, 0)->accepted);
    assert_int_equal(pstat(0, 0)->n_conds, 2);
    assert_int_equal(lstat(0, 0)->attached_routes, 1);
    expect_listener(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_listener(0, 0, "ResolvedRefs", GWR_COND_TRUE, "ResolvedRefs");
    expect_listener(0, 0, "Programmed", GWR_COND_TRUE, "Programmed");
    expect_listener(0, 0, "Conflicted", GWR_COND_FALSE, "NoConflicts");
    assert_int_equal(lstat(0, 0)->n_supported_kinds, 2);
    const gwr_gateway_status *gs = gwr_resolve__gateway(F->view, 0);
    assert_true(gs->ours);
    expect_cond(gs->conds, gs->n_conds, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_cond(gs->conds, gs->n_conds, "Programmed", GWR_COND_TRUE,
                "Programmed");
    const gwr_attachment *a = attachment(g, r, 0);
    assert_non_null(a);
    assert_true(a->match_all);
    assert_int_equal(a->n_hostnames, 0);
    assert_ptr_equal(a->gateway, g);
    assert_ptr_equal(a->listener, &g->listeners[0]);
    /* Nothing for the implicit listener when a Gateway exists. */
    const gwr_attachment *imp;
    assert_int_equal(gwr_resolve__attachments(F->view, NULL, &imp), 0);
}

static void
test_resolve_not_allowed_namespace(void **state)
{
    gwr_gateway *g = simple_gateway();
    gwr_route *r = simple_route("web", "r");
    backend(r, 0, "web", "svc", 8080);
    run();
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");
    /* Rejected routes still report ResolvedRefs (§2.4). */
    expect_route(0, 0, "ResolvedRefs", GWR_COND_TRUE, "ResolvedRefs");
    assert_true(msg_has(route_cond(0, 0, "Accepted"), "namespace web"));
    assert_int_equal(lstat(0, 0)->attached_routes, 0);
    assert_null(attachment(g, r, 0));
    /* All lets it in. */
    g->listeners[0].from = GWR_FROM_ALL;
    run();
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
}

static void
test_resolve_disallowed_kind_tls_listener(void **state)
{
    /* HTTPRouteDisallowedKind: a TLS listener allowing only TLSRoute. */
    gwr_gateway *g = gateway("infra", "tlsroutes-only", 1);
    gwr_listener *l = listener(g, 0, "tls", "TLS", 443, NULL);
    l->has_tls = 1;
    l->tls_mode = S("Passthrough");
    static const char *const k[] = { "TLSRoute" };
    kinds(l, 1, k);
    gwr_route *r = route(GWR_KIND_HTTP_ROUTE, "infra", "disallowed-kind", 1, 1);
    parent(r, 0, "infra", "tlsroutes-only");
    run();
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");
    expect_listener(0, 0, "Accepted", GWR_COND_FALSE, "UnsupportedProtocol");
    expect_listener(0, 0, "ResolvedRefs", GWR_COND_FALSE, "InvalidRouteKinds");
    expect_listener(0, 0, "Programmed", GWR_COND_FALSE, "Invalid");
    assert_int_equal(lstat(0, 0)->n_supported_kinds, 0);
    const gwr_gateway_status *gs = gwr_resolve__gateway(F->view, 0);
    expect_cond(gs->conds, gs->n_conds, "Accepted", GWR_COND_FALSE,
                "ListenersNotValid");
    expect_cond(gs->conds, gs->n_conds, "Programmed", GWR_COND_FALSE,
                "Invalid");
}

static void
test_resolve_invalid_route_kinds(void **state)
{
    gwr_gateway *g = simple_gateway();
    static const char *const k[] = { "HTTPRoute", "FooRoute", "HTTPRoute" };
    kinds(&g->listeners[0], 3, k);
    gwr_route *h = simple_route("infra", "h");
    gwr_route *gr = route(GWR_KIND_GRPC_ROUTE, "infra", "g", 1, 1);
    parent(gr, 0, "infra", "gw");
    run();
    const gwr_listener_status *ls = lstat(0, 0);
    assert_int_equal(ls->n_supported_kinds, 1);
    assert_true(gwr_str__eq_cstr(ls->supported_kinds[0].kind, "HTTPRoute"));
    assert_true(gwr_str__eq_cstr(ls->supported_kinds[0].group,
                                 GWR_GROUP_GATEWAY));
    expect_listener(0, 0, "ResolvedRefs", GWR_COND_FALSE, "InvalidRouteKinds");
    expect_listener(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_listener(0, 0, "Programmed", GWR_COND_TRUE, "Programmed");
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(1, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");
    assert_true(msg_has(route_cond(1, 0, "Accepted"), "kind GRPCRoute"));
    assert_int_equal(ls->attached_routes, 1);
    assert_non_null(attachment(g, h, 0));
    assert_null(attachment(g, gr, 0));
    /* A group other than gateway.networking.k8s.io is invalid too. */
    g->listeners[0].kinds[0].group = S("example.com");
    run();
    assert_int_equal(lstat(0, 0)->n_supported_kinds, 1);
    expect_listener(0, 0, "ResolvedRefs", GWR_COND_FALSE, "InvalidRouteKinds");
    /* Only invalid kinds: nothing can attach, the listener is not
     * programmed. */
    g->listeners[0].n_kinds = 2;
    run();
    assert_int_equal(lstat(0, 0)->n_supported_kinds, 0);
    expect_listener(0, 0, "Programmed", GWR_COND_FALSE, "Invalid");
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");
}

static void
test_resolve_no_matching_parent(void **state)
{
    gwr_gateway *g = gateway("infra", "gw", 2);
    listener(g, 0, "http", "HTTP", 80, NULL);
    listener(g, 1, "http-8080", "HTTP", 8080, NULL);
    gwr_route *missing = route(GWR_KIND_HTTP_ROUTE, "infra", "missing", 1, 1);
    parent(missing, 0, "infra", "nope");
    gwr_route *sect = route(GWR_KIND_HTTP_ROUTE, "infra", "sect", 1, 1);
    parent(sect, 0, "infra", "gw")->section_name = S("http1");
    gwr_route *port = route(GWR_KIND_HTTP_ROUTE, "infra", "port", 1, 1);
    parent(port, 0, "infra", "gw")->port = 81;
    gwr_route *both = route(GWR_KIND_HTTP_ROUTE, "infra", "both", 1, 1);
    gwr_parent_ref *p = parent(both, 0, "infra", "gw");
    p->section_name = S("http");
    p->port = 8080;
    gwr_route *svc = route(GWR_KIND_HTTP_ROUTE, "infra", "mesh", 1, 1);
    p = parent(svc, 0, "infra", "gw");
    p->group = S("");
    p->kind = S("Service");
    gwr_route *ok = route(GWR_KIND_HTTP_ROUTE, "infra", "ok", 1, 1);
    p = parent(ok, 0, "infra", "gw");
    p->section_name = S("http-8080");
    p->port = 8080;
    run();
    for (size_t i = 0; i < 5; i++) {
        expect_route(i, 0, "Accepted", GWR_COND_FALSE, "NoMatchingParent");
        expect_route(i, 0, "ResolvedRefs", GWR_COND_TRUE, "ResolvedRefs");
    }
    assert_true(msg_has(route_cond(0, 0, "Accepted"), "not found"));
    assert_true(msg_has(route_cond(1, 0, "Accepted"), "http1"));
    assert_true(msg_has(route_cond(2, 0, "Accepted"), "port 81"));
    assert_true(msg_has(route_cond(4, 0, "Accepted"), "only Gateways"));
    expect_route(5, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    assert_int_equal(lstat(0, 0)->attached_routes, 0);
    assert_int_equal(lstat(0, 1)->attached_routes, 1);
}

static void
test_resolve_other_controller(void **state)
{
    gwr_gateway_class *c = al(sizeof(*c));
    meta(&c->meta, GWR_KIND_GATEWAY_CLASS, "", "gwroute");
    c->controller_name = S("example.com/other");
    F->classes[F->m.n_classes++] = c;
    simple_gateway();
    simple_route("infra", "r");
    run();
    const gwr_gateway_status *gs = gwr_resolve__gateway(F->view, 0);
    assert_false(gs->ours);
    assert_int_equal(gs->n_conds, 0);
    assert_int_equal(gs->n_listeners, 0);
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NoMatchingParent");
    assert_true(msg_has(route_cond(0, 0, "Accepted"), "another controller"));
    /* Our controller name makes it ours again. */
    c->controller_name = S("gwroute.dev/libgwroute");
    run();
    assert_true(gwr_resolve__gateway(F->view, 0)->ours);
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
}

/* ---- hostnames ----------------------------------------------------------- */

static void
test_resolve_hostname_intersection_conformance(void **state)
{
    gwr_gateway *g = gateway("infra", "httproute-hostname-intersection", 3);
    listener(g, 0, "listener-1", "HTTP", 80, "very.specific.com");
    listener(g, 1, "listener-2", "HTTP", 80, "*.wildcard.io");
    listener(g, 2, "listener-3", "HTTP", 80, "*.anotherwildcard.io");
    const char *gwn = "httproute-hostname-intersection";
    static const char *const h1[] = { "non.matching.com",
                                      "*.nonmatchingwildcard.io",
                                      "very.specific.com" };
    static const char *const h2[] = { "non.matching.com", "wildcard.io",
                                      "foo.wildcard.io", "bar.wildcard.io",
                                      "foo.bar.wildcard.io" };
    static const char *const h3[] = { "non.matching.com", "*.specific.com" };
    static const char *const h4[] = { "*.anotherwildcard.io" };
    static const char *const h5[] = { "specific.but.wrong.com",
                                      "wildcard.io" };
    const char *const *hs[] = { h1, h2, h3, h4, h5 };
    size_t nh[] = { 3, 5, 2, 1, 2 };
    gwr_route *r[5];
    for (size_t i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "r%zu", i + 1);
        r[i] = route(GWR_KIND_HTTP_ROUTE, "infra", strdup(name), 1, 1);
        F->blk[F->nb++] = (void *)r[i]->meta.name.ptr;
        parent(r[i], 0, "infra", gwn);
        hostnames(r[i], nh[i], hs[i]);
    }
    run();
    for (size_t i = 0; i < 4; i++)
        expect_route(i, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(4, 0, "Accepted", GWR_COND_FALSE,
                 "NoMatchingListenerHostname");
    /* The >= v1.5 counting: 2 / 1 / 1, not 5 each. */
    assert_int_equal(lstat(0, 0)->attached_routes, 2);
    assert_int_equal(lstat(0, 1)->attached_routes, 1);
    assert_int_equal(lstat(0, 2)->attached_routes, 1);
    const gwr_attachment *a = attachment(g, r[0], 0);
    assert_non_null(a);
    assert_int_equal(a->n_hostnames, 1);
    assert_true(has_host(a, "very.specific.com"));
    a = attachment(g, r[1], 1);
    assert_int_equal(a->n_hostnames, 3);
    assert_true(has_host(a, "foo.bar.wildcard.io"));
    assert_false(has_host(a, "wildcard.io"));
    /* Route *.specific.com on listener very.specific.com narrows to the
     * listener's name only. */
    a = attachment(g, r[2], 0);
    assert_int_equal(a->n_hostnames, 1);
    assert_true(has_host(a, "very.specific.com"));
    a = attachment(g, r[3], 2);
    assert_true(has_host(a, "*.anotherwildcard.io"));
    assert_null(attachment(g, r[4], 0));
    /* Attachments come ordered by listener. */
    const gwr_attachment *all;
    size_t n = gwr_resolve__attachments(F->view, g, &all);
    assert_int_equal(n, 4);
    for (size_t i = 1; i < n; i++)
        assert_true(all[i - 1].listener_index <= all[i].listener_index);
}

static void
test_resolve_hostname_table(void **state)
{
    /* §2.2 rows: listener x route -> effective. */
    static const struct {
        const char *l, *r, *want;   /* want NULL: no intersection */
    } cases[] = {
        { "*.foo.example.com", "*.example.com", "*.foo.example.com" },
        { "abc.foo.example.com", "*.example.com", "abc.foo.example.com" },
        { "*.com", "*.example.com", "*.example.com" },
        { "*.example.com", "a.b.example.com", "a.b.example.com" },
        { "*.example.com", "example.com", NULL },
        { "*.wildcard.io", "wildcard.io", NULL },
        { "", "foo.com", "foo.com" },
        { "foo.com", "foo.com", "foo.com" },
        { "*.a.com", "*.b.com", NULL },
    };
    gwr_gateway *g = gateway("infra", "gw", GWR_ARRAY_LEN(cases));
    for (size_t i = 0; i < GWR_ARRAY_LEN(cases); i++) {
        char *name = al(16);
        snprintf(name, 16, "l%zu", i);
        listener(g, i, name, "HTTP", 80, cases[i].l);
        gwr_route *r = route(GWR_KIND_HTTP_ROUTE, "infra", name, 1, 1);
        parent(r, 0, "infra", "gw")->section_name = S(name);
        hostnames(r, 1, &cases[i].r);
    }
    /* A route without hostnames on a hostname listener gets the
     * listener's hostname; on a bare listener, everything. */
    gwr_route *bare = route(GWR_KIND_HTTP_ROUTE, "infra", "bare", 1, 1);
    parent(bare, 0, "infra", "gw");
    run();
    for (size_t i = 0; i < GWR_ARRAY_LEN(cases); i++) {
        const gwr_attachment *a = attachment(g, F->routes[i], i);
        if (cases[i].want == NULL) {
            assert_null(a);
            expect_route(i, 0, "Accepted", GWR_COND_FALSE,
                         "NoMatchingListenerHostname");
            continue;
        }
        assert_non_null(a);
        assert_int_equal(a->n_hostnames, 1);
        if (!has_host(a, cases[i].want))
            fail_msg("case %zu: want %s", i, cases[i].want);
    }
    const gwr_attachment *a = attachment(g, bare, 0);
    assert_int_equal(a->n_hostnames, 1);
    assert_true(has_host(a, "*.foo.example.com"));
    assert_false(a->match_all);
    a = attachment(g, bare, 6);
    assert_true(a->match_all);
}

static void
test_resolve_reason_ranking(void **state)
{
    /* Listener a refuses the namespace, listener b has the wrong
     * hostname: the furthest stage (hostname) is reported. */
    gwr_gateway *g = gateway("infra", "gw", 2);
    listener(g, 0, "a", "HTTP", 80, NULL);
    listener(g, 1, "b", "HTTP", 80, "b.example.com")->from = GWR_FROM_ALL;
    gwr_route *r = simple_route("web", "r");
    static const char *const h[] = { "c.example.com" };
    hostnames(r, 1, h);
    run();
    expect_route(0, 0, "Accepted", GWR_COND_FALSE,
                 "NoMatchingListenerHostname");
    assert_true(msg_has(route_cond(0, 0, "Accepted"), "listener b"));
    /* Partial acceptance is success: one listener is enough. */
    g->listeners[1].hostname = S("c.example.com");
    run();
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    assert_int_equal(lstat(0, 0)->attached_routes, 0);
    assert_int_equal(lstat(0, 1)->attached_routes, 1);
}

/* ---- namespace selectors ------------------------------------------------- */

static void
test_resolve_selectors(void **state)
{
    gwr_gateway *g = simple_gateway();
    gwr_listener *l = &g->listeners[0];
    l->from = GWR_FROM_SELECTOR;
    l->has_selector = 1;
    gwr_kv ml = { S("gateway-conformance"), S("backend") };
    l->selector.match_labels.items = &ml;
    l->selector.match_labels.n = 1;
    static const char *const lab[] = { "gateway-conformance", "backend",
                                       "tier", "gold" };
    namespace_obj("web", 2, lab);
    namespace_obj("other", 0, NULL);
    simple_route("web", "in");
    simple_route("other", "out");
    simple_route("unlisted", "unlisted");
    run();
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(1, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");
    expect_route(2, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");

    /* matchExpressions, ANDed with matchLabels. */
    gwr_str in_vals[] = { S("gold"), S("silver") };
    gwr_label_expr ex[4] = {
        { S("tier"), S("In"), { in_vals, 2 } },
        { S("tier"), S("NotIn"), { in_vals + 1, 1 } },
        { S("gateway-conformance"), S("Exists"), { NULL, 0 } },
        { S("missing"), S("DoesNotExist"), { NULL, 0 } },
    };
    l->selector.exprs = ex;
    l->selector.n_exprs = 4;
    run();
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    ex[3].key = S("tier");
    run();
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");
    ex[3].key = S("missing");
    ex[1].values.items = in_vals;   /* NotIn gold: fails */
    run();
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");

    /* Without a Namespace object, kubernetes.io/metadata.name is known. */
    l->selector.n_exprs = 0;
    gwr_kv by_name = { S("kubernetes.io/metadata.name"), S("unlisted") };
    l->selector.match_labels.items = &by_name;
    run();
    expect_route(2, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");

    /* An empty selector selects every namespace. */
    l->selector.match_labels.n = 0;
    run();
    for (size_t i = 0; i < 3; i++)
        expect_route(i, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    assert_int_equal(F->diags.n, 0);

    /* from: Selector without a selector admits nothing (the loader
     * warns about it). */
    l->has_selector = 0;
    run();
    for (size_t i = 0; i < 3; i++)
        expect_route(i, 0, "Accepted", GWR_COND_FALSE,
                     "NotAllowedByListeners");
}

/* ---- HTTPRoute vs GRPCRoute ---------------------------------------------- */

static void
test_resolve_http_grpc_conflict(void **state)
{
    gwr_gateway *g = simple_gateway();
    gwr_route *h = simple_route("infra", "http");
    h->meta.has_creation = 1;
    h->meta.creation_ms = 2000;
    gwr_route *gr = route(GWR_KIND_GRPC_ROUTE, "infra", "grpc", 1, 1);
    parent(gr, 0, "infra", "gw");
    gr->meta.has_creation = 1;
    gr->meta.creation_ms = 1000;
    run();
    /* The GRPCRoute is older and wins. */
    expect_route(1, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");
    assert_true(msg_has(route_cond(0, 0, "Accepted"), "GRPCRoute infra/grpc"));
    assert_int_equal(lstat(0, 0)->attached_routes, 1);
    assert_null(attachment(g, h, 0));
    assert_non_null(attachment(g, gr, 0));

    /* Same timestamp: "{namespace}/{name}" decides (grpc < http). */
    h->meta.creation_ms = 1000;
    run();
    expect_route(1, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");
    /* A route without a timestamp is newer than one with it. */
    gr->meta.has_creation = 0;
    run();
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(1, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");

    /* Disjoint hostnames: both are accepted. */
    static const char *const ha[] = { "a.example.com" };
    static const char *const hb[] = { "b.example.com" };
    hostnames(h, 1, ha);
    hostnames(gr, 1, hb);
    run();
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(1, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    assert_int_equal(lstat(0, 0)->attached_routes, 2);
    /* Overlap through a wildcard. */
    static const char *const hw[] = { "*.example.com" };
    hostnames(gr, 1, hw);
    run();
    expect_route(1, 0, "Accepted", GWR_COND_FALSE, "NotAllowedByListeners");

    /* Two HTTPRoutes never conflict. */
    gwr_route *h2 = simple_route("infra", "http2");
    hostnames(h2, 1, ha);
    run();
    expect_route(2, 0, "Accepted", GWR_COND_TRUE, "Accepted");
}

/* ---- rules --------------------------------------------------------------- */

static void
test_resolve_dropped_rules(void **state)
{
    simple_gateway();
    gwr_route *r = route(GWR_KIND_HTTP_ROUTE, "infra", "r", 1, 2);
    parent(r, 0, "infra", "gw");
    r->rules[1].invalid = 1;
    r->rules[1].invalid_reason = "UnsupportedValue";
    r->rules[1].invalid_message = S("regex does not compile");
    /* References of a dropped rule do not count. */
    backend(r, 1, "infra", "svc", 0);
    run();
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(0, 0, "PartiallyInvalid", GWR_COND_TRUE, "UnsupportedValue");
    expect_route(0, 0, "ResolvedRefs", GWR_COND_TRUE, "ResolvedRefs");
    const gwr_condition *c = route_cond(0, 0, "PartiallyInvalid");
    assert_true(c->message.len > 12);
    assert_memory_equal(c->message.ptr, "Dropped Rule", 12);
    assert_true(msg_has(c, "regex does not compile"));
    assert_int_equal(lstat(0, 0)->attached_routes, 1);

    r->rules[0].invalid = 1;
    run();
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "UnsupportedValue");
    assert_null(find_cond(pstat(0, 0)->conds, pstat(0, 0)->n_conds,
                          "PartiallyInvalid"));
    assert_int_equal(lstat(0, 0)->attached_routes, 0);
    assert_false(pstat(0, 0)->accepted);
}

/* ---- backends ------------------------------------------------------------ */

static const gwr_backend_res *
res_of(const gwr_backend_ref *b)
{
    const gwr_backend_res *res = gwr_resolve__backend(F->view, b);
    assert_non_null(res);
    assert_ptr_equal(res->ref, b);
    return res;
}

static void
test_resolve_backend_reasons(void **state)
{
    simple_gateway();
    service("infra", "svc", 8080, "http", NULL);
    gwr_service *ext = service("infra", "ext", 80, NULL, NULL);
    ext->type = S("ExternalName");
    gwr_route *r = simple_route("infra", "r");
    gwr_backend_ref *ok = backend(r, 0, "infra", "svc", 8080);
    gwr_backend_ref *kind = backend(r, 0, "infra", "svc", 8080);
    kind->group = S("example.com");
    kind->kind = S("Bucket");
    gwr_backend_ref *missing = backend(r, 0, "infra", "nope", 8080);
    gwr_backend_ref *port = backend(r, 0, "infra", "svc", 9090);
    gwr_backend_ref *xname = backend(r, 0, "infra", "ext", 80);
    gwr_backend_ref *xns = backend(r, 0, "other", "svc", 8080);
    run();
    assert_true(res_of(ok)->valid);
    assert_null(res_of(ok)->reason);
    assert_ptr_equal(res_of(ok)->service, F->svcs[0]);
    assert_ptr_equal(res_of(ok)->port, &F->svcs[0]->ports[0]);
    assert_int_equal(res_of(ok)->proto, GWR_BPROTO_HTTP);
    assert_string_equal(res_of(kind)->reason, "InvalidKind");
    assert_string_equal(res_of(missing)->reason, "BackendNotFound");
    assert_string_equal(res_of(port)->reason, "BackendNotFound");
    assert_true(strstr(res_of(port)->message.ptr, "port 9090") != NULL);
    assert_string_equal(res_of(xname)->reason, "InvalidKind");
    assert_true(strstr(res_of(xname)->message.ptr, "ExternalName") != NULL);
    assert_string_equal(res_of(xns)->reason, "RefNotPermitted");
    for (size_t i = 1; i < 6; i++)
        assert_false(res_of(&r->rules[0].backends[i])->valid);
    /* The first failing reference gives the reason; all are listed; the
     * route stays Accepted. */
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(0, 0, "ResolvedRefs", GWR_COND_FALSE, "InvalidKind");
    const gwr_condition *c = route_cond(0, 0, "ResolvedRefs");
    assert_true(msg_has(c, "spec.rules[0].backendRefs[1]"));
    assert_true(msg_has(c, "spec.rules[0].backendRefs[5]"));
    assert_true(msg_has(c, "not found"));
    assert_int_equal(lstat(0, 0)->attached_routes, 1);
}

static void
test_resolve_reference_grants(void **state)
{
    /* HTTPRouteInvalidReferenceGrant: every near miss must not permit. */
    simple_gateway();
    service("web", "web-backend", 8080, NULL, NULL);
    gwr_route *r = simple_route("infra", "reference-grant");
    gwr_backend_ref *b = backend(r, 0, "web", "web-backend", 8080);
    const char *G = GWR_GROUP_GATEWAY;
    grant("infra", G, "HTTPRoute", "infra", "", "Service", "web-backend");
    grant("web", "not-the-group", "HTTPRoute", "infra", "", "Service",
          "web-backend");
    grant("web", G, "Gateway", "infra", "", "Service", "web-backend");
    grant("web", G, "HTTPRoute", "not-the-namespace", "", "Service",
          "web-backend");
    grant("web", G, "HTTPRoute", "infra", "not-the-group", "Service",
          "web-backend");
    grant("web", G, "HTTPRoute", "infra", "", "Secret", "web-backend");
    grant("web", G, "HTTPRoute", "infra", "", "Secret", "not-the-service");
    grant("web", G, "HTTPRoute", "infra", "", "Service", "other-service");
    grant("web", G, "GRPCRoute", "infra", "", "Service", NULL);
    run();
    assert_string_equal(res_of(b)->reason, "RefNotPermitted");
    expect_route(0, 0, "ResolvedRefs", GWR_COND_FALSE, "RefNotPermitted");
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    /* The grant is checked before existence: a missing Service in
     * another namespace is still RefNotPermitted. */
    b->name = S("does-not-exist");
    run();
    assert_string_equal(res_of(b)->reason, "RefNotPermitted");
    /* A matching grant with a name, then one without a name. */
    b->name = S("web-backend");
    gwr_reference_grant *good =
        grant("web", G, "HTTPRoute", "infra", "", "Service", "web-backend");
    run();
    assert_true(res_of(b)->valid);
    expect_route(0, 0, "ResolvedRefs", GWR_COND_TRUE, "ResolvedRefs");
    good->to[0].name = S("");
    run();
    assert_true(res_of(b)->valid);
    /* The same grant now lets a missing Service through to existence. */
    b->name = S("does-not-exist");
    run();
    assert_string_equal(res_of(b)->reason, "BackendNotFound");
}

static void
test_resolve_app_protocol(void **state)
{
    simple_gateway();
    gwr_service *s = service("infra", "svc", 8080, "plain", NULL);
    s->n_ports = 4;
    s->ports[1] = (gwr_service_port){ S("h2c"), 8081, S("TCP"),
                                      S("kubernetes.io/h2c"), S("") };
    s->ports[2] = (gwr_service_port){ S("ws"), 8082, S("TCP"),
                                      S("kubernetes.io/ws"), S("") };
    s->ports[3] = (gwr_service_port){ S("wss"), 8443, S("TCP"),
                                      S("kubernetes.io/wss"), S("") };
    gwr_route *h = simple_route("infra", "h");
    gwr_backend_ref *hp = backend(h, 0, "infra", "svc", 8080);
    gwr_backend_ref *hh = backend(h, 0, "infra", "svc", 8081);
    gwr_backend_ref *hw = backend(h, 0, "infra", "svc", 8082);
    gwr_backend_ref *hs = backend(h, 0, "infra", "svc", 8443);
    gwr_route *g = route(GWR_KIND_GRPC_ROUTE, "infra", "g", 1, 1);
    parent(g, 0, "infra", "gw");
    hostnames(g, 1, (const char *const[]){ "grpc.example.com" });
    hostnames(h, 1, (const char *const[]){ "http.example.com" });
    gwr_backend_ref *gp = backend(g, 0, "infra", "svc", 8080);
    gwr_backend_ref *gh = backend(g, 0, "infra", "svc", 8081);
    gwr_backend_ref *gw = backend(g, 0, "infra", "svc", 8082);
    run();
    assert_int_equal(res_of(hp)->proto, GWR_BPROTO_HTTP);
    assert_int_equal(res_of(hh)->proto, GWR_BPROTO_H2C);
    assert_int_equal(res_of(hw)->proto, GWR_BPROTO_WS);
    assert_true(res_of(hw)->valid);
    /* wss needs a BackendTLSPolicy. */
    assert_string_equal(res_of(hs)->reason, "UnsupportedProtocol");
    /* GRPCRoute defaults to h2c; WebSocket is incompatible. */
    assert_int_equal(res_of(gp)->proto, GWR_BPROTO_H2C);
    assert_true(res_of(gp)->valid);
    assert_int_equal(res_of(gh)->proto, GWR_BPROTO_H2C);
    assert_string_equal(res_of(gw)->reason, "UnsupportedProtocol");
    expect_route(1, 0, "ResolvedRefs", GWR_COND_FALSE, "UnsupportedProtocol");
    expect_route(1, 0, "Accepted", GWR_COND_TRUE, "Accepted");

    policy("infra", "p", "svc", "wss", -1);
    s->ports[0].app_protocol = S("example.com/custom");
    s->ports[1].protocol = S("UDP");
    run();
    assert_true(res_of(hs)->valid);
    assert_int_equal(res_of(hs)->proto, GWR_BPROTO_WSS);
    assert_string_equal(res_of(hp)->reason, "UnsupportedProtocol");
    assert_string_equal(res_of(hh)->reason, "UnsupportedProtocol");
}

static void
test_resolve_no_services_mode(void **state)
{
    simple_gateway();
    gwr_route *h = simple_route("infra", "h");
    gwr_backend_ref *hb = backend(h, 0, "infra", "anything", 8080);
    gwr_backend_ref *xns = backend(h, 0, "web", "anything", 8080);
    gwr_backend_ref *kind = backend(h, 0, "infra", "b", 8080);
    kind->group = S("example.com");
    gwr_route *g = route(GWR_KIND_GRPC_ROUTE, "infra", "g", 1, 1);
    parent(g, 0, "infra", "gw");
    hostnames(g, 1, (const char *const[]){ "grpc.example.com" });
    hostnames(h, 1, (const char *const[]){ "http.example.com" });
    gwr_backend_ref *gb = backend(g, 0, "infra", "anything", 9000);
    gwr_backend_tls_policy *p = policy("infra", "p", "anything", NULL, -1);
    policy("infra", "p-port", "anything", "https", -1);
    run();
    assert_true(res_of(hb)->valid);
    assert_null(res_of(hb)->service);
    assert_null(res_of(hb)->port);
    assert_int_equal(res_of(hb)->proto, GWR_BPROTO_HTTP);
    /* Only whole-Service policies apply: port names are unknown. */
    assert_ptr_equal(res_of(hb)->tls, p);
    assert_int_equal(res_of(gb)->proto, GWR_BPROTO_H2C);
    assert_true(res_of(gb)->valid);
    /* Grants and kinds are still checked. */
    assert_string_equal(res_of(xns)->reason, "RefNotPermitted");
    assert_string_equal(res_of(kind)->reason, "InvalidKind");
}

static void
test_resolve_mirrors_and_extension_refs(void **state)
{
    simple_gateway();
    service("infra", "svc", 8080, NULL, NULL);
    gwr_route *r = simple_route("infra", "r");
    gwr_filter *f = al(2 * sizeof(*f));
    f[0].type = GWR_FILTER_MIRROR;
    f[0].mirror.backend = (gwr_backend_ref){ .group = S(""),
                                             .kind = S("Service"),
                                             .ns = S("infra"),
                                             .name = S("gone"), .port = 80 };
    f[0].mirror.num = f[0].mirror.den = 100;
    f[1].type = GWR_FILTER_MIRROR;
    f[1].mirror.backend = (gwr_backend_ref){ .group = S(""),
                                             .kind = S("Service"),
                                             .ns = S("infra"),
                                             .name = S("svc"), .port = 8080 };
    r->rules[0].filters = f;
    r->rules[0].n_filters = 2;
    gwr_backend_ref *b = backend(r, 0, "infra", "svc", 8080);
    gwr_filter *bf = al(sizeof(*bf));
    bf->type = GWR_FILTER_EXTENSION_REF;
    bf->ext = (gwr_local_ref){ .group = S("example.com"), .kind = S("Thing"),
                               .name = S("t") };
    b->filters = bf;
    b->n_filters = 1;
    run();
    assert_false(res_of(&f[0].mirror.backend)->valid);
    assert_true(res_of(&f[1].mirror.backend)->valid);
    assert_true(res_of(b)->valid);
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(0, 0, "ResolvedRefs", GWR_COND_FALSE, "BackendNotFound");
    const gwr_condition *c = route_cond(0, 0, "ResolvedRefs");
    assert_true(
        msg_has(c, "spec.rules[0].filters[0].requestMirror.backendRef"));
    assert_true(msg_has(c, "spec.rules[0].backendRefs[0].filters[0]."
                           "extensionRef"));
    /* Only the extension ref left. */
    f[0].mirror.backend.name = S("svc");
    f[0].mirror.backend.port = 8080;
    run();
    expect_route(0, 0, "ResolvedRefs", GWR_COND_FALSE, "InvalidKind");
}

static void
test_resolve_backend_tls_policy(void **state)
{
    simple_gateway();
    gwr_service *s = service("infra", "svc", 443, "https", NULL);
    s->n_ports = 2;
    s->ports[1] = (gwr_service_port){ S("other"), 8443, S("TCP"), S(""),
                                      S("") };
    gwr_route *r = simple_route("infra", "r");
    gwr_backend_ref *b443 = backend(r, 0, "infra", "svc", 443);
    gwr_backend_ref *b8443 = backend(r, 0, "infra", "svc", 8443);
    run();
    assert_null(res_of(b443)->tls);
    gwr_backend_tls_policy *whole_new = policy("infra", "a-whole", "svc", NULL,
                                               5000);
    gwr_backend_tls_policy *whole_old = policy("infra", "z-whole", "svc", NULL,
                                               1000);
    policy("other", "elsewhere", "svc", NULL, 10);
    run();
    /* Oldest whole-Service policy wins on both ports. */
    assert_ptr_equal(res_of(b443)->tls, whole_old);
    assert_ptr_equal(res_of(b8443)->tls, whole_old);
    /* A port-specific policy beats a whole-Service one, even if newer. */
    gwr_backend_tls_policy *port = policy("infra", "port", "svc", "https",
                                          9000);
    policy("infra", "wrong-port", "svc", "nope", 1);
    run();
    assert_ptr_equal(res_of(b443)->tls, port);
    assert_ptr_equal(res_of(b8443)->tls, whole_old);
    /* The shadowed policies are reported: z-whole shadows a-whole. */
    assert_int_equal(F->diags.n, 1);
    assert_true(gwr_str__eq_cstr(F->diags.items[0]->name, "a-whole"));
    assert_int_equal(F->diags.items[0]->severity, GWR_DIAG_WARNING);
    /* Equal timestamps: namespace/name order. */
    whole_old->meta.creation_ms = 5000;
    gwr_diag__list_truncate(&F->diags, 0);
    run();
    assert_ptr_equal(res_of(b8443)->tls, whole_new);
    assert_int_equal(F->diags.n, 1);
    assert_true(gwr_str__eq_cstr(F->diags.items[0]->name, "z-whole"));
}

static void
test_resolve_endpoint_slices(void **state)
{
    simple_gateway();
    service("infra", "svc", 80, NULL, NULL);
    service("infra", "lonely", 80, NULL, NULL);
    gwr_endpoint_slice *sl[3];
    const char *owner[] = { "svc", "svc", "lonely" };
    const char *ns[] = { "infra", "infra", "other" };
    for (size_t i = 0; i < 3; i++) {
        sl[i] = al(sizeof(*sl[i]));
        meta(&sl[i]->meta, GWR_KIND_ENDPOINT_SLICE, ns[i], owner[i]);
        sl[i]->service_name = S(owner[i]);
        F->slices[F->m.n_slices++] = sl[i];
    }
    gwr_route *r = simple_route("infra", "r");
    gwr_backend_ref *a = backend(r, 0, "infra", "svc", 80);
    gwr_backend_ref *b = backend(r, 0, "infra", "lonely", 80);
    run();
    assert_int_equal(res_of(a)->n_slices, 2);
    assert_ptr_equal(res_of(a)->slices[0], sl[0]);
    assert_ptr_equal(res_of(a)->slices[1], sl[1]);
    assert_int_equal(res_of(b)->n_slices, 0);
}

/* ---- listeners: certificates --------------------------------------------- */

static void
test_resolve_certificate_refs(void **state)
{
    gwr_gateway *g = gateway("infra", "gw", 2);
    gwr_listener *l = listener(g, 0, "https", "HTTPS", 443, NULL);
    listener(g, 1, "bare", "HTTPS", 8443, NULL);
    l->has_tls = 1;
    l->tls_mode = S("Terminate");
    gwr_secret_ref cert = { S(""), S("Secret"), S("certs"), 1, S("cert"),
                            { { NULL, 0 }, 0, 0 } };
    l->cert_refs = &cert;
    l->n_cert_refs = 1;
    simple_route("infra", "r");
    run();
    expect_listener(0, 0, "ResolvedRefs", GWR_COND_FALSE, "RefNotPermitted");
    expect_listener(0, 0, "Programmed", GWR_COND_FALSE, "Invalid");
    expect_listener(0, 1, "ResolvedRefs", GWR_COND_FALSE,
                    "InvalidCertificateRef");
    grant("certs", GWR_GROUP_GATEWAY, "Gateway", "infra", "", "Secret", NULL);
    run();
    expect_listener(0, 0, "ResolvedRefs", GWR_COND_TRUE, "ResolvedRefs");
    expect_listener(0, 0, "Programmed", GWR_COND_TRUE, "Programmed");
    cert.kind = S("ConfigMap");
    run();
    expect_listener(0, 0, "ResolvedRefs", GWR_COND_FALSE,
                    "InvalidCertificateRef");
    /* Routes still attach to a listener with bad references. */
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    assert_int_equal(lstat(0, 0)->attached_routes, 1);
}

/* ---- attachedRoutes and the implicit listener ---------------------------- */

static void
test_resolve_attached_routes_counting(void **state)
{
    gwr_gateway *g = gateway("infra", "gw", 2);
    listener(g, 0, "a", "HTTP", 80, NULL);
    listener(g, 1, "b", "HTTP", 8080, NULL);
    /* Two parentRefs covering listener a: counted once there. */
    gwr_route *r = route(GWR_KIND_HTTP_ROUTE, "infra", "r", 2, 1);
    parent(r, 0, "infra", "gw");
    parent(r, 1, "infra", "gw")->section_name = S("a");
    /* Accepted=False routes are not counted. */
    gwr_route *bad = route(GWR_KIND_HTTP_ROUTE, "infra", "bad", 1, 1);
    parent(bad, 0, "infra", "gw");
    bad->rules[0].invalid = 1;
    run();
    expect_route(0, 0, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(0, 1, "Accepted", GWR_COND_TRUE, "Accepted");
    expect_route(1, 0, "Accepted", GWR_COND_FALSE, "UnsupportedValue");
    assert_int_equal(lstat(0, 0)->attached_routes, 1);
    assert_int_equal(lstat(0, 1)->attached_routes, 1);
    const gwr_attachment *all;
    assert_int_equal(gwr_resolve__attachments(F->view, g, &all), 2);
    /* An unknown gateway pointer has no attachments. */
    gwr_gateway other;
    assert_int_equal(gwr_resolve__attachments(F->view, &other, &all), 0);
}

static void
test_resolve_implicit_listener(void **state)
{
    gwr_route *a = route(GWR_KIND_HTTP_ROUTE, "infra", "a", 1, 1);
    parent(a, 0, "infra", "gw");
    gwr_route *b = route(GWR_KIND_GRPC_ROUTE, "infra", "b", 0, 2);
    hostnames(b, 1, (const char *const[]){ "b.example.com" });
    b->rules[1].invalid = 1;
    backend(a, 0, "infra", "svc", 80);
    run();
    const gwr_attachment *att;
    size_t n = gwr_resolve__attachments(F->view, NULL, &att);
    assert_int_equal(n, 2);
    assert_ptr_equal(att[0].route, a);
    assert_true(att[0].match_all);
    assert_null(att[0].gateway);
    assert_null(att[0].listener);
    assert_ptr_equal(att[1].route, b);
    assert_false(att[1].match_all);
    assert_int_equal(att[1].n_hostnames, 1);
    assert_true(gwr_str__eq_cstr(att[1].hostnames[0], "b.example.com"));
    /* Status: the parentRef still reports NoMatchingParent. */
    expect_route(0, 0, "Accepted", GWR_COND_FALSE, "NoMatchingParent");
    assert_int_equal(gwr_resolve__route(F->view, 1)->n_parents, 0);
    assert_int_equal(gwr_resolve__gateway_count(F->view), 0);
    assert_null(gwr_resolve__gateway(F->view, 0));
    assert_int_equal(gwr_resolve__route_count(F->view), 2);
    assert_null(gwr_resolve__route(F->view, 2));
    assert_true(res_of(&a->rules[0].backends[0])->valid);
}

/* ---- allocation failures ------------------------------------------------- */

static int
scenario_run(gwr_ctx *ctx, void *ud)
{
    gwr_diag_list dl;
    gwr_diag__list_init(&dl, ctx);
    gwr_view *v = NULL;
    int rc = gwr_resolve__run(ctx, ud, &dl, &v);
    if (rc == GWR_OK)
        assert_non_null(v);
    else
        assert_null(v);
    gwr_resolve__free(v);
    gwr_diag__list_free(&dl);
    return rc;
}

static void
test_resolve_alloc_sweep(void **state)
{
    /* A model touching every step: listeners with certificates and a
     * selector-less listener (a diagnostic), conflicts, dropped rules,
     * invalid backends with messages, slices and policies. */
    gwr_gateway *g = gateway("infra", "gw", 3);
    listener(g, 0, "a", "HTTP", 80, "*.example.com");
    gwr_listener *l = listener(g, 1, "s", "HTTPS", 443, NULL);
    l->from = GWR_FROM_SELECTOR;
    listener(g, 2, "t", "TLS", 8443, NULL);
    service("infra", "svc", 80, "http", NULL);
    gwr_endpoint_slice *sl = al(sizeof(*sl));
    meta(&sl->meta, GWR_KIND_ENDPOINT_SLICE, "infra", "svc-1");
    sl->service_name = S("svc");
    F->slices[F->m.n_slices++] = sl;
    policy("infra", "p", "svc", NULL, 1);
    policy("infra", "p2", "svc", NULL, 2);   /* shadowed: a warning */
    gwr_route *h = route(GWR_KIND_HTTP_ROUTE, "infra", "h", 2, 2);
    parent(h, 0, "infra", "gw");
    parent(h, 1, "infra", "missing");
    hostnames(h, 2, (const char *const[]){ "a.example.com", "b.other" });
    backend(h, 0, "infra", "svc", 80);
    backend(h, 0, "infra", "nope", 80);
    backend(h, 0, "web", "svc", 80);
    h->rules[1].invalid = 1;
    h->rules[1].invalid_message = S("bad");
    gwr_route *gr = route(GWR_KIND_GRPC_ROUTE, "infra", "g", 1, 1);
    parent(gr, 0, "infra", "gw");
    backend(gr, 0, "infra", "svc", 80);
    gwr_route *out = route(GWR_KIND_HTTP_ROUTE, "web", "o", 1, 1);
    parent(out, 0, "infra", "gw");
    size_t n = test_alloc_sweep(scenario_run, &F->m);
    assert_true(n > 10);
    /* And the empty model. */
    gwr_model empty;
    memset(&empty, 0, sizeof(empty));
    assert_true(test_alloc_sweep(scenario_run, &empty) >= 1);
    /* Only routes (the implicit listener). */
    gwr_model routes_only = F->m;
    routes_only.n_gateways = 0;
    assert_true(test_alloc_sweep(scenario_run, &routes_only) > 1);
}

/* ---- the public status API over YAML ------------------------------------- */

static const char yaml_cfg[] =
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: Gateway\n"
    "metadata: {name: gw, namespace: infra}\n"
    "spec:\n"
    "  gatewayClassName: any\n"
    "  listeners:\n"
    "  - {name: http, port: 80, protocol: HTTP}\n"
    "  - {name: tcp, port: 9000, protocol: TCP}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata: {name: r, namespace: infra}\n"
    "spec:\n"
    "  parentRefs:\n"
    "  - {name: gw, sectionName: http}\n"
    "  - {name: gw, namespace: infra, sectionName: nope}\n"
    "  rules:\n"
    "  - backendRefs:\n"
    "    - {name: svc, port: 8080}\n";

static gwr_str
lit(const char *s)
{
    return gwr_str__from_cstr(s);
}

static void
test_resolve_status_api(void **state)
{
    gwr_config *cfg = NULL;
    assert_int_equal(gwr_config_new(&cfg, F->ctx), GWR_OK);
    assert_int_equal(gwr_config_add_text(cfg, GWR_FORMAT_YAML, lit(yaml_cfg),
                                         lit("t.yaml")),
                     GWR_OK);
    size_t n = 99;
    assert_int_equal(gwr_config_status_route_count(cfg, &n), GWR_OK);
    assert_int_equal(n, 1);
    const gwr_route_status *rs = gwr_config_status_route(cfg, 0);
    assert_non_null(rs);
    assert_null(gwr_config_status_route(cfg, 1));
    assert_true(gwr_str__eq_cstr(gwr_route_status_kind(rs), "HTTPRoute"));
    assert_true(gwr_str__eq_cstr(gwr_route_status_namespace(rs), "infra"));
    assert_true(gwr_str__eq_cstr(gwr_route_status_name(rs), "r"));
    assert_int_equal(gwr_route_status_parent_count(rs), 2);
    assert_null(gwr_route_status_parent(rs, 2));
    const gwr_parent_status *p0 = gwr_route_status_parent(rs, 0);
    const gwr_parent_status *p1 = gwr_route_status_parent(rs, 1);
    assert_true(gwr_str__eq_cstr(gwr_parent_status_group(p0),
                                 "gateway.networking.k8s.io"));
    assert_true(gwr_str__eq_cstr(gwr_parent_status_kind(p0), "Gateway"));
    assert_true(gwr_str__eq_cstr(gwr_parent_status_namespace(p0), "infra"));
    assert_false(gwr_parent_status_namespace_set(p0));
    assert_true(gwr_parent_status_namespace_set(p1));
    assert_true(gwr_str__eq_cstr(gwr_parent_status_name(p0), "gw"));
    assert_true(gwr_str__eq_cstr(gwr_parent_status_section_name(p0), "http"));
    assert_int_equal(gwr_parent_status_port(p0), 0);
    assert_true(gwr_parent_status_accepted(p0));
    assert_false(gwr_parent_status_accepted(p1));
    assert_int_equal(gwr_parent_status_condition_count(p1), 2);
    assert_null(gwr_parent_status_condition(p1, 2));
    const gwr_condition *c = gwr_parent_status_condition(p1, 0);
    assert_true(gwr_str__eq_cstr(gwr_condition_type(c), "Accepted"));
    assert_int_equal(gwr_condition_status(c), GWR_CONDITION_FALSE);
    assert_true(gwr_str__eq_cstr(gwr_condition_reason(c), "NoMatchingParent"));
    assert_true(gwr_condition_message(c).len > 0);

    assert_int_equal(gwr_config_status_gateway_count(cfg, &n), GWR_OK);
    assert_int_equal(n, 1);
    const gwr_gateway_status *gs = gwr_config_status_gateway(cfg, 0);
    assert_null(gwr_config_status_gateway(cfg, 1));
    assert_true(gwr_gateway_status_ours(gs));
    assert_true(gwr_str__eq_cstr(gwr_gateway_status_name(gs), "gw"));
    assert_true(gwr_str__eq_cstr(gwr_gateway_status_namespace(gs), "infra"));
    assert_int_equal(gwr_gateway_status_condition_count(gs), 2);
    c = gwr_gateway_status_condition(gs, 0);
    assert_true(gwr_str__eq_cstr(gwr_condition_reason(c), "ListenersNotValid"));
    assert_int_equal(gwr_condition_status(c), GWR_CONDITION_TRUE);
    assert_null(gwr_gateway_status_condition(gs, 2));
    assert_int_equal(gwr_gateway_status_listener_count(gs), 2);
    assert_null(gwr_gateway_status_listener(gs, 2));
    const gwr_listener_status *ls = gwr_gateway_status_listener(gs, 0);
    assert_true(gwr_str__eq_cstr(gwr_listener_status_name(ls), "http"));
    assert_int_equal(gwr_listener_status_attached_routes(ls), 1);
    assert_int_equal(gwr_listener_status_supported_kind_count(ls), 2);
    assert_true(gwr_str__eq_cstr(gwr_listener_status_supported_kind(ls, 1),
                                 "GRPCRoute"));
    assert_true(gwr_str__eq_cstr(
        gwr_listener_status_supported_kind_group(ls, 0),
        "gateway.networking.k8s.io"));
    assert_int_equal(gwr_listener_status_supported_kind(ls, 2).len, 0);
    assert_int_equal(gwr_listener_status_supported_kind_group(ls, 2).len, 0);
    assert_int_equal(gwr_listener_status_condition_count(ls), 4);
    assert_null(gwr_listener_status_condition(ls, 4));
    ls = gwr_gateway_status_listener(gs, 1);
    c = gwr_listener_status_condition(ls, 0);
    assert_true(gwr_str__eq_cstr(gwr_condition_reason(c),
                                 "UnsupportedProtocol"));
    assert_int_equal(gwr_listener_status_supported_kind_count(ls), 0);
    assert_int_equal(gwr_config_status_diag_count(cfg, &n), GWR_OK);
    assert_int_equal(n, 0);
    assert_null(gwr_config_status_diag(cfg, 0));

    /* Cached until the config changes, then recomputed. */
    assert_int_equal(gwr_config_status_update(cfg), GWR_OK);
    assert_ptr_equal(gwr_config_status_route(cfg, 0), rs);
    static const char more[] =
        "apiVersion: gateway.networking.k8s.io/v1\n"
        "kind: GRPCRoute\n"
        "metadata: {name: g, namespace: infra}\n"
        "spec:\n"
        "  parentRefs: [{name: gw}]\n";
    assert_int_equal(gwr_config_add_text(cfg, GWR_FORMAT_YAML, lit(more),
                                         lit("more.yaml")),
                     GWR_OK);
    assert_int_equal(gwr_config_status_route_count(cfg, &n), GWR_OK);
    assert_int_equal(n, 2);
    gs = gwr_config_status_gateway(cfg, 0);
    /* The GRPCRoute (no hostnames) conflicts with the HTTPRoute (no
     * hostnames) on listener http; neither has a timestamp, so
     * "infra/g" < "infra/r" wins. */
    assert_int_equal(gwr_listener_status_attached_routes(
                         gwr_gateway_status_listener(gs, 0)),
                     1);
    assert_true(gwr_parent_status_accepted(
        gwr_route_status_parent(gwr_config_status_route(cfg, 1), 0)));

    /* Bad arguments. */
    assert_int_equal(gwr_config_status_update(NULL), GWR_E_INVAL);
    assert_int_equal(gwr_config_status_route_count(NULL, &n), GWR_E_INVAL);
    assert_int_equal(n, 0);
    assert_int_equal(gwr_config_status_gateway_count(cfg, NULL), GWR_E_INVAL);
    assert_null(gwr_config_status_route(NULL, 0));
    assert_null(gwr_config_status_diag(NULL, 0));
    gwr_config_free(cfg);
}

static void
test_resolve_supported_features(void **state)
{
    size_t n = 0;
    const char *prev = NULL;
    for (; gwr_config_supported_features(n) != NULL; n++) {
        const char *f = gwr_config_supported_features(n);
        if (prev != NULL)
            assert_true(strcmp(prev, f) < 0);   /* sorted, unique */
        prev = f;
    }
    assert_true(n > 20);
    int has_http = 0, has_cors = 0, has_tls_policy = 0;
    for (size_t i = 0; i < n; i++) {
        const char *f = gwr_config_supported_features(i);
        has_http |= strcmp(f, "HTTPRoute") == 0;
        has_cors |= strcmp(f, "HTTPRouteCORS") == 0;
        has_tls_policy |= strcmp(f, "BackendTLSPolicy") == 0;
    }
    assert_true(has_http);
    assert_true(has_cors);            /* the filter is applied (lib/cors.c) */
    assert_false(has_tls_policy);     /* works, not advertised */
}

static int
scenario_config(gwr_ctx *ctx, void *ud)
{
    gwr_config *cfg = NULL;
    int rc = gwr_config_new(&cfg, ctx);
    if (rc != GWR_OK)
        return rc;
    rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML, lit(yaml_cfg),
                             lit("t.yaml"));
    if (rc == GWR_OK) {
        size_t n = 0;
        rc = gwr_config_status_route_count(cfg, &n);
        if (rc == GWR_OK)
            assert_int_equal(n, 1);
        else
            assert_int_equal(rc, GWR_E_NOMEM);
        /* Nothing is cached after a failure: the next call computes
         * again, and only one allocation of the sweep ever fails. */
        if (rc != GWR_OK) {
            rc = gwr_config_status_route_count(cfg, &n);
            assert_int_equal(rc, GWR_OK);
            assert_int_equal(n, 1);
        }
    }
    gwr_config_free(cfg);
    return rc;
}

static void
test_resolve_status_api_alloc_sweep(void **state)
{
    assert_true(test_alloc_sweep(scenario_config, NULL) > 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_resolve_accepted),
        T(test_resolve_not_allowed_namespace),
        T(test_resolve_disallowed_kind_tls_listener),
        T(test_resolve_invalid_route_kinds),
        T(test_resolve_no_matching_parent),
        T(test_resolve_other_controller),
        T(test_resolve_hostname_intersection_conformance),
        T(test_resolve_hostname_table),
        T(test_resolve_reason_ranking),
        T(test_resolve_selectors),
        T(test_resolve_http_grpc_conflict),
        T(test_resolve_dropped_rules),
        T(test_resolve_backend_reasons),
        T(test_resolve_reference_grants),
        T(test_resolve_app_protocol),
        T(test_resolve_no_services_mode),
        T(test_resolve_mirrors_and_extension_refs),
        T(test_resolve_backend_tls_policy),
        T(test_resolve_endpoint_slices),
        T(test_resolve_certificate_refs),
        T(test_resolve_attached_routes_counting),
        T(test_resolve_implicit_listener),
        T(test_resolve_alloc_sweep),
        T(test_resolve_status_api),
        T(test_resolve_supported_features),
        T(test_resolve_status_api_alloc_sweep),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
