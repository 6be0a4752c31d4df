/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Internals of the exchange engine. lib/engine.c is the state machine
 * and the public entry points, lib/engine_exchange.c snapshots a decision
 * into an exchange and implements the gwr_upstream view, lib/engine_retry.c
 * holds the pure policy helpers (backoff, backend re-pick, response header
 * edits). The state machine is in docs/EMBEDDING.md.
 */
#ifndef GWR_ENGINE_INT_H
#define GWR_ENGINE_INT_H

#include "gwr_private.h"

#define ENG_NO_DEADLINE UINT64_MAX

/* Exchange states (docs/EMBEDDING.md "State machine"). An ended
 * exchange is freed at once, so there is no DONE state. */
enum {
    X_CONNECTING = 1,   /* connect() made, waiting for on_connected */
    X_WAITING,          /* send_request() made, waiting for the head */
    X_BACKOFF,          /* between attempts */
    X_STREAMING         /* head relayed, waiting for on_body_done */
};

/* A backendRef the engine may send an attempt to. */
typedef struct eng_cand {
    const gwr_backend *be;
    uint32_t weight;
} eng_cand;

/* The view handed to send_request / send_mirror (built on the stack). */
struct gwr_upstream {
    uint64_t exchange_id;
    uint32_t attempt;
    int mirror;
    const gwr_backend *be;
    uint32_t proto;
    uint64_t deadline;
    gwr_str method, scheme, host, path;
    const gwr_header *headers;
    size_t n_headers;
};

/* One exchange: a single allocation holding the struct, its arrays and
 * the bytes of every copied string (lib/engine_exchange.c). */
typedef struct eng_x {
    uint64_t id;
    uint64_t conn_id;         /* current connection lease, 0 = none */
    uint64_t xid;             /* current attempt, 0 = none */
    int state;
    uint32_t tries;           /* attempts started (1 = the first try) */
    size_t heap_idx;          /* SIZE_MAX when not in the heap */
    uint64_t deadline;        /* heap key: earliest relevant deadline */
    uint64_t req_deadline;    /* whole exchange, ENG_NO_DEADLINE = none */
    uint64_t try_deadline;    /* current attempt */
    uint64_t backoff_until;   /* X_BACKOFF */
    uint64_t backend_timeout_ms;   /* 0 = none */
    /* Retry policy, resolved against the engine defaults at submit. */
    int has_retry;
    uint32_t max_retries;
    uint64_t backoff_ms;
    uint32_t cap_factor;
    int jitter;
    int other_backend;
    const uint16_t *codes;
    size_t n_codes;
    int upgrade;              /* the request carries Upgrade */
    int grpc;                 /* a gRPC call: generated answers are
                                 trailers-only gRPC (lib/engine.c) */
    uint64_t seed;
    gwr_table *table;         /* referenced: backends point into it */
    const gwr_backend *be;    /* backend of the current attempt */
    const eng_cand *cands;    /* eligible for attempts, chosen first */
    size_t n_cands;
    gwr_str method, scheme, host, path;
    const gwr_header *up_headers;
    size_t n_up;
    const gwr_header *resp[3];     /* gwr_header_list: SET, ADD, REMOVE */
    size_t n_resp[3];
} eng_x;

typedef struct eng_slot {
    uint64_t id;              /* 0 = empty */
    eng_x *x;
} eng_slot;

struct gwr_engine {
    gwr_ctx *ctx;
    uint64_t next_id;
    /* id -> exchange: linear probing, power-of-two capacity, load kept
     * <= 1/2 by reserving at submit so events never allocate. */
    eng_slot *map;
    size_t map_cap, map_n;
    /* Min-heap of exchanges by deadline. */
    eng_x **heap;
    size_t heap_n, heap_cap;
    size_t n_x;
    uint64_t armed;           /* last deadline given to set_timer */
    int armed_known;          /* 0 after a set_timer failure */
    int in_cb;                /* inside a host callback */
    int free_pending;         /* gwr_engine_free() from inside one */
    gwr_header *scratch;      /* response heads built for respond */
    size_t scratch_cap;
    /* Options (gwr_engine_option). */
    int64_t opt[6];
};

/* ---- lib/engine_exchange.c -------------------------------------------- */

/* Snapshot a FORWARD decision: NULL on allocation failure. Takes a
 * table reference. Options are read from e. */
eng_x *gwr_eng__x_new(gwr_engine *e, const gwr_decision *d);
void gwr_eng__x_free(gwr_engine *e, eng_x *x);
/* The protocol to speak to be for x (upgrades pick WS/WSS). */
uint32_t gwr_eng__proto(const eng_x *x, const gwr_backend *be);
/* 1 when name is among hs (ASCII case-insensitive). */
int gwr_eng__has_header(const gwr_header *hs, size_t n, const char *name);

/* ---- lib/engine_retry.c ----------------------------------------------- */

/* Wait before retry number retry (1-based): backoff * 2^(retry-1), capped
 * at backoff * cap_factor, plus jitter when enabled. Never below
 * backoff_ms. */
uint64_t gwr_eng__backoff(gwr_engine *e, const eng_x *x, uint32_t retry);
/* Backend for attempt number tries (1-based) given the one that just
 * failed. Deterministic in x->seed. */
const gwr_backend *gwr_eng__pick(const eng_x *x, uint32_t tries,
                                 const gwr_backend *failed);
/* 1 when status is one of x's retry codes. */
int gwr_eng__is_retry_code(const eng_x *x, int status);
/* Apply x's response edits (may be NULL: none) to in[0..n) into the
 * engine scratch. The n_extra fields of extra (the Location of a
 * redirect; content-type, grpc-status, grpc-message of a gRPC answer) go
 * first: set replaces one of them in place, remove never drops them.
 * Needs n + n_extra + set + add entries of scratch. Returns GWR_OK or
 * GWR_E_NOMEM; out and n_out receive the result. */
int gwr_eng__edit_head(gwr_engine *e, const gwr_header *const resp[3],
                       const size_t n_resp[3], const gwr_header *extra,
                       size_t n_extra, const gwr_header *in, size_t n,
                       const gwr_header **out, size_t *n_out);

#endif /* GWR_ENGINE_INT_H */
