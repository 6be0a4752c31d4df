/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * gwroute/request.h: the incoming request as the host parsed it.
 *
 * Every string is a view into the host's own buffers, borrowed for the
 * duration of gwr_table_match() only: the decision copies what it keeps.
 */
#ifndef GWROUTE_REQUEST_H
#define GWROUTE_REQUEST_H

#include "gwroute/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One header field, or one {name, value} pair of a decision list. */
typedef struct gwr_header {
    gwr_str name;  /**< field name (or list entry name) */
    gwr_str value; /**< field value; empty for GWR_HEADERS_REMOVE entries */
} gwr_header;

/**
 * Header enumeration callback, used when gwr_request.headers is NULL:
 * fill @p out with the @p index-th header field (0-based, in arrival
 * order; the views must stay valid until gwr_table_match() returns) and
 * return 1; return 0 when @p index is past the last field; a negative
 * value aborts the match with GWR_E_CALLBACK.
 */
typedef int (*gwr_header_fn)(size_t index, gwr_header *out, void *ud);

/** gwr_request.flags: use gwr_request.seed (deterministic decisions). */
#define GWR_REQ_SEEDED UINT32_C(0x01)
/**
 * gwr_request.flags: the caller keeps every byte the request views (its
 * strings, the header array, and the fields a header_fn returned) valid
 * and unchanged until the decision is matched again, reset or freed, as
 * nghttp2's NGHTTP2_NV_FLAG_NO_COPY_* promise. The decision then views
 * them instead of copying them: its upstream method, scheme, Host, path
 * (unless a filter rewrote it) and header views point into the caller's
 * request and are not NUL-terminated. Saves one copy of the request per
 * forwarded match (docs/PERFORMANCE.md). @since 1.0
 */
#define GWR_REQ_NO_COPY UINT32_C(0x02)

/**
 * A request to route. Size-versioned: set @c size to sizeof(gwr_request)
 * (GWR_REQUEST_INIT does it); fields are only ever appended and a newer
 * caller's unknown tail must be zero.
 */
typedef struct gwr_request {
    size_t size; /**< caller's sizeof(gwr_request); see docs/ABI.md */
    gwr_str method;     /**< "GET"...; empty = GET */
    gwr_str scheme;     /**< "http" or "https"; empty = http */
    gwr_str host;       /**< Host / :authority, may carry ":port" */
    gwr_str path;       /**< raw request-target: path with optional ?query */
    /** Header fields in arrival order (repeated names allowed), or NULL
     *  to use @c header_fn. */
    const gwr_header *headers;
    size_t n_headers;      /**< number of entries at @c headers */
    gwr_header_fn header_fn; /**< used when @c headers is NULL; NULL = no
                                  header fields */
    void *header_ud;       /**< passed to @c header_fn; borrowed */
    /** Listener port the request arrived on (1..65535). */
    uint32_t port;
    /** GWR_REQ_* bits. */
    uint32_t flags;
    /** With GWR_REQ_SEEDED: the seed of the weighted backend choice and of
     *  mirror sampling. Otherwise 8 random bytes come from the context's
     *  random source per match. */
    uint64_t seed;
    /** TLS server name (SNI) the connection was accepted with, for an
     *  https request; empty when the client sent none or for cleartext.
     *  When given, the listener is chosen by it and the Host must agree:
     *  a Host that another listener on the port would take, or that the
     *  SNI's listener does not take, is answered 421 Misdirected Request
     *  (docs/MATCHING.md "Listener and TLS server name"). Ignored unless
     *  the scheme is "https". Appended after @c seed: callers built before
     *  it read as empty. @since 1.0 */
    gwr_str sni;
} gwr_request;

/** Initializer: an empty GET of "/" on port 80 would still need @c path. */
#define GWR_REQUEST_INIT \
    { sizeof(gwr_request), { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, 0, 0, 0, 0, \
      80, 0, 0, { 0, 0 } }

#ifdef __cplusplus
}
#endif

#endif /* GWROUTE_REQUEST_H */
