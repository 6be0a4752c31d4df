/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* Each block carries its size in a header so live bytes can be tracked. */
typedef struct { size_t n; size_t pad; } blk;

static int
should_fail(test_alloc *ta)
{
    ta->calls++;
    if (ta->fail_at != 0 && ta->calls == ta->fail_at) {
        ta->failures++;
        return 1;
    }
    return 0;
}

static void
account(test_alloc *ta, long delta_blocks, long delta_bytes)
{
    ta->live = (size_t)((long)ta->live + delta_blocks);
    ta->live_bytes = (size_t)((long)ta->live_bytes + delta_bytes);
    if (ta->live_bytes > ta->peak_bytes)
        ta->peak_bytes = ta->live_bytes;
}

static void *
t_alloc(size_t n, void *ud)
{
    test_alloc *ta = ud;
    if (should_fail(ta))
        return NULL;
    blk *b = malloc(sizeof(blk) + n);
    if (b == NULL)
        return NULL;
    b->n = n;
    ta->allocs++;
    account(ta, 1, (long)n);
    return b + 1;
}

static void *
t_realloc(void *p, size_t n, void *ud)
{
    test_alloc *ta = ud;
    if (p == NULL)
        return t_alloc(n, ud);
    if (should_fail(ta))
        return NULL;
    blk *old = (blk *)p - 1;
    size_t oldn = old->n;
    blk *b = realloc(old, sizeof(blk) + n);
    if (b == NULL)
        return NULL;
    b->n = n;
    ta->reallocs++;
    account(ta, 0, (long)n - (long)oldn);
    return b + 1;
}

static void
t_free(void *p, void *ud)
{
    test_alloc *ta = ud;
    if (p == NULL)
        return;
    blk *b = (blk *)p - 1;
    ta->frees++;
    account(ta, -1, -(long)b->n);
    free(b);
}

void
test_alloc_init(test_alloc *ta)
{
    memset(ta, 0, sizeof(*ta));
    gwr_allocator h = GWR_ALLOCATOR_INIT(t_alloc, t_realloc, t_free, ta);
    ta->hooks = h;
}

static int
run_once(test_alloc *ta, test_scenario_fn fn, void *ud)
{
    gwr_ctx *ctx = NULL;
    int rc = gwr_ctx_new(&ctx, &ta->hooks, NULL, NULL);
    if (rc != GWR_OK) {
        assert_int_equal(rc, GWR_E_NOMEM);
        return rc;
    }
    rc = fn(ctx, ud);
    gwr_ctx_free(ctx);
    return rc;
}

size_t
test_alloc_sweep(test_scenario_fn fn, void *ud)
{
    test_alloc ta;
    test_alloc_init(&ta);
    int rc = run_once(&ta, fn, ud);
    assert_int_equal(rc, GWR_OK);
    assert_int_equal(ta.live, 0);
    size_t n = ta.calls;
    for (size_t i = 1; i <= n; i++) {
        test_alloc_init(&ta);
        ta.fail_at = i;
        rc = run_once(&ta, fn, ud);
        if (rc > 0)
            fail_msg("scenario returned %d with allocation %zu failing", rc, i);
        if (ta.live != 0)
            fail_msg("%zu blocks leaked with allocation %zu failing", ta.live, i);
    }
    return n;
}

char *
test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    assert_int_equal(got, (size_t)n);
    buf[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    return buf;
}
