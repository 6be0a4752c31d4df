/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The CORS filter's policy and its answers (lib/cors.h).
 */
#include <stdio.h>
#include <string.h>

#include "cors.h"
#include "hostname.h"

static int
prefix_ci(gwr_str s, const char *p, size_t n)
{
    return s.len >= n && gwr_str__eq_ci((gwr_str){ s.ptr, n }, (gwr_str){ p, n });
}

static int
host_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* "scheme://host[:port]"; with patterns, also "*" and the hosts "*" and
 * "*.suffix" (the allowOrigins forms, spec §7.1 CORSOrigin). A bracketed
 * IPv6 host is taken as written. The host is a view of s. */
static int
parse(gwr_str s, int patterns, gwr_cors__origin *o)
{
    memset(o, 0, sizeof(*o));
    if (patterns && s.len == 1 && s.ptr[0] == '*') {
        o->any = 1;
        return 1;
    }
    size_t i;
    if (prefix_ci(s, "https://", 8)) {
        o->https = 1;
        i = 8;
    } else if (prefix_ci(s, "http://", 7)) {
        i = 7;
    } else {
        return 0;
    }
    size_t host_start = i;
    if (i < s.len && s.ptr[i] == '[') {
        while (i < s.len && s.ptr[i] != ']')
            i++;
        if (i == s.len)
            return 0;
        i++;
    } else {
        if (patterns && i < s.len && s.ptr[i] == '*') {
            i++;
            if (i < s.len && s.ptr[i] == '.') {
                o->wildcard = 1;
                host_start = i;   /* the suffix keeps its leading '.' */
            } else {
                o->host_any = 1;  /* "*" is the whole host */
            }
        }
        while (!o->host_any && i < s.len && host_char((unsigned char)s.ptr[i]))
            i++;
    }
    o->host = (gwr_str){ s.ptr + host_start, i - host_start };
    if (!o->host_any && (o->host.len == 0 || (o->wildcard && o->host.len < 2)))
        return 0;
    o->port = o->https ? 443 : 80;
    if (i < s.len && s.ptr[i] == ':') {
        /* The port ends the origin: the Host port rule (1-5 digits, at
         * most 65535), and here not empty and not 0. */
        gwr_str digits = { s.ptr + i + 1, s.len - i - 1 };
        uint32_t port = 0;
        if (!gwr_hostname__port(digits, &port) || port == 0)
            return 0;
        o->port = port;
        return 1;
    }
    return i == s.len;        /* no path, no list, nothing else */
}

int
gwr_cors__parse_origin(gwr_str origin, gwr_cors__origin *o)
{
    return parse(origin, 0, o);
}

static int
ends_with_ci(gwr_str s, gwr_str suffix)
{
    if (s.len < suffix.len)
        return 0;
    gwr_str tail = { s.ptr + s.len - suffix.len, suffix.len };
    return gwr_str__eq_ci(tail, suffix);
}

int
gwr_cors__origin_ok(const gwr_cors__policy *p, gwr_str origin)
{
    gwr_cors__origin r;
    if (!parse(origin, 0, &r))
        return 0;
    for (size_t i = 0; i < p->n_origins; i++) {
        const gwr_cors__origin *a = &p->origins[i];
        if (a->any)
            return 1;
        if (a->https != r.https || a->port != r.port)
            continue;
        if (a->host_any)
            return 1;
        if (a->wildcard ? r.host.len > a->host.len && ends_with_ci(r.host, a->host)
                        : gwr_str__eq_ci(r.host, a->host))
            return 1;
    }
    return 0;
}

/* items joined with ", " into the arena (empty: {"", 0}). */
static int
join(gwr_arena *a, const gwr_strs *items, gwr_str *out)
{
    size_t n = 0;
    for (size_t i = 0; i < items->n; i++)
        n += items->items[i].len + (i ? 2 : 0);
    if (n == 0) {
        *out = (gwr_str){ "", 0 };
        return GWR_OK;
    }
    char *b = gwr_arena__alloc(a, n + 1);
    if (b == NULL)
        return GWR_E_NOMEM;
    size_t at = 0;
    for (size_t i = 0; i < items->n; i++) {
        if (i) {
            memcpy(b + at, ", ", 2);
            at += 2;
        }
        memcpy(b + at, items->items[i].ptr, items->items[i].len);
        at += items->items[i].len;
    }
    b[at] = '\0';
    *out = (gwr_str){ b, at };
    return GWR_OK;
}

static int
only_star(const gwr_strs *items)
{
    return items->n == 1 && items->items[0].len == 1 && items->items[0].ptr[0] == '*';
}

int
gwr_cors__compile(gwr_arena *a, const gwr_cors *in, gwr_cors__policy **out)
{
    *out = NULL;
    gwr_cors__policy *p = gwr_arena__calloc(a, 1, sizeof(*p));
    if (p == NULL)
        return GWR_E_NOMEM;
    if (in->allow_origins.n > 0) {
        p->origins = gwr_arena__calloc(a, in->allow_origins.n, sizeof(*p->origins));
        if (p->origins == NULL)
            return GWR_E_NOMEM;
    }
    for (size_t i = 0; i < in->allow_origins.n; i++) {
        gwr_cors__origin *o = &p->origins[p->n_origins];
        if (!parse(in->allow_origins.items[i], 1, o))
            return GWR_E_INVAL;
        /* The table keeps its own lowercase copy of the host. */
        char *h = gwr_arena__strndup(a, o->host.ptr, o->host.len);
        if (h == NULL && o->host.len > 0)
            return GWR_E_NOMEM;
        for (size_t k = 0; k < o->host.len; k++)
            h[k] = gwr__tolower(h[k]);
        o->host = (gwr_str){ h != NULL ? h : "", o->host.len };
        p->n_origins++;
    }
    p->credentials = in->allow_credentials;
    p->methods_any = only_star(&in->allow_methods);
    p->headers_any = only_star(&in->allow_headers);
    int rc;
    if ((rc = join(a, &in->allow_methods, &p->methods)) != GWR_OK ||
        (rc = join(a, &in->allow_headers, &p->headers)) != GWR_OK ||
        (rc = join(a, &in->expose_headers, &p->expose)) != GWR_OK)
        return rc;
    char age[24];
    int n = snprintf(age, sizeof(age), "%lld", (long long)in->max_age_s);
    if ((rc = gwr_arena__str(a, (gwr_str){ age, (size_t)n }, &p->max_age)) != GWR_OK)
        return rc;
    *out = p;
    return GWR_OK;
}

size_t
gwr_cors__fields(const gwr_cors__policy *p, int preflight, gwr_str origin,
                 gwr_str req_method, gwr_str req_headers,
                 gwr_header out[GWR_CORS__MAX_FIELDS])
{
    size_t n = 0;
    /* The Origin is echoed, also under "*": a credentialed request must
     * never see "*", and one answer for both keeps caches honest. */
    out[n++] = (gwr_header){ GWR_STR_LIT("access-control-allow-origin"), origin };
    if (preflight) {
        gwr_str m = p->methods_any ? req_method : p->methods;
        if (m.len > 0)
            out[n++] = (gwr_header){ GWR_STR_LIT("access-control-allow-methods"), m };
        gwr_str h = p->headers_any ? req_headers : p->headers;
        if (h.len > 0)
            out[n++] = (gwr_header){ GWR_STR_LIT("access-control-allow-headers"), h };
        out[n++] = (gwr_header){ GWR_STR_LIT("access-control-max-age"), p->max_age };
    }
    if (p->expose.len > 0)
        out[n++] = (gwr_header){ GWR_STR_LIT("access-control-expose-headers"), p->expose };
    if (p->credentials)
        out[n++] = (gwr_header){ GWR_STR_LIT("access-control-allow-credentials"),
                                 GWR_STR_LIT("true") };
    return n;
}
