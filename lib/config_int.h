/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The config object (internal layout, lib/config.c).
 */
#ifndef GWR_CONFIG_INT_H
#define GWR_CONFIG_INT_H

#include "gwroute/config.h"
#include "diag.h"
#include "model.h"
#include "resolve.h"

/* The arena of one accepted text; its objects point into it. */
typedef struct gwr_text {
    gwr_arena arena;
    struct gwr_text *next;
} gwr_text;

struct gwr_config {
    gwr_ctx *ctx;             /* referenced */
    gwr_model model;          /* arrays from the ctx allocator */
    gwr_text *texts;
    gwr_diag_list diags;
    gwr_view *view;           /* cached resolution; NULL when stale */
    gwr_diag_list view_diags; /* diagnostics of the cached resolution */
    uint64_t generation;      /* bumped by every change of the model */
};

/*
 * The resolved view of the current model, computed on first use and cached
 * until the model changes (lib/resolve.c). Returns GWR_OK or GWR_E_NOMEM.
 */
int gwr_config__view(const gwr_config *cfg, const gwr_view **out);

#endif /* GWR_CONFIG_INT_H */
