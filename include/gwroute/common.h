/*
 * libgwroute - Kubernetes Gateway API routing as an embeddable C library.
 * SPDX-License-Identifier: MIT
 *
 * gwroute/common.h: export macro, string views, status codes, allocator
 * hooks and the runtime version query. Every other public header includes
 * this one; it includes nothing but libc headers.
 */
#ifndef GWROUTE_COMMON_H
#define GWROUTE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "gwroute/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * GWR_API marks every exported declaration. Inside the library build
 * (BUILDING_GWROUTE) it gives default visibility; everything else in the
 * library is compiled with -fvisibility=hidden and listed as local in the
 * linker version script. GWR_STATIC empties it for static linking.
 */
#if defined(_WIN32) && !defined(GWR_STATIC)
#  if defined(BUILDING_GWROUTE)
#    define GWR_API __declspec(dllexport)
#  else
#    define GWR_API __declspec(dllimport)
#  endif
#elif defined(BUILDING_GWROUTE) && defined(__GNUC__)
#  define GWR_API __attribute__((visibility("default")))
#else
#  define GWR_API
#endif

/**
 * A string view: @c len bytes at @c ptr, not NUL-terminated on input.
 *
 * Views returned by the library are borrowed from the object named in the
 * accessor's documentation and, as a convenience, are followed by a NUL byte
 * unless stated otherwise. An empty view may have @c ptr == NULL.
 */
typedef struct gwr_str {
    const char *ptr; /**< first byte; may be NULL when @c len is 0 */
    size_t len;      /**< length in bytes, excluding any trailing NUL */
} gwr_str;

/** A view of a NUL-terminated literal: GWR_STR_LIT("GET"). */
#define GWR_STR_LIT(s) { (s), sizeof(s) - 1 }

/**
 * Status codes. Functions that can fail return 0 (GWR_OK) or one of these
 * negative values. Append-only: a value is never renumbered or reused.
 */
typedef enum gwr_status {
    GWR_OK = 0,
    GWR_E_NOMEM = -1,     /**< an allocation failed */
    GWR_E_INVAL = -2,     /**< invalid argument (NULL where not allowed, bad enum) */
    GWR_E_PARSE = -3,     /**< input text is not well-formed YAML or JSON */
    GWR_E_CONFIG = -4,    /**< configuration rejected; see the diagnostics */
    GWR_E_ABI = -5,       /**< a size-versioned struct is too small, or its
                               unknown tail is not zero */
    GWR_E_CALLBACK = -6,  /**< a host callback reported failure */
    GWR_E_STATE = -7,     /**< call not allowed in the object's current state */
    GWR_E_LIMIT = -8,     /**< input exceeds a documented limit (docs/LIMITS.md) */
    GWR_E_NOT_FOUND = -9, /**< the named object does not exist */
    GWR_E_RANGE = -10     /**< index or value out of range */
} gwr_status;

/**
 * A human-readable, static description of a status code.
 *
 * @param status a gwr_status value (or any int).
 * @return a static NUL-terminated string; never NULL. Unknown codes give
 *         "unknown error".
 * @since 1.0
 * Thread-safety: safe from any thread.
 */
GWR_API
const char *gwr_strerror(int status);

/**
 * The runtime library version as 0x00MMmmpp (compare with GWR_VERSION_NUM
 * from the headers the host was compiled against).
 * @return the GWR_VERSION_NUM the library was built with; cannot fail.
 * @since 1.0
 * Thread-safety: safe from any thread.
 */
GWR_API
uint32_t gwr_version_num(void);

/**
 * The runtime library version as "MAJOR.MINOR.PATCH" (static, never NULL).
 * @since 1.0
 */
GWR_API
const char *gwr_version_str(void);

/**
 * Allocator hooks, per context (never global).
 *
 * Every allocation the library makes for a context, and for objects created
 * from it, goes through these hooks. All three functions must be set; they
 * must be thread-safe, because a shared table may be released on any thread.
 * @c alloc and @c realloc return NULL on failure, and the library reports
 * GWR_E_NOMEM. Pass NULL instead of a struct to use malloc/realloc/free.
 *
 * Size-versioned: set @c size to sizeof(gwr_allocator) (GWR_ALLOCATOR_INIT
 * does it). Fields are only ever appended.
 */
typedef struct gwr_allocator {
    size_t size; /**< caller's sizeof(gwr_allocator); see docs/ABI.md */
    /** Allocate @p n bytes (malloc semantics); NULL on failure. */
    void *(*alloc)(size_t n, void *ud);
    /** Resize @p p to @p n bytes (realloc semantics); NULL on failure. */
    void *(*realloc)(void *p, size_t n, void *ud);
    /** Release @p p (free semantics; the library never passes NULL). */
    void (*free)(void *p, void *ud);
    void *ud; /**< passed to every hook; borrowed */
} gwr_allocator;

/** Initializer: GWR_ALLOCATOR_INIT(my_alloc, my_realloc, my_free, ud). */
#define GWR_ALLOCATOR_INIT(a, r, f, ud) { sizeof(gwr_allocator), (a), (r), (f), (ud) }

#ifdef __cplusplus
}
#endif

#endif /* GWROUTE_COMMON_H */
