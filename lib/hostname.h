/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Hostnames: the Hostname / PreciseHostname validators (spec §7.1),
 * wildcard matching and listener/route intersection (§2.2), request Host
 * normalization (§3.2) and the specificity used for precedence (§3.8).
 * Everything here works on views and never allocates.
 */
#ifndef GWR_HOSTNAME_H
#define GWR_HOSTNAME_H

#include <stddef.h>
#include <stdint.h>

#include "gwr_private.h"

/* Messages of gwr_hostname__check, for tests and callers that compare. */
#define GWR_HOSTNAME__MSG_LENGTH "must be 1 to 253 characters"
#define GWR_HOSTNAME__MSG_PATTERN \
    "must match ^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?" \
    "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
#define GWR_HOSTNAME__MSG_PRECISE_PATTERN \
    "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?" \
    "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
#define GWR_HOSTNAME__MSG_IP "must not be an IP address"

/*
 * 1 when h matches the CRD rules exactly: 1..253 bytes and the Hostname
 * pattern (allow_wildcard != 0) or the PreciseHostname pattern (0).
 * Lowercase only. IP-looking values pass, as they do in the CRD; use
 * gwr_hostname__check for the library's stricter rule.
 */
int
gwr_hostname__valid(gwr_str h, int allow_wildcard);

/*
 * Config-side check: NULL when h is valid, else a static message naming
 * the first broken rule: length, pattern, then "must not be an IP
 * address" (the documented intent the CRD pattern misses).
 */
const char *
gwr_hostname__check(gwr_str h, int allow_wildcard);

/*
 * 1 when h is an IP literal: an IPv4 dotted quad (four all-digit labels
 * of 1 to 3 digits, each <= 255, leading zeros allowed because inet_aton
 * style parsers still read them as addresses) or an IPv6 literal
 * (contains ':' and only hex digits, ':' and '.'; brackets removed).
 */
int
gwr_hostname__is_ip(gwr_str h);

/*
 * 1 when host is matched by pattern. "*.s" matches hosts ending in ".s"
 * with at least one more label in front (one or more labels); an empty
 * pattern or "*" is the match-all; anything else is byte equality.
 * Both sides must already be lowercase.
 */
int
gwr_hostname__wildcard_match(gwr_str pattern, gwr_str host);

/*
 * Effective hostname of a route hostname on a listener (§2.2 table). An
 * empty view means "unset" (match-all) on input and output. Returns 1
 * and sets *out to a view of one of the inputs (the more specific side;
 * the empty view when both are unset), or 0 when they do not intersect
 * (*out untouched).
 */
int
gwr_hostname__intersect(gwr_str listener, gwr_str route, gwr_str *out);

/*
 * Normalize a request Host / :authority value for matching, without
 * allocating:
 *   - "[v6]" or "[v6]:port": the address inside the brackets (hex digits,
 *     ':' and '.'; zone ids are rejected);
 *   - "name" or "name:port": the name, lowercased, with ONE trailing dot
 *     removed ("example.com." is the same DNS name as "example.com");
 *   - the port, when present, must be 1 to 5 digits <= 65535 ("host:" with
 *     an empty port is accepted as no port, as RFC 3986 allows; port 0
 *     therefore reads the same as no port);
 *   - names may only contain A-Z a-z 0-9 '-' '_' '.', must not start with
 *     '.' nor contain an empty label.
 * The result is written to buf (NUL-terminated) and *out views it;
 * *port_out (may be NULL) is the port or 0 when absent.
 * Returns GWR_OK, GWR_E_INVAL (empty or malformed) or GWR_E_RANGE (buf
 * shorter than the result + 1).
 */
int
gwr_hostname__normalize_request(gwr_str host, char *buf, size_t buflen,
                                gwr_str *out, uint32_t *port_out);

/* The port part of a request Host (the bytes after ':'), as
 * gwr_hostname__normalize_request() accepts it: 0 to 5 digits, at most
 * 65535 (none reads as 0). 1 and *value, or 0. Shared with the fused
 * scan (lib/scan.c), which must take exactly the ports this takes. */
int gwr_hostname__port(gwr_str port, uint32_t *value);

/* gwr_hostname__normalize_request() without the port, for the match path:
 * when host is already normal (lowercase name characters, no port, no
 * trailing dot, no empty label: nearly every request), *out views host
 * itself and nothing is copied; otherwise the full normalizer writes to
 * buf. Same results and return values as gwr_hostname__normalize_request.
 */
int
gwr_hostname__normalize_request_view(gwr_str host, char *buf, size_t buflen,
                                     gwr_str *out);

/*
 * Precedence key of an effective hostname (§3.8 rule 1): larger is more
 * specific. Exact names rank 1024 + length, wildcards "*.s" rank
 * 1 + length of s, the match-all (empty view or "*") ranks 0. Any two
 * hostnames matching the same request host order the same way as by
 * label count, since the longer wildcard then contains the shorter one.
 */
uint32_t
gwr_hostname__specificity(gwr_str effective_hostname);

#endif /* GWR_HOSTNAME_H */
