/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * The exchange engine under the counting allocator: a scripted run with
 * several exchanges in flight is cut at every step (the host tears
 * everything down there, exchanges still running) and, at each cut, run
 * again with every allocation failing in turn. Every run must end with a
 * clean status and no live allocation (tests/helpers.h test_alloc_sweep).
 */
#include <stdlib.h>
#include <string.h>

#include "engine-sim.h"
#include "gwr_private.h"
#include "helpers.h"

enum { N_STEPS = 14 };

/* Successful event results (1 = relayed, 0 = retrying) count as OK. */
static int
ok(int rc)
{
    return rc > 0 ? GWR_OK : rc;
}

static uint64_t
last_id(const sim *s, int kind)
{
    const sim_rec *r = sim_last(s, kind);
    return r != NULL ? r->id : 0;
}

static int
step(sim *s, gwr_decision *d, int i, uint64_t *x)
{
    gwr_engine *e = s->e;
    gwr_header big[6] = {
        { GWR_STR_LIT("server"), GWR_STR_LIT("up") },
        { GWR_STR_LIT("a"), GWR_STR_LIT("1") },
        { GWR_STR_LIT("b"), GWR_STR_LIT("2") },
        { GWR_STR_LIT("c"), GWR_STR_LIT("3") },
        { GWR_STR_LIT("d"), GWR_STR_LIT("4") },
        { GWR_STR_LIT("e"), GWR_STR_LIT("5") },
    };
    int rc;
    switch (i) {
    case 0: /* mirror + forward */
        rc = sim_match(d, "/mirror", NULL);
        return rc ? rc : gwr_engine_submit(e, d, &x[0]);
    case 1:
        x[1] = last_id(s, SIM_CONNECT);
        rc = sim_match(d, "/retry", NULL);
        return rc ? rc : gwr_engine_submit(e, d, &x[2]);
    case 2: /* generated */
        rc = sim_match(d, "/redirect", NULL);
        return rc ? rc : gwr_engine_submit(e, d, NULL);
    case 3:
        return gwr_engine_on_connected(e, last_id(s, SIM_CONNECT), 0);
    case 4: /* retry code: into backoff */
        return ok(gwr_engine_on_response_head(e, last_id(s, SIM_SEND), 503,
                                              big, 1));
    case 5:
        return gwr_engine_on_connected(e, x[1], 0);
    case 6: /* a head larger than any before: the scratch grows */
        return ok(gwr_engine_on_response_head(e, last_id(s, SIM_SEND), 200,
                                              big, 6));
    case 7: /* the retry connects */
        rc = sim_run_until(s, 1100);
        x[3] = last_id(s, SIM_CONNECT);
        return rc;
    case 8:
        rc = sim_match(d, "/timeouts", NULL);
        return rc ? rc : gwr_engine_submit(e, d, NULL);
    case 9:
        return sim_run_until(s, 1400);
    case 10:
        return gwr_engine_on_connected(e, x[3], 0);
    case 11:
        return ok(gwr_engine_on_response_head(e, last_id(s, SIM_SEND), 200,
                                              big, 2));
    case 12:
        rc = gwr_engine_on_body_done(e, last_id(s, SIM_SEND));
        if (rc != GWR_OK)
            return rc;
        /* The /mirror exchange's body, still streaming. */
        return gwr_engine_on_body_done(e, sim_find(s, SIM_SEND, 1)->id);
    default:
        return gwr_engine_exchange_count(e) == 0 ? GWR_OK : GWR_E_STATE;
    }
}

static int
scenario(gwr_ctx *base, void *ud)
{
    int stop = *(const int *)ud;
    sim *s = malloc(sizeof(*s));
    assert_non_null(s);
    sim_init(s);
    gwr_ctx *ctx;
    gwr_decision *d;
    uint64_t x[4] = { 0, 0, 0, 0 };
    /* The sweep's context carries the counting allocator; the engine
     * needs one with the simulated host on the same allocator. */
    int rc = sim_open(s, &base->mem, &ctx, &d);
    for (int i = 0; rc == GWR_OK && i < stop; i++) {
        rc = step(s, d, i, x);
        if (rc != GWR_OK && rc != GWR_E_NOMEM)
            fail_msg("step %d: %s", i, gwr_strerror(rc));
    }
    /* The host tears down here, whatever is in flight. */
    sim_close(s, ctx, d);
    free(s);
    return rc;
}

static void
test_teardown_anywhere(void **state)
{
    (void)state;
    size_t total = 0;
    for (int stop = 0; stop <= N_STEPS; stop++)
        total += test_alloc_sweep(scenario, &stop);
    assert_true(total > 0);
}

/* On an engine whose context counts allocations: match with request,
 * submit, then run events, which must allocate nothing. */
static void
assert_events_allocation_free(int (*request)(gwr_decision *d),
                              void (*events)(sim *s))
{
    test_alloc ta;
    test_alloc_init(&ta);
    sim s;
    sim_init(&s);
    gwr_ctx *ctx;
    gwr_decision *d;
    assert_int_equal(sim_open(&s, &ta.hooks, &ctx, &d), GWR_OK);
    assert_int_equal(request(d), GWR_OK);
    assert_int_equal(gwr_engine_submit(s.e, d, NULL), GWR_OK);
    size_t calls = ta.calls;
    events(&s);
    assert_int_equal(ta.calls, calls);
    sim_close(&s, ctx, d);
    assert_int_equal(ta.live, 0);
}

static int
retry_request(gwr_decision *d)
{
    return sim_match(d, "/retry", NULL);
}

static void
retry_events(sim *s)
{
    gwr_engine *e = s->e;
    assert_int_equal(gwr_engine_on_connected(e, last_id(s, SIM_CONNECT), 0),
                     GWR_OK);
    gwr_header h = { GWR_STR_LIT("server"), GWR_STR_LIT("up") };
    assert_int_equal(gwr_engine_on_response_head(e, last_id(s, SIM_SEND),
                                                 503, &h, 1), 0);
    assert_int_equal(sim_run_until(s, 1100), GWR_OK);
    assert_int_equal(gwr_engine_on_connected(e, last_id(s, SIM_CONNECT), 0),
                     GWR_OK);
}

/* After the buffers reached their size, events allocate nothing. */
static void
test_events_allocation_free(void **state)
{
    (void)state;
    assert_events_allocation_free(retry_request, retry_events);
}

/* gRPC calls answered by the engine (no route, no backend, a connection
 * error) under the allocation sweep: a failed submit creates nothing and
 * answers nothing, as for any other call. */
static int
grpc_scenario(gwr_ctx *base, void *ud)
{
    (void)ud;
    sim *s = malloc(sizeof(*s));
    assert_non_null(s);
    sim_init(s);
    gwr_ctx *ctx;
    gwr_decision *d;
    int rc = sim_open(s, &base->mem, &ctx, &d);
    gwr_engine *e = s->e;
    static const char *const paths[] = { "/pkg.Nope/Call", "/pkg.Svc/Broken",
                                         "/pkg.Svc/Plain" };
    for (size_t i = 0; rc == GWR_OK && i < 3; i++) {
        rc = sim_grpc_match(d, paths[i], "application/grpc");
        if (rc != GWR_OK)
            break;
        size_t before = sim_count(s, SIM_RESPOND);
        rc = gwr_engine_submit(e, d, NULL);
        if (rc != GWR_OK) {
            if (sim_count(s, SIM_RESPOND) != before
                || gwr_engine_exchange_count(e) != 0)
                fail_msg("a failed submit answered or kept an exchange");
            break;
        }
        if (i == 2)
            rc = gwr_engine_on_connected(e, last_id(s, SIM_CONNECT), -111);
        const sim_rec *r = sim_last(s, SIM_RESPOND);
        if (rc == GWR_OK && (r == NULL || r->status != 200
                             || strstr(r->headers, "grpc-status: 1") == NULL))
            fail_msg("path %zu: no gRPC answer", i);
    }
    sim_close(s, ctx, d);
    free(s);
    return rc;
}

static void
test_grpc_answers_sweep(void **state)
{
    (void)state;
    assert_true(test_alloc_sweep(grpc_scenario, NULL) > 0);
}

static int
grpc_plain_request(gwr_decision *d)
{
    return sim_grpc_match(d, "/pkg.Svc/Plain", "application/grpc");
}

static void
connect_error_events(sim *s)
{
    assert_int_equal(gwr_engine_on_connected(s->e, last_id(s, SIM_CONNECT),
                                             -111), GWR_OK);
    const sim_rec *r = sim_last(s, SIM_RESPOND);
    assert_non_null(r);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->n_headers, 5);
}

/* The gRPC form of a generated answer (three fields plus the rule's two
 * edits) fits the scratch reserved at submit: answering allocates
 * nothing. */
static void
test_grpc_answer_allocation_free(void **state)
{
    (void)state;
    assert_events_allocation_free(grpc_plain_request, connect_error_events);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_teardown_anywhere),
        cmocka_unit_test(test_events_allocation_free),
        cmocka_unit_test(test_grpc_answers_sweep),
        cmocka_unit_test(test_grpc_answer_allocation_free),
    };
    return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
