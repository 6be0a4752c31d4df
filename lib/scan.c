/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The probe keys of a request: its Host and path hashed for the index
 * (lib/scan.h). The fused scans check and hash a string of at most 64
 * bytes in two steps: a pass 16 bytes at a time (SSE2; a word at a time
 * without it) gives the masks of slashes, dots and bytes outside the
 * plain alphabet and leaves a zero-padded copy of the string; then the
 * pieces between the separators, found from the masks, are hashed with
 * plain word loads from the copy (lib/swar.h). Before them the index
 * walk hashed strings the intake had already checked: two passes, and a
 * per-word search for '/' and '.' the check had already done.
 */
#include <string.h>

#include "hostname.h"
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

/* ---- fused scans: the string and its padded copy ---------------------- */

/* Longest path part / host the fused scans take: their byte classes are
 * collected as 64-bit masks. Longer ones (rare) take the plain way. */
#define SCAN_MAX 64

/* A path or host the scans take has at most SCAN_MAX / 2 - 1 separators
 * that make a key (each follows a byte that is not a separator; a path's
 * first '/' makes none): key arrays that long never fill up. */
#define SCAN_KEYS_MAX (SCAN_MAX / 2 - 1)

/* The scans step through the string a vector at a time: 16 bytes with
 * SSE2, else one 8-byte word. */
#ifdef GWR_SIMD16
typedef __m128i scan_vec;
#else
typedef uint64_t scan_vec;
#endif
#define SCAN_STEP sizeof(scan_vec)

/*
 * Each scan copies the string into a local buffer as it reads it, and
 * puts zeros after it: then every word of every piece, wherever it sits,
 * is one plain load from the buffer (the bytes past the piece masked
 * off), where reading the string itself needs a branch at its end to
 * stay inside it. Room for a string of SCAN_MAX bytes and the padding.
 */
#define SCAN_BUF (SCAN_MAX + 8)

/* The SCAN_STEP bytes at p + at, also copied to buf + at. */
static inline scan_vec
scan_load(char *buf, const char *p, size_t at)
{
#ifdef GWR_SIMD16
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + at));
    _mm_storeu_si128((__m128i *)(void *)(buf + at), x);
    return x;
#else
    uint64_t w = gwr_swar__load(p + at);
    gwr_swar__store(buf + at, w);
    return w;
#endif
}

/* A string shorter than SCAN_STEP: its len bytes and zeros after them,
 * as a vector and in the first SCAN_STEP bytes of buf. */
static inline scan_vec
scan_load_short(char *buf, const char *p, size_t len)
{
#ifdef GWR_SIMD16
    uint64_t lo, hi = 0;
    if (len >= 8) {
        lo = gwr_swar__load(p);
        /* Bytes 8 to len are the top len - 8 of the last eight; shifted
         * in two steps so that len 8 (no byte) never shifts by 64. */
        hi = gwr_swar__load(p + len - 8) >> 8 >> (8 * (15 - len));
    } else {
        lo = gwr_swar__load_small(p, len);
    }
    gwr_swar__store(buf, lo);
    gwr_swar__store(buf + 8, hi);
    return gwr_simd__words(lo, hi);
#else
    uint64_t w = gwr_swar__load_small(p, len);
    gwr_swar__store(buf, w);
    return w;
#endif
}

/* A word of zeros in buf after the string's len bytes: a word load at
 * any offset up to len then reads string bytes, then zeros. */
static inline void
scan_pad(char *buf, size_t len)
{
    gwr_swar__store(buf + len, 0);
}

/* w & keep_mask[n] is gwr_swar__keep(w, n): one and, where the shifted
 * mask takes four instructions. */
static const uint64_t keep_mask[8] = {
    0, 0xff, 0xffff, 0xffffff, 0xffffffff, UINT64_C(0xffffffffff),
    UINT64_C(0xffffffffffff), UINT64_C(0xffffffffffffff),
};

/* Mix the piece [a, b) of the padded copy into h: the steps of
 * gwr_keyhash__piece(), each word one load. */
static inline uint64_t
scan_piece(uint64_t h, const char *buf, size_t a, size_t b)
{
    size_t i = a;
    if (GWR_UNLIKELY(b - a >= 8))     /* most pieces are shorter */
        for (; b - i >= 8; i += 8)
            h = gwr_keyhash__step(h, gwr_swar__load(buf + i));
    return gwr_keyhash__close(h, gwr_swar__load(buf + i) & keep_mask[b - i],
                              b - a);
}

/* ---- byte classes of a vector (bit k = byte k) ------------------------- */

#ifdef GWR_SIMD16
/* Bytes of x in [lo, hi] (lo <= hi < 0x80), with one add and one compare:
 * the add moves lo to -128, so the range is what lands below
 * -128 + (hi - lo + 1), and every byte outside it (>= 0x80 too) lands
 * above. */
static inline __m128i
simd_in(__m128i x, unsigned char lo, unsigned char hi)
{
    return _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char)(0x80 - lo))),
                          _mm_set1_epi8((char)(0x80 + (hi - lo) + 1)));
}
#else
/* Byte masks as bits. A byte >= 0x80 is in no class (its high bit is
 * cleared before the range tests, which need that). */
static inline unsigned
word_bits(uint64_t w, uint64_t mask)
{
    return gwr_swar__bits(mask & ~w & GWR_SWAR_HIGHS);
}
#endif

/* Path bytes: ok = letters, digits, '-', '_', '~', '.', '/' (a byte not
 * ok ends the path part or rejects the scan). */
static inline void
path_classes(scan_vec x, unsigned *ok, unsigned *slash, unsigned *dot)
{
#ifdef GWR_SIMD16
    /* x | 0x20 is a lowercase letter exactly for the letters; '-' to '9'
     * are "-./" and the digits. */
    __m128i m = _mm_or_si128(
        _mm_or_si128(simd_in(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z'),
                     simd_in(x, '-', '9')),
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')),
                     _mm_cmpeq_epi8(x, _mm_set1_epi8('~'))));
    *ok = (unsigned)_mm_movemask_epi8(m);
    *slash = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')));
    *dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
#else
    uint64_t y = x & GWR_SWAR_LOWS;
    *ok = word_bits(x, gwr_swar__range(y, 'a', 'z') |
                       gwr_swar__range(y, 'A', 'Z') |
                       gwr_swar__range(y, '-', '9') |
                       gwr_swar__eq(y, '_') | gwr_swar__eq(y, '~'));
    *slash = word_bits(x, gwr_swar__eq(y, '/'));
    *dot = word_bits(x, gwr_swar__eq(y, '.'));
#endif
}

/* Host bytes: name = lowercase letters, digits, '-', '_'. */
static inline void
host_classes(scan_vec x, unsigned *name, unsigned *dot)
{
#ifdef GWR_SIMD16
    __m128i m = _mm_or_si128(
        _mm_or_si128(simd_in(x, 'a', 'z'), simd_in(x, '0', '9')),
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')),
                     _mm_cmpeq_epi8(x, _mm_set1_epi8('_'))));
    *name = (unsigned)_mm_movemask_epi8(m);
    *dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
#else
    uint64_t y = x & GWR_SWAR_LOWS;
    *name = word_bits(x, gwr_swar__range(y, 'a', 'z') |
                         gwr_swar__range(y, '0', '9') |
                         gwr_swar__eq(y, '-') | gwr_swar__eq(y, '_'));
    *dot = word_bits(x, gwr_swar__eq(y, '.'));
#endif
}

/* Bits 0 to n - 1 (1 <= n <= 64). */
static inline uint64_t
low_bits(size_t n)
{
    return (UINT64_C(2) << (n - 1)) - 1;
}

/* ---- the scans ---------------------------------------------------------- */

int
gwr_scan__path(gwr_str target, gwr_str *path, gwr_str *query,
               gwr_path_keys *k)
{
    const char *p = target.ptr;
    size_t n = target.len;
    if (n == 0 || p == NULL || p[0] != '/')
        return 0;
    /* Pass 1, a vector per step: the classes of the first SCAN_MAX bytes
     * (the path part must end inside them) into a padded copy. */
    size_t len = n < SCAN_MAX ? n : SCAN_MAX;
    char buf[SCAN_BUF];
    uint64_t ok = 0, slash = 0, dot = 0;
    unsigned o, s, d;
    if (len < SCAN_STEP) {
        path_classes(scan_load_short(buf, p, len), &o, &s, &d);
        ok = o, slash = s, dot = d;
    } else {
        /* The last step ends at len, overlapping the one before (same
         * bytes, same classes). */
        size_t i = 0, last = len - SCAN_STEP;
        for (; i < last; i += SCAN_STEP) {
            path_classes(scan_load(buf, p, i), &o, &s, &d);
            ok |= (uint64_t)o << i;
            slash |= (uint64_t)s << i;
            dot |= (uint64_t)d << i;
        }
        path_classes(scan_load(buf, p, last), &o, &s, &d);
        ok |= (uint64_t)o << last;
        slash |= (uint64_t)s << last;
        dot |= (uint64_t)d << last;
    }
    scan_pad(buf, len);
    /* The path part ends at the first byte that is not ok: it must be
     * '?' or '#', or there must be none and nothing after SCAN_MAX. */
    size_t end = len;
    uint64_t bad = ~ok & low_bits(len);
    if (bad != 0) {
        end = gwr_swar__low_bit(bad);
        if (p[end] != '?' && p[end] != '#')
            return 0;             /* an escape or another byte */
        slash &= (UINT64_C(1) << end) - 1;    /* end < len <= 64 */
        dot &= (UINT64_C(1) << end) - 1;
    } else if (n > SCAN_MAX) {
        return 0;
    }
    /* "//" and a segment starting with '.' ("/./", "/..", but also a
     * plain "/.well-known": the normalizer decides those). */
    if ((slash | dot) & (slash << 1))
        return 0;
    *path = (gwr_str){ p, end };
    if (end < n && p[end] == '?') {
        size_t q = end + 1;
        const char *hash = memchr(p + q, '#', n - q);
        size_t qe = hash != NULL ? (size_t)(hash - p) : n;
        *query = (gwr_str){ p + q, qe - q };
    } else {
        *query = (gwr_str){ NULL, 0 };
    }
    /* Pass 2 (after the split, which leaves fewer values live across
     * it): the pieces between the slashes, from the mask, the first the
     * empty one before the leading '/'. */
    uint64_t h = gwr_keyhash__root();
    size_t np = 0, a = 1;
    int deep = 0;
    for (uint64_t rest = slash & (slash - 1); rest != 0; rest &= rest - 1) {
        size_t b = gwr_swar__low_bit(rest);
        h = scan_piece(h, buf, a, b);
        if (PATH_HASHES >= SCAN_KEYS_MAX || np < PATH_HASHES) {
            k->at[np] = (uint32_t)b;
            k->h[np++] = h;
        } else {
            deep = 1;
        }
        a = b + 1;
    }
    k->full = scan_piece(h, buf, a, end);
    k->n = np;
    k->deep = deep;
    return 1;
}

int
gwr_scan__host(gwr_str host, gwr_str *name_out, gwr_host_keys *k)
{
    const char *p = host.ptr;
    size_t n = host.len;
    if (n == 0 || p == NULL || n > SCAN_MAX)
        return 0;
    char buf[SCAN_BUF];
    uint64_t name = 0, dot = 0;
    unsigned nm, dt;
    if (n < SCAN_STEP) {
        host_classes(scan_load_short(buf, p, n), &nm, &dt);
        name = nm, dot = dt;
    } else {
        /* The last step ends at n, overlapping the one before. */
        size_t i = 0, last = n - SCAN_STEP;
        for (; i < last; i += SCAN_STEP) {
            host_classes(scan_load(buf, p, i), &nm, &dt);
            name |= (uint64_t)nm << i;
            dot |= (uint64_t)dt << i;
        }
        host_classes(scan_load(buf, p, last), &nm, &dt);
        name |= (uint64_t)nm << last;
        dot |= (uint64_t)dt << last;
    }
    scan_pad(buf, n);
    /* The first byte outside the name alphabet may start a port, which
     * the name ends before (the normalizer's first ':'); any other one
     * (upper case, ...) leaves the host to the normalizer. */
    uint64_t other = ~(name | dot) & low_bits(n);
    if (other != 0) {
        size_t at = gwr_swar__low_bit(other);
        uint32_t port;
        if (at == 0 || p[at] != ':' ||
            !gwr_hostname__port((gwr_str){ p + at + 1, n - at - 1 }, &port))
            return 0;
        n = at;
        dot &= low_bits(n);
    }
    /* An empty label (a dot first or after a dot) or a trailing dot (no
     * bit of the mask is past n). */
    if ((dot & (1u | (dot >> 1))) | (dot >> (n - 1)))
        return 0;
    /* The labels right to left, from the dot mask. */
    uint64_t h = GWR_KEYHASH_SEED;
    size_t nk = 0, b = n;
    while (dot != 0) {
        size_t at = gwr_swar__high_bit(dot);
        h = scan_piece(h, buf, at + 1, b);
        if (WILD_SUFFIXES >= SCAN_KEYS_MAX || nk < WILD_SUFFIXES) {
            k->at[nk] = at;
            k->h[nk++] = h;
        }
        dot &= ~(UINT64_C(1) << at);
        b = at;
    }
    k->full = scan_piece(h, buf, 0, b);
    k->n = nk;
    *name_out = (gwr_str){ p, n };
    return 1;
}
