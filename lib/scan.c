/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The probe keys of a request: its Host and path hashed for the index
 * (lib/scan.h). The fused scans check and hash in one pass over 16-byte
 * blocks, each read as two little-endian words (lib/swar.h): the words
 * feed the key hash, and the same bytes, classified at once with SSE2
 * (or word by word without it), give the masks of slashes, dots and
 * bytes outside the plain alphabet. Before them the index walk hashed
 * strings the intake had already checked: two passes, and a per-word
 * search for '/' and '.' the check had already done.
 */
#include <string.h>

#include "scan.h"
#include "swar.h"

/* ---- plain hashes (any string) ------------------------------------------ */

void
gwr_scan__hash_path(gwr_str path, gwr_path_keys *k)
{
    /* Pieces between '/', left to right; the state at each '/' but a
     * leading one is the hash of the prefix before it. */
    uint64_t h = GWR_KEYHASH_SEED;
    k->n = 0;
    k->deep = 0;
    if (path.ptr == NULL)
        path.ptr = "";
    for (size_t a = 0;;) {
        const char *sl = a < path.len ? memchr(path.ptr + a, '/', path.len - a)
                                       : NULL;
        size_t b = sl != NULL ? (size_t)(sl - path.ptr) : path.len;
        h = gwr_keyhash__piece(h, path.ptr, path.len, a, b);
        if (sl == NULL)
            break;
        if (b > 0) {              /* "/" itself is the root key */
            if (k->n < PATH_HASHES) {
                k->at[k->n] = (uint32_t)b;
                k->h[k->n++] = h;
            } else {
                k->deep = 1;
            }
        }
        a = b + 1;
    }
    k->full = h;
}

void
gwr_scan__hash_host(gwr_str host, gwr_host_keys *k)
{
    /* Labels right to left; the state at each dot is the hash of the
     * suffix after it. */
    uint64_t h = GWR_KEYHASH_SEED;
    k->n = 0;
    if (host.ptr == NULL)
        host.ptr = "";
    for (size_t b = host.len;;) {
        size_t a = b;
        while (a > 0 && host.ptr[a - 1] != '.')
            a--;
        h = gwr_keyhash__piece(h, host.ptr, host.len, a, b);
        if (a == 0)
            break;
        if (k->n < WILD_SUFFIXES) {
            k->at[k->n] = a - 1;
            k->h[k->n++] = h;
        }
        b = a - 1;
    }
    k->full = h;
}

/* ---- byte classes of two words (bit k = byte k, lo then hi) ----------- */

#ifndef GWR_SIMD16
/* Without SSE2: one word, masks as 8 bits. A byte >= 0x80 is in no class
 * (its high bit is cleared before the range tests, which need that). */
static void
path_word(uint64_t w, unsigned *ok, unsigned *slash, unsigned *dot,
          unsigned *stop)
{
    uint64_t ascii = ~w & GWR_SWAR_HIGHS, x = w & GWR_SWAR_LOWS;
    uint64_t sl = gwr_swar__eq(x, '/'), dt = gwr_swar__eq(x, '.');
    uint64_t plain = gwr_swar__range(x, 'a', 'z') | gwr_swar__range(x, 'A', 'Z') |
                     gwr_swar__range(x, '/', '9') | gwr_swar__eq(x, '-') |
                     gwr_swar__eq(x, '_') | gwr_swar__eq(x, '~') | dt;
    *ok = gwr_swar__bits(plain & ascii);
    *slash = gwr_swar__bits(sl & ascii);
    *dot = gwr_swar__bits(dt & ascii);
    *stop = gwr_swar__bits((gwr_swar__eq(x, '?') | gwr_swar__eq(x, '#')) & ascii);
}

static void
host_word(uint64_t w, unsigned *name, unsigned *dot)
{
    uint64_t ascii = ~w & GWR_SWAR_HIGHS, x = w & GWR_SWAR_LOWS;
    *name = gwr_swar__bits((gwr_swar__range(x, 'a', 'z') |
                            gwr_swar__range(x, '0', '9') |
                            gwr_swar__eq(x, '-') | gwr_swar__eq(x, '_')) & ascii);
    *dot = gwr_swar__bits(gwr_swar__eq(x, '.') & ascii);
}
#endif

/* Path bytes: ok = letters, digits, '-', '_', '~', '/', '.'; stop = '?'
 * or '#' (the end of the path part). */
static inline void
path_classes(uint64_t lo, uint64_t hi, unsigned *ok, unsigned *slash,
             unsigned *dot, unsigned *stop)
{
#ifdef GWR_SIMD16
    __m128i x = gwr_simd__words(lo, hi);
    unsigned plain;
    gwr_simd__path16v(x, &plain, slash);
    *dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
    *stop = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('?')),
                     _mm_cmpeq_epi8(x, _mm_set1_epi8('#'))));
    *ok = plain | *dot;
#else
    unsigned o1, s1, d1, t1;
    path_word(lo, ok, slash, dot, stop);
    path_word(hi, &o1, &s1, &d1, &t1);
    *ok |= o1 << 8;
    *slash |= s1 << 8;
    *dot |= d1 << 8;
    *stop |= t1 << 8;
#endif
}

/* Host bytes: name = lowercase letters, digits, '-', '_'. */
static inline void
host_classes(uint64_t lo, uint64_t hi, unsigned *name, unsigned *dot)
{
#ifdef GWR_SIMD16
    gwr_simd__host16v(gwr_simd__words(lo, hi), name, dot);
#else
    unsigned n1, d1;
    host_word(lo, name, dot);
    host_word(hi, &n1, &d1);
    *name |= n1 << 8;
    *dot |= d1 << 8;
#endif
}

/* ---- fused scans ------------------------------------------------------- */

/* Longest path part / host the fused scans take: their byte classes are
 * collected as 64-bit masks. Longer ones (rare) take the plain way. */
#define SCAN_MAX 64

/* The 16 bytes at i of a string of n bytes as two words, bytes past the
 * end zero; *valid gets the bits of the bytes that exist. */
static inline void
scan_block(const char *p, size_t n, size_t i, uint64_t w[2], unsigned *valid)
{
    size_t r = n - i;
    w[0] = r >= 8 ? gwr_swar__load(p + i) : gwr_swar__load_end(p, n, i);
    w[1] = r >= 16 ? gwr_swar__load(p + i + 8)
         : r > 8   ? gwr_swar__load_end(p, n, i + 8) : 0;
    *valid = r >= 16 ? 0xffffu : (1u << r) - 1;
}

int
gwr_scan__path(gwr_str target, gwr_str *path, gwr_str *query,
               gwr_path_keys *k)
{
    const char *p = target.ptr;
    size_t n = target.len, end = n;
    if (n == 0 || p == NULL || p[0] != '/')
        return 0;
    /* Pass 1, 16 bytes per step: where the path part ends (the first
     * '?' or '#'), its slashes and dots, and that it holds nothing else. */
    uint64_t slash = 0, dot = 0;
    for (size_t i = 0;; i += 16) {
        if (i >= n)
            break;
        if (i >= SCAN_MAX)
            return 0;
        uint64_t w[2];
        unsigned valid, ok, sl, dt, stop;
        scan_block(p, n, i, w, &valid);
        path_classes(w[0], w[1], &ok, &sl, &dt, &stop);
        unsigned bad = ~ok & valid;
        if (bad != 0) {
            unsigned b = gwr_swar__low_bit(bad);
            if (!((stop >> b) & 1u))
                return 0;         /* an escape or another byte */
            valid = (1u << b) - 1;
            end = i + b;
        }
        slash |= (uint64_t)(sl & valid) << i;
        dot |= (uint64_t)(dt & valid) << i;
        if (end < n)
            break;
    }
    if (end > SCAN_MAX)
        return 0;
    /* "//" and a segment starting with '.' ("/./", "/..", but also a
     * plain "/.well-known": the normalizer decides those). */
    if ((slash | dot) & (slash << 1))
        return 0;
    /* Pass 2: the pieces between the slashes, from the masks. */
    uint64_t h = gwr_keyhash__piece(GWR_KEYHASH_SEED, p, n, 0, 0); /* "" */
    uint64_t rest = slash & (slash - 1);   /* every '/' but the first */
    size_t np = 0;
    int deep = 0;
    for (size_t a = 1;;) {
        size_t b = rest != 0 ? gwr_swar__low_bit(rest) : end;
        h = gwr_keyhash__piece(h, p, n, a, b);
        if (rest == 0)
            break;
        if (np < PATH_HASHES) {
            k->at[np] = (uint32_t)b;
            k->h[np++] = h;
        } else {
            deep = 1;
        }
        rest &= rest - 1;
        a = b + 1;
    }
    k->n = np;
    k->deep = deep;
    k->full = h;
    *path = (gwr_str){ p, end };
    if (end < n && p[end] == '?') {
        size_t q = end + 1;
        const char *hash = memchr(p + q, '#', n - q);
        size_t qe = hash != NULL ? (size_t)(hash - p) : n;
        *query = (gwr_str){ p + q, qe - q };
    } else {
        *query = (gwr_str){ NULL, 0 };
    }
    return 1;
}

int
gwr_scan__host(gwr_str host, gwr_host_keys *k)
{
    const char *p = host.ptr;
    size_t n = host.len;
    if (n == 0 || p == NULL || n > SCAN_MAX)
        return 0;
    uint64_t name = 0, dot = 0;
    for (size_t i = 0; i < n; i += 16) {
        uint64_t w[2];
        unsigned valid, nm, dt;
        scan_block(p, n, i, w, &valid);
        host_classes(w[0], w[1], &nm, &dt);
        name |= (uint64_t)(nm & valid) << i;
        dot |= (uint64_t)(dt & valid) << i;
    }
    uint64_t all = n == 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
    if ((name | dot) != all)
        return 0;                 /* upper case, a port, another byte */
    if ((dot & 1u) || ((dot >> (n - 1)) & 1u) || (dot & (dot >> 1)))
        return 0;                 /* an empty label or a trailing dot */
    /* The labels right to left, from the dot mask. */
    uint64_t h = GWR_KEYHASH_SEED;
    size_t nk = 0;
    for (size_t b = n;;) {
        size_t a = dot != 0 ? gwr_swar__high_bit(dot) + 1 : 0;
        h = gwr_keyhash__piece(h, p, n, a, b);
        if (dot == 0)
            break;
        if (nk < WILD_SUFFIXES) {
            k->at[nk] = a - 1;
            k->h[nk++] = h;
        }
        dot &= ~(UINT64_C(1) << (a - 1));
        b = a - 1;
    }
    k->n = nk;
    k->full = h;
    return 1;
}
