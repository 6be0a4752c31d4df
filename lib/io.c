/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The I/O shim: every default for a member the host left NULL lives here,
 * and every call into the host goes through a helper here. This is the
 * only file that reads the OS clock.
 */
#include <stdio.h>
#include <time.h>

#include "gwr_private.h"

static uint64_t
default_now_ms(void *ud)
{
    (void)ud;
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Marker: the default random source needs the context's PRNG state, so
 * gwr_io__random handles it without calling through the table. */
static void
default_random(uint8_t *buf, size_t len, void *ud)
{
    (void)buf;
    (void)len;
    (void)ud;
}

static void
default_log(uint32_t level, const char *msg, size_t len, void *ud)
{
    (void)level;
    (void)msg;
    (void)len;
    (void)ud;
}

/* No timer: a host that polls gwr_engine_next_deadline() needs none. */
static int
default_set_timer(uint64_t deadline_ms, void *ud)
{
    (void)deadline_ms;
    (void)ud;
    return 0;
}

/* Mirrors are best-effort by definition (spec 4.5): a host that cannot
 * send them loses nothing the client sees. */
static int
default_send_mirror(const gwr_backend *be, const gwr_upstream *req, void *ud)
{
    (void)be;
    (void)req;
    (void)ud;
    return 0;
}

/* A host that keeps no per-id state has nothing to forget. */
static void
default_cancel(uint64_t id, void *ud)
{
    (void)id;
    (void)ud;
}

/* connect, send_request and respond have no possible default: they stay
 * NULL and gwr_io__call() reports GWR_E_INVAL when they are needed. */
void
gwr_io__resolve(gwr_io *io)
{
    if (io->now_ms == NULL)
        io->now_ms = default_now_ms;
    if (io->random == NULL)
        io->random = default_random;
    if (io->log == NULL)
        io->log = default_log;
    if (io->set_timer == NULL)
        io->set_timer = default_set_timer;
    if (io->send_mirror == NULL)
        io->send_mirror = default_send_mirror;
    if (io->cancel == NULL)
        io->cancel = default_cancel;
}

int
gwr_io__has(const gwr_ctx *ctx, gwr_io_op op)
{
    switch (op) {
    case GWR_IO__CONNECT:
        return ctx->io.connect != NULL;
    case GWR_IO__SEND_REQUEST:
        return ctx->io.send_request != NULL;
    case GWR_IO__RESPOND:
        return ctx->io.respond != NULL;
    case GWR_IO__SET_TIMER:
    case GWR_IO__SEND_MIRROR:
    case GWR_IO__CANCEL:
        return 1;
    }
    return 0;
}

int
gwr_io__call(gwr_ctx *ctx, gwr_io_call *c)
{
    const gwr_io *io = &ctx->io;
    void *ud = ctx->io_ud;
    int rc = 0;
    c->result = 0;
    if (!gwr_io__has(ctx, c->op))
        return GWR_E_INVAL;
    switch (c->op) {
    case GWR_IO__SET_TIMER:
        rc = io->set_timer(c->deadline, ud);
        break;
    case GWR_IO__CONNECT:
        rc = io->connect(c->be, c->proto, c->id, ud);
        break;
    case GWR_IO__SEND_REQUEST:
        rc = io->send_request(c->id, c->xid, c->req, ud);
        break;
    case GWR_IO__SEND_MIRROR:
        rc = io->send_mirror(c->be, c->req, ud);
        break;
    case GWR_IO__RESPOND:
        rc = io->respond(c->id, c->status, c->headers, c->n_headers,
                         c->body.len ? c->body.ptr : NULL, c->body.len, ud);
        break;
    case GWR_IO__CANCEL:
        io->cancel(c->id, ud);
        break;
    }
    /* R20: the host's own number never leaks through. */
    if (rc < 0)
        return GWR_E_CALLBACK;
    c->result = rc;
    return GWR_OK;
}

uint64_t
gwr_io__now_ms(gwr_ctx *ctx)
{
    return ctx->io.now_ms(ctx->io_ud);
}

/* splitmix64: small, fast, statistically good; not cryptographic, which
 * sampling and weighted choice do not need. Its state is a counter, so one
 * atomic add makes it safe to draw from several threads at once. */
static uint64_t
splitmix64(atomic_uint_least64_t *state)
{
    uint64_t z = atomic_fetch_add_explicit(state, 0x9e3779b97f4a7c15ULL,
                                           memory_order_relaxed) +
                 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void
gwr_io__random(gwr_ctx *ctx, void *buf, size_t len)
{
    if (ctx->io.random != default_random) {
        ctx->io.random(buf, len, ctx->io_ud);
        return;
    }
    uint8_t *out = buf;
    while (len > 0) {
        uint64_t r = splitmix64(&ctx->prng_state);
        size_t n = len < sizeof(r) ? len : sizeof(r);
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(r >> (8 * i));
        out += n;
        len -= n;
    }
}

void
gwr_io__log(gwr_ctx *ctx, uint32_t level, const char *fmt, ...)
{
    if (level > ctx->log_level || ctx->io.log == default_log)
        return;
    /* Fixed buffer: logging must work when allocation does not. Long
     * messages are cut, which is acceptable for a log line. */
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    ctx->io.log(level, line, len, ctx->io_ud);
}
