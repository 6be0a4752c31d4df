/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * RequestRedirect Location composition (spec §4.2, path part §4.4).
 * Writes into a caller buffer: it runs when a request hits a redirect
 * rule and must not allocate.
 */
#ifndef GWR_REDIRECT_H
#define GWR_REDIRECT_H

#include <stddef.h>
#include <stdint.h>

#include "gwr_private.h"

/* What the filter does with the path. */
enum {
    GWR_REDIRECT__PATH_KEEP = 0,   /* path unset: the request path */
    GWR_REDIRECT__PATH_FULL = 1,   /* ReplaceFullPath */
    GWR_REDIRECT__PATH_PREFIX = 2, /* ReplacePrefixMatch */
};

/* The request, as seen after matching. */
typedef struct gwr_redirect__request {
    gwr_str scheme;          /* "http" / "https": the listener protocol */
    gwr_str host;            /* normalized Host, port stripped, no [] */
    uint32_t listener_port;  /* port of the listener that took it */
    gwr_str path;            /* normalized request path */
    gwr_str query;           /* after '?'; empty or ptr NULL: none */
} gwr_redirect__request;

/* The HTTPRequestRedirectFilter; empty views / 0 mean "unset". */
typedef struct gwr_redirect__filter {
    gwr_str scheme;
    gwr_str hostname;
    uint32_t port;
    int path_type;           /* GWR_REDIRECT__PATH_* */
    gwr_str path;            /* full path, or the replacement prefix */
    gwr_str matched_prefix;  /* the rule's PathPrefix value (PATH_PREFIX) */
} gwr_redirect__filter;

/*
 * Compose scheme://host[:port]path[?query] into buf (NUL-terminated):
 *   scheme = filter scheme, else the request's;
 *   host   = filter hostname, else the request host (an IPv6 literal is
 *            written in brackets);
 *   port   = filter port, else the well-known port of the filter scheme
 *            when that is set (http 80, https 443; other schemes: the
 *            listener port), else the listener port; omitted for
 *            http:80 and https:443;
 *   path   = request path / ReplaceFullPath value / §4.4 result; "/" is
 *            prepended when it does not start with '/';
 *   query  = the request's, kept as is (empty query dropped).
 * Returns GWR_OK, GWR_E_INVAL (ReplacePrefixMatch prefix does not match
 * the path, unknown path_type, empty host or port > 65535) or GWR_E_RANGE
 * (buffer too small). *out views buf on success and is untouched
 * otherwise.
 */
int
gwr_redirect__location(const gwr_redirect__request *req,
                       const gwr_redirect__filter *filter, char *buf,
                       size_t buflen, gwr_str *out);

#endif /* GWR_REDIRECT_H */
