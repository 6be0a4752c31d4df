/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * GEP-2257 durations (spec §6.1): the strict subset of Go's
 * time.ParseDuration that Gateway API accepts, and the canonical form.
 */
#ifndef GWR_DURATION_H
#define GWR_DURATION_H

#include <stdint.h>

#include "gwr_private.h"

/* Largest duration the canonical form can express: hours are limited to
 * five digits by the pattern, so 99999h59m59s999ms. */
#define GWR_DURATION__FORMAT_MAX_MS \
    (INT64_C(99999) * 3600000 + 59 * 60000 + 59 * 1000 + 999)

/*
 * Parse s, which must match ^([0-9]{1,5}(h|m|s|ms)){1,4}$ exactly, into
 * milliseconds (sum of the components; units may repeat and come in any
 * order). Returns GWR_OK or GWR_E_INVAL (*ms_out untouched).
 */
int
gwr_duration__parse(gwr_str s, int64_t *ms_out);

/*
 * Append the canonical form of ms to b: descending, non-repeating units,
 * zero components left out, zero as "0s" (e.g. 5400000 -> "1h30m").
 * Returns GWR_OK, GWR_E_RANGE (ms < 0 or > GWR_DURATION__FORMAT_MAX_MS;
 * nothing appended) or b->err.
 */
int
gwr_duration__format(int64_t ms, gwr_buf *b);

#endif /* GWR_DURATION_H */
