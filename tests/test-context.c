/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Context, allocator hooks, status strings, version and the
 * size-versioned struct rules, through the public API only.
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

static void
test_context_new_free_default(void **state)
{
    (void)state;
    gwr_ctx *ctx = (gwr_ctx *)0x1;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    assert_non_null(ctx);
    assert_int_equal(gwr_ctx_log_level(ctx), GWR_LOG_WARN);
    gwr_ctx_free(ctx);
    gwr_ctx_free(NULL); /* no-op */
}

static void
test_context_rejects_null_out(void **state)
{
    (void)state;
    assert_int_equal(gwr_ctx_new(NULL, NULL, NULL, NULL), GWR_E_INVAL);
}

static void
test_context_allocator_sees_every_allocation(void **state)
{
    (void)state;
    test_alloc ta;
    test_alloc_init(&ta);
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, &ta.hooks, NULL, NULL), GWR_OK);
    assert_true(ta.allocs >= 1);
    assert_int_equal(ta.live, 1);
    gwr_ctx_free(ctx);
    assert_int_equal(ta.live, 0);
    assert_int_equal(ta.frees, ta.allocs);
}

static void
test_context_allocator_failure(void **state)
{
    (void)state;
    test_alloc ta;
    test_alloc_init(&ta);
    ta.fail_at = 1;
    gwr_ctx *ctx = (gwr_ctx *)0x1;
    assert_int_equal(gwr_ctx_new(&ctx, &ta.hooks, NULL, NULL), GWR_E_NOMEM);
    assert_null(ctx);
    assert_int_equal(ta.live, 0);
}

static void
test_context_allocator_null_hook(void **state)
{
    (void)state;
    test_alloc ta;
    test_alloc_init(&ta);
    ta.hooks.free = NULL;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, &ta.hooks, NULL, NULL), GWR_E_INVAL);
    assert_null(ctx);
}

static void
test_context_log_level(void **state)
{
    (void)state;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    assert_int_equal(gwr_ctx_set_log_level(ctx, GWR_LOG_DEBUG), GWR_OK);
    assert_int_equal(gwr_ctx_log_level(ctx), GWR_LOG_DEBUG);
    assert_int_equal(gwr_ctx_set_log_level(ctx, 99), GWR_E_INVAL);
    assert_int_equal(gwr_ctx_log_level(ctx), GWR_LOG_DEBUG);
    assert_int_equal(gwr_ctx_set_log_level(NULL, GWR_LOG_ERROR), GWR_E_INVAL);
    assert_int_equal(gwr_ctx_log_level(NULL), GWR_LOG_WARN);
    gwr_ctx_free(ctx);
}

static void
test_context_strerror_every_code(void **state)
{
    (void)state;
    static const struct { int code; const char *text; } codes[] = {
        { GWR_OK, "success" },
        { GWR_E_NOMEM, "out of memory" },
        { GWR_E_INVAL, "invalid argument" },
        { GWR_E_PARSE, "malformed YAML or JSON text" },
        { GWR_E_CONFIG, "configuration rejected (see diagnostics)" },
        { GWR_E_ABI, "struct size or unknown fields do not match this library version" },
        { GWR_E_CALLBACK, "a host callback failed" },
        { GWR_E_STATE, "call not allowed in the current state" },
        { GWR_E_LIMIT, "input exceeds a limit" },
        { GWR_E_NOT_FOUND, "not found" },
        { GWR_E_RANGE, "index or value out of range" },
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        assert_string_equal(gwr_strerror(codes[i].code), codes[i].text);
    /* Codes are dense from 0 down to the last one: none was skipped. */
    assert_int_equal(sizeof(codes) / sizeof(codes[0]), 1 - GWR_E_RANGE);
    assert_string_equal(gwr_strerror(GWR_E_RANGE - 1), "unknown error");
    assert_string_equal(gwr_strerror(1), "unknown error");
    assert_string_equal(gwr_strerror(-1000000), "unknown error");
}

static void
test_context_version(void **state)
{
    (void)state;
    assert_int_equal(gwr_version_num(), GWR_VERSION_NUM);
    assert_string_equal(gwr_version_str(), GWR_VERSION_STR);
    char buf[32];
    snprintf(buf, sizeof(buf), "%d.%d.%d", GWR_VERSION_MAJOR,
             GWR_VERSION_MINOR, GWR_VERSION_PATCH);
    assert_string_equal(gwr_version_str(), buf);
    assert_int_equal(gwr_version_num() >> 16, GWR_VERSION_MAJOR);
}

/* A caller compiled against a future header: our struct plus one field. */
typedef struct future_allocator {
    gwr_allocator v1;
    void *added_later;
} future_allocator;

static void
test_context_abi_newer_caller_zero_tail(void **state)
{
    (void)state;
    test_alloc ta;
    test_alloc_init(&ta);
    future_allocator fa;
    memset(&fa, 0, sizeof(fa));
    fa.v1 = ta.hooks;
    fa.v1.size = sizeof(fa);
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, &fa.v1, NULL, NULL), GWR_OK);
    assert_int_equal(ta.live, 1); /* our hooks were used */
    gwr_ctx_free(ctx);
    assert_int_equal(ta.live, 0);
}

static void
test_context_abi_newer_caller_nonzero_tail(void **state)
{
    (void)state;
    test_alloc ta;
    test_alloc_init(&ta);
    future_allocator fa;
    memset(&fa, 0, sizeof(fa));
    fa.v1 = ta.hooks;
    fa.v1.size = sizeof(fa);
    fa.added_later = &fa;
    gwr_ctx *ctx = (gwr_ctx *)0x1;
    assert_int_equal(gwr_ctx_new(&ctx, &fa.v1, NULL, NULL), GWR_E_ABI);
    assert_null(ctx);
    assert_int_equal(ta.calls, 0);

    /* The same rule for the I/O table. */
    struct { gwr_io v1; void *more; } fio;
    memset(&fio, 0, sizeof(fio));
    fio.v1.size = sizeof(fio);
    fio.more = &fio;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, &fio.v1, NULL), GWR_E_ABI);
    fio.more = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, &fio.v1, NULL), GWR_OK);
    gwr_ctx_free(ctx);
}

static void
test_context_abi_too_small(void **state)
{
    (void)state;
    test_alloc ta;
    test_alloc_init(&ta);
    gwr_allocator a = ta.hooks;
    a.size = sizeof(size_t);
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, &a, NULL, NULL), GWR_E_ABI);
    a.size = 0;
    assert_int_equal(gwr_ctx_new(&ctx, &a, NULL, NULL), GWR_E_ABI);
    gwr_io io = GWR_IO_INIT;
    io.size = sizeof(size_t) + sizeof(void *); /* only now_ms */
    assert_int_equal(gwr_ctx_new(&ctx, NULL, &io, NULL), GWR_E_ABI);
}

static void
test_context_abi_exact_size(void **state)
{
    (void)state;
    gwr_io io = GWR_IO_INIT;
    assert_int_equal(io.size, sizeof(gwr_io));
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, &io, NULL), GWR_OK);
    gwr_ctx_free(ctx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_new_free_default),
        cmocka_unit_test(test_context_rejects_null_out),
        cmocka_unit_test(test_context_allocator_sees_every_allocation),
        cmocka_unit_test(test_context_allocator_failure),
        cmocka_unit_test(test_context_allocator_null_hook),
        cmocka_unit_test(test_context_log_level),
        cmocka_unit_test(test_context_strerror_every_code),
        cmocka_unit_test(test_context_version),
        cmocka_unit_test(test_context_abi_newer_caller_zero_tail),
        cmocka_unit_test(test_context_abi_newer_caller_nonzero_tail),
        cmocka_unit_test(test_context_abi_too_small),
        cmocka_unit_test(test_context_abi_exact_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
