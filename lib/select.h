/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Deterministic choices: weighted backend selection (spec §5.1) and
 * mirror sampling (§4.5). A choice is a pure function of (seed, salt):
 * the caller draws the seed (per request, from the host's random source
 * or a hash of a request property) and the salt tells independent
 * decisions of one request apart (which rule, which mirror). Integer
 * arithmetic only, exactly unbiased, no allocation.
 */
#ifndef GWR_SELECT_H
#define GWR_SELECT_H

#include <stddef.h>
#include <stdint.h>

/* XXH3-64 of the 8 little-endian bytes of salt, seeded with seed. */
uint64_t
gwr_select__hash(uint64_t seed, uint64_t salt);

/*
 * 1 when the request is sampled, with probability exactly num / den.
 * num == 0: never; num >= den: always; den == 0 is treated as "never".
 */
int
gwr_select__sample(uint64_t seed, uint64_t salt, uint32_t num, uint32_t den);

/*
 * Index i of cumulative (non-decreasing running sums of the weights, n
 * entries) with probability weight_i / total, total = cumulative[n - 1].
 * A zero weight is never chosen. SIZE_MAX when n == 0 or total == 0.
 */
size_t
gwr_select__weighted(uint64_t seed, uint64_t salt, const uint32_t *cumulative,
                     size_t n);

#endif /* GWR_SELECT_H */
