/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * The exchange engine against the simulated host (engine-sim.h): every
 * timeout and retry path with exact times on the fake clock, mirrors,
 * upgrades, cancellation, host callback failures and re-entrancy.
 */
#include <string.h>

#include "engine-sim.h"
#include "helpers.h"

typedef struct fx {
    sim s;
    gwr_ctx *ctx;
    gwr_decision *d;
    gwr_engine *e;
} fx;

static int
setup(void **state)
{
    fx *f = test_calloc(1, sizeof(*f));
    sim_init(&f->s);
    assert_int_equal(sim_open(&f->s, NULL, &f->ctx, &f->d), GWR_OK);
    f->e = f->s.e;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx *f = *state;
    sim_close(&f->s, f->ctx, f->d);
    test_free(f);
    return 0;
}

static uint64_t
submit(fx *f, const char *path, int want)
{
    assert_int_equal(sim_match(f->d, path, NULL), GWR_OK);
    uint64_t id = 0;
    assert_int_equal(gwr_engine_submit(f->e, f->d, &id), want);
    return id;
}

/* Connect the last connection, then return the xid sent on it. */
static uint64_t
connect_last(fx *f)
{
    const sim_rec *c = sim_last(&f->s, SIM_CONNECT);
    assert_non_null(c);
    assert_int_equal(gwr_engine_on_connected(f->e, c->id, 0), GWR_OK);
    const sim_rec *s = sim_last(&f->s, SIM_SEND);
    assert_non_null(s);
    assert_int_equal(s->conn, c->id);
    return s->id;
}

static int
head(fx *f, uint64_t xid, int status)
{
    gwr_header h[] = { { GWR_STR_LIT("server"), GWR_STR_LIT("up") } };
    return gwr_engine_on_response_head(f->e, xid, status, h, 1);
}

static int
cancelled(const sim *s, uint64_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].kind == SIM_CANCEL && s->recs[i].id == id)
            return 1;
    return 0;
}

/* ---- gateway-generated responses ---------------------------------------- */

static void
test_generated(void **state)
{
    fx *f = *state;
    uint64_t id = submit(f, "/redirect", GWR_OK);
    assert_true(id != 0);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_non_null(r);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 301);
    assert_int_equal(r->source, 0);
    assert_string_equal(r->headers,
                        "location: http://other.test/redirect\nx-gw: 1\n");
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);

    submit(f, "/broken", GWR_OK);
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->status, 500);
    submit(f, "/nothing-here", GWR_OK);
    r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 404);
    assert_int_equal(r->n_headers, 0);
    assert_int_equal(sim_count(&f->s, SIM_CONNECT), 0);
    assert_int_equal(sim_count(&f->s, SIM_TIMER), 0);
    /* The exchange is over: later events for it are unknown. */
    assert_int_equal(gwr_engine_cancel(f->e, id), GWR_E_NOT_FOUND);
}

/* A table of its own from YAML text (on a context of its own, which the
 * table keeps alive): for the decisions no simulator table makes. */
static gwr_table *
own_table(const char *yaml)
{
    gwr_ctx *ctx = NULL;
    gwr_config *cfg = NULL;
    gwr_table *t = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    assert_int_equal(gwr_config_new(&cfg, ctx), GWR_OK);
    gwr_str text = { yaml, strlen(yaml) }, src = GWR_STR_LIT("test.yaml");
    assert_int_equal(gwr_config_add_text(cfg, GWR_FORMAT_YAML, text, src), GWR_OK);
    assert_int_equal(gwr_table_compile(&t, cfg, NULL), GWR_OK);
    gwr_config_free(cfg);
    gwr_ctx_free(ctx);
    return t;
}

/* A Host on another listener than the TLS server name's: the decision is
 * a 421, which the engine answers itself, as plain HTTP also for a gRPC
 * call (no gRPC status stands for it), without connecting anywhere. */
static void
test_misdirected(void **state)
{
    fx *f = *state;
    static const char yaml[] =
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
        "metadata: {name: gw, namespace: ns}\n"
        "spec:\n  gatewayClassName: c\n  listeners:\n"
        "  - {name: named, port: 443, protocol: HTTPS, hostname: a.test,"
        " tls: {certificateRefs: [{name: c}]}}\n"
        "  - {name: rest, port: 443, protocol: HTTPS,"
        " tls: {certificateRefs: [{name: c}]}}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\n"
        "spec: {ports: [{port: 80}]}\n"
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        "metadata: {name: r, namespace: ns}\n"
        "spec: {parentRefs: [{name: gw}], rules: [{backendRefs: [{name: s, port: 80}]}]}\n";
    gwr_table *t = own_table(yaml);
    gwr_header ct = { GWR_STR_LIT("content-type"), GWR_STR_LIT("application/grpc") };
    for (int grpc = 0; grpc < 2; grpc++) {
        gwr_request r = GWR_REQUEST_INIT;
        r.method = grpc ? (gwr_str)GWR_STR_LIT("POST") : (gwr_str)GWR_STR_LIT("GET");
        r.scheme = (gwr_str)GWR_STR_LIT("https");
        r.host = (gwr_str)GWR_STR_LIT("a.test");
        r.path = grpc ? (gwr_str)GWR_STR_LIT("/pkg.Svc/Get") : (gwr_str)GWR_STR_LIT("/x");
        r.headers = &ct;
        r.n_headers = (size_t)grpc;
        r.port = 443;
        r.sni = (gwr_str)GWR_STR_LIT("b.test");
        assert_int_equal(gwr_table_match(t, &r, f->d), GWR_OK);
        assert_int_equal(gwr_decision_status(f->d), 421);
        assert_int_equal(gwr_decision_grpc(f->d), grpc);
        uint64_t id = 0;
        assert_int_equal(gwr_engine_submit(f->e, f->d, &id), GWR_OK);
        const sim_rec *rec = sim_last(&f->s, SIM_RESPOND);
        assert_non_null(rec);
        assert_int_equal(rec->id, id);
        assert_int_equal(rec->status, 421);
        assert_int_equal(rec->n_headers, 0);
        assert_int_equal(sim_count(&f->s, SIM_CONNECT), 0);
        assert_int_equal(gwr_engine_exchange_count(f->e), 0);
        /* The same request with the matching server name is forwarded. */
        r.sni = (gwr_str)GWR_STR_LIT("a.test");
        assert_int_equal(gwr_table_match(t, &r, f->d), GWR_OK);
        assert_int_equal(gwr_decision_result(f->d), GWR_RESULT_FORWARD);
    }
    gwr_decision_reset(f->d);
    gwr_table_unref(t);
}

/* A CORS preflight: the engine answers 204 itself, with the policy's
 * fields (the decision's response edits), and connects nowhere. */
static void
test_cors_preflight(void **state)
{
    fx *f = *state;
    static const char yaml[] =
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        "metadata: {name: r, namespace: ns}\n"
        "spec:\n  rules:\n  - filters:\n"
        "    - {type: CORS, cors: {allowOrigins: ['https://app.test'], allowMethods: [PUT]}}\n"
        "    backendRefs: [{name: s, port: 80}]\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\n"
        "spec: {ports: [{port: 80}]}\n";
    gwr_table *t = own_table(yaml);
    gwr_header h[] = { { GWR_STR_LIT("origin"), GWR_STR_LIT("https://app.test") },
                       { GWR_STR_LIT("access-control-request-method"), GWR_STR_LIT("PUT") } };
    gwr_request r = GWR_REQUEST_INIT;
    r.method = (gwr_str)GWR_STR_LIT("OPTIONS");
    r.host = (gwr_str)GWR_STR_LIT("h.test");
    r.path = (gwr_str)GWR_STR_LIT("/x");
    r.headers = h;
    r.n_headers = 2;
    assert_int_equal(gwr_table_match(t, &r, f->d), GWR_OK);
    uint64_t id = 0;
    assert_int_equal(gwr_engine_submit(f->e, f->d, &id), GWR_OK);
    const sim_rec *rec = sim_last(&f->s, SIM_RESPOND);
    assert_non_null(rec);
    assert_int_equal(rec->id, id);
    assert_int_equal(rec->status, 204);
    assert_string_equal(rec->headers, "access-control-allow-origin: https://app.test\n"
                                      "access-control-allow-methods: PUT\n"
                                      "access-control-max-age: 5\n");
    assert_int_equal(sim_count(&f->s, SIM_CONNECT), 0);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
    gwr_decision_reset(f->d);
    gwr_table_unref(t);
}

/* ---- generated answers to gRPC calls ------------------------------------ */

/* Match a POST to path on grpc.test with this Content-Type (NULL: none):
 * "application/grpc" makes it a gRPC call, anything else does not. */
static void
grpc_match(fx *f, const char *path, const char *ctype)
{
    assert_int_equal(sim_grpc_match(f->d, path, ctype), GWR_OK);
    assert_int_equal(gwr_decision_grpc(f->d),
                     ctype != NULL && strcmp(ctype, "application/grpc") == 0);
}

static uint64_t
grpc_submit(fx *f, const char *path, const char *ctype, int want)
{
    grpc_match(f, path, ctype);
    uint64_t id = 0;
    assert_int_equal(gwr_engine_submit(f->e, f->d, &id), want);
    return id;
}

#define GRPC "application/grpc"

/* The trailers-only head of a gRPC answer with this code and message,
 * then the fields of the rule's response edits. */
#define GRPC_HEAD(code, msg) \
    "content-type: application/grpc\ngrpc-status: " code \
    "\ngrpc-message: " msg "\n"

/* The last respond was a trailers-only gRPC answer: status 200, the
 * fields head (every field, in order), empty body, generated; and its
 * grpc-message needs no percent-encoding (gRPC: %x20-%x24 / %x26-%x7E
 * stand for themselves). */
static void
assert_grpc_answer(const fx *f, uint64_t id, const char *head)
{
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_non_null(r);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->source, 0);
    assert_string_equal(r->headers, head);
    const char *m = strstr(r->headers, "grpc-message: ");
    assert_non_null(m);
    for (m += 14; *m != '\n'; m++)
        assert_true(*m >= 0x20 && *m <= 0x7e && *m != '%');
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

static void
test_grpc_no_route(void **state)
{
    fx *f = *state;
    uint64_t id = grpc_submit(f, "/pkg.Nope/Call", GRPC, GWR_OK);
    assert_true(id != 0);
    assert_int_equal(gwr_decision_status(f->d), 404);
    assert_int_equal(gwr_decision_grpc_status(f->d), GWR_GRPC_UNIMPLEMENTED);
    assert_grpc_answer(f, id, GRPC_HEAD("12", "no matching route"));
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->n_headers, 3);
    /* Not a gRPC call (gRPC-Web, no Content-Type): the plain 404. */
    grpc_submit(f, "/pkg.Nope/Call", "application/grpc-web", GWR_OK);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 404);
    assert_int_equal(r->n_headers, 0);
    grpc_submit(f, "/pkg.Svc/Plain", NULL, GWR_OK);
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->status, 404);
    assert_int_equal(sim_count(&f->s, SIM_CONNECT), 0);
    assert_int_equal(sim_count(&f->s, SIM_TIMER), 0);
}

static void
test_grpc_no_backend(void **state)
{
    fx *f = *state;
    /* GRPCRoute rule whose backendRef is missing: UNAVAILABLE. Its edits
     * apply: set replaces the engine's grpc-message in place, add
     * appends, remove cannot drop the fields that make the answer. */
    uint64_t id = grpc_submit(f, "/pkg.Svc/Broken", GRPC, GWR_OK);
    assert_int_equal(gwr_decision_status(f->d), 500);
    assert_int_equal(gwr_decision_grpc_status(f->d), GWR_GRPC_UNAVAILABLE);
    assert_grpc_answer(f, id, GRPC_HEAD("14", "backend down")
                                  "x-added: yes\n");
    /* An HTTPRoute that takes a gRPC call: the same answer. */
    id = grpc_submit(f, "/pkg.Http/Broken", GRPC, GWR_OK);
    assert_int_equal(gwr_decision_grpc_status(f->d), GWR_GRPC_UNAVAILABLE);
    assert_grpc_answer(f, id, GRPC_HEAD("14", "no usable backend")
                                  "x-gw: 1\n");
    /* The same rule for a request that is not a gRPC call: 500. */
    grpc_submit(f, "/pkg.Http/Broken", "application/json", GWR_OK);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 500);
    assert_string_equal(r->headers, "x-gw: 1\n");
}

static void
test_grpc_connect_failure(void **state)
{
    fx *f = *state;
    /* No retry stanza: the first connection error answers, with the
     * GRPCRoute rule's edits. */
    uint64_t id = grpc_submit(f, "/pkg.Svc/Plain", GRPC, GWR_OK);
    assert_int_equal(sim_last(&f->s, SIM_CONNECT)->proto, GWR_BACKEND_H2C);
    const sim_rec *c = sim_last(&f->s, SIM_CONNECT);
    assert_int_equal(gwr_engine_on_connected(f->e, c->id, -111), GWR_OK);
    assert_grpc_answer(f, id, GRPC_HEAD("14", "upstream connection failed")
                                  "x-gw: 1\nx-added: yes\n");
    /* A reset before the head (on_error) is a connection error too. */
    id = grpc_submit(f, "/pkg.Svc/Plain", GRPC, GWR_OK);
    uint64_t xid = connect_last(f);
    assert_int_equal(gwr_engine_on_error(f->e, xid, -104), GWR_OK);
    assert_grpc_answer(f, id, GRPC_HEAD("14", "upstream connection failed")
                                  "x-gw: 1\nx-added: yes\n");

    /* attempts: 2, backoff 100 ms: three connection errors exhaust it. */
    id = grpc_submit(f, "/pkg.Http/Retry", GRPC, GWR_OK);
    static const uint64_t at[] = { 1000, 1100, 1300 };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(sim_run_until(&f->s, at[i]), GWR_OK);
        c = sim_last(&f->s, SIM_CONNECT);
        assert_int_equal(c->at, at[i]);
        assert_int_equal(gwr_engine_on_connected(f->e, c->id, -111), GWR_OK);
    }
    assert_int_equal(sim_count(&f->s, SIM_CONNECT), 5);
    assert_grpc_answer(f, id, GRPC_HEAD("14", "upstream connection failed"));
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->at, 1300);

    /* Not a gRPC call: the plain 503. */
    grpc_submit(f, "/pkg.Svc/Plain", NULL, GWR_OK);   /* no route */
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->status, 404);
    grpc_submit(f, "/pkg.Http/Retry", "text/plain", GWR_OK);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(sim_run_until(&f->s, at[i] + 300), GWR_OK);
        c = sim_last(&f->s, SIM_CONNECT);
        assert_int_equal(c->at, at[i] + 300);
        assert_int_equal(gwr_engine_on_connected(f->e, c->id, -111), GWR_OK);
    }
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 503);
    assert_int_equal(r->n_headers, 0);
}

static void
test_grpc_timeout(void **state)
{
    fx *f = *state;
    /* The rule's backendRequest timeout (300 ms), no retry. */
    uint64_t id = grpc_submit(f, "/pkg.Http/Timeout", GRPC, GWR_OK);
    (void)connect_last(f);
    assert_int_equal(sim_run_until(&f->s, 1299), GWR_OK);
    assert_int_equal(sim_count(&f->s, SIM_RESPOND), 0);
    assert_int_equal(sim_run_until(&f->s, 1300), GWR_OK);
    assert_grpc_answer(f, id, GRPC_HEAD("4", "request timed out"));
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->at, 1300);

    /* The request timeout (the engine default here), with edits. */
    assert_int_equal(gwr_engine_set_option(f->e,
                     GWR_ENGINE_OPT_DEFAULT_REQUEST_TIMEOUT_MS, 500), GWR_OK);
    id = grpc_submit(f, "/pkg.Svc/Plain", GRPC, GWR_OK);
    assert_int_equal(f->s.timer, 1800);
    assert_int_equal(sim_run_until(&f->s, 1800), GWR_OK);
    assert_grpc_answer(f, id, GRPC_HEAD("4", "request timed out")
                                  "x-gw: 1\nx-added: yes\n");

    /* Not a gRPC call: the plain 504. */
    grpc_submit(f, "/pkg.Http/Timeout", "application/grpc-web+proto",
                GWR_OK);
    assert_int_equal(sim_run_until(&f->s, 2100), GWR_OK);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 504);
    assert_int_equal(r->n_headers, 0);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

static void
test_grpc_host_failure(void **state)
{
    fx *f = *state;
    /* The host's connect fails: the engine's 502, as UNAVAILABLE. */
    f->s.fail_kind = SIM_CONNECT;
    uint64_t id = grpc_submit(f, "/pkg.Svc/Plain", GRPC, GWR_E_CALLBACK);
    assert_grpc_answer(f, id, GRPC_HEAD("14", "upstream request failed")
                                  "x-gw: 1\nx-added: yes\n");
    /* respond itself fails: the exchange still ends once. */
    f->s.fail_kind = SIM_RESPOND;
    grpc_submit(f, "/pkg.Nope/Call", GRPC, GWR_E_CALLBACK);
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->status, 200);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

static void
test_grpc_upstream_relayed(void **state)
{
    fx *f = *state;
    /* Whatever the upstream answers is relayed as it came (edits
     * applied), even an HTTP error to a gRPC call. */
    uint64_t id = grpc_submit(f, "/pkg.Svc/Plain", GRPC, GWR_OK);
    uint64_t xid = connect_last(f);
    assert_int_equal(head(f, xid, 503), 1);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 503);
    assert_int_equal(r->source, xid);
    assert_string_equal(r->headers, "x-gw: 1\nx-added: yes\n");
    assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_OK);
    /* ... and a retry code with retries left is still retried. */
    grpc_submit(f, "/pkg.Http/Retry", GRPC, GWR_OK);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    assert_int_equal(sim_run_until(&f->s, 1100), GWR_OK);
    gwr_header h[] = {
        { GWR_STR_LIT("content-type"), GWR_STR_LIT("application/grpc") },
        { GWR_STR_LIT("grpc-status"), GWR_STR_LIT("5") },
    };
    xid = connect_last(f);
    assert_int_equal(gwr_engine_on_response_head(f->e, xid, 200, h, 2), 1);
    r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->headers,
                        "content-type: application/grpc\ngrpc-status: 5\n");
}

static void
test_grpc_redirect_stays_http(void **state)
{
    fx *f = *state;
    uint64_t id = grpc_submit(f, "/pkg.Http/Redirect", GRPC, GWR_OK);
    assert_int_equal(gwr_decision_grpc_status(f->d), GWR_GRPC_NONE);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 302);
    assert_string_equal(r->headers,
                        "location: http://other.test/pkg.Http/Redirect\n");
}

/* ---- the plain path ------------------------------------------------------ */

static void
test_forward(void **state)
{
    fx *f = *state;
    uint64_t id = submit(f, "/plain", GWR_OK);
    const sim_rec *c = sim_last(&f->s, SIM_CONNECT);
    assert_string_equal(c->backend, "a");
    assert_int_equal(c->proto, GWR_BACKEND_HTTP);
    /* Inside connect the host can tell which exchange asked for it. */
    assert_int_equal(c->exchange, id);
    uint64_t conn = c->id;
    assert_int_equal(gwr_engine_exchange_of(f->e, conn), id);
    assert_int_equal(gwr_engine_exchange_of(f->e, id), id);
    assert_int_equal(gwr_engine_exchange_of(f->e, 0), 0);
    assert_int_equal(gwr_engine_exchange_of(f->e, id + conn + 1000), 0);
    assert_int_equal(gwr_engine_exchange_of(NULL, id), 0);
    assert_int_equal(gwr_engine_exchange_count(f->e), 1);
    /* No timeout configured: no timer at all. */
    assert_int_equal(gwr_engine_next_deadline(f->e), UINT64_MAX);
    assert_int_equal(sim_count(&f->s, SIM_TIMER), 0);
    uint64_t xid = connect_last(f);
    const sim_rec *s = sim_last(&f->s, SIM_SEND);
    assert_string_equal(s->path, "/plain");
    assert_int_equal(s->exchange, id);
    assert_int_equal(s->owner, id);
    assert_int_equal(gwr_engine_exchange_of(f->e, xid), id);
    assert_int_equal(s->attempt, 0);
    /* Events in the wrong state, or twice. */
    assert_int_equal(gwr_engine_on_connected(f->e, s->conn, 0), GWR_E_STATE);
    assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_E_STATE);
    assert_int_equal(head(f, xid, 200), 1);
    assert_int_equal(head(f, xid, 200), GWR_E_STATE);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->source, xid);
    assert_string_equal(r->headers, "server: up\n");
    assert_int_equal(gwr_engine_response_source(f->e, id), xid);
    assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_OK);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
    assert_int_equal(sim_count(&f->s, SIM_CANCEL), 0);
    assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_E_NOT_FOUND);
    assert_int_equal(gwr_engine_on_error(f->e, xid, -1), GWR_E_NOT_FOUND);
    /* The exchange ended: none of its ids is known any more. */
    assert_int_equal(gwr_engine_exchange_of(f->e, id), 0);
    assert_int_equal(gwr_engine_exchange_of(f->e, conn), 0);
    assert_int_equal(gwr_engine_exchange_of(f->e, xid), 0);
}

static void
test_connect_sync(void **state)
{
    fx *f = *state;
    f->s.connect_sync = 1;
    submit(f, "/plain", GWR_OK);
    const sim_rec *s = sim_last(&f->s, SIM_SEND);
    assert_non_null(s);
    assert_int_equal(s->conn, sim_last(&f->s, SIM_CONNECT)->id);
    assert_int_equal(gwr_engine_on_connected(f->e, s->conn, 0), GWR_E_STATE);
}

static void
test_bad_arguments(void **state)
{
    fx *f = *state;
    uint64_t id = 7;
    assert_int_equal(gwr_engine_submit(NULL, f->d, &id), GWR_E_INVAL);
    assert_int_equal(id, 0);
    assert_int_equal(gwr_engine_submit(f->e, NULL, NULL), GWR_E_INVAL);
    submit(f, "/plain", GWR_OK);
    uint64_t xid = connect_last(f);
    assert_int_equal(head(f, xid, 100), GWR_E_INVAL);
    assert_int_equal(head(f, xid, 99), GWR_E_INVAL);
    assert_int_equal(head(f, xid, 1000), GWR_E_INVAL);
    assert_int_equal(gwr_engine_on_response_head(f->e, xid, 200, NULL, 1),
                     GWR_E_INVAL);
    assert_int_equal(gwr_engine_on_response_head(f->e, xid, 204, NULL, 0), 1);
    assert_int_equal(gwr_engine_on_timer(NULL), GWR_E_INVAL);
    assert_int_equal(gwr_engine_cancel(f->e, 0), GWR_E_NOT_FOUND);
    assert_int_equal(gwr_engine_next_deadline(NULL), UINT64_MAX);
    assert_int_equal(gwr_engine_exchange_count(NULL), 0);
    assert_int_equal(gwr_engine_response_source(NULL, 1), 0);
    assert_int_equal(gwr_upstream_header_count(NULL), 0);
    assert_null(gwr_upstream_header(NULL, 0));
    assert_null(gwr_upstream_backend(NULL));
    assert_int_equal(gwr_upstream_deadline(NULL), UINT64_MAX);
    assert_int_equal(gwr_engine_set_option(f->e, 99, 1), GWR_E_INVAL);
    assert_int_equal(gwr_engine_set_option(f->e, GWR_ENGINE_OPT_JITTER, 2),
                     GWR_E_RANGE);
    assert_int_equal(gwr_engine_set_option(f->e,
                     GWR_ENGINE_OPT_BACKOFF_CAP_FACTOR, 0), GWR_E_RANGE);
    assert_int_equal(gwr_engine_set_option(NULL, 0, 0), GWR_E_INVAL);
    gwr_engine *e2 = NULL;
    assert_int_equal(gwr_engine_new(&e2, f->ctx), GWR_E_STATE);
    assert_null(e2);
    assert_int_equal(gwr_engine_new(&e2, NULL), GWR_E_INVAL);
    assert_int_equal(gwr_engine_new(NULL, f->ctx), GWR_E_INVAL);
    gwr_engine_free(NULL);
}

/* ---- response header edits and mirrors ---------------------------------- */

static void
test_header_edits_and_mirrors(void **state)
{
    fx *f = *state;
    uint64_t id = submit(f, "/mirror", GWR_OK);
    /* shadow1 is sampled (100%), shadow2 never (0%). */
    assert_int_equal(sim_count(&f->s, SIM_MIRROR), 1);
    const sim_rec *m = sim_find(&f->s, SIM_MIRROR, 0);
    assert_string_equal(m->backend, "shadow1");
    assert_string_equal(m->path, "/mirror");
    assert_int_equal(m->exchange, id);
    assert_int_equal(m->attempt, 1);   /* is_mirror */
    uint64_t xid = connect_last(f);
    gwr_header h[] = {
        { GWR_STR_LIT("Server"), GWR_STR_LIT("up") },
        { GWR_STR_LIT("X-GW"), GWR_STR_LIT("old") },
        { GWR_STR_LIT("x-other"), GWR_STR_LIT("k") },
        { GWR_STR_LIT("x-gw"), GWR_STR_LIT("older") },
    };
    assert_int_equal(gwr_engine_on_response_head(f->e, xid, 200, h, 4), 1);
    assert_string_equal(sim_last(&f->s, SIM_RESPOND)->headers,
                        "x-other: k\nx-gw: 1\nx-added: yes\n");
    assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_OK);
}

static void
test_mirror_failure(void **state)
{
    fx *f = *state;
    /* A failing (or never-answering) mirror changes nothing for the
     * client: the host reports nothing about mirrors at all. */
    f->s.fail_kind = SIM_MIRROR;
    submit(f, "/mirror", GWR_OK);
    assert_int_equal(sim_count(&f->s, SIM_MIRROR), 1);
    uint64_t xid = connect_last(f);
    assert_int_equal(head(f, xid, 200), 1);
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->status, 200);
    assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_OK);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

static void
test_defaults_polling_host(void **state)
{
    (void)state;
    sim s;
    sim_init(&s);
    /* No set_timer (the host polls), no send_mirror (mirrors dropped),
     * no cancel. */
    s.omit = (1 << SIM_TIMER) | (1 << SIM_MIRROR) | (1 << SIM_CANCEL);
    gwr_ctx *ctx;
    gwr_decision *d;
    assert_int_equal(sim_open(&s, NULL, &ctx, &d), GWR_OK);
    gwr_engine *e = s.e;
    assert_int_equal(sim_match(d, "/mirror", NULL), GWR_OK);
    uint64_t id = 0;
    assert_int_equal(gwr_engine_submit(e, d, &id), GWR_OK);
    assert_int_equal(sim_count(&s, SIM_MIRROR), 0);
    assert_int_equal(sim_match(d, "/timeouts", NULL), GWR_OK);
    assert_int_equal(gwr_engine_submit(e, d, &id), GWR_OK);
    assert_int_equal(sim_count(&s, SIM_TIMER), 0);
    assert_int_equal(gwr_engine_next_deadline(e), 1300);
    s.now = 1300;
    assert_int_equal(gwr_engine_on_timer(e), GWR_OK);
    assert_int_equal(sim_last(&s, SIM_RESPOND)->status, 504);
    assert_int_equal(sim_count(&s, SIM_CANCEL), 0);
    assert_int_equal(gwr_engine_exchange_count(e), 1);
    sim_close(&s, ctx, d);
}

/* ---- timeouts ------------------------------------------------------------ */

static void
test_backend_timeout_connecting(void **state)
{
    fx *f = *state;
    uint64_t id = submit(f, "/timeouts", GWR_OK);
    /* request 1000 ms, backendRequest 300 ms, no retry. */
    assert_int_equal(f->s.timer, 1300);
    assert_int_equal(gwr_engine_next_deadline(f->e), 1300);
    const sim_rec *c = sim_last(&f->s, SIM_CONNECT);
    assert_int_equal(sim_run_until(&f->s, 1299), GWR_OK);
    assert_int_equal(sim_count(&f->s, SIM_RESPOND), 0);
    assert_int_equal(sim_run_until(&f->s, 1300), GWR_OK);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 504);
    assert_int_equal(r->at, 1300);
    assert_true(cancelled(&f->s, c->id));
    assert_int_equal(f->s.timer, UINT64_MAX);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
    assert_int_equal(gwr_engine_on_connected(f->e, c->id, 0),
                     GWR_E_NOT_FOUND);
}

/* A one-shot host timer (libevent's) that fires a little before the
 * deadline on the engine's clock: nothing expires, but the engine must arm
 * the timer again, or the 504 would never come. */
static void
test_timer_fired_early_rearms(void **state)
{
    fx *f = *state;
    uint64_t id = submit(f, "/timeouts", GWR_OK);
    assert_int_equal(f->s.timer, 1300);
    size_t timers = sim_count(&f->s, SIM_TIMER);
    f->s.timer = UINT64_MAX;   /* the host's one-shot timer is spent */
    f->s.now = 1299;
    assert_int_equal(gwr_engine_on_timer(f->e), GWR_OK);
    assert_int_equal(sim_count(&f->s, SIM_RESPOND), 0);
    assert_int_equal(sim_count(&f->s, SIM_TIMER), timers + 1);
    assert_int_equal(f->s.timer, 1300);
    assert_int_equal(sim_run_until(&f->s, 1300), GWR_OK);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_non_null(r);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 504);
}

static void
test_timeout_while_streaming(void **state)
{
    fx *f = *state;
    uint64_t id = submit(f, "/timeouts", GWR_OK);
    uint64_t xid = connect_last(f);
    uint64_t conn = sim_last(&f->s, SIM_SEND)->conn;
    f->s.now = 1100;
    assert_int_equal(head(f, xid, 200), 1);
    /* The backendRequest budget covers the full response: the body has
     * until 1300, then the client response is aborted. */
    assert_int_equal(sim_run_until(&f->s, 1300), GWR_OK);
    assert_true(cancelled(&f->s, xid));
    assert_true(cancelled(&f->s, conn));
    assert_true(cancelled(&f->s, id));
    assert_int_equal(sim_count(&f->s, SIM_RESPOND), 1);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
    assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_E_NOT_FOUND);
}

static void
test_body_done_disarms(void **state)
{
    fx *f = *state;
    submit(f, "/timeouts", GWR_OK);
    uint64_t xid = connect_last(f);
    assert_int_equal(head(f, xid, 200), 1);
    assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_OK);
    assert_int_equal(f->s.timer, UINT64_MAX);
    assert_int_equal(sim_last(&f->s, SIM_TIMER)->id, UINT64_MAX);
    assert_int_equal(sim_count(&f->s, SIM_CANCEL), 0);
}

static void
test_error_while_streaming(void **state)
{
    fx *f = *state;
    uint64_t id = submit(f, "/plain", GWR_OK);
    uint64_t xid = connect_last(f);
    uint64_t conn = sim_last(&f->s, SIM_SEND)->conn;
    assert_int_equal(head(f, xid, 200), 1);
    assert_int_equal(gwr_engine_on_error(f->e, xid, -104), GWR_OK);
    assert_false(cancelled(&f->s, xid));   /* the host reported it */
    assert_true(cancelled(&f->s, conn));
    assert_true(cancelled(&f->s, id));
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

/* ---- retries ------------------------------------------------------------- */

static void
test_retry_backoff_exact(void **state)
{
    fx *f = *state;
    /* codes [502, 503], attempts 3, backoff 100 ms: waits 100, 200, 400
     * (doubling, cap 10x), then the last upstream status goes out. */
    uint64_t id = submit(f, "/retry", GWR_OK);
    static const uint64_t at[] = { 1000, 1100, 1300, 1700 };
    static const int code[] = { 503, 502, 503, 502 };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(sim_run_until(&f->s, at[i]), GWR_OK);
        assert_int_equal(sim_count(&f->s, SIM_CONNECT), i + 1);
        const sim_rec *c = sim_last(&f->s, SIM_CONNECT);
        assert_int_equal(c->at, at[i]);
        uint64_t xid = connect_last(f);
        assert_int_equal(sim_last(&f->s, SIM_SEND)->attempt, i);
        int rc = head(f, xid, code[i]);
        if (i < 3) {
            assert_int_equal(rc, 0);
            assert_true(cancelled(&f->s, xid));
            assert_true(cancelled(&f->s, c->id));
            assert_int_equal(sim_count(&f->s, SIM_RESPOND), 0);
        } else {
            assert_int_equal(rc, 1);
            const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
            assert_int_equal(r->id, id);
            assert_int_equal(r->status, 502);
            assert_int_equal(r->source, xid);
            assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_OK);
        }
    }
    /* One backoff deadline per retry, no early firing. */
    assert_int_equal(sim_find(&f->s, SIM_TIMER, 0)->id, 11000);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

static void
test_retry_non_retry_code_passes(void **state)
{
    fx *f = *state;
    submit(f, "/retry", GWR_OK);
    uint64_t xid = connect_last(f);
    assert_int_equal(head(f, xid, 500), 1);   /* 500 is not in codes */
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->status, 500);
    assert_int_equal(sim_count(&f->s, SIM_CONNECT), 1);
}

static void
test_retry_budget_mid_backoff(void **state)
{
    fx *f = *state;
    /* request 1000 ms, backoff 400 ms, attempts 5: tries at 1000 and
     * 1400; the next wait (800 ms) runs past 2000, where the request
     * timeout answers 504 in the middle of the backoff. */
    uint64_t id = submit(f, "/retry-budget", GWR_OK);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    assert_int_equal(f->s.timer, 1400);
    assert_int_equal(sim_run_until(&f->s, 1400), GWR_OK);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    assert_int_equal(f->s.timer, 2000);
    assert_int_equal(gwr_engine_next_deadline(f->e), 2000);
    assert_int_equal(sim_run_until(&f->s, 2199), GWR_OK);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 504);
    assert_int_equal(r->at, 2000);
    assert_int_equal(sim_count(&f->s, SIM_CONNECT), 2);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

static void
test_retry_attempt_timeouts(void **state)
{
    fx *f = *state;
    /* backendRequest 200 ms, attempts 2, backoff 50 ms, no request
     * timeout: attempts time out at 1200, 1450, 1750; waits 50, 100. */
    submit(f, "/retry-timeout", GWR_OK);
    connect_last(f);
    assert_int_equal(f->s.timer, 1200);
    assert_int_equal(sim_run_until(&f->s, 1200), GWR_OK);
    assert_int_equal(f->s.timer, 1250);
    assert_int_equal(sim_run_until(&f->s, 1250), GWR_OK);
    assert_int_equal(sim_last(&f->s, SIM_CONNECT)->at, 1250);
    assert_int_equal(f->s.timer, 1450);
    assert_int_equal(sim_run_until(&f->s, 1550), GWR_OK);
    assert_int_equal(sim_count(&f->s, SIM_CONNECT), 3);
    assert_int_equal(sim_last(&f->s, SIM_CONNECT)->at, 1550);
    assert_int_equal(sim_run_until(&f->s, 1749), GWR_OK);
    assert_int_equal(sim_count(&f->s, SIM_RESPOND), 0);
    assert_int_equal(sim_run_until(&f->s, 1750), GWR_OK);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 504);
    assert_int_equal(r->at, 1750);
}

static void
test_retry_connection_errors(void **state)
{
    fx *f = *state;
    /* attempts 3: connect failure, reset before the head, connect
     * failure, reset: retries exhausted on connection errors give 503. */
    uint64_t id = submit(f, "/retry", GWR_OK);
    const sim_rec *c = sim_last(&f->s, SIM_CONNECT);
    uint64_t first = c->id;
    assert_int_equal(gwr_engine_on_connected(f->e, c->id, -111), GWR_OK);
    /* A failed connection is forgotten at once. */
    assert_int_equal(gwr_engine_exchange_of(f->e, first), 0);
    assert_false(cancelled(&f->s, c->id));
    assert_int_equal(sim_run_until(&f->s, 1100), GWR_OK);
    uint64_t xid = connect_last(f);
    uint64_t conn = sim_last(&f->s, SIM_SEND)->conn;
    assert_int_equal(gwr_engine_on_error(f->e, xid, -104), GWR_OK);
    assert_true(cancelled(&f->s, conn));
    assert_int_equal(sim_run_until(&f->s, 1300), GWR_OK);
    c = sim_last(&f->s, SIM_CONNECT);
    assert_int_equal(c->at, 1300);
    assert_int_equal(gwr_engine_on_error(f->e, c->id, -1), GWR_OK);
    assert_int_equal(sim_run_until(&f->s, 1700), GWR_OK);
    xid = connect_last(f);
    assert_int_equal(gwr_engine_on_error(f->e, xid, -104), GWR_OK);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 503);
    assert_int_equal(r->at, 1700);
    assert_int_equal(sim_count(&f->s, SIM_CONNECT), 4);
    /* Every connect, the retries' from the timer too, named the exchange. */
    for (size_t i = 0; i < f->s.n; i++)
        if (f->s.recs[i].kind == SIM_CONNECT)
            assert_int_equal(f->s.recs[i].exchange, id);
}

static void
test_no_retry_connection_error(void **state)
{
    fx *f = *state;
    submit(f, "/plain", GWR_OK);
    const sim_rec *c = sim_last(&f->s, SIM_CONNECT);
    assert_int_equal(gwr_engine_on_connected(f->e, c->id, -1), GWR_OK);
    assert_int_equal(sim_last(&f->s, SIM_RESPOND)->status, 503);
    assert_int_equal(sim_count(&f->s, SIM_CANCEL), 0);
}

static void
test_retry_other_backend(void **state)
{
    fx *f = *state;
    submit(f, "/retry-split", GWR_OK);
    const sim_rec *c0 = sim_find(&f->s, SIM_CONNECT, 0);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    assert_int_equal(sim_run_until(&f->s, 1010), GWR_OK);
    const sim_rec *c1 = sim_find(&f->s, SIM_CONNECT, 1);
    assert_non_null(c1);
    assert_int_equal(c1->at, 1010);
    assert_string_not_equal(c0->backend, c1->backend);

    /* Option off: the retry stays on the chosen backend. */
    assert_int_equal(gwr_engine_set_option(f->e,
                     GWR_ENGINE_OPT_RETRY_OTHER_BACKEND, 0), GWR_OK);
    size_t base = sim_count(&f->s, SIM_CONNECT);
    submit(f, "/retry-split", GWR_OK);
    const sim_rec *d0 = sim_find(&f->s, SIM_CONNECT, base);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    assert_int_equal(sim_run_until(&f->s, 1020), GWR_OK);
    const sim_rec *d1 = sim_find(&f->s, SIM_CONNECT, base + 1);
    assert_non_null(d1);
    assert_string_equal(d0->backend, d1->backend);
}

static void
test_retry_zero_backoff(void **state)
{
    fx *f = *state;
    submit(f, "/retry-zero", GWR_OK);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    /* No wait: the next attempt starts inside the same call. */
    assert_int_equal(sim_count(&f->s, SIM_CONNECT), 2);
    assert_int_equal(sim_count(&f->s, SIM_TIMER), 0);
    assert_int_equal(head(f, connect_last(f), 503), 1);
}

static void
test_backoff_cap_and_jitter(void **state)
{
    fx *f = *state;
    assert_int_equal(gwr_engine_set_option(f->e,
                     GWR_ENGINE_OPT_BACKOFF_CAP_FACTOR, 1), GWR_OK);
    submit(f, "/retry", GWR_OK);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    assert_int_equal(f->s.timer, 1100);
    assert_int_equal(sim_run_until(&f->s, 1100), GWR_OK);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    assert_int_equal(f->s.timer, 1200);   /* capped at 1x: constant */
    assert_int_equal(gwr_engine_cancel(f->e,
                     sim_last(&f->s, SIM_SEND)->exchange), GWR_OK);

    assert_int_equal(gwr_engine_set_option(f->e, GWR_ENGINE_OPT_JITTER, 1),
                     GWR_OK);
    assert_int_equal(gwr_engine_set_option(f->e,
                     GWR_ENGINE_OPT_BACKOFF_CAP_FACTOR, 10), GWR_OK);
    for (int i = 0; i < 20; i++) {
        uint64_t t0 = f->s.now;
        uint64_t id = submit(f, "/retry", GWR_OK);
        assert_int_equal(head(f, connect_last(f), 503), 0);
        assert_true(f->s.timer >= t0 + 100);
        assert_true(f->s.timer <= t0 + 150);
        assert_int_equal(gwr_engine_cancel(f->e, id), GWR_OK);
        f->s.now += 7;
    }
}

/* ---- cancellation -------------------------------------------------------- */

static void
test_cancel_midflight(void **state)
{
    fx *f = *state;
    /* While connecting. */
    uint64_t id = submit(f, "/retry", GWR_OK);
    uint64_t conn = sim_last(&f->s, SIM_CONNECT)->id;
    assert_int_equal(gwr_engine_cancel(f->e, id), GWR_OK);
    assert_true(cancelled(&f->s, conn));
    assert_int_equal(gwr_engine_on_connected(f->e, conn, 0), GWR_E_NOT_FOUND);
    assert_int_equal(f->s.timer, UINT64_MAX);

    /* While waiting for the head. */
    id = submit(f, "/retry", GWR_OK);
    uint64_t xid = connect_last(f);
    conn = sim_last(&f->s, SIM_SEND)->conn;
    assert_int_equal(gwr_engine_cancel(f->e, id), GWR_OK);
    assert_true(cancelled(&f->s, xid));
    assert_true(cancelled(&f->s, conn));
    assert_int_equal(head(f, xid, 200), GWR_E_NOT_FOUND);

    /* During the backoff: nothing upstream to cancel. */
    id = submit(f, "/retry", GWR_OK);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    size_t nc = sim_count(&f->s, SIM_CANCEL);
    assert_int_equal(gwr_engine_cancel(f->e, id), GWR_OK);
    assert_int_equal(sim_count(&f->s, SIM_CANCEL), nc);
    assert_int_equal(f->s.timer, UINT64_MAX);
    assert_int_equal(sim_run_until(&f->s, 5000), GWR_OK);
    assert_int_equal(sim_count(&f->s, SIM_RESPOND), 0);

    /* While streaming: the host's client is gone. */
    id = submit(f, "/plain", GWR_OK);
    xid = connect_last(f);
    assert_int_equal(head(f, xid, 200), 1);
    assert_int_equal(gwr_engine_cancel(f->e, id), GWR_OK);
    assert_true(cancelled(&f->s, xid));
    assert_false(cancelled(&f->s, id));
    assert_int_equal(gwr_engine_cancel(f->e, id), GWR_E_NOT_FOUND);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

/* ---- upgrades ------------------------------------------------------------ */

static void
test_websocket_upgrade(void **state)
{
    fx *f = *state;
    uint64_t id = submit(f, "/ws", GWR_OK);
    assert_int_equal(sim_last(&f->s, SIM_CONNECT)->proto, GWR_BACKEND_WS);
    uint64_t xid = connect_last(f);
    assert_int_equal(sim_last(&f->s, SIM_SEND)->proto, GWR_BACKEND_WS);
    assert_int_equal(head(f, xid, 101), 1);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->status, 101);
    assert_int_equal(r->id, id);
    /* The tunnel is the host's: no cancel, no timeout any more. */
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
    assert_int_equal(sim_count(&f->s, SIM_CANCEL), 0);
    assert_int_equal(f->s.timer, UINT64_MAX);
    assert_int_equal(gwr_engine_on_body_done(f->e, xid), GWR_E_NOT_FOUND);

    /* An Upgrade: websocket request to a plain HTTP port is spoken as ws
     * (GEP-1911: no appProtocol must not disable WebSocket). */
    assert_int_equal(sim_match(f->d, "/upgrade", "websocket"), GWR_OK);
    assert_int_equal(gwr_engine_submit(f->e, f->d, &id), GWR_OK);
    assert_int_equal(sim_last(&f->s, SIM_CONNECT)->proto, GWR_BACKEND_WS);
    assert_int_equal(sim_match(f->d, "/upgrade", "h2c"), GWR_OK);
    assert_int_equal(gwr_engine_submit(f->e, f->d, &id), GWR_OK);
    assert_int_equal(sim_last(&f->s, SIM_CONNECT)->proto, GWR_BACKEND_HTTP);
}

/* ---- host callback failures ---------------------------------------------- */

static void
test_fail_connect(void **state)
{
    fx *f = *state;
    f->s.fail_kind = SIM_CONNECT;
    uint64_t id = submit(f, "/retry", GWR_E_CALLBACK);
    assert_true(id != 0);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 502);
    assert_int_equal(sim_count(&f->s, SIM_CANCEL), 0);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);

    /* On a retry, from the timer. */
    f->s.fail_nth = 3;
    id = submit(f, "/retry", GWR_OK);
    assert_int_equal(head(f, connect_last(f), 503), 0);
    assert_int_equal(sim_run_until(&f->s, 1100), GWR_E_CALLBACK);
    r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 502);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

static void
test_fail_send(void **state)
{
    fx *f = *state;
    f->s.fail_kind = SIM_SEND;
    uint64_t id = submit(f, "/plain", GWR_OK);
    uint64_t conn = sim_last(&f->s, SIM_CONNECT)->id;
    assert_int_equal(gwr_engine_on_connected(f->e, conn, 0), GWR_E_CALLBACK);
    const sim_rec *r = sim_last(&f->s, SIM_RESPOND);
    assert_int_equal(r->id, id);
    assert_int_equal(r->status, 502);
    assert_true(cancelled(&f->s, conn));
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

static void
test_fail_respond(void **state)
{
    fx *f = *state;
    f->s.fail_kind = SIM_RESPOND;
    /* Generated: the exchange is over all the same. */
    submit(f, "/redirect", GWR_E_CALLBACK);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
    /* Relayed: the upstream work is dropped. */
    submit(f, "/plain", GWR_OK);
    uint64_t xid = connect_last(f);
    uint64_t conn = sim_last(&f->s, SIM_SEND)->conn;
    assert_int_equal(head(f, xid, 200), GWR_E_CALLBACK);
    assert_true(cancelled(&f->s, xid));
    assert_true(cancelled(&f->s, conn));
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
    /* Generated from the timer. */
    submit(f, "/timeouts", GWR_OK);
    assert_int_equal(sim_run_until(&f->s, 1300), GWR_E_CALLBACK);
    assert_int_equal(gwr_engine_exchange_count(f->e), 0);
}

static void
test_fail_set_timer(void **state)
{
    fx *f = *state;
    f->s.fail_kind = SIM_TIMER;
    f->s.fail_nth = 1;
    /* The exchange lives on; the deadline is still known and the next
     * call tries set_timer again. */
    uint64_t id = submit(f, "/timeouts", GWR_E_CALLBACK);
    assert_true(id != 0);
    assert_int_equal(gwr_engine_exchange_count(f->e), 1);
    assert_int_equal(gwr_engine_next_deadline(f->e), 1300);
    assert_int_equal(f->s.timer, UINT64_MAX);
    uint64_t conn = sim_last(&f->s, SIM_CONNECT)->id;
    assert_int_equal(gwr_engine_on_connected(f->e, conn, 0), GWR_OK);
    assert_int_equal(f->s.timer, 1300);
}

static void
test_missing_members(void **state)
{
    (void)state;
    sim s;
    sim_init(&s);
    gwr_ctx *ctx = NULL;
    gwr_decision *d = NULL;
    gwr_engine *e = NULL;
    /* No connect: FORWARD is refused, generated answers still work. */
    s.omit = 1 << SIM_CONNECT;
    assert_int_equal(sim_ctx(&s, &ctx, NULL), GWR_OK);
    assert_int_equal(gwr_decision_new(&d, ctx), GWR_OK);
    assert_int_equal(gwr_engine_new(&e, ctx), GWR_OK);
    uint64_t id = 9;
    assert_int_equal(sim_match(d, "/plain", NULL), GWR_OK);
    assert_int_equal(gwr_engine_submit(e, d, &id), GWR_E_INVAL);
    assert_int_equal(id, 0);
    assert_int_equal(sim_match(d, "/redirect", NULL), GWR_OK);
    assert_int_equal(gwr_engine_submit(e, d, &id), GWR_OK);
    assert_int_equal(sim_count(&s, SIM_RESPOND), 1);
    gwr_engine_free(e);
    gwr_decision_free(d);
    gwr_ctx_free(ctx);

    /* No respond: nothing can be submitted. */
    s.omit = 1 << SIM_RESPOND;
    assert_int_equal(sim_ctx(&s, &ctx, NULL), GWR_OK);
    assert_int_equal(gwr_decision_new(&d, ctx), GWR_OK);
    assert_int_equal(gwr_engine_new(&e, ctx), GWR_OK);
    assert_int_equal(sim_match(d, "/redirect", NULL), GWR_OK);
    assert_int_equal(gwr_engine_submit(e, d, &id), GWR_E_INVAL);
    assert_int_equal(id, 0);
    gwr_engine_free(e);
    gwr_decision_free(d);
    gwr_ctx_free(ctx);
}

/* ---- re-entrancy ----------------------------------------------------------- */

static void
test_reentrancy_refused(void **state)
{
    fx *f = *state;
    f->s.reenter_kind = SIM_CONNECT;
    submit(f, "/timeouts", GWR_OK);
    assert_int_equal(f->s.reenter_rc, GWR_E_STATE);
    assert_true(f->s.reenter_query_ok);
    assert_int_equal(gwr_engine_exchange_count(f->e), 1);
    /* The engine is intact after the refused call. */
    uint64_t xid = connect_last(f);
    assert_int_equal(head(f, xid, 200), 1);
}

static void
test_free_inside_callback(void **state)
{
    fx *f = *state;
    /* Freed from inside send: the free waits until the engine returns;
     * no callback follows it. Another exchange is in flight. */
    submit(f, "/timeouts", GWR_OK);
    submit(f, "/retry", GWR_OK);
    f->s.free_kind = SIM_SEND;
    size_t n = f->s.n;
    const sim_rec *c = sim_last(&f->s, SIM_CONNECT);
    assert_int_equal(gwr_engine_on_connected(f->e, c->id, 0), GWR_OK);
    assert_null(f->s.e);
    assert_int_equal(f->s.n, n + 1);   /* the send, nothing after */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_generated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misdirected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cors_preflight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grpc_no_route, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grpc_no_backend, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grpc_connect_failure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grpc_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grpc_host_failure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grpc_upstream_relayed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_grpc_redirect_stays_http, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_forward, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_edits_and_mirrors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mirror_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backend_timeout_connecting, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timer_fired_early_rearms, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timeout_while_streaming, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_body_done_disarms, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_error_while_streaming, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_backoff_exact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_non_retry_code_passes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_budget_mid_backoff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_attempt_timeouts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_connection_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_retry_connection_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_other_backend, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_zero_backoff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_backoff_cap_and_jitter, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cancel_midflight, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_websocket_upgrade, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fail_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_respond, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_set_timer, setup, teardown),
        cmocka_unit_test(test_missing_members),
        cmocka_unit_test(test_defaults_polling_host),
        cmocka_unit_test_setup_teardown(test_reentrancy_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_free_inside_callback, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
