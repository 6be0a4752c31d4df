/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * A simulated host for the exchange engine: a fake clock, a single fake
 * timer, recording callbacks and knobs to make any callback fail, call
 * back into the engine, or free it. Scripted backends are the test code
 * itself: it feeds gwr_engine_on_*() events after reading the records.
 */
#ifndef GWR_TEST_ENGINE_SIM_H
#define GWR_TEST_ENGINE_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "gwroute.h"

enum sim_kind {
    SIM_TIMER = 1,
    SIM_CONNECT,
    SIM_SEND,
    SIM_MIRROR,
    SIM_RESPOND,
    SIM_CANCEL
};

typedef struct sim_rec {
    int kind;
    uint64_t at;            /* fake clock at the call */
    uint64_t id;            /* TIMER: deadline; CONNECT: conn_id;
                               SEND: xid; RESPOND: exchange; CANCEL: id */
    uint64_t conn;          /* SEND: conn_id */
    uint64_t exchange;      /* SEND, MIRROR: gwr_upstream_exchange_id;
                               CONNECT: gwr_engine_exchange_of(conn_id) */
    uint64_t owner;         /* SEND: gwr_engine_exchange_of(xid) */
    uint32_t proto;
    uint32_t attempt;
    int status;             /* RESPOND */
    uint64_t source;        /* RESPOND: gwr_engine_response_source() */
    char backend[32];       /* CONNECT, SEND, MIRROR: backend name */
    char path[64];          /* SEND, MIRROR */
    char headers[256];      /* RESPOND: "name: value\n"... */
    size_t n_headers;
} sim_rec;

#define SIM_MAX_RECS 512

typedef struct sim {
    uint64_t now;
    uint64_t timer;         /* armed deadline, UINT64_MAX = none */
    sim_rec recs[SIM_MAX_RECS];
    size_t n;
    gwr_engine *e;          /* for re-entrancy and free-in-callback */
    int fail_kind;          /* callbacks of this kind return -1 ... */
    int fail_nth;           /* ... the nth one only (1-based), 0 = all */
    int seen[8];            /* calls per kind */
    int connect_sync;       /* connect returns 1 */
    int reenter_kind;       /* from this callback, call into the engine */
    int reenter_rc;         /* what that call returned */
    int reenter_query_ok;   /* read-only calls worked inside */
    int free_kind;          /* from this callback, gwr_engine_free() */
    unsigned omit;          /* 1 << kind: leave that gwr_io member NULL */
} sim;

void sim_init(sim *s);
/* A context on mem (NULL = libc) whose gwr_io is the simulated host. */
int sim_ctx(sim *s, gwr_ctx **out, const gwr_allocator *mem);
/* Move the clock to t, firing the timer whenever it is due on the way
 * (like an event loop). Returns the first failing on_timer status. */
int sim_run_until(sim *s, uint64_t t);
/* The i-th record of kind (0-based), NULL when absent. */
const sim_rec *sim_find(const sim *s, int kind, size_t i);
size_t sim_count(const sim *s, int kind);
/* The last record of kind, NULL when none. */
const sim_rec *sim_last(const sim *s, int kind);

/* A context on mem (sim_ctx), a decision and an engine on it, which
 * becomes s->e. Returns the first failing status; sim_close() frees what
 * was made either way. */
int sim_open(sim *s, const gwr_allocator *mem, gwr_ctx **ctx,
             gwr_decision **d);
/* Free s->e (NULL when a callback freed it), d and ctx. */
void sim_close(sim *s, gwr_ctx *ctx, gwr_decision *d);

/* CMocka group setup and teardown: compile and release the tables that
 * sim_match() and sim_grpc_match() match in (libc contexts). */
int sim_group_setup(void **state);
int sim_group_teardown(void **state);
/* Match path (Host "svc.test", port 80, seeded) into d: HTTPRoutes for
 * each engine feature (timeouts, retries, mirrors, redirects, upgrades). */
int sim_match(gwr_decision *d, const char *path, const char *upgrade);
/* Match a POST to path on grpc.test (te: trailers, seeded) with this
 * Content-Type (NULL: none) into d: "application/grpc" makes it a gRPC
 * call. The routes: a GRPCRoute for service pkg.Svc (rules Plain and
 * Broken, a missing backend, with response edits) and an HTTPRoute for
 * pkg.Http (Timeout, Retry, Broken, Redirect). */
int sim_grpc_match(gwr_decision *d, const char *path, const char *ctype);

#endif
