/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Request paths (lib/path.c): split, normalization and its bypass cases,
 * PathPrefix / Exact, the §7.2 value checks and every §4.3/§4.4 example
 * of ReplacePrefixMatch.
 */
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "gwr_private.h"
#include "path.h"

static gwr_str
S(const char *s)
{
    return gwr_str__from_cstr(s);
}

static void
check_split(const char *target, const char *want_path, const char *want_query)
{
    gwr_str path, query;
    gwr_path__split(S(target), &path, &query);
    if (!gwr_str__eq_cstr(path, want_path))
        fail_msg("%s: path %.*s", target, (int)path.len, path.ptr);
    if (want_query == NULL) {
        assert_null(query.ptr);
        assert_int_equal(query.len, 0);
    } else {
        assert_non_null(query.ptr);
        if (!gwr_str__eq_cstr(query, want_query))
            fail_msg("%s: query %.*s", target, (int)query.len, query.ptr);
    }
}

static void
test_path_split(void **state)
{
    (void)state;
    check_split("/a/b", "/a/b", NULL);
    check_split("/a/b?x=1&y", "/a/b", "x=1&y");
    check_split("/a?", "/a", "");
    check_split("/a?x=1#frag", "/a", "x=1");
    check_split("/a#frag?not-query", "/a", NULL);
    check_split("/a?x=/?y", "/a", "x=/?y");
    check_split("", "", NULL);
    check_split("?q", "", "q");
    check_split("http://example.com/p?q=1", "/p", "q=1");
    check_split("https://u@example.com:8443/a/b", "/a/b", NULL);
    check_split("http://example.com", "", NULL);
    check_split("http://example.com?q", "", "q");
    check_split("HTTP+x.y-z://h/p", "/p", NULL);
    check_split("*", "*", NULL);
    check_split("example.com:80", "example.com:80", NULL); /* authority-form */
    check_split("1http://h/p", "1http://h/p", NULL);
    gwr_str path, query;
    gwr_path__split((gwr_str){ NULL, 0 }, &path, &query);
    assert_int_equal(path.len, 0);
    assert_null(query.ptr);
}

/* Normalize with flags; want == NULL expects rc. */
static void
check_norm_flags(const char *in, uint32_t flags, const char *want, int want_rc)
{
    char buf[256];
    gwr_str out = { "untouched", 9 };
    int rc = gwr_path__normalize(S(in), flags, buf, sizeof(buf), &out);
    if (rc != want_rc)
        fail_msg("%s: rc %d, want %d", in, rc, want_rc);
    if (rc == GWR_OK) {
        if (!gwr_str__eq_cstr(out, want))
            fail_msg("%s -> %.*s, want %s", in, (int)out.len, out.ptr, want);
        assert_ptr_equal(out.ptr, buf);
        assert_int_equal(out.ptr[out.len], '\0');
    } else {
        assert_true(gwr_str__eq_cstr(out, "untouched"));
    }
}

static void
check_norm(const char *in, const char *want)
{
    check_norm_flags(in, GWR_PATH__DEFAULT, want, GWR_OK);
}

static void
check_norm_invalid(const char *in)
{
    check_norm_flags(in, GWR_PATH__DEFAULT, NULL, GWR_E_INVAL);
}

static void
test_path_normalize_bypass_attempts(void **state)
{
    (void)state;
    /* none of these may slip past an /admin rule */
    check_norm("/public/../admin", "/admin");
    check_norm("/%61dmin", "/admin");
    check_norm("/./admin", "/admin");
    check_norm("//admin", "/admin");
    check_norm("/public/%2e%2e/admin", "/admin");
    check_norm("/public/%2E%2E/admin", "/admin");
    check_norm("/public/.%2e/admin", "/admin");
    check_norm("/public/%2e./admin", "/admin");
    check_norm("/%2e/admin", "/admin");
    check_norm("/public/./../admin/", "/admin/");
    check_norm("/a/b/../../admin", "/admin");
    check_norm("///public//..//admin", "/admin");
    check_norm_invalid("/public%2F..%2Fadmin");
    check_norm_invalid("/public%2f..%2fadmin");
    check_norm_invalid("/public%5C..%5Cadmin");
    check_norm_invalid("/public\\..\\admin");
    /* and the normalized form matches the rule */
    char buf[64];
    gwr_str out;
    assert_int_equal(gwr_path__normalize(S("/public/../admin/x"),
                                         GWR_PATH__DEFAULT, buf, sizeof(buf),
                                         &out), GWR_OK);
    assert_true(gwr_path__prefix_match(S("/admin"), out));
}

static void
test_path_normalize_default(void **state)
{
    (void)state;
    check_norm("", "/");
    check_norm("/", "/");
    check_norm("/a/b/c", "/a/b/c");
    check_norm("/a/b/", "/a/b/");
    /* dot segments, RFC 3986 §5.2.4 */
    check_norm("/a/./b", "/a/b");
    check_norm("/a/.", "/a/");
    check_norm("/a/..", "/");
    check_norm("/a/b/..", "/a/");
    check_norm("/a/b/../c", "/a/c");
    check_norm("/.", "/");
    check_norm("/..", "/");
    check_norm("/../a", "/a");           /* above root: dropped */
    check_norm("/../../a/../../b", "/b");
    check_norm("/a/.../b", "/a/.../b"); /* not a dot segment */
    check_norm("/a/..b/c", "/a/..b/c");
    check_norm("/a/.b", "/a/.b");
    /* merge slashes */
    check_norm("//", "/");
    check_norm("/a//b///c//", "/a/b/c/");
    /* unreserved decoding, escape case */
    check_norm("/%41%7a%30%2D%2E%5F%7E", "/Az0-._~");
    check_norm("/a%20b", "/a%20b");
    check_norm("/a%3fb%3Db", "/a%3Fb%3Db");
    check_norm("/caf%c3%a9", "/caf%C3%A9");
    check_norm("/%25", "/%25");
    check_norm("/%2541", "/%2541"); /* no double decoding */
    /* pchar kept as is */
    check_norm("/a:b@c!$&'()*+,;=-._~", "/a:b@c!$&'()*+,;=-._~");
    /* raw characters outside pchar are escaped */
    check_norm("/a|b{c}^\"<>[]`", "/a%7Cb%7Bc%7D%5E%22%3C%3E%5B%5D%60");
    /* invalid */
    check_norm_invalid("a");
    check_norm_invalid("*");
    check_norm_invalid("%2Fa");
    check_norm_invalid("/a%zz");
    check_norm_invalid("/a%4");
    check_norm_invalid("/a%");
    check_norm_invalid("/a%%41");
    check_norm_invalid("/a%g1");
    check_norm_invalid("/a b");
    check_norm_invalid("/a\tb");
    check_norm_invalid("/a\x7f");
    check_norm_invalid("/a\x01");
    check_norm_invalid("/caf\xc3\xa9");
    check_norm_invalid("/a?b");
    check_norm_invalid("/a#b");
    char nul[] = "/a\0b";
    char buf[16];
    gwr_str out;
    assert_int_equal(gwr_path__normalize((gwr_str){ nul, 4 }, GWR_PATH__DEFAULT,
                                         buf, sizeof(buf), &out), GWR_E_INVAL);
}

static void
test_path_normalize_options(void **state)
{
    (void)state;
    /* everything off: only validation and escaping of raw characters */
    check_norm_flags("/a/./b/../%61//c%2f", 0, "/a/./b/../%61//c%2f", GWR_OK);
    check_norm_flags("/a%zz", 0, "/a%25zz", GWR_OK);
    check_norm_flags("/a%", 0, "/a%25", GWR_OK);
    check_norm_flags("/a\\b", 0, "/a%5Cb", GWR_OK);
    check_norm_flags("/a b", 0, NULL, GWR_E_INVAL);
    check_norm_flags("a", 0, NULL, GWR_E_INVAL);
    /* dot removal alone still sees escaped dots */
    check_norm_flags("/a/%2e%2E/b", GWR_PATH__REMOVE_DOT_SEGMENTS, "/b", GWR_OK);
    check_norm_flags("/a/%2e/b", GWR_PATH__REMOVE_DOT_SEGMENTS, "/a/b", GWR_OK);
    /* dot removal without merging: RFC 3986 treats "" as a segment */
    check_norm_flags("/a//../b", GWR_PATH__REMOVE_DOT_SEGMENTS, "/a/b", GWR_OK);
    check_norm_flags("//..", GWR_PATH__REMOVE_DOT_SEGMENTS, "/", GWR_OK);
    check_norm_flags("/a//b", GWR_PATH__REMOVE_DOT_SEGMENTS, "/a//b", GWR_OK);
    /* merge alone */
    check_norm_flags("//a//./b", GWR_PATH__MERGE_SLASHES, "/a/./b", GWR_OK);
    /* keep encoded slashes: data, not a separator; case per flag */
    uint32_t keep = GWR_PATH__DEFAULT & ~GWR_PATH__REJECT_ENCODED_SLASH;
    check_norm_flags("/a%2f..%2Fadmin", keep, "/a%2F..%2Fadmin", GWR_OK);
    check_norm_flags("/a%5cb", keep, "/a%5Cb", GWR_OK);
    check_norm_flags("/a\\b", keep, "/a%5Cb", GWR_OK);
    check_norm_flags("/a%2fb", keep & ~GWR_PATH__UPPERCASE_ESCAPES, "/a%2fb",
                     GWR_OK);
    /* decode encoded slashes: they become real separators first */
    uint32_t dec = keep | GWR_PATH__DECODE_ENCODED_SLASH;
    check_norm_flags("/public%2F..%2Fadmin", dec, "/admin", GWR_OK);
    check_norm_flags("/a%2F%2Fb", dec, "/a/b", GWR_OK);
    check_norm_flags("/a%5Cb", dec, "/a\\b", GWR_OK);
    check_norm_flags("/a\\b", dec, "/a\\b", GWR_OK);
    /* reject wins when both are set */
    check_norm_flags("/a%2Fb", GWR_PATH__DEFAULT | GWR_PATH__DECODE_ENCODED_SLASH,
                     NULL, GWR_E_INVAL);
    /* invalid encodings escaped instead of rejected */
    uint32_t lenient = GWR_PATH__DEFAULT & ~GWR_PATH__REJECT_INVALID_ENCODING;
    check_norm_flags("/a%zz/%4", lenient, "/a%25zz/%254", GWR_OK);
    /* no unreserved decoding: escapes kept, uppercased */
    check_norm_flags("/%61dmin", GWR_PATH__DEFAULT & ~GWR_PATH__DECODE_UNRESERVED,
                     "/%61dmin", GWR_OK);
    check_norm_flags("/%7e", GWR_PATH__DEFAULT & ~GWR_PATH__DECODE_UNRESERVED,
                     "/%7E", GWR_OK);
}

static void
test_path_normalize_buffer(void **state)
{
    (void)state;
    char buf[8];
    gwr_str out = { NULL, 0 };
    /* exactly fits: 7 bytes + NUL */
    assert_int_equal(gwr_path__normalize(S("/abcdef"), GWR_PATH__DEFAULT, buf, 8,
                                         &out), GWR_OK);
    assert_string_equal(buf, "/abcdef");
    assert_int_equal(gwr_path__normalize(S("/abcdefg"), GWR_PATH__DEFAULT, buf,
                                         8, &out), GWR_E_RANGE);
    /* decoding shrinks: the input may be longer than the buffer */
    assert_int_equal(gwr_path__normalize(S("/%61%62%63"), GWR_PATH__DEFAULT,
                                         buf, 5, &out), GWR_OK);
    assert_string_equal(buf, "/abc");
    /* escaping grows */
    assert_int_equal(gwr_path__normalize(S("/a|b"), GWR_PATH__DEFAULT, buf, 6,
                                         &out), GWR_E_RANGE);
    assert_int_equal(gwr_path__normalize(S("/a|b"), GWR_PATH__DEFAULT, buf, 7,
                                         &out), GWR_OK);
    assert_string_equal(buf, "/a%7Cb");
    assert_int_equal(gwr_path__normalize(S("/%41%41"), 0, buf, 7, &out),
                     GWR_E_RANGE);
    /* the empty path needs "/" + NUL */
    assert_int_equal(gwr_path__normalize(S(""), GWR_PATH__DEFAULT, buf, 1,
                                         &out), GWR_E_RANGE);
    assert_int_equal(gwr_path__normalize(S(""), GWR_PATH__DEFAULT, buf, 2,
                                         &out), GWR_OK);
    assert_string_equal(buf, "/");
    assert_int_equal(gwr_path__normalize(S("/"), GWR_PATH__DEFAULT, buf, 0,
                                         &out), GWR_E_RANGE);
    /* the documented worst case 3 * len + 1 (+ NUL) is enough */
    char worst[] = "/||||||||";
    char big[3 * sizeof(worst) + 2];
    assert_int_equal(gwr_path__normalize(S(worst), GWR_PATH__DEFAULT, big,
                                         3 * (sizeof(worst) - 1) + 2, &out),
                     GWR_OK);
    assert_int_equal(out.len, 1 + 3 * 8);
}

/* Deterministic xorshift so the generated cases are the same every run. */
static uint64_t
next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
check_normalized_shape(gwr_str p, uint32_t flags)
{
    assert_true(p.len >= 1 && p.ptr[0] == '/');
    gwr_str seg_dot = GWR_STR_LIT("/."), seg_dotdot = GWR_STR_LIT("/..");
    for (size_t i = 0; i < p.len; i++) {
        assert_true(p.ptr[i] > 0x20 && p.ptr[i] < 0x7f);
        if (flags & GWR_PATH__MERGE_SLASHES)
            assert_false(i > 0 && p.ptr[i] == '/' && p.ptr[i - 1] == '/');
        if ((flags & GWR_PATH__REMOVE_DOT_SEGMENTS) && p.ptr[i] == '/') {
            gwr_str rest = { p.ptr + i, p.len - i };
            size_t end = 1;
            while (end < rest.len && rest.ptr[end] != '/')
                end++;
            gwr_str seg = { rest.ptr, end };
            assert_false(gwr_str__eq(seg, seg_dot));
            assert_false(gwr_str__eq(seg, seg_dotdot));
        }
    }
}

static void
test_path_normalize_properties(void **state)
{
    (void)state;
    /* Paths built from the characters that matter for bypasses. Each
     * result must have the normalized shape and be a fixed point. */
    static const char *const parts[] = {
        "/", "/", "/", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "\\",
        "a", "admin", "%61", "%", "%4", "%zz", "%25", "~", "|",
    };
    static const uint32_t flag_sets[] = {
        GWR_PATH__DEFAULT,
        GWR_PATH__DEFAULT & ~GWR_PATH__REJECT_ENCODED_SLASH,
        (GWR_PATH__DEFAULT & ~GWR_PATH__REJECT_ENCODED_SLASH) |
            GWR_PATH__DECODE_ENCODED_SLASH,
        GWR_PATH__DEFAULT & ~GWR_PATH__REJECT_INVALID_ENCODING,
        GWR_PATH__REMOVE_DOT_SEGMENTS,
        0,
    };
    uint64_t rnd = 0x9e3779b97f4a7c15u;
    size_t accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        char in[128];
        size_t n = 0;
        in[n++] = '/';
        int k = 1 + (int)(next_rand(&rnd) % 12);
        for (int j = 0; j < k; j++) {
            const char *part = parts[next_rand(&rnd) % GWR_ARRAY_LEN(parts)];
            size_t len = strlen(part);
            memcpy(in + n, part, len);
            n += len;
        }
        uint32_t flags = flag_sets[next_rand(&rnd) % GWR_ARRAY_LEN(flag_sets)];
        char a[512], b[512];
        gwr_str once, twice;
        int rc = gwr_path__normalize((gwr_str){ in, n }, flags, a, sizeof(a),
                                     &once);
        assert_true(rc == GWR_OK || rc == GWR_E_INVAL);
        if (rc != GWR_OK)
            continue;
        accepted++;
        check_normalized_shape(once, flags);
        assert_int_equal(gwr_path__normalize(once, flags, b, sizeof(b), &twice),
                         GWR_OK);
        if (!gwr_str__eq(once, twice))
            fail_msg("not idempotent: %.*s -> %s -> %s", (int)n, in, a, b);
    }
    assert_true(accepted > 5000);
}

static void
test_path_prefix_and_exact(void **state)
{
    (void)state;
    /* §3.3 */
    assert_true(gwr_path__prefix_match(S("/abc"), S("/abc")));
    assert_true(gwr_path__prefix_match(S("/abc"), S("/abc/")));
    assert_true(gwr_path__prefix_match(S("/abc"), S("/abc/def")));
    assert_false(gwr_path__prefix_match(S("/abc"), S("/abcd")));
    assert_false(gwr_path__prefix_match(S("/abc"), S("/ab")));
    assert_false(gwr_path__prefix_match(S("/abc"), S("/Abc")));
    assert_true(gwr_path__prefix_match(S("/abc/"), S("/abc")));
    assert_true(gwr_path__prefix_match(S("/abc/"), S("/abc/def")));
    assert_false(gwr_path__prefix_match(S("/abc/"), S("/abcd")));
    assert_true(gwr_path__prefix_match(S("/"), S("/")));
    assert_true(gwr_path__prefix_match(S("/"), S("/anything/at/all")));
    /* conformance */
    assert_true(gwr_path__prefix_match(S("/v2"), S("/v2")));
    assert_true(gwr_path__prefix_match(S("/v2"), S("/v2/")));
    assert_true(gwr_path__prefix_match(S("/v2"), S("/v2/example")));
    assert_false(gwr_path__prefix_match(S("/v2"), S("/v2example")));
    assert_false(gwr_path__prefix_match(S("/v2"), S("/foo/v2/example")));
    assert_true(gwr_path__prefix_match(S("/match/prefix/one"),
                                       S("/match/prefix/one/any")));
    /* only one trailing slash is ignored */
    assert_false(gwr_path__prefix_match(S("/a//"), S("/a")));

    assert_true(gwr_path__exact_match(S("/abc"), S("/abc")));
    assert_false(gwr_path__exact_match(S("/abc"), S("/abc/")));
    assert_false(gwr_path__exact_match(S("/abc"), S("/Abc")));
    assert_false(gwr_path__exact_match(S("/abc"), S("/abcd")));
}

static void
check_value(const char *v, const char *want)
{
    const char *got = gwr_path__check_match_value(S(v));
    if (want == NULL) {
        if (got != NULL)
            fail_msg("%s: %s", v, got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

static void
test_path_check_match_value(void **state)
{
    (void)state;
    check_value("/", NULL);
    check_value("/foo/bar", NULL);
    check_value("/foo/", NULL);
    check_value("/a-b._~!$&'()*+,;=:@", NULL);
    check_value("/caf%C3%a9", NULL);
    check_value("/..a/.b/a..", NULL);
    check_value("", "must start with '/'");
    check_value("foo", "must start with '/'");
    check_value("/a//b", "must not contain '//'");
    check_value("/a/./b", "must not contain '/./'");
    check_value("/a/../b", "must not contain '/../'");
    check_value("/a%2fb", "must not contain '%2f'");
    check_value("/a%2Fb", "must not contain '%2F'");
    check_value("/a#b", "must not contain '#'");
    check_value("/a/..", "must not end with '/..'");
    check_value("/a/.", "must not end with '/.'");
    check_value("/.", "must not end with '/.'");
    const char *chars = "must only contain characters matching "
        "^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$";
    check_value("/a b", chars);
    check_value("/a?b", chars);
    check_value("/a%zz", chars);
    check_value("/a%4", chars);
    check_value("/a\\b", chars);
    check_value("/a|b", chars);
    check_value("/caf\xc3\xa9", chars);
    /* 1024 ok, 1025 not */
    char v[1100];
    memset(v, 'a', sizeof(v));
    v[0] = '/';
    assert_null(gwr_path__check_match_value((gwr_str){ v, 1024 }));
    assert_string_equal(gwr_path__check_match_value((gwr_str){ v, 1025 }),
                        "must be at most 1024 characters");
    /* "\0" is not an allowed character */
    assert_string_equal(gwr_path__check_match_value((gwr_str){ "/a\0", 3 }),
                        chars);
}

static void
check_replace(const char *path, const char *prefix, const char *repl,
              const char *want)
{
    char buf[128];
    gwr_str out = { NULL, 0 };
    assert_int_equal(gwr_path__replace_prefix(S(prefix), S(path), S(repl), buf,
                                              sizeof(buf), &out), GWR_OK);
    if (!gwr_str__eq_cstr(out, want))
        fail_msg("%s %s %s -> %.*s, want %s", path, prefix, repl,
                 (int)out.len, out.ptr, want);
    assert_int_equal(out.ptr[out.len], '\0');
}

static void
test_path_replace_prefix(void **state)
{
    (void)state;
    /* the §4.4 table, every row */
    check_replace("/foo/bar", "/foo", "/xyz", "/xyz/bar");
    check_replace("/foo/bar", "/foo", "/xyz/", "/xyz/bar");
    check_replace("/foo/bar", "/foo/", "/xyz", "/xyz/bar");
    check_replace("/foo/bar", "/foo/", "/xyz/", "/xyz/bar");
    check_replace("/foo", "/foo", "/xyz", "/xyz");
    check_replace("/foo/", "/foo", "/xyz", "/xyz/");
    check_replace("/foo/bar", "/foo", "", "/bar");
    check_replace("/foo/", "/foo", "", "/");
    check_replace("/foo", "/foo", "", "/");
    check_replace("/foo/", "/foo", "/", "/");
    check_replace("/foo", "/foo", "/", "/");
    /* §4.3 rewrite conformance */
    check_replace("/prefix/one/two", "/prefix/one", "/one", "/one/two");
    check_replace("/strip-prefix/three", "/strip-prefix", "/", "/three");
    check_replace("/strip-prefix", "/strip-prefix", "/", "/");
    /* §4.4 redirect conformance */
    check_replace("/original-prefix/lemon", "/original-prefix",
                  "/replacement-prefix", "/replacement-prefix/lemon");
    check_replace("/path-and-host", "/path-and-host", "/replacement-prefix",
                  "/replacement-prefix");
    /* prefix "/" keeps the whole path */
    check_replace("/a/b", "/", "/x", "/x/a/b");
    check_replace("/", "/", "/x", "/x/");
    check_replace("/", "/", "", "/");

    char buf[8];
    gwr_str out;
    /* the path must be matched by the prefix */
    assert_int_equal(gwr_path__replace_prefix(S("/foo"), S("/foobar"), S("/x"),
                                              buf, sizeof(buf), &out),
                     GWR_E_INVAL);
    /* buffer: result + NUL */
    assert_int_equal(gwr_path__replace_prefix(S("/foo"), S("/foo/bar"),
                                              S("/xyz"), buf, 8, &out),
                     GWR_E_RANGE);
    char buf9[9];
    assert_int_equal(gwr_path__replace_prefix(S("/foo"), S("/foo/bar"),
                                              S("/xyz"), buf9, 9, &out),
                     GWR_OK);
    assert_int_equal(gwr_path__replace_prefix(S("/foo"), S("/foo"), S(""), buf,
                                              1, &out), GWR_E_RANGE);
}

static void
test_path_pct_decode(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "a%20b", "a b" },
        { "%41%62c", "Abc" },
        { "a+b", "a+b" },           /* '+' is not a space in RFC 3986 */
        { "100%", "100%" },         /* truncated escapes are kept */
        { "%4", "%4" },
        { "%zz", "%zz" },
        { "%2f%2F", "//" },
        { "", "" },
    };
    char out[32];
    for (size_t i = 0; i < GWR_ARRAY_LEN(cases); i++) {
        gwr_str r = gwr_path__pct_decode(S(cases[i].in), out);
        assert_int_equal(r.len, strlen(cases[i].out));
        assert_memory_equal(r.ptr, cases[i].out, r.len);
    }
    gwr_str empty = { NULL, 0 };
    assert_int_equal(gwr_path__pct_decode(empty, out).len, 0);
}

/* The word-at-a-time normal-path scan (gwr_path__split_normal) against
 * the definition: when it says "normal", split + normalize give exactly
 * its views; and a path built only from the fast alphabet that the
 * normalizer leaves unchanged must be recognised. Random targets over an
 * alphabet of the interesting bytes, lengths 0-48 (words and tails). */
static void
test_path_split_normal_agrees(void **state)
{
    (void)state;
    static const char alpha[] = "//////..aZ09-_~%2F?#;@\\ \x80";
    uint64_t x = 0x9e3779b97f4a7c15u;
    char t[64], nb[64 * 3 + 2];
    size_t fast = 0;
    for (int iter = 0; iter < 200000; iter++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = 1 + (size_t)(x % 48);
        t[0] = '/';
        for (size_t i = 1; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            t[i] = alpha[x % (sizeof(alpha) - 1)];
        }
        gwr_str tgt = { t, len }, sp, sq, np, nq, norm;
        uint32_t flags = (uint32_t)(x >> 40) & 0x7f;
        gwr_path__split(tgt, &sp, &sq);
        int ok = gwr_path__normalize(sp, flags, nb, sizeof(nb), &norm) == GWR_OK;
        int same = ok && norm.len == sp.len && memcmp(norm.ptr, sp.ptr, sp.len) == 0;
        if (gwr_path__split_normal(tgt, flags, &np, &nq)) {
            fast++;
            if (!same)
                fail_msg("split_normal accepted %.*s (flags %#x)", (int)len, t, flags);
            assert_ptr_equal(np.ptr, sp.ptr);
            assert_int_equal(np.len, sp.len);
            assert_ptr_equal(nq.ptr, sq.ptr);
            assert_int_equal(nq.len, sq.len);
        } else {
            /* Only paths outside the fast alphabet may take the long way
             * although normal: '%', '\\', bytes the table escapes. */
            int plain = 1;
            for (size_t i = 0; i < sp.len; i++)
                if (strchr("%\\ \x80;@", sp.ptr[i]) != NULL)
                    plain = 0;
            if (same && plain)
                fail_msg("split_normal missed normal %.*s (flags %#x)", (int)len,
                         t, flags);
        }
    }
    assert_true(fast > 1000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_split),
        cmocka_unit_test(test_path_split_normal_agrees),
        cmocka_unit_test(test_path_pct_decode),
        cmocka_unit_test(test_path_normalize_bypass_attempts),
        cmocka_unit_test(test_path_normalize_default),
        cmocka_unit_test(test_path_normalize_options),
        cmocka_unit_test(test_path_normalize_buffer),
        cmocka_unit_test(test_path_normalize_properties),
        cmocka_unit_test(test_path_prefix_and_exact),
        cmocka_unit_test(test_path_check_match_value),
        cmocka_unit_test(test_path_replace_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
