/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * gwroute/table.h: compile the routes of one Gateway into an immutable,
 * reference-counted routing table.
 *
 * A table is a snapshot: gwr_table_compile() copies everything it needs out
 * of the config, so the host may free or change the config right after.
 * Hot reload = compile a new table, publish the new pointer, unref the old
 * one (docs/THREADING.md). Requests are matched with gwr_table_match()
 * (gwroute/decision.h).
 *
 * Thread-safety: a table is immutable after compile; every function taking
 * a const gwr_table * may be called from any number of threads at once.
 * gwr_table_ref() and gwr_table_unref() are atomic and may be called on
 * any thread; the last unref frees through the context's allocator, so
 * that allocator must be thread-safe (gwroute/common.h).
 */
#ifndef GWROUTE_TABLE_H
#define GWROUTE_TABLE_H

#include "gwroute/common.h"
#include "gwroute/context.h"
#include "gwroute/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The compiled routing table (opaque, refcounted). */
typedef struct gwr_table gwr_table;

/**
 * @name Request path normalization steps (gwr_compile_opts.path_flags)
 * Used only with GWR_COMPILE_PATH_FLAGS; docs/MATCHING.md "Request path
 * normalization" describes each step. Whatever the flags, a path with
 * control bytes, spaces, non-ASCII bytes, a raw '#' or not starting with
 * '/' is rejected (the decision answers 400).
 * @{
 */
#define GWR_PATH_DECODE_UNRESERVED       UINT32_C(0x01) /**< %41 -> A */
#define GWR_PATH_UPPERCASE_ESCAPES       UINT32_C(0x02) /**< %2f -> %2F */
#define GWR_PATH_REMOVE_DOT_SEGMENTS     UINT32_C(0x04) /**< /a/../b -> /b */
#define GWR_PATH_MERGE_SLASHES           UINT32_C(0x08) /**< //a -> /a */
#define GWR_PATH_REJECT_ENCODED_SLASH    UINT32_C(0x10) /**< %2F, %5C -> 400 */
#define GWR_PATH_DECODE_ENCODED_SLASH    UINT32_C(0x20) /**< %2F -> / */
#define GWR_PATH_REJECT_INVALID_ENCODING UINT32_C(0x40) /**< "%zz" -> 400 */
/** The default set: every step except DECODE_ENCODED_SLASH. */
#define GWR_PATH_DEFAULT                                                    \
    (GWR_PATH_DECODE_UNRESERVED | GWR_PATH_UPPERCASE_ESCAPES |              \
     GWR_PATH_REMOVE_DOT_SEGMENTS | GWR_PATH_MERGE_SLASHES |                \
     GWR_PATH_REJECT_ENCODED_SLASH | GWR_PATH_REJECT_INVALID_ENCODING)
/** @} */

/**
 * @name gwr_compile_opts.flags
 * @{
 */
/** Use gwr_compile_opts.path_flags instead of GWR_PATH_DEFAULT. */
#define GWR_COMPILE_PATH_FLAGS      UINT32_C(0x01)
/** Match and forward the request path exactly as received: no
 *  normalization and no rejection at all. **Warning:** "/public/../admin"
 *  then matches a /public prefix; only for hosts that normalize paths
 *  themselves before calling gwr_table_match(). */
#define GWR_COMPILE_NO_NORMALIZATION UINT32_C(0x02)
/** @} */

/**
 * Compile options. Size-versioned: set @c size to sizeof(gwr_compile_opts)
 * (GWR_COMPILE_OPTS_INIT does it); fields are only ever appended and a
 * newer caller's unknown tail must be zero.
 */
typedef struct gwr_compile_opts {
    size_t size; /**< caller's sizeof(gwr_compile_opts); see docs/ABI.md */
    /** The Gateway whose view is compiled. Both empty: the only Gateway
     *  loaded; with no Gateway loaded at all, one implicit HTTP listener on
     *  every port that accepts every route (docs/MATCHING.md). Borrowed
     *  for the call. */
    gwr_str gateway_ns;
    gwr_str gateway_name; /**< see @c gateway_ns */
    /** GWR_COMPILE_* bits. */
    uint32_t flags;
    /** GWR_PATH_* bits, read only with GWR_COMPILE_PATH_FLAGS. */
    uint32_t path_flags;
    /** Optional: on failure a NUL-terminated reason is written here
     *  (snprintf-style, cut to errbuf_size). NULL = not wanted. */
    char *errbuf;
    size_t errbuf_size; /**< size of @c errbuf in bytes, NUL included */
} gwr_compile_opts;

/** Initializer: every field defaulted. */
#define GWR_COMPILE_OPTS_INIT \
    { sizeof(gwr_compile_opts), { 0, 0 }, { 0, 0 }, 0, 0, 0, 0 }

/**
 * Compile the routes attached to one Gateway of @p cfg into a new table.
 *
 * Only what the config accepted is compiled: routes Accepted on a
 * listener, with their effective hostnames there, minus the rules dropped
 * as invalid. Listeners whose protocol is not HTTP or HTTPS are skipped.
 *
 * @param[out] out  receives the table with one reference owned by the
 *                  caller (NULL on failure). Release it with
 *                  gwr_table_unref().
 * @param[in]  cfg  the config; borrowed for the call only. The table holds
 *                  a reference on the config's context.
 * @param[in]  opts options, or NULL for GWR_COMPILE_OPTS_INIT.
 * @return GWR_OK;
 *         GWR_E_INVAL (NULL @p out or @p cfg, only one of gateway_ns /
 *         gateway_name set, unknown flag bits);
 *         GWR_E_ABI (bad @c size in @p opts);
 *         GWR_E_NOT_FOUND (no such Gateway);
 *         GWR_E_CONFIG (no Gateway named and several are loaded, or a
 *         regular expression cannot be compiled);
 *         GWR_E_LIMIT (a match name or value longer than the table
 *         stores, docs/LIMITS.md: not reachable with a config the loader
 *         accepted);
 *         GWR_E_NOMEM. The reason goes to @c opts->errbuf when given.
 * @since 1.0
 * Thread-safety: @p cfg must not be modified during the call.
 */
GWR_API
int gwr_table_compile(gwr_table **out, const gwr_config *cfg,
                      const gwr_compile_opts *opts);

/**
 * Take another reference on a table (atomic).
 * @return @p table (NULL for NULL).
 * @since 1.0
 * Thread-safety: any thread.
 */
GWR_API
gwr_table *gwr_table_ref(gwr_table *table);

/**
 * Drop a reference; the last one frees the table through the allocator of
 * the context it was compiled with. NULL is a no-op.
 * @since 1.0
 * Thread-safety: any thread.
 */
GWR_API
void gwr_table_unref(gwr_table *table);

/**
 * Number of (listener, route rule match) entries compiled into the table,
 * for monitoring and tests.
 * @return the count; 0 for a NULL table.
 * @since 1.0
 * Thread-safety: any thread.
 */
GWR_API
size_t gwr_table_entry_count(const gwr_table *table);

/**
 * Draw a sampling decision exactly as the table does for mirrors.
 * Pure function; cannot fail. Exposed so that hosts and tests can
 * reproduce decisions (docs/MATCHING.md "Sampling").
 * @return 1 when (hash of seed and salt) mod @p den < @p num, else 0;
 *         0 when @p num or @p den is 0, and 1 when @p num >= @p den.
 * @since 1.0
 * Thread-safety: any thread.
 */
GWR_API
int gwr_sample_fraction(uint64_t seed, uint64_t salt, uint32_t num,
                        uint32_t den);

#ifdef __cplusplus
}
#endif

#endif /* GWROUTE_TABLE_H */
