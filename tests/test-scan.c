/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * lib/scan.c: the fused request scans against their definitions. A fused
 * scan that says "taken" must agree with the normalizers (the string is
 * normal as is, split the same way) and give exactly the keys of the
 * plain hash functions, which must be the map key hashes of every prefix
 * / suffix. Also the word-wise helpers of lib/swar.h the hot path uses
 * for field names and copies, against their byte-wise definitions. Also
 * built without SSE2 (meson: scan-nosimd).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hostname.h"
#include "path.h"
#include "scan.h"
#include "swar.h"
#include "table_int.h"

/* The fused scans' length limit (SCAN_MAX in lib/scan.c). */
#define SCAN_TEST_MAX 64

static uint64_t
next(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

static void
check_path_keys(gwr_str path, const gwr_path_keys *k)
{
    /* Every prefix ending before a '/' (but the root), shortest first. */
    size_t n = 0;
    int deep = 0;
    for (size_t i = 1; i < path.len; i++) {
        if (path.ptr[i] != '/')
            continue;
        if (n == PATH_HASHES) {
            deep = 1;
            break;
        }
        assert_int_equal(k->at[n], i);
        assert_true(k->h[n] == gwr_table__key_hash((gwr_str){ path.ptr, i }));
        n++;
    }
    assert_int_equal(k->n, n);
    assert_int_equal(k->deep, deep);
    assert_true(k->full == gwr_table__key_hash(path));
}

static void
check_host_keys(gwr_str host, const gwr_host_keys *k)
{
    size_t n = 0;
    for (size_t i = host.len; i-- > 0 && n < WILD_SUFFIXES;) {
        if (host.ptr[i] != '.')
            continue;
        assert_int_equal(k->at[n], i);
        gwr_str suffix = { host.ptr + i + 1, host.len - i - 1 };
        assert_true(k->h[n] == gwr_table__key_hash_rev(suffix));
        n++;
    }
    assert_int_equal(k->n, n);
    assert_true(k->full == gwr_table__key_hash_rev(host));
}

/* Random targets over the bytes that matter, lengths 1-80 (blocks, the
 * 64-byte limit, partial words). */
static void
test_scan_path_agrees(void **state)
{
    (void)state;
    static const char alpha[] = "/////.aZ09-_~azazazazazaz%?#\x80";
    uint64_t x = 0x243f6a8885a308d3u;
    char t[96], nb[96 * 3 + 2];
    size_t taken = 0;
    for (int iter = 0; iter < 200000; iter++) {
        size_t len = 1 + (size_t)(next(&x) % (iter & 1 ? 80 : 24));
        t[0] = '/';
        for (size_t i = 1; i < len; i++)
            t[i] = alpha[next(&x) % (sizeof(alpha) - 1)];
        gwr_str tgt = { t, len }, sp, sq, fp, fq, norm;
        gwr_path_keys k;
        gwr_path__split(tgt, &sp, &sq);
        if (!gwr_scan__path(tgt, &fp, &fq, &k))
            continue;
        taken++;
        assert_ptr_equal(fp.ptr, sp.ptr);
        assert_int_equal(fp.len, sp.len);
        assert_ptr_equal(fq.ptr, sq.ptr);
        assert_int_equal(fq.len, sq.len);
        /* Normal under every option set. */
        for (uint32_t flags = 0; flags < 0x80; flags += 0x11) {
            assert_int_equal(gwr_path__normalize(sp, flags, nb, sizeof(nb), &norm),
                             GWR_OK);
            assert_int_equal(norm.len, sp.len);
            assert_memory_equal(norm.ptr, sp.ptr, sp.len);
        }
        check_path_keys(fp, &k);
        gwr_path_keys plain;
        gwr_scan__hash_path(fp, &plain);
        check_path_keys(fp, &plain);
    }
    print_message("# %zu of 200000 taken\n", taken);
    assert_true(taken > 5000);
}

static void
test_scan_path_cases(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int taken;
        size_t path_len;
    } cases[] = {
        { "/", 1, 1 },
        { "/a/b/c", 1, 6 },
        { "/a/b/?x=1", 1, 5 },
        { "/a#frag", 1, 2 },
        { "/static/app.v2.js", 1, 17 },
        { "/a//b", 0, 0 },            /* merged by the normalizer */
        { "/a/./b", 0, 0 },
        { "/a/..", 0, 0 },
        { "/.well-known/x", 0, 0 },   /* normal, but for the slow way */
        { "/a%2fb", 0, 0 },
        { "/caf\xc3\xa9", 0, 0 },
        { "a/b", 0, 0 },
        { "", 0, 0 },
        /* A path part of up to 64 bytes is taken, whatever follows it. */
        { "/abcdefghijklmnopqrstuvwxyz/abcdefghijklmnopqrstuvwxyz/abcdefgh?"
          "q=0123456789012345678901234567890123456789", 1, 63 },
        { "/abcdefghijklmnopqrstuvwxyz/abcdefghijklmnopqrstuvwxyz/abcdefghi",
          1, 64 },
        { "/abcdefghijklmnopqrstuvwxyz/abcdefghijklmnopqrstuvwxyz/abcdefghij",
          0, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gwr_str in = { cases[i].in, strlen(cases[i].in) }, p, q;
        gwr_path_keys k;
        int r = gwr_scan__path(in, &p, &q, &k);
        if (r != cases[i].taken)
            fail_msg("%s: %d", cases[i].in, r);
        if (r) {
            assert_int_equal(p.len, cases[i].path_len);
            check_path_keys(p, &k);
        }
    }
    /* More slashes than PATH_HASHES: the plain hash marks it deep. */
    char deep[2 * PATH_HASHES + 8];
    size_t n = 0;
    for (int i = 0; i < PATH_HASHES + 3; i++) {
        deep[n++] = '/';
        deep[n++] = 'a';
    }
    gwr_path_keys k;
    gwr_scan__hash_path((gwr_str){ deep, n }, &k);
    check_path_keys((gwr_str){ deep, n }, &k);
    assert_int_equal(k.deep, 1);
}

static void
test_scan_host_agrees(void **state)
{
    (void)state;
    static const char alpha[] = "abczabcz0129-_...Ax:\x80";
    uint64_t x = 0x13198a2e03707344u;
    char h[80], b1[96];
    size_t taken = 0;
    for (int iter = 0; iter < 200000; iter++) {
        size_t len = (size_t)(next(&x) % (iter & 1 ? 72 : 24));
        for (size_t i = 0; i < len; i++)
            h[i] = alpha[next(&x) % (sizeof(alpha) - 1)];
        gwr_str in = { h, len }, out, name;
        gwr_host_keys k;
        int r = gwr_scan__host(in, &name, &k);
        int rn = gwr_hostname__normalize_request(in, b1, sizeof(b1), &out, NULL);
        /* The normalizer left the name (the bytes before the first ':')
         * as it was, and accepted the port: the scan must take it. */
        const char *colon = memchr(h, ':', len);
        size_t cut = colon != NULL ? (size_t)(colon - h) : len;
        int unchanged = rn == GWR_OK && out.len == cut &&
                        memcmp(out.ptr, h, cut) == 0;
        if (!r) {
            /* Only hosts over 64 bytes may be normal and not taken. */
            if (unchanged && len > 0 && len <= 64)
                fail_msg("scan missed normal host %.*s", (int)len, h);
            continue;
        }
        taken++;
        if (!unchanged)
            fail_msg("scan took %.*s", (int)len, h);
        assert_ptr_equal(name.ptr, h);
        assert_int_equal(name.len, cut);
        check_host_keys(name, &k);
        gwr_host_keys plain;
        gwr_scan__hash_host(name, &plain);
        check_host_keys(name, &plain);
    }
    print_message("# %zu of 200000 taken\n", taken);
    assert_true(taken > 5000);
}

/* The fused scan's keys are exactly the plain hash's. */
static void
assert_path_keys_equal(const gwr_path_keys *a, const gwr_path_keys *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->deep, b->deep);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->at[i], b->at[i]);
        assert_true(a->h[i] == b->h[i]);
    }
    assert_true(a->full == b->full);
}

static void
assert_host_keys_equal(const gwr_host_keys *a, const gwr_host_keys *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->at[i], b->at[i]);
        assert_true(a->h[i] == b->h[i]);
    }
    assert_true(a->full == b->full);
}

/* A copy of s in an allocation of exactly n bytes (plain malloc: ASan
 * puts a redzone right after it, so a scan that reads one byte past the
 * end fails). */
static char *
exact_copy(const char *s, size_t n)
{
    char *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, s, n);
    return c;
}

/* Bytes the scans take inside a piece (the first byte of a path segment
 * is never '.'). */
static const char piece_bytes[] = "abzAZ09-_~.qm";

static char
piece_byte(size_t pos, size_t salt, int first)
{
    char c = piece_bytes[(pos * 7 + salt) % (sizeof(piece_bytes) - 1)];
    return first && c == '.' ? 'x' : c;
}

/* Normal paths of every length up to the limit, cut into pieces of
 * every length 1..20 at every offset (so pieces start and end at every
 * byte of a word and cross word and block boundaries), the last piece
 * empty when the path ends in '/': all taken, with the plain hash's
 * keys. Longer pieces (up to the whole path) at offset 0. Each also
 * followed by a query or a fragment. Not taken: "//" or "/." at every
 * position, and a path one byte over the limit. */
static void
test_scan_path_every_layout(void **state)
{
    (void)state;
    char t[SCAN_TEST_MAX + 16];
    size_t checked = 0;
    for (size_t len = 1; len <= SCAN_TEST_MAX; len++) {
        for (size_t piece = 1; piece < len || piece == 1; piece++) {
            size_t phases = piece <= 20 ? piece + 1 : 1;
            for (size_t phase = 0; phase < phases; phase++) {
                t[0] = '/';
                for (size_t i = 1; i < len; i++) {
                    int start = t[i - 1] == '/';
                    int cut = (i + phase) % (piece + 1) == 0 && !start;
                    t[i] = cut ? '/' : piece_byte(i, piece + phase, start);
                }
                static const char *const tails[] = { "", "?q=1&r#f", "#frag" };
                for (int tail = 0; tail < 3; tail++) {
                    size_t n = len + strlen(tails[tail]);
                    memcpy(t + len, tails[tail], n - len);
                    char *in = exact_copy(t, n);
                    gwr_str tgt = { in, n }, path, query;
                    gwr_path_keys k, plain;
                    int r = gwr_scan__path(tgt, &path, &query, &k);
                    /* Taken when the string is inside the limit, or the
                     * path part ends before it; a path part of exactly
                     * the limit followed by more may go either way. */
                    if (!r && (len < SCAN_TEST_MAX || n == SCAN_TEST_MAX))
                        fail_msg("%.*s not taken", (int)n, in);
                    if (r) {
                        assert_ptr_equal(path.ptr, in);
                        assert_int_equal(path.len, len);
                        if (tail == 1) {       /* "q=1&r" */
                            assert_ptr_equal(query.ptr, in + len + 1);
                            assert_int_equal(query.len, 5);
                        } else {
                            assert_null(query.ptr);
                        }
                        gwr_scan__hash_path(path, &plain);
                        assert_path_keys_equal(&k, &plain);
                        check_path_keys(path, &k);
                        checked++;
                    }
                    free(in);
                }
            }
        }
    }
    /* A segment starting with '.' or an empty one, at every position. */
    for (size_t len = 2; len <= SCAN_TEST_MAX; len++) {
        for (size_t at = 1; at < len; at++) {
            for (int c = 0; c < 2; c++) {
                for (size_t i = 0; i < len; i++)
                    t[i] = i == 0 ? '/' : piece_byte(i, len, t[i - 1] == '/');
                t[at - 1] = '/';
                t[at] = c ? '.' : '/';
                char *in = exact_copy(t, len);
                gwr_str path, query;
                gwr_path_keys k;
                assert_int_equal(
                    gwr_scan__path((gwr_str){ in, len }, &path, &query, &k), 0);
                free(in);
            }
        }
    }
    memset(t, 'a', SCAN_TEST_MAX + 1);
    t[0] = '/';
    gwr_str over = { exact_copy(t, SCAN_TEST_MAX + 1), SCAN_TEST_MAX + 1 };
    gwr_str path, query;
    gwr_path_keys k;
    assert_int_equal(gwr_scan__path(over, &path, &query, &k), 0);
    free((char *)over.ptr);
    print_message("# %zu paths checked\n", checked);
}

/* The normal host h[0, len) followed by ':' and each port form: taken
 * exactly when the normalizer ignores the port (at most five digits, at
 * most 65535, none allowed) and the whole fits the scan, with the name
 * as the view and the plain hash's keys of it. Returns the hosts taken. */
static size_t
check_host_ports(const char *h, size_t len)
{
    static const struct { const char *port; int ok; } ports[] = {
        { "", 1 }, { "8", 1 }, { "80", 1 }, { "8080", 1 }, { "65535", 1 },
        { "00080", 1 }, { "65536", 0 }, { "99999", 0 }, { "123456", 0 },
        { "8a", 0 }, { "8:9", 0 }, { ":", 0 }, { "-1", 0 },
    };
    char buf[SCAN_TEST_MAX + 16];
    size_t taken = 0;
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        size_t pl = strlen(ports[i].port), n = len + 1 + pl;
        if (n > sizeof(buf))
            continue;
        memcpy(buf, h, len);
        buf[len] = ':';
        memcpy(buf + len + 1, ports[i].port, pl);
        char *in = exact_copy(buf, n);
        gwr_str host = { in, n }, name, norm;
        gwr_host_keys k, plain;
        char nb[SCAN_TEST_MAX + 16];
        int r = gwr_scan__host(host, &name, &k);
        int rn = gwr_hostname__normalize_request(host, nb, sizeof(nb), &norm,
                                                 NULL);
        assert_int_equal(rn == GWR_OK, ports[i].ok);
        if (r != (ports[i].ok && n <= SCAN_TEST_MAX))
            fail_msg("%.*s: taken %d", (int)n, in, r);
        if (r) {
            assert_ptr_equal(name.ptr, in);
            assert_int_equal(name.len, len);
            assert_memory_equal(norm.ptr, in, len);
            gwr_scan__hash_host(name, &plain);
            assert_host_keys_equal(&k, &plain);
            taken++;
        }
        free(in);
    }
    return taken;
}

/* Normal hosts of every length up to the limit, cut into labels of
 * every length 1..20 at every offset, and longer labels at offset 0: all
 * taken, with the plain hash's keys. Not taken: a dot first, last or
 * after a dot, at every position, and a host one byte over the limit. */
static void
test_scan_host_every_layout(void **state)
{
    (void)state;
    static const char label_bytes[] = "abz09-_mq";
    char h[SCAN_TEST_MAX + 16];
    size_t checked = 0;
    for (size_t len = 1; len <= SCAN_TEST_MAX; len++) {
        for (size_t label = 1; label <= len; label++) {
            size_t phases = label <= 20 ? label + 1 : 1;
            for (size_t phase = 0; phase < phases; phase++) {
                for (size_t i = 0; i < len; i++) {
                    int cut = (i + phase) % (label + 1) == label && i > 0 &&
                              i + 1 < len && h[i - 1] != '.';
                    h[i] = cut ? '.' : label_bytes[(i * 5 + label + phase) %
                                                   (sizeof(label_bytes) - 1)];
                }
                char *in = exact_copy(h, len);
                gwr_str host = { in, len }, name;
                gwr_host_keys k, plain;
                if (!gwr_scan__host(host, &name, &k))
                    fail_msg("%.*s not taken", (int)len, in);
                assert_ptr_equal(name.ptr, in);
                assert_int_equal(name.len, len);
                gwr_scan__hash_host(host, &plain);
                assert_host_keys_equal(&k, &plain);
                check_host_keys(host, &k);
                checked++;
                free(in);
                checked += check_host_ports(h, len);
            }
        }
    }
    for (size_t len = 1; len <= SCAN_TEST_MAX; len++) {
        for (size_t at = 0; at < len; at++) {
            for (size_t i = 0; i < len; i++)
                h[i] = label_bytes[i % (sizeof(label_bytes) - 1)];
            h[at] = '.';
            if (at > 0 && at + 1 < len)
                h[at - 1] = '.';      /* "..": an empty label */
            char *in = exact_copy(h, len);
            gwr_host_keys k;
            gwr_str name;
            assert_int_equal(gwr_scan__host((gwr_str){ in, len }, &name, &k), 0);
            free(in);
        }
    }
    memset(h, 'a', SCAN_TEST_MAX + 1);
    gwr_str over = { exact_copy(h, SCAN_TEST_MAX + 1), SCAN_TEST_MAX + 1 };
    gwr_host_keys k;
    gwr_str name;
    assert_int_equal(gwr_scan__host(over, &name, &k), 0);
    free((char *)over.ptr);
    print_message("# %zu hosts checked\n", checked);
}

static int
eq_ci_bytes(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

/* Equality, case-insensitive equality and the short copy at every length
 * up to 40, from exact sources (each string is its own allocation, so a
 * read past it would show under ASan), with case flips, the bytes
 * around 'A'-'Z' and 'a'-'z' ('@', '[', '`', '{') and bytes >= 0x80 whose
 * low seven bits are letters (0xC1 must not equal 0xE1). */
static void
test_swar_eq_ci_and_copy(void **state)
{
    (void)state;
    static const unsigned char alphabet[] = {
        'a', 'A', 'z', 'Z', 'm', 'M', '@', '[', '`', '{', '-', '0',
        0xC1, 0xE1, 0xDA, 0xFA, 0x80, 0xFF };
    uint64_t x = 0x243f6a8885a308d3;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(next(&x) % 41);
        char *a = test_malloc(n ? n : 1), *b = test_malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            a[i] = (char)alphabet[next(&x) % sizeof(alphabet)];
            uint64_t r = next(&x) % 8;
            unsigned char c = (unsigned char)a[i];
            /* Mostly the same letter in either case, sometimes another. */
            if (r < 5 && c >= 'a' && c <= 'z')
                b[i] = (char)(c - 32 * (r & 1));
            else if (r < 5 && c >= 'A' && c <= 'Z')
                b[i] = (char)(c + 32 * (r & 1));
            else if (r < 7)
                b[i] = a[i];
            else
                b[i] = (char)alphabet[next(&x) % sizeof(alphabet)];
        }
        assert_int_equal(gwr_swar__eq_ci(a, b, n), eq_ci_bytes(a, b, n));
        assert_int_equal(gwr_swar__memeq(a, b, n), n == 0 || memcmp(a, b, n) == 0);
        assert_true(gwr_swar__memeq(a, a, n));
        assert_int_equal(gwr_str__eq_ci((gwr_str){ a, n }, (gwr_str){ b, n }),
                         eq_ci_bytes(a, b, n));
        /* The copy writes exactly [0, n) of a larger buffer. */
        char out[48];
        memset(out, '#', sizeof(out));
        gwr_swar__copy(out + 4, a, n);
        assert_memory_equal(out + 4, a, n);
        for (size_t i = 0; i < sizeof(out); i++)
            if (i < 4 || i >= 4 + n)
                assert_int_equal(out[i], '#');
        if (n <= 8) {
            uint64_t w = gwr_swar__load_small(a, n);
            for (size_t i = 0; i < 8; i++)
                assert_int_equal((unsigned char)(w >> (8 * i)),
                                 i < n ? (unsigned char)a[i] : 0);
        }
        test_free(a);
        test_free(b);
    }
    /* Longer than the inline copy's 32 bytes: memcpy. */
    char big[100], dst[100];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)i;
    gwr_swar__copy(dst, big, sizeof(big));
    assert_memory_equal(dst, big, sizeof(big));
    assert_true(gwr_swar__eq_ci("X-Tenant-Id-Long", "x-tenant-id-lonG", 16));
    assert_false(gwr_swar__eq_ci("x-tenant", "x-tenanu", 8));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_path_cases),
        cmocka_unit_test(test_scan_path_agrees),
        cmocka_unit_test(test_scan_host_agrees),
        cmocka_unit_test(test_scan_path_every_layout),
        cmocka_unit_test(test_scan_host_every_layout),
        cmocka_unit_test(test_swar_eq_ci_and_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
