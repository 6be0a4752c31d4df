/*
 * libgwroute fuzz target - SPDX-License-Identifier: MIT
 *
 * RequestRedirect Location composition (lib/redirect.h) and the
 * ReplacePrefixMatch rewrite it builds on, with every input fuzzed and
 * the output buffer at and around its edge. Input: byte 0 is a
 * separator S, then 7 control bytes, then the fields
 *   req.scheme S req.host S req.path S req.query S filter.scheme S
 *   filter.hostname S filter.path S filter.matched_prefix
 * The result is compared with an independent composition written from
 * the header's documentation; a buffer of exactly len + 1 bytes must
 * work, one byte less must be GWR_E_RANGE, and the function must never
 * write outside the buffer (each buffer is a heap block of its exact
 * size, so ASan sees it).
 */
#include "fuzz-common.h"
#include "path.h"
#include "redirect.h"

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void
sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            abort();
        b->p = p;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static int
eq_ci(gwr_str a, const char *lit)
{
    size_t n = strlen(lit);
    if (a.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = a.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

static uint32_t
well_known(gwr_str scheme)
{
    return eq_ci(scheme, "http") ? 80 : eq_ci(scheme, "https") ? 443 : 0;
}

/* The Location as documented in lib/redirect.h; GWR_E_INVAL when the
 * documentation says so. */
static int
reference(const gwr_redirect__request *rq, const gwr_redirect__filter *f,
          sbuf *out)
{
    gwr_str scheme = f->scheme.len > 0 ? f->scheme : rq->scheme;
    gwr_str host = f->hostname.len > 0 ? f->hostname : rq->host;
    uint32_t port = f->port != 0 ? f->port
                    : (f->scheme.len > 0 && well_known(f->scheme) != 0)
                        ? well_known(f->scheme)
                        : rq->listener_port;
    if (host.len == 0 || port > 65535)
        return GWR_E_INVAL;
    if (f->path_type < GWR_REDIRECT__PATH_KEEP ||
        f->path_type > GWR_REDIRECT__PATH_PREFIX)
        return GWR_E_INVAL;
    if (f->path_type == GWR_REDIRECT__PATH_PREFIX &&
        !gwr_path__prefix_match(f->matched_prefix, rq->path))
        return GWR_E_INVAL;
    sb_put(out, scheme.ptr, scheme.len);
    sb_put(out, "://", 3);
    int v6 = memchr(host.ptr, ':', host.len) != NULL;
    if (v6)
        sb_put(out, "[", 1);
    sb_put(out, host.ptr, host.len);
    if (v6)
        sb_put(out, "]", 1);
    if (port != 0 && port != well_known(scheme)) {
        char d[16];
        int n = snprintf(d, sizeof(d), ":%u", (unsigned)port);
        sb_put(out, d, (size_t)n);
    }
    sbuf path = { NULL, 0, 0 };
    if (f->path_type == GWR_REDIRECT__PATH_KEEP) {
        sb_put(&path, rq->path.ptr, rq->path.len);
    } else if (f->path_type == GWR_REDIRECT__PATH_FULL) {
        sb_put(&path, f->path.ptr, f->path.len);
    } else {
        /* §4.4: X' (one trailing '/' off) + what follows the prefix */
        gwr_str x = f->path, p = f->matched_prefix;
        if (x.len > 0 && x.ptr[x.len - 1] == '/')
            x.len--;
        if (p.len > 0 && p.ptr[p.len - 1] == '/')
            p.len--;
        sb_put(&path, x.ptr, x.len);
        if (rq->path.len > p.len)
            sb_put(&path, rq->path.ptr + p.len, rq->path.len - p.len);
    }
    if (path.len == 0 || path.p[0] != '/')
        sb_put(out, "/", 1);
    if (path.len > 0)
        sb_put(out, path.p, path.len);
    free(path.p);
    if (rq->query.len > 0) {
        sb_put(out, "?", 1);
        sb_put(out, rq->query.ptr, rq->query.len);
    }
    return GWR_OK;
}

static int
location_n(const gwr_redirect__request *rq, const gwr_redirect__filter *f,
           size_t buflen, gwr_str *out, char **buf)
{
    *buf = malloc(buflen > 0 ? buflen : 1);
    if (*buf == NULL)
        abort();
    return gwr_redirect__location(rq, f, *buf, buflen, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > 16384)
        return 0;
    uint8_t sep = data[0];
    fuzz_in in = { data + 1, size - 1 };
    uint8_t ctl = fuzz_u8(&in);
    uint32_t fport = fuzz_u16(&in);
    uint32_t lport = fuzz_u16(&in);
    uint32_t odd = fuzz_u16(&in);
    if (ctl & 0x04)
        fport = fport * 7u; /* reach past 65535 */
    if (ctl & 0x08)
        lport = lport * 7u;

    enum { N = 8 };
    const char *fp[N];
    size_t fl[N];
    char *copy[N];
    gwr_str v[N];
    for (int i = 0; i < N; i++) {
        fuzz_field(&in, sep, &fp[i], &fl[i]);
        copy[i] = fuzz_dup(fp[i], fl[i]);
        v[i] = (gwr_str){ copy[i], copy[i] != NULL ? fl[i] : 0 };
    }
    gwr_redirect__request rq = { v[0], v[1], lport, v[2], v[3] };
    gwr_redirect__filter f = { v[4], v[5], fport, ctl & 0x03, v[6], v[7] };
    if (ctl & 0x10)
        f.path_type = (int)(ctl >> 5) - 4; /* also out-of-range types */

    /* Only a validated PathPrefix value ever reaches the rewrite (the
     * config rejects the rest, lib/build_match.c). */
    if (f.path_type == GWR_REDIRECT__PATH_PREFIX &&
        gwr_path__check_match_value(f.matched_prefix) != NULL)
        f.matched_prefix = (gwr_str)GWR_STR_LIT("/");
    sbuf want = { NULL, 0, 0 };
    int wrc = reference(&rq, &f, &want);

    /* room for everything: the fields, "://", "[]", ":65535", "/", "?" */
    size_t big = 32;
    for (int i = 0; i < N; i++)
        big += fl[i];
    char *buf;
    gwr_str out = { NULL, 0 };
    int rc = location_n(&rq, &f, big, &out, &buf);
    if (rc != wrc) {
        fprintf(stderr, "rc %d, reference %d (%s)\n", rc, wrc,
                want.p ? want.p : "");
        FUZZ_CHECK(rc == wrc);
    }
    if (rc == GWR_OK) {
        FUZZ_CHECK(out.ptr == buf && out.ptr[out.len] == '\0');
        if (out.len != want.len || memcmp(out.ptr, want.p, want.len) != 0) {
            fprintf(stderr, "got  \"%.*s\"\nwant \"%s\"\n", (int)out.len,
                    out.ptr, want.p);
            FUZZ_CHECK(!"Location as documented");
        }
        size_t sizes[3] = { want.len + 1, want.len, odd % (want.len + 8) };
        for (int k = 0; k < 3; k++) {
            char *b2;
            gwr_str o2 = { NULL, 0 };
            int r2 = location_n(&rq, &f, sizes[k], &o2, &b2);
            if (sizes[k] > want.len)
                FUZZ_CHECK(r2 == GWR_OK && o2.len == want.len &&
                           memcmp(o2.ptr, want.p, want.len) == 0);
            else
                FUZZ_CHECK(r2 == GWR_E_RANGE && o2.ptr == NULL);
            free(b2);
        }
    } else {
        FUZZ_CHECK(out.ptr == NULL);
    }
    free(buf);
    free(want.p);
    for (int i = 0; i < N; i++)
        free(copy[i]);
    return 0;
}
