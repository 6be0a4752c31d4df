/*
 * libgwroute fuzz target - SPDX-License-Identifier: MIT
 *
 * GEP-2257 durations (lib/duration.h), the one parser that reads timeouts
 * and retry backoffs from hostile config:
 *   - gwr_duration__parse accepts exactly ^([0-9]{1,5}(h|m|s|ms)){1,4}$
 *     (checked against a table-driven automaton of that pattern) and
 *     returns the sum of the parts;
 *   - format(parse(x)) re-parses to the same value, is canonical
 *     (formatting it again gives the same text) and fits the pattern;
 *   - format of any int64 (the first 8 bytes) is GWR_E_RANGE outside
 *     0..GWR_DURATION__FORMAT_MAX_MS and a parseable canonical text inside.
 */
#include "fuzz-common.h"
#include "duration.h"
#include "gwroute.h"

static gwr_ctx *fz_ctx;

static int
setup(void)
{
    if (fz_ctx != NULL)
        return 1;
    return gwr_ctx_new(&fz_ctx, NULL, NULL, NULL) == GWR_OK;
}

/* The value of a text known to match the pattern. */
static int64_t
ref_value(const char *s, size_t n)
{
    int64_t total = 0;
    size_t i = 0;
    while (i < n) {
        int64_t v = 0;
        while (s[i] >= '0' && s[i] <= '9')
            v = v * 10 + (s[i++] - '0');
        if (s[i] == 'h') {
            total += v * 3600000;
            i++;
        } else if (s[i] == 'm' && i + 1 < n && s[i + 1] == 's') {
            total += v;
            i += 2;
        } else if (s[i] == 'm') {
            total += v * 60000;
            i++;
        } else {
            total += v * 1000;
            i++;
        }
    }
    return total;
}

/*
 * ^([0-9]{1,5}(h|m|s|ms)){1,4}$ as an automaton. State: digits read in
 * the current component (0..5), components done (0..4), and whether the
 * last byte was the 'm' of a finished component (an 's' may then still
 * turn it into "ms").
 */
static int
ref_accepts(const char *s, size_t n)
{
    int digits = 0, done = 0, after_m = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (digits == 0 && done == 4)
                return 0;
            if (++digits > 5)
                return 0;
            after_m = 0;
        } else if (c == 's' && after_m) {
            after_m = 0; /* "ms": the component is already counted */
        } else if (c == 'h' || c == 'm' || c == 's') {
            if (digits == 0)
                return 0;
            digits = 0;
            done++;
            after_m = c == 'm';
        } else {
            return 0;
        }
    }
    return n > 0 && digits == 0 && done >= 1;
}

/* Format ms and check everything the canonical form promises. */
static void
check_format(int64_t ms)
{
    gwr_buf b;
    gwr_buf__init(&b, fz_ctx);
    int rc = gwr_duration__format(ms, &b);
    if (ms < 0 || ms > GWR_DURATION__FORMAT_MAX_MS) {
        FUZZ_CHECK(rc == GWR_E_RANGE);
        FUZZ_CHECK(b.len == 0);
        gwr_buf__free(&b);
        return;
    }
    if (rc == GWR_E_NOMEM) {
        gwr_buf__free(&b);
        return;
    }
    FUZZ_CHECK(rc == GWR_OK);
    FUZZ_CHECK(b.len > 0 && b.ptr != NULL && b.ptr[b.len] == '\0');
    FUZZ_CHECK(ref_accepts(b.ptr, b.len));
    int64_t back = -1;
    FUZZ_CHECK(gwr_duration__parse((gwr_str){ b.ptr, b.len }, &back) ==
               GWR_OK);
    FUZZ_CHECK(back == ms);
    /* canonical: formatting the re-parsed value gives the same text */
    gwr_buf c;
    gwr_buf__init(&c, fz_ctx);
    if (gwr_duration__format(back, &c) == GWR_OK)
        FUZZ_CHECK(c.len == b.len && memcmp(c.ptr, b.ptr, b.len) == 0);
    gwr_buf__free(&c);
    gwr_buf__free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!setup())
        return 0;
    /* The text, in a buffer of its exact size. */
    char *text = fuzz_dup((const char *)data, size);
    if (size > 0 && text == NULL)
        return 0;
    int64_t ms = INT64_MIN;
    int rc = gwr_duration__parse((gwr_str){ text, size }, &ms);
    int want = size > 0 && ref_accepts(text, size);
    FUZZ_CHECK((rc == GWR_OK) == want);
    if (rc == GWR_OK) {
        FUZZ_CHECK(ms == ref_value(text, size));
        check_format(ms);
    } else {
        FUZZ_CHECK(rc == GWR_E_INVAL);
        FUZZ_CHECK(ms == INT64_MIN); /* untouched on error */
    }
    free(text);

    /* Any int64 through the formatter. */
    if (size >= 8) {
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = (u << 8) | data[i];
        check_format((int64_t)u);
        /* and the neighbourhood of the range ends */
        check_format((int64_t)(u % 4) - 2);
        check_format(GWR_DURATION__FORMAT_MAX_MS - 2 + (int64_t)(u % 4));
    }
    return 0;
}
