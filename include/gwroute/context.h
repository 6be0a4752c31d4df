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
 * zero. (The exchange engine appends timer and upstream members.)
 */
typedef struct gwr_io {
    size_t size;
    /** Monotonic milliseconds. Default: CLOCK_MONOTONIC. */
    uint64_t (*now_ms)(void *ud);
    /** Fill @p buf with @p len random bytes. Default: a non-cryptographic
     *  PRNG seeded from the clock and the context address (sampling and
     *  backend choice are not security boundaries). */
    void (*random)(uint8_t *buf, size_t len, void *ud);
    /** One preformatted message (not NUL-terminated). Default: discard. */
    void (*log)(uint32_t level, gwr_str msg, void *ud);
} gwr_io;

/** Initializer with every member NULL (= defaults). */
#define GWR_IO_INIT { sizeof(gwr_io), 0, 0, 0 }

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

/** The current log level of @p ctx (GWR_LOG_WARN for NULL). @since 1.0 */
GWR_API
uint32_t gwr_ctx_log_level(const gwr_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* GWROUTE_CONTEXT_H */
