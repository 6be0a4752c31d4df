/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The only place PCRE2 is used. Patterns are compiled once (with JIT when
 * available) and matched as a FULL-string match (anchored at both ends),
 * in byte mode (no UTF), with match, depth and heap limits so no pattern
 * and no subject can make a match unbounded (docs/MATCHING.md "Regular
 * expressions", docs/LIMITS.md).
 */
#ifndef GWR_REGEX_H
#define GWR_REGEX_H

#include "gwr_private.h"

#define GWR_REGEX_MAX_PATTERN 4096u      /* bytes */
#define GWR_REGEX_MATCH_LIMIT 100000u    /* pcre2 match limit */
#define GWR_REGEX_DEPTH_LIMIT 1000u      /* pcre2 depth limit */
#define GWR_REGEX_HEAP_LIMIT_KIB 256u    /* pcre2 heap limit */

typedef struct gwr_regex gwr_regex;
typedef struct gwr_regex_scratch gwr_regex_scratch;

/*
 * Compile a pattern. On a bad pattern returns GWR_E_INVAL and writes
 * PCRE2's message and offset into err ("missing closing parenthesis at
 * offset 4"). GWR_E_LIMIT when the pattern is longer than
 * GWR_REGEX_MAX_PATTERN. GWR_E_NOMEM. The compiled pattern is immutable and
 * may be matched from many threads at once.
 */
int gwr_regex__compile(gwr_ctx *ctx, gwr_str pattern, gwr_regex **out,
                       char *err, size_t errlen);
void gwr_regex__free(gwr_regex *re);

/* Per-thread match scratch (owns a pcre2 match data). */
int gwr_regex__scratch_new(gwr_ctx *ctx, gwr_regex_scratch **out);
void gwr_regex__scratch_free(gwr_regex_scratch *s);

/*
 * 1 when the whole subject matches, 0 when it does not, and GWR_E_LIMIT
 * when a match limit was hit (callers treat that as "no match"; see
 * docs/MATCHING.md). Allocates nothing.
 */
int gwr_regex__match(const gwr_regex *re, gwr_str subject,
                     gwr_regex_scratch *scratch);

#endif /* GWR_REGEX_H */
