/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * YAML 1.2 core schema resolution of plain scalars (docs/CONFIG.md,
 * "YAML and JSON dialect"): null, bool, int, float, else string.
 */
#include <string.h>

#include "node_load.h"

static int
is_one_of(gwr_str s, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (gwr_str__eq_cstr(s, words[i]))
            return 1;
    }
    return 0;
}

int
gwr_scalar__is_null(gwr_str s)
{
    static const char *const words[] = { "", "~", "null", "Null", "NULL" };
    return is_one_of(s, words, GWR_ARRAY_LEN(words));
}

int
gwr_scalar__is_bool(gwr_str s, int *val)
{
    static const char *const yes[] = { "true", "True", "TRUE" };
    static const char *const no[] = { "false", "False", "FALSE" };
    if (is_one_of(s, yes, GWR_ARRAY_LEN(yes))) {
        *val = 1;
        return 1;
    }
    if (is_one_of(s, no, GWR_ARRAY_LEN(no))) {
        *val = 0;
        return 1;
    }
    return 0;
}

static int
digit_value(char c, unsigned base)
{
    int v;
    if (c >= '0' && c <= '9')
        v = c - '0';
    else if (c >= 'a' && c <= 'f')
        v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        v = c - 'A' + 10;
    else
        return -1;
    return (unsigned)v < base ? v : -1;
}

/* Digits of one base, at least one; magnitude limit max. */
static int
parse_digits(const char *p, size_t n, unsigned base, uint64_t max,
             uint64_t *out)
{
    if (n == 0)
        return GWR_SCALAR_NO;
    uint64_t v = 0;
    int range = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digit_value(p[i], base);
        if (d < 0)
            return GWR_SCALAR_NO;
        /* Keep scanning after an overflow: "12x" is a string, not an
         * out-of-range integer. */
        if (!range && (v > (max - (uint64_t)d) / base))
            range = 1;
        if (!range)
            v = v * base + (uint64_t)d;
    }
    *out = v;
    return range ? GWR_SCALAR_RANGE : GWR_SCALAR_YES;
}

int
gwr_scalar__is_int(gwr_str s, int64_t *val)
{
    const char *p = s.ptr;
    size_t n = s.len;
    uint64_t mag = 0;
    int rc;
    if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
        rc = parse_digits(p + 2, n - 2, p[1] == 'x' ? 16 : 8,
                          (uint64_t)INT64_MAX, &mag);
        if (rc == GWR_SCALAR_YES)
            *val = (int64_t)mag;
        return rc;
    }
    int neg = 0;
    if (n > 0 && (p[0] == '-' || p[0] == '+')) {
        neg = p[0] == '-';
        p++;
        n--;
    }
    uint64_t max = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    rc = parse_digits(p, n, 10, max, &mag);
    if (rc == GWR_SCALAR_YES) {
        if (!neg)
            *val = (int64_t)mag;
        else if (mag == (uint64_t)INT64_MAX + 1u)
            *val = INT64_MIN;
        else
            *val = -(int64_t)mag;
    }
    return rc;
}

static size_t
count_digits(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    return i;
}

int
gwr_scalar__is_float(gwr_str s)
{
    static const char *const inf[] = { ".inf", ".Inf", ".INF" };
    static const char *const nan[] = { ".nan", ".NaN", ".NAN" };
    if (is_one_of(s, nan, GWR_ARRAY_LEN(nan)))
        return 1;
    const char *p = s.ptr;
    size_t n = s.len;
    if (n > 0 && (p[0] == '-' || p[0] == '+')) {
        p++;
        n--;
    }
    gwr_str rest = { p, n };
    if (is_one_of(rest, inf, GWR_ARRAY_LEN(inf)))
        return 1;
    /* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
    size_t i = count_digits(p, n);
    if (i == 0) {
        if (n < 2 || p[0] != '.')
            return 0;
        size_t f = count_digits(p + 1, n - 1);
        if (f == 0)
            return 0;
        i = 1 + f;
    } else if (i < n && p[i] == '.') {
        i++;
        i += count_digits(p + i, n - i);
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '-' || p[i] == '+'))
            i++;
        size_t e = count_digits(p + i, n - i);
        if (e == 0)
            return 0;
        i += e;
    }
    return i == n;
}

uint32_t
gwr_scalar__resolve(gwr_str s, int64_t *ival, int *bval, int *range)
{
    *range = 0;
    if (gwr_scalar__is_null(s))
        return GWR_NODE_NULL;
    if (gwr_scalar__is_bool(s, bval))
        return GWR_NODE_BOOL;
    int rc = gwr_scalar__is_int(s, ival);
    if (rc != GWR_SCALAR_NO) {
        *range = rc == GWR_SCALAR_RANGE;
        return GWR_NODE_INT;
    }
    if (gwr_scalar__is_float(s))
        return GWR_NODE_FLOAT;
    return GWR_NODE_STRING;
}
