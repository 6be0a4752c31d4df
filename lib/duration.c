/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * GEP-2257 durations. Hand-written tokenizer for the CRD pattern
 * ^([0-9]{1,5}(h|m|s|ms)){1,4}$ so no regex engine is needed and the
 * result is the Go time.ParseDuration value of the accepted strings.
 */
#include "duration.h"

#define MS_PER_S INT64_C(1000)
#define MS_PER_M (60 * MS_PER_S)
#define MS_PER_H (60 * MS_PER_M)

int
gwr_duration__parse(gwr_str s, int64_t *ms_out)
{
    size_t i = 0;
    int components = 0;
    int64_t total = 0;

    if (s.len == 0 || s.ptr == NULL)
        return GWR_E_INVAL;
    while (i < s.len) {
        /* At most four components: the fifth is rejected before it is
         * read, so "1h30m10s20ms50h" fails here. */
        if (components == 4)
            return GWR_E_INVAL;
        int64_t value = 0;
        size_t digits = 0;
        while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9') {
            if (++digits > 5)
                return GWR_E_INVAL;
            /* Decimal even with leading zeros: Go never reads octal. */
            value = value * 10 + (s.ptr[i] - '0');
            i++;
        }
        if (digits == 0 || i == s.len)
            return GWR_E_INVAL; /* no number, or a bare number ("1") */
        int64_t unit;
        /* "ms" must be tried before "m", otherwise "10ms" would read as
         * 10 minutes followed by a stray "s". */
        if (s.ptr[i] == 'm' && i + 1 < s.len && s.ptr[i + 1] == 's') {
            unit = 1;
            i += 2;
        } else if (s.ptr[i] == 'h') {
            unit = MS_PER_H;
            i++;
        } else if (s.ptr[i] == 'm') {
            unit = MS_PER_M;
            i++;
        } else if (s.ptr[i] == 's') {
            unit = MS_PER_S;
            i++;
        } else {
            return GWR_E_INVAL;
        }
        /* 4 x 99999h = 1.44e12 ms: far inside int64, no overflow check. */
        total += value * unit;
        components++;
    }
    *ms_out = total;
    return GWR_OK;
}

int
gwr_duration__format(int64_t ms, gwr_buf *b)
{
    if (ms < 0 || ms > GWR_DURATION__FORMAT_MAX_MS)
        return GWR_E_RANGE;
    if (ms == 0) {
        gwr_buf__puts(b, "0s");
        return b->err;
    }
    static const struct { int64_t unit; const char *name; } units[] = {
        { MS_PER_H, "h" }, { MS_PER_M, "m" }, { MS_PER_S, "s" }, { 1, "ms" },
    };
    for (size_t u = 0; u < GWR_ARRAY_LEN(units); u++) {
        int64_t n = ms / units[u].unit;
        ms %= units[u].unit;
        if (n != 0)
            gwr_buf__printf(b, "%lld%s", (long long)n, units[u].name);
    }
    return b->err;
}
