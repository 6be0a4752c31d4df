/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * The PCRE2 wrapper: full-string semantics, bad patterns, limits on
 * catastrophic backtracking, and allocation through the context.
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "regex.h"

static gwr_str
S(const char *s)
{
    gwr_str r = { s, strlen(s) };
    return r;
}

static void
test_regex_full_match(void **state)
{
    (void)state;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_regex *re = NULL;
    gwr_regex_scratch *s = NULL;
    assert_int_equal(gwr_regex__compile(ctx, S("/v[0-9]+/.*"), &re, NULL, 0),
                     GWR_OK);
    assert_int_equal(gwr_regex__scratch_new(ctx, &s), GWR_OK);
    assert_int_equal(gwr_regex__match(re, S("/v2/users"), s), 1);
    assert_int_equal(gwr_regex__match(re, S("/x/v2/users"), s), 0); /* anchored start */
    gwr_regex__free(re);
    assert_int_equal(gwr_regex__compile(ctx, S("/abc"), &re, NULL, 0), GWR_OK);
    assert_int_equal(gwr_regex__match(re, S("/abc"), s), 1);
    assert_int_equal(gwr_regex__match(re, S("/abcd"), s), 0);  /* anchored end */
    assert_int_equal(gwr_regex__match(re, S("/abc\n"), s), 0); /* no $ slack */
    gwr_regex__free(re);
    /* Alternation is anchored as a whole. */
    assert_int_equal(gwr_regex__compile(ctx, S("a|b"), &re, NULL, 0), GWR_OK);
    assert_int_equal(gwr_regex__match(re, S("ab"), s), 0);
    assert_int_equal(gwr_regex__match(re, S("b"), s), 1);
    gwr_regex__free(re);
    /* Empty pattern matches only the empty subject. */
    assert_int_equal(gwr_regex__compile(ctx, S(""), &re, NULL, 0), GWR_OK);
    assert_int_equal(gwr_regex__match(re, S(""), s), 1);
    assert_int_equal(gwr_regex__match(re, S("x"), s), 0);
    gwr_regex__free(re);
    gwr_regex__scratch_free(s);
    gwr_ctx_free(ctx);
}

static void
test_regex_bad_pattern(void **state)
{
    (void)state;
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_regex *re = (gwr_regex *)0x1;
    char err[256];
    assert_int_equal(gwr_regex__compile(ctx, S("/(abc"), &re, err, sizeof(err)),
                     GWR_E_INVAL);
    assert_null(re);
    assert_string_equal(err, "missing closing parenthesis at offset 5");
    char big[GWR_REGEX_MAX_PATTERN + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(gwr_regex__compile(ctx, S(big), &re, err, sizeof(err)),
                     GWR_E_LIMIT);
    big[GWR_REGEX_MAX_PATTERN] = '\0'; /* exactly at the limit */
    assert_int_equal(gwr_regex__compile(ctx, S(big), &re, err, sizeof(err)),
                     GWR_OK);
    gwr_regex__free(re);
    gwr_ctx_free(ctx);
}

/* Classic catastrophic patterns against adversarial subjects: each match
 * must end, with "no match" or the limit, never hang. */
static void
test_regex_catastrophic_bounded(void **state)
{
    (void)state;
    static const char *patterns[] = {
        "(a+)+$", "(a|aa)+b", "(a|a)*c", "(.*a){20}", "((a*)*)*b",
        "(x+x+)+y", "^(([a-z])+.)+[A-Z]([a-z])+$",
    };
    char subject[4096];
    memset(subject, 'a', sizeof(subject) - 2);
    subject[sizeof(subject) - 2] = '!';
    subject[sizeof(subject) - 1] = '\0';
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    gwr_regex_scratch *s = NULL;
    assert_int_equal(gwr_regex__scratch_new(ctx, &s), GWR_OK);
    for (size_t i = 0; i < GWR_ARRAY_LEN(patterns); i++) {
        gwr_regex *re = NULL;
        assert_int_equal(gwr_regex__compile(ctx, S(patterns[i]), &re, NULL, 0),
                         GWR_OK);
        for (size_t len = 16; len < sizeof(subject); len *= 4) {
            gwr_str sub = { subject + sizeof(subject) - 1 - len, len };
            int rc = gwr_regex__match(re, sub, s);
            assert_true(rc == 0 || rc == GWR_E_LIMIT);
        }
        gwr_regex__free(re);
    }
    gwr_regex__scratch_free(s);
    gwr_ctx_free(ctx);
}

static int
scenario_compile_match(gwr_ctx *ctx, void *ud)
{
    (void)ud;
    gwr_regex *re = NULL;
    gwr_regex_scratch *s = NULL;
    int rc = gwr_regex__compile(ctx, S("/api/(v1|v2)/[a-z]+"), &re, NULL, 0);
    if (rc == GWR_OK)
        rc = gwr_regex__scratch_new(ctx, &s);
    if (rc == GWR_OK)
        assert_int_equal(gwr_regex__match(re, S("/api/v1/users"), s), 1);
    gwr_regex__scratch_free(s);
    gwr_regex__free(re);
    return rc;
}

static void
test_regex_alloc_sweep(void **state)
{
    (void)state;
    assert_true(test_alloc_sweep(scenario_compile_match, NULL) >= 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regex_full_match),
        cmocka_unit_test(test_regex_bad_pattern),
        cmocka_unit_test(test_regex_catastrophic_bounded),
        cmocka_unit_test(test_regex_alloc_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
