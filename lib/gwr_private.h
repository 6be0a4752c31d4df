/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Internal declarations shared by every module. Never installed.
 * Naming: gwr_<module>__<verb> for cross-file internals (never exported),
 * static for file-local functions. See docs/CONVENTIONS.md.
 */
#ifndef GWR_PRIVATE_H
#define GWR_PRIVATE_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "gwroute.h"

#if defined(__GNUC__)
#  define GWR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#  define GWR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define GWR_COLD __attribute__((cold, noinline))
#  define GWR_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#  define GWR_PRINTF(a, b)
#  define GWR_UNLIKELY(x) (x)
#  define GWR_COLD
#  define GWR_ALWAYS_INLINE inline
#endif

/* An intended fall-through between switch labels (gcc accepts a comment,
 * clang needs the attribute). */
#if defined(__has_attribute)
#  if __has_attribute(fallthrough)
#    define GWR_FALLTHROUGH __attribute__((fallthrough))
#  endif
#endif
#ifndef GWR_FALLTHROUGH
#  define GWR_FALLTHROUGH ((void)0)
#endif

#define GWR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- context (lib/context.c) ------------------------------------------ */

struct gwr_ctx {
    gwr_allocator mem;       /* resolved: never NULL hooks */
    gwr_io io;               /* resolved: never NULL members (lib/io.c) */
    void *io_ud;
    uint32_t log_level;
    atomic_size_t refs;      /* the host's reference + one per object */
    /* Default random source (lib/io.c). Atomic: decisions created from one
     * context may match on several threads at once. */
    atomic_uint_least64_t prng_state;
    /* The one engine bound to this context (lib/engine.c): the timer
     * callback carries no engine, so two engines would fight over it. */
    struct gwr_engine *engine;
};

gwr_ctx *gwr_ctx__ref(gwr_ctx *ctx);
void gwr_ctx__unref(gwr_ctx *ctx);

/* ---- memory (lib/context.c) ------------------------------------------- */

void *gwr__alloc(gwr_ctx *ctx, size_t n);
/* Zeroed; fails (NULL) on nmemb * size overflow. */
void *gwr__calloc(gwr_ctx *ctx, size_t nmemb, size_t size);
void *gwr__realloc(gwr_ctx *ctx, void *p, size_t n);
void gwr__free(gwr_ctx *ctx, void *p);
/* Grow *items (of elem bytes each) so that it holds at least need items;
 * doubles the capacity. Returns GWR_OK or GWR_E_NOMEM (nothing changed). */
int gwr__grow(gwr_ctx *ctx, void **items, size_t *cap, size_t need,
              size_t elem);

/* ---- size-versioned structs (lib/abi.c) ------------------------------- */

/*
 * Validate a caller-filled struct whose first member is `size_t size`.
 * min_size is the size of the first released layout, lib_size our
 * sizeof. Caller older than us: fine (missing fields read as zero via
 * gwr_abi__copy). Newer: every byte past lib_size must be zero.
 * Returns GWR_OK, GWR_E_INVAL (NULL) or GWR_E_ABI.
 */
int gwr_abi__check(const void *caller, size_t min_size, size_t lib_size);
/* Copy min(caller->size, lib_size) bytes into dst (lib_size bytes), zero
 * the rest, and set dst's size member to lib_size. caller must have passed
 * gwr_abi__check. */
void gwr_abi__copy(void *dst, size_t lib_size, const void *caller);

/* ---- I/O shim (lib/io.c) ---------------------------------------------- */

/* Fill NULL members of io with the defaults. */
void gwr_io__resolve(gwr_io *io);
uint64_t gwr_io__now_ms(gwr_ctx *ctx);
void gwr_io__random(gwr_ctx *ctx, void *buf, size_t len);
void gwr_io__log(gwr_ctx *ctx, uint32_t level, const char *fmt, ...)
    GWR_PRINTF(3, 4);

/* The engine members of the shim, called only through gwr_io__call(). */
typedef enum gwr_io_op {
    GWR_IO__SET_TIMER = 0,
    GWR_IO__CONNECT,
    GWR_IO__SEND_REQUEST,
    GWR_IO__SEND_MIRROR,
    GWR_IO__RESPOND,
    GWR_IO__CANCEL
} gwr_io_op;

/* One call into the host; which fields are read depends on op. */
typedef struct gwr_io_call {
    gwr_io_op op;
    uint64_t deadline;              /* SET_TIMER */
    const gwr_backend *be;          /* CONNECT, SEND_MIRROR */
    uint32_t proto;                 /* CONNECT */
    uint64_t id;                    /* CONNECT: conn_id; SEND_REQUEST:
                                       conn_id; RESPOND: exchange; CANCEL */
    uint64_t xid;                   /* SEND_REQUEST */
    const gwr_upstream *req;        /* SEND_REQUEST, SEND_MIRROR */
    int status;                     /* RESPOND */
    const gwr_header *headers;      /* RESPOND */
    size_t n_headers;
    gwr_str body;
    int result;                     /* out: the host's return when >= 0 */
} gwr_io_call;

/* 1 when the member behind op is set or has a default. */
int gwr_io__has(const gwr_ctx *ctx, gwr_io_op op);
/* Make the call. GWR_OK (c->result holds the host's non-negative
 * return), GWR_E_INVAL (member unset, no default) or GWR_E_CALLBACK (the
 * host returned < 0; its number is not kept). */
int gwr_io__call(gwr_ctx *ctx, gwr_io_call *c);

/* ---- strings (lib/str.c) ---------------------------------------------- */

gwr_str gwr_str__from_cstr(const char *s);
int gwr_str__eq(gwr_str a, gwr_str b);
int gwr_str__eq_cstr(gwr_str a, const char *b);
/* ASCII case-insensitive. */
int gwr_str__eq_ci(gwr_str a, gwr_str b);
int gwr_str__starts_with(gwr_str s, gwr_str prefix);
int gwr_str__ends_with(gwr_str s, gwr_str suffix);
/* memcmp-style ordering, shorter first on a common prefix. */
int gwr_str__cmp(gwr_str a, gwr_str b);
static inline char gwr__tolower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* Growable byte buffer with a sticky error: after an allocation failure
 * every append is a no-op and buf.err is GWR_E_NOMEM. Always kept
 * NUL-terminated when ptr != NULL. */
typedef struct gwr_buf {
    gwr_ctx *ctx;
    char *ptr;
    size_t len, cap;
    int err;
} gwr_buf;

void gwr_buf__init(gwr_buf *b, gwr_ctx *ctx);
void gwr_buf__append(gwr_buf *b, const char *s, size_t n);
void gwr_buf__puts(gwr_buf *b, const char *s);
void gwr_buf__putc(gwr_buf *b, char c);
void gwr_buf__printf(gwr_buf *b, const char *fmt, ...) GWR_PRINTF(2, 3);
void gwr_buf__vprintf(gwr_buf *b, const char *fmt, va_list ap)
    GWR_PRINTF(2, 0);
void gwr_buf__truncate(gwr_buf *b, size_t len);
void gwr_buf__free(gwr_buf *b);

/* ---- arena (lib/arena.c) ---------------------------------------------- */

/* Bump allocator for objects that die together (parsed documents, the
 * object model, compiled tables). Chunks come from the context allocator. */
typedef struct gwr_arena_chunk gwr_arena_chunk;
typedef struct gwr_arena {
    gwr_ctx *ctx;
    gwr_arena_chunk *head;
    size_t used;       /* bytes handed out, for memory accounting */
} gwr_arena;

void gwr_arena__init(gwr_arena *a, gwr_ctx *ctx);
/* Aligned for any object; NULL on allocation failure or n == 0. */
void *gwr_arena__alloc(gwr_arena *a, size_t n);
void *gwr_arena__calloc(gwr_arena *a, size_t nmemb, size_t size);
char *gwr_arena__strndup(gwr_arena *a, const char *s, size_t n);
/* Copy of a view, NUL-terminated; an empty view gives {"", 0}. Returns
 * GWR_OK or GWR_E_NOMEM. */
int gwr_arena__str(gwr_arena *a, gwr_str in, gwr_str *out);
void gwr_arena__free(gwr_arena *a);

#endif /* GWR_PRIVATE_H */
