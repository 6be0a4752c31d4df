/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * RequestRedirect Location composition. Bounded writer over the caller's
 * buffer; the path part reuses gwr_path__replace_prefix in place.
 */
#include <string.h>

#include "path.h"
#include "redirect.h"

typedef struct loc_w {
    char *buf;
    size_t cap;   /* usable bytes, NUL excluded */
    size_t len;
    int err;
} loc_w;

static void
w_put(loc_w *w, const char *s, size_t n)
{
    if (w->err != GWR_OK)
        return;
    if (n > w->cap - w->len) {
        w->err = GWR_E_RANGE;
        return;
    }
    if (n > 0)
        memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void
w_str(loc_w *w, gwr_str s)
{
    w_put(w, s.ptr, s.len);
}

static void
w_port(loc_w *w, uint32_t port)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + port % 10);
        port /= 10;
    } while (port != 0);
    w_put(w, digits + sizeof(digits) - n, n);
}

/* Well-known port of a scheme, 0 when it has none we know. */
static uint32_t
default_port(gwr_str scheme)
{
    if (gwr_str__eq_ci(scheme, (gwr_str)GWR_STR_LIT("http")))
        return 80;
    if (gwr_str__eq_ci(scheme, (gwr_str)GWR_STR_LIT("https")))
        return 443;
    return 0;
}

int
gwr_redirect__location(const gwr_redirect__request *req,
                       const gwr_redirect__filter *filter, char *buf,
                       size_t buflen, gwr_str *out)
{
    if (buflen == 0)
        return GWR_E_RANGE;
    loc_w w = { buf, buflen - 1, 0, GWR_OK };

    gwr_str scheme = filter->scheme.len > 0 ? filter->scheme : req->scheme;
    gwr_str host = filter->hostname.len > 0 ? filter->hostname : req->host;
    uint32_t port;
    if (filter->port != 0)
        port = filter->port;
    else if (filter->scheme.len > 0 && default_port(filter->scheme) != 0)
        port = default_port(filter->scheme); /* even if it is the current
                                                 scheme's: spec §4.2 */
    else
        port = req->listener_port;
    if (host.len == 0 || port > 65535)
        return GWR_E_INVAL;

    w_str(&w, scheme);
    w_put(&w, "://", 3);
    int v6 = memchr(host.ptr, ':', host.len) != NULL;
    if (v6)
        w_put(&w, "[", 1);
    w_str(&w, host);
    if (v6)
        w_put(&w, "]", 1);
    if (port != 0 && port != default_port(scheme)) {
        w_put(&w, ":", 1);
        w_port(&w, port);
    }

    gwr_str path;
    switch (filter->path_type) {
    case GWR_REDIRECT__PATH_KEEP:
        path = req->path;
        break;
    case GWR_REDIRECT__PATH_FULL:
        path = filter->path;
        break;
    case GWR_REDIRECT__PATH_PREFIX: {
        if (w.err != GWR_OK)
            return w.err;
        /* Compose in place after the authority; +1 for the NUL. */
        int rc = gwr_path__replace_prefix(filter->matched_prefix, req->path,
                                          filter->path, w.buf + w.len,
                                          w.cap - w.len + 1, &path);
        if (rc != GWR_OK)
            return rc;
        /* Shift right by one when a '/' has to be prepended. */
        if (path.ptr[0] != '/') {
            if (w.cap - w.len < path.len + 1)
                return GWR_E_RANGE;
            memmove(w.buf + w.len + 1, w.buf + w.len, path.len);
            w.buf[w.len] = '/';
            w.len += 1;
        }
        w.len += path.len;
        path = (gwr_str){ NULL, 0 };
        break;
    }
    default:
        return GWR_E_INVAL;
    }
    if (filter->path_type != GWR_REDIRECT__PATH_PREFIX) {
        /* A Location path must be absolute; values without a leading
         * '/' (the API does not check them) would run into the host. */
        if (path.len == 0 || path.ptr[0] != '/')
            w_put(&w, "/", 1);
        w_str(&w, path);
    }
    if (req->query.len > 0) {
        w_put(&w, "?", 1);
        w_str(&w, req->query);
    }
    if (w.err != GWR_OK)
        return w.err;
    buf[w.len] = '\0';
    *out = (gwr_str){ buf, w.len };
    return GWR_OK;
}
