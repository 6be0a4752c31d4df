/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The probe keys of a request (lib/scan.c): the map key hashes of its
 * Host (the whole host and every label suffix, read right to left) and of
 * its path (the whole path and every prefix ending before a '/', read
 * left to right), which the index walk (lib/match.c) probes with.
 *
 * Two ways to get them. The fused scans read the request's Host and
 * request-target once: they prove the string is already in normal form
 * (the common case) and hash it in the same pass, 16 bytes per step.
 * They are deliberately narrower than the normalizers (lib/hostname.c,
 * lib/path.c): anything unusual (upper case, a port, a dot segment, an
 * escape, a byte outside the plain alphabet) returns 0, and the caller
 * normalizes and then hashes the normalized string with the plain hash
 * functions, which give the same keys.
 */
#ifndef GWR_SCAN_H
#define GWR_SCAN_H

#include "gwr_private.h"

/* Prefixes / label suffixes hashed in one pass; longer paths and hosts
 * hash the rest one by one when probed (lib/match.c). Overridable to
 * test that code. */
#ifndef PATH_HASHES
#define PATH_HASHES 32
#endif
#ifndef WILD_SUFFIXES
#define WILD_SUFFIXES 32
#endif

typedef struct gwr_path_keys {
    uint64_t full;            /* the whole path */
    size_t n;                 /* prefixes recorded, shortest first */
    int deep;                 /* more '/' than PATH_HASHES: the rest are
                                 hashed when probed */
    uint32_t at[PATH_HASHES]; /* prefix length (the position of a '/') */
    uint64_t h[PATH_HASHES];
} gwr_path_keys;

typedef struct gwr_host_keys {
    uint64_t full;            /* the whole host, read from the right */
    size_t n;                 /* label suffixes recorded, shortest first */
    size_t at[WILD_SUFFIXES]; /* the position of the dot before it */
    uint64_t h[WILD_SUFFIXES];/* the hash of what follows that dot */
} gwr_host_keys;

/* The keys of a path that is already normal (gwr_table__key_hash of the
 * whole path and of every prefix ending before a '/' but the root). */
void gwr_scan__hash_path(gwr_str path, gwr_path_keys *k);
/* The keys of a normal host (gwr_table__key_hash_rev of the host and of
 * the part after each of its last WILD_SUFFIXES dots). */
void gwr_scan__hash_host(gwr_str host, gwr_host_keys *k);

/* Fused scan of a request-target: 1 when its path part (up to the first
 * '?' or '#') is plain and normal under every normalization option
 * ('/' first; letters, digits, '-', '_', '~', '.', '/'; no "//", no
 * segment starting with '.'), with *path, *query (ptr NULL: none) as
 * gwr_path__split_normal() gives them and *k as gwr_scan__hash_path().
 * 0: not taken, nothing meaningful written. */
int gwr_scan__path(gwr_str target, gwr_str *path, gwr_str *query,
                   gwr_path_keys *k);
/* Fused scan of a request Host: 1 when its name is already normal
 * (non-empty; lowercase letters, digits, '-', '_', '.'; no empty label,
 * no trailing dot), followed by nothing or by ':' and a port of at most
 * five digits up to 65535 (what the normalizer ignores), with *name the
 * name part of host (a view: the bytes before ':') and *k as
 * gwr_scan__hash_host() of it. 0: not taken (the normalizer decides). */
int gwr_scan__host(gwr_str host, gwr_str *name, gwr_host_keys *k);

#endif /* GWR_SCAN_H */
