/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Diagnostics: one entry per configuration problem, naming the source,
 * line:column, object (kind namespace/name), field path and what is wrong.
 */
#ifndef GWR_DIAG_H
#define GWR_DIAG_H

#include "gwr_private.h"

enum {
    GWR_DIAG_ERROR = 0,   /* the object (or document) is rejected */
    GWR_DIAG_WARNING = 1, /* accepted, but probably not what was meant */
    GWR_DIAG_NOTE = 2     /* informational (e.g. an unknown kind skipped) */
};

/* Where a problem is; every member may be empty. */
typedef struct gwr_diag_loc {
    gwr_str source;
    uint32_t line, col;   /* 1-based; 0 = unknown */
    gwr_str kind, ns, name;
    gwr_str field;        /* "spec.rules[0].matches[1].path.value" */
} gwr_diag_loc;

/* One diagnostic; its strings live in the same allocation and are
 * NUL-terminated. */
struct gwr_diag {
    uint32_t severity;
    uint32_t line, col;
    gwr_str source, kind, ns, name, field, message;
};

typedef struct gwr_diag_list {
    gwr_ctx *ctx;
    struct gwr_diag **items;
    size_t n, cap;
    size_t errors;        /* number of GWR_DIAG_ERROR entries */
} gwr_diag_list;

void gwr_diag__list_init(gwr_diag_list *l, gwr_ctx *ctx);
/* Append one diagnostic. Returns GWR_OK or GWR_E_NOMEM. */
int gwr_diag__add(gwr_diag_list *l, uint32_t severity, const gwr_diag_loc *loc,
                  const char *fmt, ...) GWR_PRINTF(4, 5);
int gwr_diag__vadd(gwr_diag_list *l, uint32_t severity,
                   const gwr_diag_loc *loc, const char *fmt, va_list ap)
    GWR_PRINTF(4, 0);
/* Drop entries past n (rollback of a failed load). */
void gwr_diag__list_truncate(gwr_diag_list *l, size_t n);
/* Move every entry of src to the end of dst (src is left empty). */
int gwr_diag__list_splice(gwr_diag_list *dst, gwr_diag_list *src);
void gwr_diag__list_free(gwr_diag_list *l);
/* "SOURCE:LINE:COL: KIND NS/NAME: FIELD: message" (unknown parts are "-";
 * see docs/CONFIG.md). Appends to b. */
void gwr_diag__format(const struct gwr_diag *d, gwr_buf *b);

#endif /* GWR_DIAG_H */
