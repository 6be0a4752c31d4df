/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Request paths: splitting the request-target, normalization before
 * matching (spec §3.3 recommendation), PathPrefix / Exact matching,
 * config-side checks of match values (§7.2) and ReplacePrefixMatch
 * (§4.4). The hot-path functions write into caller buffers and never
 * allocate. docs/MATCHING.md "Request path normalization" is the user
 * documentation of the flags.
 */
#ifndef GWR_PATH_H
#define GWR_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "gwr_private.h"

/* ---- normalization flags ------------------------------------------------ */

/* %XX of an unreserved byte (ALPHA DIGIT - . _ ~) becomes the byte. */
#define GWR_PATH__DECODE_UNRESERVED      UINT32_C(0x01)
/* Remaining %xx escapes are rewritten with uppercase hex (%2f -> %2F). */
#define GWR_PATH__UPPERCASE_ESCAPES      UINT32_C(0x02)
/* RFC 3986 §5.2.4 "." / ".." removal; ".." above the root is dropped. */
#define GWR_PATH__REMOVE_DOT_SEGMENTS    UINT32_C(0x04)
/* Runs of '/' collapse to one ("//a///b" -> "/a/b"). */
#define GWR_PATH__MERGE_SLASHES          UINT32_C(0x08)
/* %2F, %5C and a raw '\' make the path invalid (GWR_E_INVAL -> 400). */
#define GWR_PATH__REJECT_ENCODED_SLASH   UINT32_C(0x10)
/* %2F becomes '/' (a real separator, before dot removal and merging),
 * %5C becomes '\'. Ignored when REJECT_ENCODED_SLASH is set. With
 * neither flag, %2F / %5C are kept escaped (data, not separators) and a
 * raw '\' is escaped to %5C. */
#define GWR_PATH__DECODE_ENCODED_SLASH   UINT32_C(0x20)
/* '%' not followed by two hex digits makes the path invalid; without it
 * the stray '%' is escaped to %25 so the output stays well-formed. */
#define GWR_PATH__REJECT_INVALID_ENCODING UINT32_C(0x40)

/* The default: a careful gateway (Envoy Gateway style). */
#define GWR_PATH__DEFAULT                                                   \
    (GWR_PATH__DECODE_UNRESERVED | GWR_PATH__UPPERCASE_ESCAPES |            \
     GWR_PATH__REMOVE_DOT_SEGMENTS | GWR_PATH__MERGE_SLASHES |              \
     GWR_PATH__REJECT_ENCODED_SLASH | GWR_PATH__REJECT_INVALID_ENCODING)

/*
 * Split a request-target into path and query, without copying.
 *   - origin-form "/p?q#f": path "/p", query "q" (fragment dropped; a
 *     client should never send one);
 *   - absolute-form "http://host:1/p?q": scheme and authority are skipped,
 *     path "/p" (empty when the target has no path, which normalization
 *     turns into "/"); routing uses the Host header, not this authority;
 *   - anything else (e.g. "*"): returned whole as the path, so that
 *     normalization rejects it.
 * *query has ptr == NULL when there is no '?', and is a (possibly empty)
 * view after the '?' otherwise.
 */
void
gwr_path__split(gwr_str target, gwr_str *path, gwr_str *query);

/*
 * Normalize path (no query) into buf according to flags. Always rejected
 * (GWR_E_INVAL): control bytes, space, DEL, non-ASCII, raw '?' or '#',
 * a path not starting with '/'. An empty path becomes "/". Raw
 * " < > [ ] ^ ` { | } are escaped (%22 ...) so the result is an RFC 3986
 * path. The output never exceeds 3 * in.len + 1 bytes (+ NUL); when
 * nothing has to be escaped (no raw character of that set, no stray '%'
 * with REJECT_INVALID_ENCODING off, no raw '\' with the keep policy) it
 * never exceeds max(in.len, 1).
 * Returns GWR_OK (*out views buf, NUL-terminated), GWR_E_INVAL or
 * GWR_E_RANGE (buflen too small; *out untouched).
 */
int
gwr_path__normalize(gwr_str in, uint32_t flags, char *buf, size_t buflen,
                    gwr_str *out);

/* gwr_path__split() plus a normality check in one pass: 1 when the
 * target's path part is already normal, i.e. gwr_path__normalize() would
 * return it byte for byte (no escape to decode or add, no empty segment to
 * merge, no dot segment to remove, nothing to reject), so the caller uses
 * it without copying; *path and *query are then set exactly as
 * gwr_path__split() sets them. 0 when the caller must split and normalize
 * the long way (nothing set). */
int
gwr_path__split_normal(gwr_str target, uint32_t flags, gwr_str *path,
                       gwr_str *query);

/* PathPrefix (§3.3): element-wise, case-sensitive; one trailing '/' of the
 * configured value is ignored; "/" matches every path. */
int
gwr_path__prefix_match(gwr_str prefix_value, gwr_str path);

/* Exact (§3.3): byte equality. */
int
gwr_path__exact_match(gwr_str value, gwr_str path);

/*
 * The CEL rules of §7.2 for Exact / PathPrefix values: NULL when valid,
 * else a static message for the first broken rule, in the order of the
 * spec row (length first).
 */
const char *
gwr_path__check_match_value(gwr_str v);

/*
 * ReplacePrefixMatch (§4.4): request_path must be matched by
 * matched_prefix (else GWR_E_INVAL). Writes X' + rest into buf
 * (NUL-terminated), "/" when that is empty. Returns GWR_OK, GWR_E_INVAL
 * or GWR_E_RANGE.
 */
int
gwr_path__replace_prefix(gwr_str matched_prefix, gwr_str request_path,
                         gwr_str replacement, char *buf, size_t buflen,
                         gwr_str *out);

/*
 * Percent-decode s into out (room for s.len bytes): every valid %XX becomes
 * its byte; invalid or truncated escapes and '+' are kept as they are ('+'
 * means a space only in HTML forms, not in RFC 3986 queries). Used for
 * query parameter names and values. Allocates nothing.
 */
gwr_str gwr_path__pct_decode(gwr_str s, char *out);

#endif /* GWR_PATH_H */
