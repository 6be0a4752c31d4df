/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The context: allocator hooks, the resolved I/O table and a refcount that
 * every object created from the context holds.
 */
#include <stdlib.h>
#include <string.h>

#include "gwr_private.h"

static void *
libc_alloc(size_t n, void *ud)
{
    (void)ud;
    return malloc(n);
}

static void *
libc_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return realloc(p, n);
}

static void
libc_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

/* The first released layout of each size-versioned struct. */
#define ALLOCATOR_V1_SIZE (offsetof(gwr_allocator, ud) + sizeof(void *))
#define IO_V1_SIZE (offsetof(gwr_io, log) + sizeof(void (*)(void)))

int
gwr_ctx_new(gwr_ctx **out, const gwr_allocator *mem, const gwr_io *io,
            void *io_ud)
{
    if (out == NULL)
        return GWR_E_INVAL;
    *out = NULL;

    gwr_allocator m = { sizeof(gwr_allocator), libc_alloc, libc_realloc,
                        libc_free, NULL };
    if (mem != NULL) {
        int rc = gwr_abi__check(mem, ALLOCATOR_V1_SIZE, sizeof(*mem));
        if (rc != GWR_OK)
            return rc;
        gwr_abi__copy(&m, sizeof(m), mem);
        if (m.alloc == NULL || m.realloc == NULL || m.free == NULL)
            return GWR_E_INVAL;
    }

    gwr_io resolved;
    memset(&resolved, 0, sizeof(resolved));
    resolved.size = sizeof(resolved);
    if (io != NULL) {
        int rc = gwr_abi__check(io, IO_V1_SIZE, sizeof(*io));
        if (rc != GWR_OK)
            return rc;
        gwr_abi__copy(&resolved, sizeof(resolved), io);
    }
    gwr_io__resolve(&resolved);

    gwr_ctx *ctx = m.alloc(sizeof(*ctx), m.ud);
    if (ctx == NULL)
        return GWR_E_NOMEM;
    memset(ctx, 0, sizeof(*ctx));
    ctx->mem = m;
    ctx->io = resolved;
    ctx->io_ud = io_ud;
    ctx->log_level = GWR_LOG_WARN;
    atomic_init(&ctx->refs, 1);
    /* Seed for the default PRNG; mixed further on first use (lib/io.c). */
    atomic_init(&ctx->prng_state,
                (uint64_t)(uintptr_t)ctx ^ 0x9e3779b97f4a7c15ULL);
    *out = ctx;
    return GWR_OK;
}

gwr_ctx *
gwr_ctx__ref(gwr_ctx *ctx)
{
    atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
    return ctx;
}

void
gwr_ctx__unref(gwr_ctx *ctx)
{
    if (ctx == NULL)
        return;
    if (atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* Copy the hook first: the struct being freed holds it. */
    gwr_allocator m = ctx->mem;
    m.free(ctx, m.ud);
}

void
gwr_ctx_free(gwr_ctx *ctx)
{
    gwr_ctx__unref(ctx);
}

int
gwr_ctx_set_log_level(gwr_ctx *ctx, uint32_t level)
{
    if (ctx == NULL || level > GWR_LOG_DEBUG)
        return GWR_E_INVAL;
    ctx->log_level = level;
    return GWR_OK;
}

uint32_t
gwr_ctx_log_level(const gwr_ctx *ctx)
{
    return ctx != NULL ? ctx->log_level : (uint32_t)GWR_LOG_WARN;
}

void *
gwr__alloc(gwr_ctx *ctx, size_t n)
{
    if (n == 0)
        n = 1;
    return ctx->mem.alloc(n, ctx->mem.ud);
}

void *
gwr__calloc(gwr_ctx *ctx, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        return NULL;
    size_t n = nmemb * size;
    void *p = gwr__alloc(ctx, n);
    if (p != NULL)
        memset(p, 0, n > 0 ? n : 1);
    return p;
}

void *
gwr__realloc(gwr_ctx *ctx, void *p, size_t n)
{
    if (n == 0)
        n = 1;
    return ctx->mem.realloc(p, n, ctx->mem.ud);
}

void
gwr__free(gwr_ctx *ctx, void *p)
{
    if (p != NULL)
        ctx->mem.free(p, ctx->mem.ud);
}

int
gwr__grow(gwr_ctx *ctx, void **items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return GWR_OK;
    size_t ncap = *cap ? *cap : 4;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return GWR_E_NOMEM;
        ncap *= 2;
    }
    if (elem != 0 && ncap > SIZE_MAX / elem)
        return GWR_E_NOMEM;
    void *p = gwr__realloc(ctx, *items, ncap * elem);
    if (p == NULL)
        return GWR_E_NOMEM;
    *items = p;
    *cap = ncap;
    return GWR_OK;
}
