/*
 * libgwroute - SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "diag.h"

void
gwr_diag__list_init(gwr_diag_list *l, gwr_ctx *ctx)
{
    memset(l, 0, sizeof(*l));
    l->ctx = ctx;
}

/* Copy one view into the diagnostic's trailing storage. */
static gwr_str
put(char **cursor, gwr_str s)
{
    gwr_str r = { *cursor, s.len };
    if (s.len)
        memcpy(*cursor, s.ptr, s.len);
    (*cursor)[s.len] = '\0';
    *cursor += s.len + 1;
    return r;
}

int
gwr_diag__vadd(gwr_diag_list *l, uint32_t severity, const gwr_diag_loc *loc,
               const char *fmt, va_list ap)
{
    static const gwr_diag_loc none;
    if (loc == NULL)
        loc = &none;
    char msg[1024];
    int m = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (m < 0)
        m = 0;
    size_t mlen = (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1;
    gwr_str message = { msg, mlen };

    /* Parts are bounded by the loader's scalar limit, so no overflow. */
    size_t total = sizeof(struct gwr_diag) + loc->source.len + loc->kind.len +
                   loc->ns.len + loc->name.len + loc->field.len + mlen + 6;
    if (gwr__grow(l->ctx, (void **)&l->items, &l->cap, l->n + 1,
                  sizeof(*l->items)) != GWR_OK)
        return GWR_E_NOMEM;
    struct gwr_diag *d = gwr__alloc(l->ctx, total);
    if (d == NULL)
        return GWR_E_NOMEM;
    char *cursor = (char *)(d + 1);
    d->severity = severity;
    d->line = loc->line;
    d->col = loc->col;
    d->source = put(&cursor, loc->source);
    d->kind = put(&cursor, loc->kind);
    d->ns = put(&cursor, loc->ns);
    d->name = put(&cursor, loc->name);
    d->field = put(&cursor, loc->field);
    d->message = put(&cursor, message);
    l->items[l->n++] = d;
    if (severity == GWR_DIAG_ERROR)
        l->errors++;
    return GWR_OK;
}

int
gwr_diag__add(gwr_diag_list *l, uint32_t severity, const gwr_diag_loc *loc,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = gwr_diag__vadd(l, severity, loc, fmt, ap);
    va_end(ap);
    return rc;
}

void
gwr_diag__list_truncate(gwr_diag_list *l, size_t n)
{
    while (l->n > n) {
        struct gwr_diag *d = l->items[--l->n];
        if (d->severity == GWR_DIAG_ERROR)
            l->errors--;
        gwr__free(l->ctx, d);
    }
}

int
gwr_diag__list_splice(gwr_diag_list *dst, gwr_diag_list *src)
{
    if (gwr__grow(dst->ctx, (void **)&dst->items, &dst->cap, dst->n + src->n,
                  sizeof(*dst->items)) != GWR_OK)
        return GWR_E_NOMEM;
    for (size_t i = 0; i < src->n; i++)
        dst->items[dst->n++] = src->items[i];
    dst->errors += src->errors;
    src->n = 0;
    src->errors = 0;
    return GWR_OK;
}

void
gwr_diag__list_free(gwr_diag_list *l)
{
    gwr_diag__list_truncate(l, 0);
    gwr__free(l->ctx, l->items);
    l->items = NULL;
    l->cap = 0;
}

static void
part(gwr_buf *b, gwr_str s)
{
    if (s.len)
        gwr_buf__append(b, s.ptr, s.len);
    else
        gwr_buf__putc(b, '-');
}

void
gwr_diag__format(const struct gwr_diag *d, gwr_buf *b)
{
    part(b, d->source);
    gwr_buf__printf(b, ":%u:%u: ", (unsigned)d->line, (unsigned)d->col);
    part(b, d->kind);
    gwr_buf__putc(b, ' ');
    part(b, d->ns);
    gwr_buf__putc(b, '/');
    part(b, d->name);
    gwr_buf__puts(b, ": ");
    part(b, d->field);
    gwr_buf__puts(b, ": ");
    gwr_buf__append(b, d->message.ptr, d->message.len);
}
