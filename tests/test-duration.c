/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * GEP-2257 durations (lib/duration.c): every example of spec §6.1.
 */
#include <string.h>

#include "helpers.h"
#include "gwr_private.h"
#include "duration.h"

#define H INT64_C(3600000)
#define M INT64_C(60000)
#define S INT64_C(1000)

static int64_t
parse_ok(const char *s)
{
    int64_t ms = -1;
    assert_int_equal(gwr_duration__parse(gwr_str__from_cstr(s), &ms), GWR_OK);
    return ms;
}

static void
assert_invalid(const char *s)
{
    int64_t ms = 12345;
    assert_int_equal(gwr_duration__parse(gwr_str__from_cstr(s), &ms),
                     GWR_E_INVAL);
    assert_int_equal(ms, 12345); /* untouched on failure */
}

static void
test_duration_valid_examples(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0s"), 0);
    assert_int_equal(parse_ok("0h"), 0);
    assert_int_equal(parse_ok("0m"), 0);
    assert_int_equal(parse_ok("0ms"), 0);
    assert_int_equal(parse_ok("1h"), H);
    assert_int_equal(parse_ok("30m"), 30 * M);
    assert_int_equal(parse_ok("10s"), 10 * S);
    assert_int_equal(parse_ok("500ms"), 500);
    assert_int_equal(parse_ok("1h30m"), H + 30 * M);
    /* units may repeat and appear in any order */
    assert_int_equal(parse_ok("1h2h20m10m"), 3 * H + 30 * M);
    assert_int_equal(parse_ok("10s30m1h"), H + 30 * M + 10 * S);
    assert_int_equal(parse_ok("1h30m10s20ms"), H + 30 * M + 10 * S + 20);
    /* leading zeros are decimal, never octal */
    assert_int_equal(parse_ok("010s"), 10 * S);
    assert_int_equal(parse_ok("00009ms"), 9);
    /* "ms" before "m": 1m then 1ms, not 1 minute + stray s */
    assert_int_equal(parse_ok("1m1ms"), M + 1);
    assert_int_equal(parse_ok("1ms1m"), M + 1);
    /* the largest value the pattern accepts: 4 x 99999h */
    assert_int_equal(parse_ok("99999h99999h99999h99999h"), 399996 * H);
    assert_int_equal(parse_ok("99999h99999h99999h99999h"),
                     INT64_C(1439985600000));
    assert_int_equal(parse_ok("99999ms"), 99999);
}

static void
test_duration_invalid_examples(void **state)
{
    (void)state;
    assert_invalid("1");
    assert_invalid("1m1");
    assert_invalid("1d");
    assert_invalid("1h30m10s20ms50h"); /* 5 components */
    assert_invalid("999999h");         /* 6 digits */
    assert_invalid("1.5h");
    assert_invalid("-15m");
    assert_invalid("+15m");
    assert_invalid("");
    assert_invalid("0");
    assert_invalid("h");
    assert_invalid("1us");
    assert_invalid("1ns");
    assert_invalid("1µs");
    assert_invalid("1 h");
    assert_invalid(" 1h");
    assert_invalid("1h ");
    assert_invalid("1H");
    assert_invalid("1mss");
    assert_invalid("1hh");
    int64_t ms = 7;
    assert_int_equal(gwr_duration__parse((gwr_str){ NULL, 0 }, &ms),
                     GWR_E_INVAL);
    /* embedded NUL is not part of the pattern */
    assert_int_equal(gwr_duration__parse((gwr_str){ "1h\0", 3 }, &ms),
                     GWR_E_INVAL);
}

static void
assert_format(int64_t ms, const char *want)
{
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_buf b;
    gwr_buf__init(&b, ctx);
    gwr_buf__puts(&b, "<");
    assert_int_equal(gwr_duration__format(ms, &b), GWR_OK);
    assert_string_equal(b.ptr + 1, want);
    /* canonical output parses back to the same value */
    int64_t back = -1;
    assert_int_equal(gwr_duration__parse((gwr_str){ b.ptr + 1, b.len - 1 },
                                         &back), GWR_OK);
    assert_int_equal(back, ms);
    gwr_buf__free(&b);
    gwr_ctx_free(ctx);
}

static void
test_duration_format(void **state)
{
    (void)state;
    assert_format(0, "0s");
    assert_format(1, "1ms");
    assert_format(1500, "1s500ms");
    assert_format(60 * S, "1m");
    assert_format(90 * M, "1h30m");
    assert_format(3 * H + 30 * M, "3h30m");
    assert_format(H + 30 * M + 10 * S, "1h30m10s");
    assert_format(H + 1, "1h1ms");
    assert_format(100 * H, "100h");
    assert_format(GWR_DURATION__FORMAT_MAX_MS, "99999h59m59s999ms");

    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_buf b;
    gwr_buf__init(&b, ctx);
    assert_int_equal(gwr_duration__format(-1, &b), GWR_E_RANGE);
    assert_int_equal(gwr_duration__format(GWR_DURATION__FORMAT_MAX_MS + 1, &b),
                     GWR_E_RANGE);
    /* 4 x 99999h parses but has no canonical form */
    assert_int_equal(gwr_duration__format(399996 * H, &b), GWR_E_RANGE);
    assert_int_equal(b.len, 0);
    gwr_buf__free(&b);
    gwr_ctx_free(ctx);
}

static int
scenario_format(gwr_ctx *ctx, void *ud)
{
    (void)ud;
    gwr_buf b;
    gwr_buf__init(&b, ctx);
    int rc = gwr_duration__format(H + 30 * M + 10 * S + 20, &b);
    if (rc == GWR_OK)
        assert_string_equal(b.ptr, "1h30m10s20ms");
    gwr_buf__free(&b);
    return rc;
}

static void
test_duration_format_alloc_sweep(void **state)
{
    (void)state;
    assert_true(test_alloc_sweep(scenario_format, NULL) >= 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_valid_examples),
        cmocka_unit_test(test_duration_invalid_examples),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_duration_format_alloc_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
