/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * String views and the growable buffer.
 */
#include <stdio.h>
#include <string.h>

#include "gwr_private.h"
#include "swar.h"

gwr_str
gwr_str__from_cstr(const char *s)
{
    gwr_str r = { s, s != NULL ? strlen(s) : 0 };
    return r;
}

int
gwr_str__eq(gwr_str a, gwr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int
gwr_str__eq_cstr(gwr_str a, const char *b)
{
    return gwr_str__eq(a, gwr_str__from_cstr(b));
}

int
gwr_str__eq_ci(gwr_str a, gwr_str b)
{
    return a.len == b.len && (a.len == 0 || gwr_swar__eq_ci(a.ptr, b.ptr, a.len));
}

int
gwr_str__starts_with(gwr_str s, gwr_str prefix)
{
    return s.len >= prefix.len &&
           (prefix.len == 0 || memcmp(s.ptr, prefix.ptr, prefix.len) == 0);
}

int
gwr_str__ends_with(gwr_str s, gwr_str suffix)
{
    return s.len >= suffix.len &&
           (suffix.len == 0 ||
            memcmp(s.ptr + s.len - suffix.len, suffix.ptr, suffix.len) == 0);
}

int
gwr_str__cmp(gwr_str a, gwr_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c != 0)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

void
gwr_buf__init(gwr_buf *b, gwr_ctx *ctx)
{
    memset(b, 0, sizeof(*b));
    b->ctx = ctx;
}

static int
buf_reserve(gwr_buf *b, size_t extra)
{
    if (b->err != GWR_OK)
        return 0;
    if (extra >= SIZE_MAX - b->len) {
        b->err = GWR_E_NOMEM;
        return 0;
    }
    if (gwr__grow(b->ctx, (void **)&b->ptr, &b->cap, b->len + extra + 1, 1)
        != GWR_OK) {
        b->err = GWR_E_NOMEM;
        return 0;
    }
    return 1;
}

void
gwr_buf__append(gwr_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n > 0)
        memcpy(b->ptr + b->len, s, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void
gwr_buf__puts(gwr_buf *b, const char *s)
{
    gwr_buf__append(b, s, strlen(s));
}

void
gwr_buf__putc(gwr_buf *b, char c)
{
    gwr_buf__append(b, &c, 1);
}

void
gwr_buf__vprintf(gwr_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        if (b->err == GWR_OK)
            b->err = GWR_E_INVAL;
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void
gwr_buf__printf(gwr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gwr_buf__vprintf(b, fmt, ap);
    va_end(ap);
}

void
gwr_buf__truncate(gwr_buf *b, size_t len)
{
    if (b->ptr != NULL && len < b->len) {
        b->len = len;
        b->ptr[len] = '\0';
    }
}

void
gwr_buf__free(gwr_buf *b)
{
    gwr__free(b->ctx, b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->err = GWR_OK;
}
