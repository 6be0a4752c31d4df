/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Deterministic weighted choice and sampling. xxHash is compiled into
 * this file only (XXH_INLINE_ALL makes every XXH function static), so no
 * XXH symbol can be exported from the library.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "select.h"

static uint64_t
hash_words(uint64_t seed, uint64_t a, uint64_t b, size_t nwords)
{
    /* Fixed little-endian bytes so the choice is the same on every
     * platform for the same seed. */
    unsigned char in[16];
    for (int i = 0; i < 8; i++) {
        in[i] = (unsigned char)(a >> (8 * i));
        in[8 + i] = (unsigned char)(b >> (8 * i));
    }
    return (uint64_t)XXH3_64bits_withSeed(in, nwords * 8, (XXH64_hash_t)seed);
}

uint64_t
gwr_select__hash(uint64_t seed, uint64_t salt)
{
    return hash_words(seed, salt, 0, 1);
}

/* Full 64x64 -> 128 product as (hi, lo), portable C11 (no __int128, which
 * -pedantic rejects). */
static void
mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a_lo = (uint32_t)a, a_hi = a >> 32;
    uint64_t b_lo = (uint32_t)b, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi;
    uint64_t hl = a_hi * b_lo, hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    *lo = (mid << 32) | (uint32_t)ll;
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/*
 * Uniform integer in [0, range), range >= 1: Lemire's multiply-shift
 * with rejection. The high word of h * range is the draw; the low word
 * tells whether h fell into the 2^64 mod range values that would bias
 * it, in which case the next hash in the (seed, salt) sequence is used.
 * Rejection happens with probability < range / 2^64 (< 1e-12 here), so
 * the loop practically never runs twice, and stays deterministic.
 */
static uint64_t
uniform(uint64_t seed, uint64_t salt, uint64_t range)
{
    uint64_t h = gwr_select__hash(seed, salt), hi, lo;
    mul64(h, range, &hi, &lo);
    if (lo < range) {
        uint64_t threshold = (0 - range) % range; /* 2^64 mod range */
        for (uint64_t round = 1; lo < threshold; round++) {
            h = hash_words(seed, salt, round, 2);
            mul64(h, range, &hi, &lo);
        }
    }
    return hi;
}

int
gwr_select__sample(uint64_t seed, uint64_t salt, uint32_t num, uint32_t den)
{
    if (num == 0 || den == 0)
        return 0;
    if (num >= den)
        return 1;
    return uniform(seed, salt, den) < num;
}

size_t
gwr_select__weighted(uint64_t seed, uint64_t salt, const uint32_t *cumulative,
                     size_t n)
{
    if (n == 0 || cumulative[n - 1] == 0)
        return SIZE_MAX;
    if (n == 1)
        return 0;             /* most rules: no draw needed */
    uint64_t r = uniform(seed, salt, cumulative[n - 1]);
    /* First index whose running sum exceeds r; a zero weight repeats the
     * previous sum, so the earlier index always wins and it is never
     * picked. */
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cumulative[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
