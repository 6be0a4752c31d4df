/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * The simulated host of engine-sim.h.
 */
#include <stdio.h>
#include <string.h>

#include "engine-sim.h"
#include "helpers.h"

static const char config_yaml[] =
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: a, namespace: t}\n"
    "spec: {ports: [{port: 8080}]}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: b, namespace: t}\n"
    "spec: {ports: [{port: 8080}]}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: shadow1, namespace: t}\n"
    "spec: {ports: [{port: 8080}]}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: shadow2, namespace: t}\n"
    "spec: {ports: [{port: 8080}]}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: sock, namespace: t}\n"
    "spec: {ports: [{port: 8080, appProtocol: kubernetes.io/ws}]}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata: {name: r, namespace: t}\n"
    "spec:\n"
    "  hostnames: [svc.test]\n"
    "  rules:\n"
    "  - matches: [{path: {type: Exact, value: /plain}}]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "  - matches: [{path: {type: Exact, value: /timeouts}}]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "    timeouts: {request: 1000ms, backendRequest: 300ms}\n"
    "  - matches: [{path: {type: Exact, value: /retry}}]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "    retry: {codes: [502, 503], attempts: 3, backoff: 100ms}\n"
    "    timeouts: {request: 10s}\n"
    "  - matches: [{path: {type: Exact, value: /retry-budget}}]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "    retry: {codes: [503], attempts: 5, backoff: 400ms}\n"
    "    timeouts: {request: 1000ms}\n"
    "  - matches: [{path: {type: Exact, value: /retry-timeout}}]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "    retry: {codes: [500], attempts: 2, backoff: 50ms}\n"
    "    timeouts: {backendRequest: 200ms}\n"
    "  - matches: [{path: {type: Exact, value: /retry-split}}]\n"
    "    backendRefs: [{name: a, port: 8080}, {name: b, port: 8080}]\n"
    "    retry: {codes: [503], attempts: 1, backoff: 10ms}\n"
    "  - matches: [{path: {type: Exact, value: /retry-zero}}]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "    retry: {codes: [503], attempts: 1, backoff: 0s}\n"
    "  - matches: [{path: {type: Exact, value: /mirror}}]\n"
    "    filters:\n"
    "    - type: RequestMirror\n"
    "      requestMirror: {backendRef: {name: shadow1, port: 8080}}\n"
    "    - type: RequestMirror\n"
    "      requestMirror:\n"
    "        backendRef: {name: shadow2, port: 8080}\n"
    "        percent: 0\n"
    "    - type: ResponseHeaderModifier\n"
    "      responseHeaderModifier:\n"
    "        set: [{name: x-gw, value: \"1\"}]\n"
    "        add: [{name: x-added, value: yes}]\n"
    "        remove: [server]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "  - matches: [{path: {type: Exact, value: /redirect}}]\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect: {hostname: other.test, statusCode: 301}\n"
    "    - type: ResponseHeaderModifier\n"
    "      responseHeaderModifier: {set: [{name: x-gw, value: \"1\"}]}\n"
    "  - matches: [{path: {type: Exact, value: /broken}}]\n"
    "    backendRefs: [{name: missing, port: 8080}]\n"
    "  - matches: [{path: {type: Exact, value: /ws}}]\n"
    "    backendRefs: [{name: sock, port: 8080}]\n"
    "    timeouts: {request: 1000ms}\n"
    "  - matches: [{path: {type: Exact, value: /upgrade}}]\n"
    "    backendRefs: [{name: a, port: 8080}]\n";

/* Routes for gRPC calls on host grpc.test (implicit listener): a
 * GRPCRoute for service pkg.Svc with response header edits, and an
 * HTTPRoute that takes the gRPC calls of service pkg.Http (timeouts,
 * retries, a redirect and a missing backend, which GRPCRoute v1.2 has
 * no fields for or cannot express). */
static const char grpc_config_yaml[] =
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: a, namespace: t}\n"
    "spec: {ports: [{port: 8080}]}\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: GRPCRoute\n"
    "metadata: {name: g, namespace: t}\n"
    "spec:\n"
    "  hostnames: [grpc.test]\n"
    "  rules:\n"
    "  - matches: [{method: {service: pkg.Svc, method: Plain}}]\n"
    "    filters:\n"
    "    - type: ResponseHeaderModifier\n"
    "      responseHeaderModifier:\n"
    "        set: [{name: x-gw, value: \"1\"}]\n"
    "        add: [{name: x-added, value: yes}]\n"
    "        remove: [server]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "  - matches: [{method: {service: pkg.Svc, method: Broken}}]\n"
    "    filters:\n"
    "    - type: ResponseHeaderModifier\n"
    "      responseHeaderModifier:\n"
    "        set: [{name: grpc-message, value: backend down}]\n"
    "        add: [{name: x-added, value: yes}]\n"
    "        remove: [grpc-status, content-type]\n"
    "    backendRefs: [{name: missing, port: 8080}]\n"
    "---\n"
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata: {name: h, namespace: t}\n"
    "spec:\n"
    "  hostnames: [grpc.test]\n"
    "  rules:\n"
    "  - matches: [{path: {type: Exact, value: /pkg.Http/Timeout}}]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "    timeouts: {request: 1000ms, backendRequest: 300ms}\n"
    "  - matches: [{path: {type: Exact, value: /pkg.Http/Retry}}]\n"
    "    backendRefs: [{name: a, port: 8080}]\n"
    "    retry: {codes: [503], attempts: 2, backoff: 100ms}\n"
    "  - matches: [{path: {type: Exact, value: /pkg.Http/Broken}}]\n"
    "    filters:\n"
    "    - type: ResponseHeaderModifier\n"
    "      responseHeaderModifier: {set: [{name: x-gw, value: \"1\"}]}\n"
    "    backendRefs: [{name: missing, port: 8080}]\n"
    "  - matches: [{path: {type: Exact, value: /pkg.Http/Redirect}}]\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect: {hostname: other.test, statusCode: 302}\n";

static gwr_table *table;    /* config_yaml */
static gwr_table *gtable;   /* grpc_config_yaml */

static int
sim_kind_fails(sim *s, int kind)
{
    s->seen[kind]++;
    if (s->fail_kind != kind)
        return 0;
    return s->fail_nth == 0 || s->fail_nth == s->seen[kind];
}

static sim_rec *
rec(sim *s, int kind)
{
    if (s->n >= SIM_MAX_RECS)
        fail_msg("simulated host: too many calls");
    sim_rec *r = &s->recs[s->n++];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->at = s->now;
    return r;
}

static void
copy_str(char *dst, size_t size, gwr_str s)
{
    size_t n = s.len < size - 1 ? s.len : size - 1;
    if (n > 0)
        memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

/* Re-entrancy probe: from inside a callback, try a mutating call (must be
 * refused) and the read-only ones (must work). */
static void
maybe_reenter(sim *s, int kind)
{
    if (s->e == NULL)
        return;
    if (s->reenter_kind == kind) {
        s->reenter_rc = gwr_engine_on_timer(s->e);
        s->reenter_query_ok = gwr_engine_exchange_count(s->e) > 0
            && gwr_engine_next_deadline(s->e) > 0;
    }
    if (s->free_kind == kind) {
        gwr_engine_free(s->e);
        s->e = NULL;
    }
}

static uint64_t
cb_now(void *ud)
{
    return ((sim *)ud)->now;
}

static int
cb_set_timer(uint64_t deadline, void *ud)
{
    sim *s = ud;
    rec(s, SIM_TIMER)->id = deadline;
    if (sim_kind_fails(s, SIM_TIMER))
        return -1;
    s->timer = deadline;
    return 0;
}

static int
cb_connect(const gwr_backend *be, uint32_t proto, uint64_t conn_id, void *ud)
{
    sim *s = ud;
    sim_rec *r = rec(s, SIM_CONNECT);
    r->id = conn_id;
    r->exchange = gwr_engine_exchange_of(s->e, conn_id);
    r->proto = proto;
    copy_str(r->backend, sizeof(r->backend), gwr_backend_name(be));
    maybe_reenter(s, SIM_CONNECT);
    if (sim_kind_fails(s, SIM_CONNECT))
        return -5;
    return s->connect_sync ? 1 : 0;
}

static int
cb_send(uint64_t conn_id, uint64_t xid, const gwr_upstream *u, void *ud)
{
    sim *s = ud;
    sim_rec *r = rec(s, SIM_SEND);
    r->id = xid;
    r->conn = conn_id;
    r->exchange = gwr_upstream_exchange_id(u);
    r->owner = gwr_engine_exchange_of(s->e, xid);
    r->attempt = gwr_upstream_attempt(u);
    r->proto = gwr_upstream_protocol(u);
    copy_str(r->backend, sizeof(r->backend),
             gwr_backend_name(gwr_upstream_backend(u)));
    copy_str(r->path, sizeof(r->path), gwr_upstream_path(u));
    maybe_reenter(s, SIM_SEND);
    return sim_kind_fails(s, SIM_SEND) ? -1 : 0;
}

static int
cb_mirror(const gwr_backend *be, const gwr_upstream *u, void *ud)
{
    sim *s = ud;
    sim_rec *r = rec(s, SIM_MIRROR);
    r->exchange = gwr_upstream_exchange_id(u);
    r->attempt = (uint32_t)gwr_upstream_is_mirror(u);
    copy_str(r->backend, sizeof(r->backend), gwr_backend_name(be));
    copy_str(r->path, sizeof(r->path), gwr_upstream_path(u));
    return sim_kind_fails(s, SIM_MIRROR) ? -1 : 0;
}

static int
cb_respond(uint64_t exchange, int status, const gwr_header *h, size_t n,
           const char *body, size_t body_len, void *ud)
{
    sim *s = ud;
    (void)body;
    (void)body_len;
    sim_rec *r = rec(s, SIM_RESPOND);
    r->id = exchange;
    r->status = status;
    r->n_headers = n;
    if (s->e != NULL)
        r->source = gwr_engine_response_source(s->e, exchange);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(r->headers + pos, sizeof(r->headers) - pos,
                         "%.*s: %.*s\n", (int)h[i].name.len, h[i].name.ptr,
                         (int)h[i].value.len, h[i].value.ptr);
        if (k < 0 || (size_t)k >= sizeof(r->headers) - pos)
            break;
        pos += (size_t)k;
    }
    maybe_reenter(s, SIM_RESPOND);
    return sim_kind_fails(s, SIM_RESPOND) ? -1 : 0;
}

static void
cb_cancel(uint64_t id, void *ud)
{
    sim *s = ud;
    rec(s, SIM_CANCEL)->id = id;
    maybe_reenter(s, SIM_CANCEL);
}

void
sim_init(sim *s)
{
    memset(s, 0, sizeof(*s));
    s->now = 1000;
    s->timer = UINT64_MAX;
}

int
sim_ctx(sim *s, gwr_ctx **out, const gwr_allocator *mem)
{
    gwr_io io = GWR_IO_INIT;
    io.now_ms = cb_now;
    io.set_timer = cb_set_timer;
    io.connect = cb_connect;
    io.send_request = cb_send;
    io.send_mirror = cb_mirror;
    io.respond = cb_respond;
    io.cancel = cb_cancel;
    if (s->omit & (1u << SIM_TIMER))
        io.set_timer = NULL;
    if (s->omit & (1u << SIM_CONNECT))
        io.connect = NULL;
    if (s->omit & (1u << SIM_SEND))
        io.send_request = NULL;
    if (s->omit & (1u << SIM_MIRROR))
        io.send_mirror = NULL;
    if (s->omit & (1u << SIM_RESPOND))
        io.respond = NULL;
    if (s->omit & (1u << SIM_CANCEL))
        io.cancel = NULL;
    return gwr_ctx_new(out, mem, &io, s);
}

int
sim_run_until(sim *s, uint64_t t)
{
    int first = GWR_OK;
    while (s->e != NULL && s->timer != UINT64_MAX && s->timer <= t) {
        if (s->timer > s->now)
            s->now = s->timer;
        uint64_t before = s->timer;
        int rc = gwr_engine_on_timer(s->e);
        if (rc != GWR_OK && first == GWR_OK)
            first = rc;
        /* A host whose set_timer failed keeps the old deadline; avoid
         * spinning on it. */
        if (s->timer == before && rc != GWR_OK)
            break;
    }
    if (t > s->now)
        s->now = t;
    return first;
}

const sim_rec *
sim_find(const sim *s, int kind, size_t i)
{
    for (size_t k = 0; k < s->n; k++)
        if (s->recs[k].kind == kind && i-- == 0)
            return &s->recs[k];
    return NULL;
}

size_t
sim_count(const sim *s, int kind)
{
    size_t n = 0;
    for (size_t k = 0; k < s->n; k++)
        n += s->recs[k].kind == kind;
    return n;
}

const sim_rec *
sim_last(const sim *s, int kind)
{
    for (size_t k = s->n; k > 0; k--)
        if (s->recs[k - 1].kind == kind)
            return &s->recs[k - 1];
    return NULL;
}

int
sim_open(sim *s, const gwr_allocator *mem, gwr_ctx **ctx, gwr_decision **d)
{
    gwr_engine *e = NULL;
    *ctx = NULL;
    *d = NULL;
    int rc = sim_ctx(s, ctx, mem);
    if (rc == GWR_OK)
        rc = gwr_decision_new(d, *ctx);
    if (rc == GWR_OK)
        rc = gwr_engine_new(&e, *ctx);
    s->e = e;
    return rc;
}

void
sim_close(sim *s, gwr_ctx *ctx, gwr_decision *d)
{
    gwr_engine_free(s->e);
    s->e = NULL;
    gwr_decision_free(d);
    gwr_ctx_free(ctx);
}

/* A table compiled from YAML text (libc context); diagnostics are
 * printed when the text does not load. */
static gwr_table *
compile(const char *yaml, size_t len, const char *name)
{
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_config *cfg = NULL;
    assert_int_equal(gwr_config_new(&cfg, ctx), GWR_OK);
    gwr_str text = { yaml, len };
    gwr_str src = { name, strlen(name) };
    int rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML, text, src);
    for (size_t i = 0; rc != GWR_OK && i < gwr_config_diag_count(cfg); i++) {
        char buf[512];
        gwr_diag_format(gwr_config_diag(cfg, i), buf, sizeof(buf));
        print_message("diag: %s\n", buf);
    }
    assert_int_equal(rc, GWR_OK);
    gwr_table *t = NULL;
    assert_int_equal(gwr_table_compile(&t, cfg, NULL), GWR_OK);
    gwr_config_free(cfg);
    gwr_ctx_free(ctx);
    return t;
}

int
sim_group_setup(void **state)
{
    (void)state;
    table = compile(config_yaml, sizeof(config_yaml) - 1, "engine-sim");
    gtable = compile(grpc_config_yaml, sizeof(grpc_config_yaml) - 1,
                     "engine-grpc");
    return 0;
}

int
sim_group_teardown(void **state)
{
    (void)state;
    gwr_table_unref(table);
    gwr_table_unref(gtable);
    return 0;
}

int
sim_match(gwr_decision *d, const char *path, const char *upgrade)
{
    gwr_header hs[2] = {
        { GWR_STR_LIT("user-agent"), GWR_STR_LIT("sim") },
        { GWR_STR_LIT("upgrade"), { upgrade, upgrade ? strlen(upgrade) : 0 } },
    };
    gwr_request r = GWR_REQUEST_INIT;
    r.host.ptr = "svc.test";
    r.host.len = 8;
    r.path.ptr = path;
    r.path.len = strlen(path);
    r.headers = hs;
    r.n_headers = upgrade ? 2 : 1;
    r.port = 80;
    r.flags = GWR_REQ_SEEDED;
    r.seed = 42;
    return gwr_table_match(table, &r, d);
}

int
sim_grpc_match(gwr_decision *d, const char *path, const char *ctype)
{
    gwr_header hs[] = {
        { GWR_STR_LIT("te"), GWR_STR_LIT("trailers") },
        { GWR_STR_LIT("content-type"),
          { ctype, ctype != NULL ? strlen(ctype) : 0 } },
    };
    gwr_request r = GWR_REQUEST_INIT;
    r.method.ptr = "POST";
    r.method.len = 4;
    r.host.ptr = "grpc.test";
    r.host.len = 9;
    r.path.ptr = path;
    r.path.len = strlen(path);
    r.headers = hs;
    r.n_headers = ctype != NULL ? 2 : 1;
    r.port = 80;
    r.flags = GWR_REQ_SEEDED;
    r.seed = 42;
    return gwr_table_match(gtable, &r, d);
}
