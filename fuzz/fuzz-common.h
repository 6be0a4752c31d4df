/*
 * libgwroute fuzz targets - SPDX-License-Identifier: MIT
 *
 * Helpers shared by the fuzz targets (header-only, everything static so
 * each target still exports nothing but LLVMFuzzerTestOneInput).
 */
#ifndef GWR_FUZZ_COMMON_H
#define GWR_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwroute/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: a violation is a finding, so it
 * aborts (libFuzzer saves the input as a crash). */
#define FUZZ_CHECK(cond)                                                  \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,    \
                    __LINE__, #cond);                                     \
            abort();                                                      \
        }                                                                 \
    } while (0)

/* Reads bytes off the front of the input; past the end it yields zeros. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

static inline uint8_t
fuzz_u8(fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint32_t
fuzz_u16(fuzz_in *in)
{
    uint32_t hi = fuzz_u8(in);
    return (hi << 8) | fuzz_u8(in);
}

/* The next field up to (not including) sep, or the rest of the input;
 * the separator is consumed. */
static inline void
fuzz_field(fuzz_in *in, uint8_t sep, const char **ptr, size_t *len)
{
    if (in->n == 0) {
        *ptr = (const char *)in->p;
        *len = 0;
        return;
    }
    const uint8_t *end = memchr(in->p, sep, in->n);
    size_t k = end != NULL ? (size_t)(end - in->p) : in->n;
    *ptr = (const char *)in->p;
    *len = k;
    in->p += k;
    in->n -= k;
    if (end != NULL) {
        in->p++;
        in->n--;
    }
}

/* A heap copy of exactly n bytes (no NUL), so that ASan sees any read
 * past the view. Returns NULL for n == 0 (and on failure: callers treat
 * that as an empty view, which the code under test must accept too). */
static inline char *
fuzz_dup(const char *p, size_t n)
{
    if (n == 0)
        return NULL;
    char *c = malloc(n);
    if (c != NULL)
        memcpy(c, p, n);
    return c;
}

/* Touch every byte of a view (ASan reports reads of freed or foreign
 * memory) and fold it into a sum the compiler cannot drop. */
static volatile uint32_t fuzz_sink;

static inline void
fuzz_touch(const char *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += (uint8_t)p[i];
    fuzz_sink += s;
}

/*
 * Open findings (docs/FUZZING.md "Findings") are steered around so that
 * the rest of a target keeps being fuzzed; GWR_FUZZ_STRICT=1 in the
 * environment turns the steering off to replay fuzz/crashes/<t>/.
 */
static inline int
fuzz_strict(void)
{
    static int strict = -1;
    if (strict < 0)
        strict = getenv("GWR_FUZZ_STRICT") != NULL;
    return strict;
}

#endif /* GWR_FUZZ_COMMON_H */
