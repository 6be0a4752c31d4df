/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The CORS filter (spec §4.7, GEP-1767): a rule's policy compiled once
 * (origins parsed, lists joined), then per request whether its Origin is
 * allowed and which response fields answer it. Nothing here allocates at
 * match time; lib/filters.c decides when a request is a preflight.
 */
#ifndef GWR_CORS_H
#define GWR_CORS_H

#include <stddef.h>
#include <stdint.h>

#include "gwr_private.h"
#include "model.h"

/* One allowOrigins entry, parsed (or a request's Origin). */
typedef struct gwr_cors__origin {
    uint8_t any;              /* "*": every origin */
    uint8_t https;            /* scheme https (else http) */
    uint8_t host_any;         /* host "*": every host of the scheme */
    uint8_t wildcard;         /* host "*.suffix": the host ends with host */
    uint32_t port;            /* as written, else the scheme's 80 / 443 */
    gwr_str host;             /* lowercase; ".suffix" for a wildcard */
} gwr_cors__origin;

typedef struct gwr_cors__policy {
    gwr_cors__origin *origins;
    size_t n_origins;
    int credentials;          /* allowCredentials: true */
    int methods_any;          /* allowMethods: ["*"] */
    int headers_any;          /* allowHeaders: ["*"] */
    gwr_str methods;          /* the lists joined with ", " (empty: unset) */
    gwr_str headers;
    gwr_str expose;
    gwr_str max_age;          /* seconds, decimal */
} gwr_cors__policy;

/* Most response fields one answer carries (gwr_cors__fields). */
#define GWR_CORS__MAX_FIELDS 6

/* Compile the model's policy into arena a. GWR_OK, GWR_E_NOMEM, or
 * GWR_E_INVAL for an origin the loader should have refused. */
int gwr_cors__compile(gwr_arena *a, const gwr_cors *in, gwr_cors__policy **out);

/* Parse a request's Origin value ("scheme://host[:port]", scheme http or
 * https, any case; the port defaults to the scheme's). 1 and *o, or 0
 * for anything else ("null", a path, an empty host, a bad port, a list). */
int gwr_cors__parse_origin(gwr_str origin, gwr_cors__origin *o);

/* 1 when the request Origin value is allowed by the policy: "*"; or the
 * same scheme and port and, ignoring case, the same host, any host (an
 * entry whose host is "*") or a host ending with ".suffix" (an entry
 * whose host is "*.suffix", which covers any number of labels left of
 * the suffix). */
int gwr_cors__origin_ok(const gwr_cors__policy *p, gwr_str origin);

/* The response fields for an allowed request (names are static, values
 * view p or the arguments): the Origin echoed, then for a preflight the
 * allowed methods (the requested one under "*"), the allowed headers (the
 * requested ones under "*"), the max age; for both the exposed headers
 * and, with allowCredentials, "true". Returns how many of out were set. */
size_t gwr_cors__fields(const gwr_cors__policy *p, int preflight,
                        gwr_str origin, gwr_str req_method,
                        gwr_str req_headers,
                        gwr_header out[GWR_CORS__MAX_FIELDS]);

#endif /* GWR_CORS_H */
