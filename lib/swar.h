/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * SWAR ("SIMD within a register"): eight request bytes per 64-bit word,
 * for the per-byte scans of the match hot path (host and path checks,
 * key hashing). Portable C11: words are read with memcpy (no alignment or
 * aliasing assumptions, never past the end of the input) and put in
 * little-endian order, so byte k of the input is bits 8k..8k+7 on every
 * platform and masks map back to positions with ctz / clz.
 */
#ifndef GWR_SWAR_H
#define GWR_SWAR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GWR_SWAR_ONES  UINT64_C(0x0101010101010101)
#define GWR_SWAR_HIGHS UINT64_C(0x8080808080808080)
#define GWR_SWAR_LOWS  UINT64_C(0x7f7f7f7f7f7f7f7f)

static inline uint64_t
gwr_swar__le(uint64_t w)
{
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(w);
#else
    return w;
#endif
}

/* Eight bytes at p. */
static inline uint64_t
gwr_swar__load(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return gwr_swar__le(w);
}

/* Store w at p, bits 8k..8k+7 as byte k (the inverse of the load). */
static inline void
gwr_swar__store(char *p, uint64_t w)
{
    w = gwr_swar__le(w);
    memcpy(p, &w, 8);
}

/* n < 8 bytes at p in the low bytes, the rest zero. */
static inline uint64_t
gwr_swar__load_tail(const char *p, size_t n)
{
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return w;
}

/* Bytes [i, len) of s, fewer than eight, in the low bytes (the rest
 * zero): when s has eight bytes or more, one load of its last eight
 * shifted down (never past the end); else byte by byte. */
static inline uint64_t
gwr_swar__load_end(const char *s, size_t len, size_t i)
{
    size_t n = len - i;
    if (n == 0)
        return 0;
    if (len >= 8)
        return gwr_swar__load(s + len - 8) >> (8 * (8 - n));
    return gwr_swar__load_tail(s + i, n);
}

/* Bytes [0, n) of s (n < 8, n <= len) in the low bytes, the rest zero. */
static inline uint64_t
gwr_swar__load_start(const char *s, size_t len, size_t n)
{
    if (n == 0)
        return 0;
    if (len >= 8)
        return gwr_swar__load(s) & ((UINT64_C(1) << (8 * n)) - 1);
    return gwr_swar__load_tail(s, n);
}

/* High bit of every byte that is zero (exact: no false positives). */
static inline uint64_t
gwr_swar__zero(uint64_t x)
{
    uint64_t t = (x & GWR_SWAR_LOWS) + GWR_SWAR_LOWS;
    return ~(t | x | GWR_SWAR_LOWS);
}

/* High bit of every byte equal to c. */
static inline uint64_t
gwr_swar__eq(uint64_t x, unsigned char c)
{
    return gwr_swar__zero(x ^ (GWR_SWAR_ONES * c));
}

/* High bit of every byte in [lo, hi]. Valid only when no byte of x has
 * its high bit set (the callers test x & GWR_SWAR_HIGHS first): then
 * the additions cannot carry from one byte into the next. */
static inline uint64_t
gwr_swar__range(uint64_t x, unsigned char lo, unsigned char hi)
{
    uint64_t ge = x + GWR_SWAR_ONES * (unsigned char)(0x80 - lo);
    uint64_t gt = x + GWR_SWAR_ONES * (unsigned char)(0x7f - hi);
    return ge & ~gt & GWR_SWAR_HIGHS;
}

/* High bits of the first n bytes (n <= 8). */
static inline uint64_t
gwr_swar__first(size_t n)
{
    return n >= 8 ? GWR_SWAR_HIGHS
                  : GWR_SWAR_HIGHS & ((UINT64_C(1) << (8 * n)) - 1);
}

/* The low n bytes of w (n < 8), the rest zero. */
static inline uint64_t
gwr_swar__keep(uint64_t w, size_t n)
{
    return w & ((UINT64_C(1) << (8 * n)) - 1);
}

/* Index of the lowest / highest set bit of a non-zero mask. */
static inline unsigned
gwr_swar__low_bit(uint64_t m)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(m);
#else
    unsigned k = 0;
    while (!(m & 1u))
        m >>= 1, k++;
    return k;
#endif
}

static inline unsigned
gwr_swar__high_bit(uint64_t m)
{
#if defined(__GNUC__) || defined(__clang__)
    /* 63 - clz, as the xor the compiler folds into one bsr. */
    return (unsigned)__builtin_clzll(m) ^ 63u;
#else
    unsigned k = 0;
    while (m >>= 1)
        k++;
    return k;
#endif
}

/* Index of the first / last byte whose high bit is set in a non-zero
 * byte mask. */
static inline unsigned
gwr_swar__first_byte(uint64_t mask)
{
    return gwr_swar__low_bit(mask) / 8;
}

static inline unsigned
gwr_swar__last_byte(uint64_t mask)
{
    return gwr_swar__high_bit(mask) / 8;
}

/* Ask for the cache line at p ahead of its use (a hint; no-op where the
 * compiler has no builtin). */
static inline void
gwr_swar__prefetch(const void *p)
{
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

/* A byte mask (high bit of each byte) as 8 bits, bit k = byte k. */
static inline unsigned
gwr_swar__bits(uint64_t mask)
{
    return (unsigned)((((mask >> 7) & GWR_SWAR_ONES) *
                       UINT64_C(0x0102040810204080)) >> 56);
}

/* ---- 16 bytes at a time (SSE2: every x86-64) ------------------------------ */

/* GWR_NO_SIMD (tests) keeps the portable word-at-a-time code only. */
#if defined(__SSE2__) && !defined(GWR_NO_SIMD)
#include <emmintrin.h>
#define GWR_SIMD16 1

static inline __m128i
gwr_simd__in(__m128i x, char lo, char hi)
{
    /* Signed compares: bytes >= 0x80 are negative, so never in an ASCII
     * range. */
    return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8((char)(lo - 1))),
                         _mm_cmplt_epi8(x, _mm_set1_epi8((char)(hi + 1))));
}

/* The 16 bytes of x: bit k of *plain is set when byte k is a letter, a
 * digit, '-', '_', '~' or '/' (the normal-path scan's fast alphabet),
 * bit k of *slash when it is '/'. */
static inline void
gwr_simd__path16v(__m128i x, unsigned *plain, unsigned *slash)
{
    /* x | 0x20 is a lowercase letter exactly for the letters. */
    __m128i alpha = gwr_simd__in(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');
    __m128i more = _mm_or_si128(
        gwr_simd__in(x, '/', '9'),
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')),
                     _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')),
                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('~')))));
    *plain = (unsigned)_mm_movemask_epi8(_mm_or_si128(alpha, more));
    *slash = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')));
}

/* The same for the 16 bytes at p. */
static inline void
gwr_simd__path16(const char *p, unsigned *plain, unsigned *slash)
{
    gwr_simd__path16v(_mm_loadu_si128((const __m128i *)(const void *)p),
                      plain, slash);
}

/* The 16 bytes of x: bit k of *name is set when byte k is a lowercase
 * letter, a digit, '-' or '_', bit k of *dot when it is '.'. */
static inline void
gwr_simd__host16v(__m128i x, unsigned *name, unsigned *dot)
{
    __m128i m = _mm_or_si128(
        _mm_or_si128(gwr_simd__in(x, 'a', 'z'), gwr_simd__in(x, '0', '9')),
        _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')),
                     _mm_cmpeq_epi8(x, _mm_set1_epi8('_'))));
    *name = (unsigned)_mm_movemask_epi8(m);
    *dot = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
}

/* The same for the 16 bytes at p. */
static inline void
gwr_simd__host16(const char *p, unsigned *name, unsigned *dot)
{
    gwr_simd__host16v(_mm_loadu_si128((const __m128i *)(const void *)p),
                      name, dot);
}

/* Two little-endian words as one vector: lo is bytes 0-7. */
static inline __m128i
gwr_simd__words(uint64_t lo, uint64_t hi)
{
    return _mm_set_epi64x((long long)hi, (long long)lo);
}
#endif /* __SSE2__ && !GWR_NO_SIMD */

/* The n <= 8 bytes at p in the low bytes of a word, the rest zero, with
 * at most two loads that stay inside [p, p + n). */
static inline uint64_t
gwr_swar__load_small(const char *p, size_t n)
{
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        /* The overlapping bytes are the same in both halves. */
        return gwr_swar__le((uint64_t)lo | ((uint64_t)hi << (8 * (n - 4))));
    }
    return gwr_swar__load_tail(p, n);
}

/* ASCII 'A'-'Z' of w lowered; every other byte (>= 0x80 too) as is. */
static inline uint64_t
gwr_swar__lower(uint64_t w)
{
    uint64_t upper = gwr_swar__range(w & GWR_SWAR_LOWS, 'A', 'Z') & ~w;
    return w | (upper >> 2);
}

/* The n bytes at a and at b are equal: the hash maps' key check, inline
 * and a word per step (a libc memcmp call costs more than a short key). */
static inline int
gwr_swar__memeq(const char *a, const char *b, size_t n)
{
    if (n < 8)
        return n == 0 || gwr_swar__load_small(a, n) == gwr_swar__load_small(b, n);
    size_t i = 0;
    for (; i + 8 < n; i += 8)
        if (gwr_swar__load(a + i) != gwr_swar__load(b + i))
            return 0;
    /* The last eight bytes, overlapping the ones done. */
    return gwr_swar__load(a + n - 8) == gwr_swar__load(b + n - 8);
}

/* The n bytes at a and at b are equal ignoring ASCII case (field names,
 * RFC 9110 §5.1), eight bytes per step. */
static inline int
gwr_swar__eq_ci(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (gwr_swar__lower(gwr_swar__load(a + i)) !=
            gwr_swar__lower(gwr_swar__load(b + i)))
            return 0;
    if (i == n)
        return 1;
    if (n >= 8)   /* the last eight bytes, overlapping the ones done */
        return gwr_swar__lower(gwr_swar__load(a + n - 8)) ==
               gwr_swar__lower(gwr_swar__load(b + n - 8));
    return gwr_swar__lower(gwr_swar__load_small(a, n)) ==
           gwr_swar__lower(gwr_swar__load_small(b, n));
}

/* Copy n bytes from src to dst (no overlap), inline: the upstream copy of
 * a request is a dozen short strings (method, header names and values),
 * where a call to memcpy per string costs more than the bytes. Up to 32
 * bytes take two possibly overlapping loads and stores of the same width,
 * never touching a byte outside [0, n) of either side. */
static inline void
gwr_swar__copy(char *dst, const char *src, size_t n)
{
    if (n >= 8) {
        if (n > 16) {
            if (n > 32) {
                memcpy(dst, src, n);
                return;
            }
            char a[16], b[16];
            memcpy(a, src, 16);
            memcpy(b, src + n - 16, 16);
            memcpy(dst, a, 16);
            memcpy(dst + n - 16, b, 16);
            return;
        }
        uint64_t a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n > 0) {
        /* 1-3 bytes: first, middle, last (some the same). */
        char a = src[0], m = src[n / 2], z = src[n - 1];
        dst[0] = a;
        dst[n / 2] = m;
        dst[n - 1] = z;
    }
}

/* ---- key hash ------------------------------------------------------------ */

/*
 * The hash of the table's string maps (hostnames, path prefixes, gRPC
 * names), piece by piece: a key is cut at its separators ('/' for paths
 * and gRPC names, read left to right; '.' for hosts, read right to
 * left) and every piece, the bytes between two separators (possibly
 * none), is mixed into the state eight bytes per step, the last
 * partial word together with the piece's length. So the state after the
 * first k pieces is the hash of the key made of those pieces: one pass
 * over a request path gives the hash of the path and of every prefix
 * ending before a '/', one pass over a host the hash of the host and of
 * every label suffix, and each piece costs one step per whole word plus
 * one, however the pieces sit in the words. The maps come from trusted
 * config and every lookup
 * compares the full key, so this only needs to spread keys, not resist
 * chosen inputs.
 */
#define GWR_KEYHASH_SEED UINT64_C(0x9e3779b97f4a7c15)

static inline uint64_t
gwr_keyhash__step(uint64_t h, uint64_t w)
{
    h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
    return h ^ (h >> 29);
}

/* The closing step of a piece of n bytes: w is its last partial word
 * (fewer than eight bytes, the rest zero; 0 when n is a multiple of 8). */
static inline uint64_t
gwr_keyhash__close(uint64_t h, uint64_t w, size_t n)
{
    return gwr_keyhash__step(h, w ^ ((uint64_t)n << 56) ^
                                    UINT64_C(0x94d049bb133111eb));
}

/* The hash of the empty key: the root path "/" (whose key is ""), and
 * the state a path's hash starts from (the empty piece before its
 * leading '/'). */
static inline uint64_t
gwr_keyhash__root(void)
{
    return gwr_keyhash__close(GWR_KEYHASH_SEED, 0, 0);
}

/* Mix the piece [a, b) of the n bytes at s into h: its whole words,
 * then one closing step with the last partial word (read with one load
 * where the string allows, never past its end) and the piece's length in
 * the top byte, which a partial word (at most seven bytes) leaves free.
 * Most pieces (path segments, host labels) are shorter than eight
 * bytes: one step each, and the steps are a chain of dependent
 * multiplies, so each one saved is latency as well as instructions. */
static inline uint64_t
gwr_keyhash__piece(uint64_t h, const char *s, size_t n, size_t a, size_t b)
{
    size_t i = a;
    for (; i + 8 <= b; i += 8)
        h = gwr_keyhash__step(h, gwr_swar__load(s + i));
    uint64_t w = 0;
    if (i < b) {
        w = n - i >= 8 ? gwr_swar__load(s + i) : gwr_swar__load_end(s, n, i);
        w = gwr_swar__keep(w, b - i);
    }
    return gwr_keyhash__close(h, w, b - a);
}

#endif /* GWR_SWAR_H */
