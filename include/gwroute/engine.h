/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * gwroute/engine.h: the exchange engine. It runs the request lifecycle
 * of a decision -- upstream connection and request, timeouts, retries
 * with backoff, mirrors, WebSocket/h2c upgrades, response header edits --
 * entirely through the host callbacks of the context's gwr_io (the
 * nghttp2 / curl multi_socket model). It opens no socket, reads no clock
 * but gwr_io.now_ms, and starts no thread.
 *
 * Identifiers (exchange ids, connection ids, attempt ids "xid") are
 * uint64_t chosen by the engine from one counter: never 0, never reused
 * by the engine, and no two kinds share a value, so gwr_io.cancel() and
 * gwr_engine_on_error() take any of them.
 *
 * Re-entrancy: while the engine is inside a host callback, every call
 * that changes it (submit, on_*, cancel) returns GWR_E_STATE and does
 * nothing; a host that learns of an event synchronously defers it to its
 * loop (a connect callback may instead return 1, "connected now"). The
 * read-only calls gwr_engine_next_deadline(), gwr_engine_exchange_count(),
 * gwr_engine_response_source() and gwr_engine_exchange_of() are allowed,
 * and gwr_engine_free() is deferred until the engine returns to the host.
 *
 * Thread-safety: a gwr_engine belongs to one event-loop thread, like the
 * context it uses; at most one engine per context (the timer callback
 * carries no engine). Use one context and one engine per thread.
 * See docs/EMBEDDING.md for the state machine and a worked example.
 */
#ifndef GWROUTE_ENGINE_H
#define GWROUTE_ENGINE_H

#include "gwroute/common.h"
#include "gwroute/context.h"
#include "gwroute/decision.h"
#include "gwroute/request.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The engine (opaque). */
typedef struct gwr_engine gwr_engine;
/** One upstream request as the engine hands it to the host (opaque,
 *  borrowed for the duration of the callback that receives it). */
typedef struct gwr_upstream gwr_upstream;

/** gwr_engine_set_option() keys; values are int64_t. */
typedef enum gwr_engine_option {
    /** Retries when the rule has a retry stanza without attempts.
     *  Default 1; range 0..1000. */
    GWR_ENGINE_OPT_DEFAULT_ATTEMPTS = 0,
    /** Backoff in ms when the retry stanza has none. Default 25;
     *  range 0..3600000. */
    GWR_ENGINE_OPT_DEFAULT_BACKOFF_MS = 1,
    /** Exponential backoff cap as a multiple of the configured backoff:
     *  the wait before retry n is min(backoff * 2^(n-1), backoff * cap).
     *  Default 10; 1 = constant backoff; range 1..1000000. */
    GWR_ENGINE_OPT_BACKOFF_CAP_FACTOR = 2,
    /** 1: add a random 0..50% (from gwr_io.random) to every backoff wait;
     *  never shorter than computed. Default 0 (exact, reproducible). */
    GWR_ENGINE_OPT_JITTER = 3,
    /** Request timeout in ms for rules that set none; 0 = none.
     *  Default 0. Range 0..2^40. */
    GWR_ENGINE_OPT_DEFAULT_REQUEST_TIMEOUT_MS = 4,
    /** 1: a retry may pick another backend of the rule by weight (never
     *  the one that just failed while another is eligible). Default 1. */
    GWR_ENGINE_OPT_RETRY_OTHER_BACKEND = 5
} gwr_engine_option;

/**
 * Create an engine on @p ctx, whose gwr_io carries the host callbacks.
 *
 * @param[out] out receives the engine (NULL on failure).
 * @param[in]  ctx the context; referenced until gwr_engine_free().
 * @return GWR_OK; GWR_E_INVAL (NULL argument); GWR_E_STATE (@p ctx
 *         already has an engine); GWR_E_NOMEM.
 * @since 1.0
 * Thread-safety: see the file comment; one engine per context and thread.
 */
GWR_API
int gwr_engine_new(gwr_engine **out, gwr_ctx *ctx);

/**
 * Free an engine. Exchanges still running are dropped silently: no
 * callback is made (the host is tearing down and forgets every id
 * itself), their table references are released. Called from inside a
 * host callback, the free happens when the engine returns to the host.
 * NULL is a no-op.
 * @since 1.0
 */
GWR_API
void gwr_engine_free(gwr_engine *e);

/**
 * Set a tunable (gwr_engine_option). Applies to exchanges submitted
 * afterwards.
 * @return GWR_OK; GWR_E_INVAL (NULL engine, unknown option);
 *         GWR_E_RANGE (value out of the documented range).
 * @since 1.0
 */
GWR_API
int gwr_engine_set_option(gwr_engine *e, uint32_t option, int64_t value);

/**
 * Start an exchange for a decision.
 *
 * Everything the exchange needs is copied (and the decision's table is
 * referenced), so the host may match into @p d again right away.
 * REDIRECT, RESPOND and NO_ROUTE decisions are answered at once through
 * gwr_io.respond and the exchange ends before this returns. FORWARD
 * decisions send the sampled mirrors, then connect to the backend.
 *
 * gRPC calls (gwr_decision_grpc() is 1): every answer the engine makes
 * up itself -- no route (404), no usable backend (500), and later the
 * 502 / 503 / 504 of a failed exchange -- is sent in the trailers-only
 * gRPC form instead: status 200, fields @c content-type
 * @c application/grpc, @c grpc-status (12 UNIMPLEMENTED for 404,
 * 4 DEADLINE_EXCEEDED for 504, 14 UNAVAILABLE for the others; see
 * gwr_grpc_code) and @c grpc-message (a short fixed text), empty body; the
 * rule's response header edits apply as to any generated answer. A
 * redirect stays an HTTP answer, and a response from the upstream is
 * relayed as it came (docs/MATCHING.md "GRPCRoute").
 *
 * @param[in]  e   the engine.
 * @param[in]  d   a matched decision; borrowed for the call.
 * @param[out] exchange_id_out receives the exchange id (may be NULL). It
 *             is written before the first callback runs, so a respond
 *             made from inside this call can be matched to it; 0 when no
 *             exchange was created.
 * @return GWR_OK; GWR_E_INVAL (NULL argument, gwr_io.respond unset, or a
 *         FORWARD decision without gwr_io.connect / send_request: nothing
 *         is created); GWR_E_STATE (called from inside a callback);
 *         GWR_E_LIMIT (too many exchanges in flight, 2^24); GWR_E_NOMEM
 *         (nothing created); GWR_E_CALLBACK (a host callback failed: the
 *         exchange was ended as documented in docs/EMBEDDING.md, with a
 *         respond unless respond itself failed).
 * @since 1.0
 */
GWR_API
int gwr_engine_submit(gwr_engine *e, const gwr_decision *d,
                      uint64_t *exchange_id_out);

/**
 * A connection asked for by gwr_io.connect is ready (@p status 0) or
 * failed (@p status < 0: a connection error, retried under a retry
 * stanza, else answered 503, or grpc-status 14 for a gRPC call as
 * gwr_engine_submit() says). The engine then sends the request.
 * @return GWR_OK; GWR_E_NOT_FOUND (unknown or already cancelled id:
 *         nothing done, safe to ignore); GWR_E_STATE; GWR_E_CALLBACK.
 * @since 1.0
 */
GWR_API
int gwr_engine_on_connected(gwr_engine *e, uint64_t conn_id, int status);

/**
 * The response head of upstream attempt @p xid arrived. The engine either
 * answers the client with it (ResponseHeaderModifier applied; returns 1)
 * or, when its status is a retry code and retries and time remain,
 * cancels the attempt and schedules the next one (returns 0). After a
 * 101 on an upgrade request the exchange is over from the engine's view:
 * the host owns the tunnel.
 *
 * @param[in] headers the response fields, borrowed for the call.
 * @return 1 (passed to the client), 0 (retrying); GWR_E_INVAL (NULL
 *         headers with n > 0, status outside 100..999); GWR_E_NOT_FOUND;
 *         GWR_E_STATE (called twice, or from inside a callback);
 *         GWR_E_CALLBACK; GWR_E_NOMEM (the edited head could not be built:
 *         the client got a generated 502, grpc-status 14 for a gRPC
 *         call).
 * @since 1.0
 */
GWR_API
int gwr_engine_on_response_head(gwr_engine *e, uint64_t xid, int http_status,
                                const gwr_header *headers, size_t n);

/**
 * The upstream response of @p xid is complete (bodiless responses too).
 * Ends the exchange if @p xid is the one being relayed.
 * @return GWR_OK; GWR_E_NOT_FOUND; GWR_E_STATE (no head yet, or from
 *         inside a callback); GWR_E_CALLBACK (a callback failed, e.g.
 *         gwr_io.set_timer when the engine re-armed its timer; the event
 *         itself was handled).
 * @since 1.0
 */
GWR_API
int gwr_engine_on_body_done(gwr_engine *e, uint64_t xid);

/**
 * A connection or attempt failed (@p id is a conn_id or xid; @p err is
 * the host's own code, only logged). Before a response head: a connection
 * error (retried, else 503; grpc-status 14 for a gRPC call). While
 * relaying a body: the exchange is aborted (gwr_io.cancel of the exchange
 * id).
 * @return GWR_OK; GWR_E_NOT_FOUND; GWR_E_STATE; GWR_E_CALLBACK.
 * @since 1.0
 */
GWR_API
int gwr_engine_on_error(gwr_engine *e, uint64_t id, int err);

/**
 * The deadline given to gwr_io.set_timer passed (or the host polls):
 * handles every expired deadline at gwr_io.now_ms() and re-arms the
 * timer. Calling it early is harmless: nothing expires and the timer is
 * armed again (set_timer) for the same deadline.
 * @return GWR_OK; GWR_E_INVAL; GWR_E_STATE; GWR_E_CALLBACK (one or more
 *         callbacks failed; every expired deadline was still handled).
 * @since 1.0
 */
GWR_API
int gwr_engine_on_timer(gwr_engine *e);

/**
 * The client of @p exchange_id went away: its upstream work is cancelled
 * (gwr_io.cancel of the connection and attempt ids) and the exchange ends
 * without a respond.
 * @return GWR_OK; GWR_E_NOT_FOUND (unknown or finished); GWR_E_STATE;
 *         GWR_E_CALLBACK (gwr_io.set_timer failed while re-arming the
 *         timer; the exchange was still cancelled).
 * @since 1.0
 */
GWR_API
int gwr_engine_cancel(gwr_engine *e, uint64_t exchange_id);

/** The engine's earliest deadline (gwr_io.now_ms clock). Allowed inside
 *  callbacks.
 *  @return the deadline; UINT64_MAX when there is none or @p e is NULL.
 *  @since 1.0 */
GWR_API
uint64_t gwr_engine_next_deadline(const gwr_engine *e);

/** Exchanges not yet ended. Allowed inside callbacks.
 *  @return the count; 0 for a NULL engine. @since 1.0 */
GWR_API
size_t gwr_engine_exchange_count(const gwr_engine *e);

/** The upstream attempt (xid) whose response the client of
 *  @p exchange_id is receiving, or 0 when the engine generated the
 *  response or there is none yet. Allowed inside callbacks (use it in
 *  gwr_io.respond). @since 1.0 */
GWR_API
uint64_t gwr_engine_response_source(const gwr_engine *e,
                                    uint64_t exchange_id);

/** The exchange an id belongs to: for a connection id (gwr_io.connect) or
 *  an attempt id (gwr_io.send_request) the exchange that leases it now,
 *  for an exchange id the exchange itself. Allowed inside callbacks: in
 *  gwr_io.connect it is how a host ties a connection to the client
 *  request that asked for it (logs, traces, accounting).
 *  @return the exchange id; 0 for an id the engine does not know (any
 *          more), or a NULL @p e. @since 1.0 */
GWR_API
uint64_t gwr_engine_exchange_of(const gwr_engine *e, uint64_t id);

/** Exchange the upstream request belongs to.
 *
 *  The gwr_upstream_*() accessors read an upstream request handed to
 *  gwr_io.send_request or gwr_io.send_mirror; everything they return is
 *  borrowed from it, valid until that callback returns.
 *  @return the exchange id; 0 for a NULL upstream. @since 1.0 */
GWR_API
uint64_t gwr_upstream_exchange_id(const gwr_upstream *u);
/** 0 for the first try, n for the n-th retry (always 0 for a mirror).
 *  @since 1.0 */
GWR_API
uint32_t gwr_upstream_attempt(const gwr_upstream *u);
/** Whether this is a mirror copy.
 *  @return 1 for a mirror copy; 0 otherwise or for a NULL upstream.
 *  @since 1.0 */
GWR_API
int gwr_upstream_is_mirror(const gwr_upstream *u);
/** The backend this request goes to.
 *  @return the backend (borrowed until the callback returns); NULL for a
 *          NULL upstream. @since 1.0 */
GWR_API
const gwr_backend *gwr_upstream_backend(const gwr_upstream *u);
/** Protocol to speak (WS/WSS for a WebSocket upgrade).
 *  @return a gwr_backend_proto_kind; GWR_BACKEND_HTTP for a NULL upstream.
 *  @since 1.0 */
GWR_API
uint32_t gwr_upstream_protocol(const gwr_upstream *u);
/** Method.
 *  @return the method; an empty view for a NULL upstream. @since 1.0 */
GWR_API
gwr_str gwr_upstream_method(const gwr_upstream *u);
/** Scheme of the client request ("http"/"https").
 *  @return the scheme; an empty view for a NULL upstream. @since 1.0 */
GWR_API
gwr_str gwr_upstream_scheme(const gwr_upstream *u);
/** Host header value.
 *  @return the host; an empty view for a NULL upstream. @since 1.0 */
GWR_API
gwr_str gwr_upstream_host(const gwr_upstream *u);
/** Path and query.
 *  @return the path; an empty view for a NULL upstream. @since 1.0 */
GWR_API
gwr_str gwr_upstream_path(const gwr_upstream *u);
/** Number of header fields (after every request filter).
 *  @return the count; 0 for a NULL upstream. @since 1.0 */
GWR_API
size_t gwr_upstream_header_count(const gwr_upstream *u);
/** The i-th header field (borrowed until the callback returns); NULL
 *  when out of range or for a NULL upstream. @since 1.0 */
GWR_API
const gwr_header *gwr_upstream_header(const gwr_upstream *u, size_t i);
/** Deadline of this attempt (gwr_io.now_ms clock): informative, the
 *  engine enforces it.
 *  @return the deadline; UINT64_MAX when none (always for a mirror) or
 *          for a NULL upstream. @since 1.0 */
GWR_API
uint64_t gwr_upstream_deadline(const gwr_upstream *u);

#ifdef __cplusplus
}
#endif

#endif /* GWROUTE_ENGINE_H */
