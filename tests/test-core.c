/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Internal building blocks: size-versioned struct helper, I/O defaults,
 * strings, the buffer, the arena and diagnostics.
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "gwr_private.h"
#include "diag.h"

/* A struct that grew: v1 had a and b, v2 appended c. */
typedef struct grown_v2 { size_t size; uint32_t a, b; uint64_t c; } grown_v2;
typedef struct grown_v1 { size_t size; uint32_t a, b; } grown_v1;
#define GROWN_V1_SIZE (offsetof(grown_v2, b) + sizeof(uint32_t))

static void
test_core_abi_older_caller_reads_zero(void **state)
{
    (void)state;
    grown_v1 old = { sizeof(grown_v1), 7, 9 };
    assert_int_equal(gwr_abi__check(&old, GROWN_V1_SIZE, sizeof(grown_v2)),
                     GWR_OK);
    grown_v2 mine;
    memset(&mine, 0xff, sizeof(mine));
    gwr_abi__copy(&mine, sizeof(mine), &old);
    assert_int_equal(mine.size, sizeof(grown_v2));
    assert_int_equal(mine.a, 7);
    assert_int_equal(mine.b, 9);
    assert_int_equal(mine.c, 0); /* missing field reads as zero */
}

static void
test_core_abi_rules(void **state)
{
    (void)state;
    struct { grown_v2 v; uint64_t future; } newer;
    memset(&newer, 0, sizeof(newer));
    newer.v.size = sizeof(newer);
    assert_int_equal(gwr_abi__check(&newer, GROWN_V1_SIZE, sizeof(grown_v2)),
                     GWR_OK);
    newer.future = 1;
    assert_int_equal(gwr_abi__check(&newer, GROWN_V1_SIZE, sizeof(grown_v2)),
                     GWR_E_ABI);
    grown_v1 tiny = { 4, 0, 0 };
    assert_int_equal(gwr_abi__check(&tiny, GROWN_V1_SIZE, sizeof(grown_v2)),
                     GWR_E_ABI);
    assert_int_equal(gwr_abi__check(NULL, GROWN_V1_SIZE, sizeof(grown_v2)),
                     GWR_E_INVAL);
    /* Copy from a newer caller keeps only what we know. */
    newer.future = 0;
    newer.v.c = 42;
    grown_v2 mine;
    gwr_abi__copy(&mine, sizeof(mine), &newer);
    assert_int_equal(mine.c, 42);
    assert_int_equal(mine.size, sizeof(grown_v2));
}

static uint64_t fake_now;
static uint64_t fake_clock(void *ud) { (void)ud; return fake_now; }
static void fake_random(uint8_t *buf, size_t len, void *ud)
{
    (void)ud;
    memset(buf, 0xab, len);
}
static char logged[256];
static uint32_t logged_level;
static void fake_log(uint32_t level, const char *msg, size_t len, void *ud)
{
    (void)ud;
    logged_level = level;
    snprintf(logged, sizeof(logged), "%.*s", (int)len, msg);
}

static void
test_core_io_host_callbacks(void **state)
{
    (void)state;
    gwr_io io = GWR_IO_INIT;
    io.now_ms = fake_clock;
    io.random = fake_random;
    io.log = fake_log;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, &io, NULL), GWR_OK);
    fake_now = 12345;
    assert_int_equal(gwr_io__now_ms(ctx), 12345);
    uint8_t r[3] = { 0 };
    gwr_io__random(ctx, r, sizeof(r));
    assert_int_equal(r[0], 0xab);
    assert_int_equal(r[2], 0xab);
    logged[0] = '\0';
    gwr_io__log(ctx, GWR_LOG_DEBUG, "hidden %d", 1);
    assert_string_equal(logged, ""); /* below the level */
    gwr_io__log(ctx, GWR_LOG_ERROR, "shown %d", 2);
    assert_string_equal(logged, "shown 2");
    assert_int_equal(logged_level, GWR_LOG_ERROR);
    gwr_ctx_free(ctx);
}

static void
test_core_io_defaults(void **state)
{
    (void)state;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    uint64_t t1 = gwr_io__now_ms(ctx);
    uint64_t t2 = gwr_io__now_ms(ctx);
    assert_true(t2 >= t1); /* monotonic */
    uint64_t a = 0, b = 0;
    gwr_io__random(ctx, &a, sizeof(a));
    gwr_io__random(ctx, &b, sizeof(b));
    assert_true(a != b);
    gwr_io__log(ctx, GWR_LOG_ERROR, "discarded"); /* default: no-op */
    gwr_ctx_free(ctx);
}

static void
test_core_str(void **state)
{
    (void)state;
    gwr_str a = GWR_STR_LIT("Content-Type");
    gwr_str b = GWR_STR_LIT("content-type");
    assert_false(gwr_str__eq(a, b));
    assert_true(gwr_str__eq_ci(a, b));
    assert_true(gwr_str__starts_with(a, (gwr_str)GWR_STR_LIT("Content")));
    assert_true(gwr_str__ends_with(a, (gwr_str)GWR_STR_LIT("Type")));
    assert_false(gwr_str__ends_with(a, (gwr_str)GWR_STR_LIT("xContent-Type")));
    assert_true(gwr_str__cmp((gwr_str)GWR_STR_LIT("ab"),
                             (gwr_str)GWR_STR_LIT("abc")) < 0);
    assert_true(gwr_str__cmp((gwr_str)GWR_STR_LIT("b"),
                             (gwr_str)GWR_STR_LIT("abc")) > 0);
    assert_int_equal(gwr_str__cmp((gwr_str){ NULL, 0 },
                                  (gwr_str)GWR_STR_LIT("")), 0);
    assert_true(gwr_str__eq_cstr(a, "Content-Type"));
}

static int
scenario_buf_arena_diag(gwr_ctx *ctx, void *ud)
{
    (void)ud;
    int rc = GWR_OK;
    gwr_buf b;
    gwr_buf__init(&b, ctx);
    for (int i = 0; i < 100; i++)
        gwr_buf__printf(&b, "%d,", i);
    if (b.err != GWR_OK) {
        rc = b.err;
    } else {
        assert_int_equal(b.len, 290);
        assert_int_equal(memcmp(b.ptr, "0,1,2,", 6), 0);
    }
    gwr_buf__free(&b);
    if (rc != GWR_OK)
        return rc;

    gwr_arena ar;
    gwr_arena__init(&ar, ctx);
    for (int i = 0; i < 50; i++) {
        char *s = gwr_arena__strndup(&ar, "hello", 5);
        void *big = gwr_arena__alloc(&ar, 10000);
        if (s == NULL || big == NULL) {
            rc = GWR_E_NOMEM;
            break;
        }
        assert_string_equal(s, "hello");
        assert_int_equal((uintptr_t)big % _Alignof(max_align_t), 0);
    }
    gwr_arena__free(&ar);
    if (rc != GWR_OK)
        return rc;

    gwr_diag_list dl;
    gwr_diag__list_init(&dl, ctx);
    gwr_diag_loc loc = { GWR_STR_LIT("a.yaml"), 3, 7, GWR_STR_LIT("HTTPRoute"),
                         GWR_STR_LIT("ns"), GWR_STR_LIT("r"),
                         GWR_STR_LIT("spec.rules[0]") };
    for (int i = 0; i < 10 && rc == GWR_OK; i++)
        rc = gwr_diag__add(&dl, GWR_DIAG_ERROR, &loc, "bad %d", i);
    if (rc == GWR_OK) {
        assert_int_equal(dl.n, 10);
        assert_int_equal(dl.errors, 10);
        gwr_buf__init(&b, ctx);
        gwr_diag__format(dl.items[9], &b);
        if (b.err == GWR_OK)
            assert_string_equal(b.ptr,
                "a.yaml:3:7: HTTPRoute ns/r: spec.rules[0]: bad 9");
        rc = b.err;
        gwr_buf__free(&b);
    }
    gwr_diag__list_free(&dl);
    return rc;
}

static void
test_core_buf_arena_diag_alloc_sweep(void **state)
{
    (void)state;
    size_t n = test_alloc_sweep(scenario_buf_arena_diag, NULL);
    assert_true(n > 10);
}

static void
test_core_diag_unknown_parts(void **state)
{
    (void)state;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_diag_list dl;
    gwr_diag__list_init(&dl, ctx);
    assert_int_equal(gwr_diag__add(&dl, GWR_DIAG_WARNING, NULL, "x"), GWR_OK);
    assert_int_equal(dl.errors, 0);
    gwr_buf b;
    gwr_buf__init(&b, ctx);
    gwr_diag__format(dl.items[0], &b);
    assert_string_equal(b.ptr, "-:0:0: - -/-: -: x");
    gwr_buf__free(&b);
    gwr_diag__list_truncate(&dl, 0);
    assert_int_equal(dl.n, 0);
    gwr_diag__list_free(&dl);
    gwr_ctx_free(ctx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_abi_older_caller_reads_zero),
        cmocka_unit_test(test_core_abi_rules),
        cmocka_unit_test(test_core_io_host_callbacks),
        cmocka_unit_test(test_core_io_defaults),
        cmocka_unit_test(test_core_str),
        cmocka_unit_test(test_core_buf_arena_diag_alloc_sweep),
        cmocka_unit_test(test_core_diag_unknown_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
