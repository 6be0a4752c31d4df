/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Shared test helpers: a counting allocator that can fail the i-th
 * allocation (for allocation-failure sweeps), and small utilities.
 */
#ifndef GWR_TEST_HELPERS_H
#define GWR_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gwroute.h"

typedef struct test_alloc {
    gwr_allocator hooks;      /* pass &hooks to gwr_ctx_new */
    size_t allocs;            /* successful alloc + realloc-from-NULL calls */
    size_t reallocs;
    size_t frees;
    size_t live;              /* blocks currently allocated */
    size_t live_bytes;
    size_t peak_bytes;
    size_t calls;             /* alloc + realloc calls, failed ones too */
    size_t fail_at;           /* fail the call with this 1-based number; 0 = never */
    size_t failures;          /* how many calls were failed */
} test_alloc;

void test_alloc_init(test_alloc *ta);

/*
 * Allocation-failure sweep: run scenario once with no failure and count the
 * allocator calls N, then run it N more times failing call i (1..N). Each
 * run must return GWR_OK when nothing failed, and GWR_OK or a negative
 * status when something did, and must leave no live allocation. The
 * scenario gets a fresh context built on the test allocator.
 * Returns the number of allocator calls of the clean run.
 */
typedef int (*test_scenario_fn)(gwr_ctx *ctx, void *ud);
size_t test_alloc_sweep(test_scenario_fn fn, void *ud);

/* Read a whole file (tests/data and ../shared); fails the test if absent. */
char *test_read_file(const char *path, size_t *len);

#endif
