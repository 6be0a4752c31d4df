/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * gwroute/context.h: the context (allocator + host I/O shim).
 *
 * A context owns nothing but its allocator and a copy of the host's I/O
 * table. Objects created from a context (configs, tables, decisions) keep a
 * reference to it, so the context may be freed by the host at any time; it
 * is released when its last object goes.
 *
 * Thread-safety: a gwr_ctx may be used by one thread at a time. Objects that
 * are documented as shareable (gwr_table) may be released on any thread.
 */
#ifndef GWROUTE_CONTEXT_H
#define GWROUTE_CONTEXT_H

#include "gwroute/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Declared in gwroute/decision.h, gwroute/request.h and gwroute/engine.h;
 * named here so the I/O shim can take pointers to them. */
struct gwr_backend;
struct gwr_header;
struct gwr_upstream;

/** Log levels, most severe first. */
typedef enum gwr_log_level {
    GWR_LOG_ERROR = 0,
    GWR_LOG_WARN = 1,
    GWR_LOG_INFO = 2,
    GWR_LOG_DEBUG = 3
} gwr_log_level;

/**
 * The host I/O shim. The library opens no socket, starts no thread and
 * reads neither clock nor entropy itself: it asks the host through this
 * table. The table is copied by gwr_ctx_new(); it need not outlive the call.
 *
 * A NULL member gets the documented default (all defaults live in
 * lib/io.c). Every member receives the @c ud given to gwr_ctx_new().
 *
 * Size-versioned: set @c size to sizeof(gwr_io) (GWR_IO_INIT does it).
 * Fields are only ever appended; a newer caller's unknown tail must be
 * zero. A caller built against the v1 layout (size .. log) reads every
 * later member as NULL.
 *
 * Members after @c log drive the exchange engine (gwroute/engine.h,
 * docs/EMBEDDING.md). Every callback that returns int returns 0 (or the
 * documented positive value) on success and a negative value on failure;
 * the library never passes the host's number on: the engine call in
 * progress returns GWR_E_CALLBACK. They are invoked only on the thread
 * that called into the engine; calling back into the same engine from
 * inside one of them is refused with GWR_E_STATE (see engine.h for the
 * read-only calls that are allowed).
 */
typedef struct gwr_io {
    size_t size; /**< caller's sizeof(gwr_io); see docs/ABI.md */
    /** Monotonic milliseconds. Default: CLOCK_MONOTONIC. */
    uint64_t (*now_ms)(void *ud);
    /** Fill @p buf with @p len random bytes. Default: a non-cryptographic
     *  PRNG seeded from the context address (sampling and backend choice
     *  are not security boundaries). Called by gwr_table_match() for
     *  unseeded requests, possibly from several threads at once when
     *  decisions of one context match concurrently: must be thread-safe
     *  (the default is). */
    void (*random)(uint8_t *buf, size_t len, void *ud);
    /** One preformatted message of @p len bytes at @p msg (not
     *  NUL-terminated). Scalars only, no struct by value, so every FFI
     *  (ctypes, LuaJIT) can implement it. Default: discard. */
    void (*log)(uint32_t level, const char *msg, size_t len, void *ud);

    /* ---- Engine members (appended after the v1 layout). ---- */

    /** Arm the engine's single timer for the absolute monotonic time
     *  @p deadline_ms (same clock as @c now_ms), replacing any earlier
     *  deadline; UINT64_MAX disarms it. When it passes, call
     *  gwr_engine_on_timer(). Default: nothing (the host polls
     *  gwr_engine_next_deadline()). */
    int (*set_timer)(uint64_t deadline_ms, void *ud);
    /** Open (or take from a pool) a connection to @p be, to be known as
     *  @p conn_id. @p proto is the gwr_backend_proto_kind to speak
     *  (WS/WSS when the request is a WebSocket upgrade); TLS parameters
     *  are read with the gwr_backend_tls*() accessors. @p be is borrowed
     *  until the callback returns. Return 0 and later call
     *  gwr_engine_on_connected(), or return 1 when the connection is
     *  usable right now (then do not call gwr_engine_on_connected()).
     *  No default: submitting a FORWARD decision without it gives
     *  GWR_E_INVAL. */
    int (*connect)(const struct gwr_backend *be, uint32_t proto,
                   uint64_t conn_id, void *ud);
    /** Send the upstream request @p req (method, path, headers: see the
     *  gwr_upstream_*() accessors; borrowed until the callback returns) on
     *  connection @p conn_id as upstream attempt @p xid, followed by the
     *  client's request body, which the host owns (and replays on a
     *  retry). Answer with gwr_engine_on_response_head() and
     *  gwr_engine_on_body_done(), or gwr_engine_on_error(). No default. */
    int (*send_request)(uint64_t conn_id, uint64_t xid,
                        const struct gwr_upstream *req, void *ud);
    /** Fire-and-forget copy of @p req to the mirror backend @p be (both
     *  borrowed until the callback returns). Its outcome, this callback's
     *  return value included, never affects the client's exchange; the
     *  host reports nothing back. Default: mirrors are dropped. */
    int (*send_mirror)(const struct gwr_backend *be,
                       const struct gwr_upstream *req, void *ud);
    /** Answer the client of @p exchange_id: status, header fields
     *  (borrowed until the callback returns; no framing or hop-by-hop
     *  fields) and the @p body_len bytes of @p body (borrowed; may be NULL
     *  when empty). For a response the gateway generates the body is
     *  complete (empty in 1.0); for a proxied one
     *  gwr_engine_response_source() names the attempt whose body the host
     *  relays after this head. No default. */
    int (*respond)(uint64_t exchange_id, int status,
                   const struct gwr_header *headers, size_t n,
                   const char *body, size_t body_len, void *ud);
    /** Forget @p id and drop its work: a connection (close it or return
     *  it to a pool), an upstream attempt (abandon its response), or an
     *  exchange whose response head was already sent (abort the client
     *  response). Cannot fail. Default: nothing. */
    void (*cancel)(uint64_t id, void *ud);
} gwr_io;

/** Initializer with every member NULL (= defaults). */
#define GWR_IO_INIT { sizeof(gwr_io), 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** The context. */
typedef struct gwr_ctx gwr_ctx;

/**
 * Create a context.
 *
 * @param[out] out   receives the new context (set to NULL on failure).
 * @param[in]  mem   allocator hooks, copied; NULL for malloc/realloc/free.
 * @param[in]  io    I/O shim, copied; NULL for all defaults.
 * @param[in]  io_ud user data passed to every @p io member; borrowed.
 * @return GWR_OK, GWR_E_INVAL (NULL @p out, or an allocator with a NULL
 *         hook), GWR_E_ABI (bad @c size in @p mem or @p io),
 *         GWR_E_NOMEM.
 * @since 1.0
 */
GWR_API
int gwr_ctx_new(gwr_ctx **out, const gwr_allocator *mem, const gwr_io *io,
                void *io_ud);

/**
 * Release the host's reference on a context. Objects created from it keep
 * it alive until they are freed. NULL is a no-op.
 * @since 1.0
 */
GWR_API
void gwr_ctx_free(gwr_ctx *ctx);

/**
 * Only messages at @p level or more severe reach the log callback.
 * The default is GWR_LOG_WARN.
 * @return GWR_OK, or GWR_E_INVAL for a NULL context or unknown level.
 * @since 1.0
 */
GWR_API
int gwr_ctx_set_log_level(gwr_ctx *ctx, uint32_t level);

/** The current log level of @p ctx.
 *  @return a gwr_log_level; GWR_LOG_WARN for a NULL context. @since 1.0 */
GWR_API
uint32_t gwr_ctx_log_level(const gwr_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* GWROUTE_CONTEXT_H */
