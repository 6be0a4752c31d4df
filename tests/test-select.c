/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Deterministic selection (lib/select.c): exact edges, determinism and
 * statistics over 100k fixed seeds (chi-square for weights, 4-sigma
 * binomial bounds for sampling). The seeds are fixed, so the statistics
 * give the same verdict on every run.
 */
#include <math.h>
#include <string.h>

#include "helpers.h"
#include "gwr_private.h"
#include "select.h"

#define RUNS 100000u

static void
test_select_determinism(void **state)
{
    (void)state;
    uint32_t cum[3] = { 1, 3, 10 };
    for (uint64_t seed = 0; seed < 1000; seed++) {
        assert_int_equal(gwr_select__hash(seed, 7), gwr_select__hash(seed, 7));
        assert_int_equal(gwr_select__weighted(seed, 7, cum, 3),
                         gwr_select__weighted(seed, 7, cum, 3));
        assert_int_equal(gwr_select__sample(seed, 9, 1, 3),
                         gwr_select__sample(seed, 9, 1, 3));
    }
    /* seed and salt both matter */
    assert_true(gwr_select__hash(1, 2) != gwr_select__hash(2, 1));
    assert_true(gwr_select__hash(1, 2) != gwr_select__hash(1, 3));
    assert_true(gwr_select__hash(0, 0) != gwr_select__hash(0, 1));
    /* pinned values: XXH3 output is frozen since xxHash 0.8.0 and the
     * salt is hashed as little-endian bytes, so a choice made for a seed
     * is the same on every platform and release */
    assert_true(gwr_select__hash(0, 0) == UINT64_C(0xc77b3abb6f87acd9));
    assert_true(gwr_select__hash(UINT64_C(0x0123456789abcdef), 42) ==
                UINT64_C(0xbcea5640f79d5702));
}

static void
test_select_exact_edges(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 20000; seed++) {
        assert_true(gwr_select__sample(seed, 1, 100, 100));
        assert_true(gwr_select__sample(seed, 1, 1, 1));
        assert_true(gwr_select__sample(seed, 1, 1000000, 1000000));
        assert_true(gwr_select__sample(seed, 1, 5, 3));   /* clamped */
        assert_false(gwr_select__sample(seed, 1, 0, 100));
        assert_false(gwr_select__sample(seed, 1, 0, 1));
        assert_false(gwr_select__sample(seed, 1, 1, 0)); /* den 0: never */
    }
    uint32_t zero[3] = { 0, 0, 0 };
    assert_int_equal(gwr_select__weighted(1, 1, zero, 3), SIZE_MAX);
    assert_int_equal(gwr_select__weighted(1, 1, zero, 0), SIZE_MAX);
    assert_int_equal(gwr_select__weighted(1, 1, NULL, 0), SIZE_MAX);
    uint32_t one[1] = { 5 };
    uint32_t last_only[3] = { 0, 0, 1000000 };
    uint32_t first_only[3] = { 7, 7, 7 };
    uint32_t middle_only[4] = { 0, 1, 1, 1 };
    for (uint64_t seed = 0; seed < 20000; seed++) {
        assert_int_equal(gwr_select__weighted(seed, 3, one, 1), 0);
        assert_int_equal(gwr_select__weighted(seed, 3, last_only, 3), 2);
        assert_int_equal(gwr_select__weighted(seed, 3, first_only, 3), 0);
        assert_int_equal(gwr_select__weighted(seed, 3, middle_only, 4), 1);
    }
}

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 u128;
#endif

static void
test_select_multiply_shift(void **state)
{
    (void)state;
#if defined(__SIZEOF_INT128__)
    /* sample() is (hash * den) >> 64 < num whenever no rejection happens
     * (rejection needs the low word below 2^64 mod den: never in these
     * seeds, checked here). */
    static const uint32_t dens[] = { 3, 7, 100, 999983, 16000000, 4294967295u };
    for (size_t d = 0; d < GWR_ARRAY_LEN(dens); d++) {
        uint32_t den = dens[d], num = den / 3 + 1;
        for (uint64_t seed = 0; seed < 5000; seed++) {
            uint64_t h = gwr_select__hash(seed, 11);
            u128 m = (u128)h * den;
            assert_true((uint64_t)m >= (0 - (uint64_t)den) % den);
            int want = (uint64_t)(m >> 64) < num;
            assert_int_equal(gwr_select__sample(seed, 11, num, den), want);
        }
    }
#else
    skip();
#endif
}

/* Pearson chi-square of counts against weights (zero weights excluded). */
static double
chi_square(const uint32_t *counts, const uint32_t *weights, size_t n,
           uint32_t runs)
{
    double total_w = 0, chi = 0;
    for (size_t i = 0; i < n; i++)
        total_w += weights[i];
    for (size_t i = 0; i < n; i++) {
        if (weights[i] == 0)
            continue;
        double expect = runs * (weights[i] / total_w);
        double d = counts[i] - expect;
        chi += d * d / expect;
    }
    return chi;
}

static void
run_weights(const uint32_t *weights, size_t n, uint32_t *counts, uint64_t salt)
{
    uint32_t cum[16];
    uint32_t sum = 0;
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        sum += weights[i];
        cum[i] = sum;
        counts[i] = 0;
    }
    for (uint64_t seed = 0; seed < RUNS; seed++) {
        size_t k = gwr_select__weighted(seed, salt, cum, n);
        assert_true(k < n);
        counts[k]++;
    }
}

static void
test_select_weighted_statistics(void **state)
{
    (void)state;
    uint32_t counts[16];
    /* 1:2:7, df 2: 13.8 is the p = 0.001 critical value */
    static const uint32_t w127[3] = { 1, 2, 7 };
    run_weights(w127, 3, counts, 1);
    assert_true(chi_square(counts, w127, 3, RUNS) < 13.8);

    /* 1:0:1: the zero weight gets exactly nothing, df 1: 10.8 */
    static const uint32_t w101[3] = { 1, 0, 1 };
    run_weights(w101, 3, counts, 2);
    assert_int_equal(counts[1], 0);
    assert_true(chi_square(counts, w101, 3, RUNS) < 10.8);

    /* the maximum: 16 backends x 1,000,000, df 15: 37.7 */
    uint32_t wmax[16];
    for (size_t i = 0; i < 16; i++)
        wmax[i] = 1000000;
    run_weights(wmax, 16, counts, 3);
    assert_true(chi_square(counts, wmax, 16, RUNS) < 37.7);

    /* uneven large weights with zeros inside, df 3: 16.3 */
    static const uint32_t wmix[6] = { 1000000, 0, 1, 999999, 0, 500000 };
    run_weights(wmix, 6, counts, 4);
    assert_int_equal(counts[1], 0);
    assert_int_equal(counts[4], 0);
    /* weight 1 of ~2.5M: expected 0.04 hits, so check it separately */
    assert_true(counts[2] <= 2);
    static const uint32_t wbig[6] = { 1000000, 0, 0, 999999, 0, 500000 };
    uint32_t c2[6];
    memcpy(c2, counts, sizeof(c2));
    c2[2] = 0;
    assert_true(chi_square(c2, wbig, 6, RUNS - counts[2]) < 16.3);
}

/* |hits - n p| within 4 sigma of the binomial. */
static void
check_sampling(uint32_t num, uint32_t den, uint64_t salt)
{
    uint32_t hits = 0;
    for (uint64_t seed = 0; seed < RUNS; seed++)
        hits += (uint32_t)gwr_select__sample(seed, salt, num, den);
    double p = (double)num / den;
    double mean = RUNS * p, sigma = sqrt(RUNS * p * (1 - p));
    if (fabs(hits - mean) > 4 * sigma)
        fail_msg("%u/%u: %u hits, expected %.0f +- %.0f", num, den, hits,
                 mean, 4 * sigma);
}

static void
test_select_sampling_statistics(void **state)
{
    (void)state;
    check_sampling(20, 100, 1);   /* percent: 20 */
    check_sampling(25, 50, 2);    /* fraction 25/50 */
    check_sampling(35, 100, 3);   /* percent: 35 */
    check_sampling(1, 3, 4);
    check_sampling(1, 1000000, 5);
    check_sampling(999999, 1000000, 6);
    /* independent salts give independent decisions: P(both) ~ 1/4 */
    uint32_t both = 0;
    for (uint64_t seed = 0; seed < RUNS; seed++)
        both += (uint32_t)(gwr_select__sample(seed, 100, 1, 2) &&
                           gwr_select__sample(seed, 101, 1, 2));
    double sigma = sqrt(RUNS * 0.25 * 0.75);
    assert_true(fabs(both - RUNS * 0.25) < 4 * sigma);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_determinism),
        cmocka_unit_test(test_select_exact_edges),
        cmocka_unit_test(test_select_multiply_shift),
        cmocka_unit_test(test_select_weighted_statistics),
        cmocka_unit_test(test_select_sampling_statistics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
