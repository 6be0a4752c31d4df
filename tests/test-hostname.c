/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Hostnames (lib/hostname.c): CRD validators, wildcard matching, the
 * §2.2 intersection table, request Host normalization, specificity.
 */
#include <string.h>

#include "helpers.h"
#include "gwr_private.h"
#include "hostname.h"

static gwr_str
S(const char *s)
{
    return gwr_str__from_cstr(s);
}

static void
test_hostname_valid(void **state)
{
    (void)state;
    assert_true(gwr_hostname__valid(S("example.com"), 0));
    assert_true(gwr_hostname__valid(S("a"), 0));
    assert_true(gwr_hostname__valid(S("a-b.c-d"), 0));
    assert_true(gwr_hostname__valid(S("1a.b2"), 0));
    assert_true(gwr_hostname__valid(S("*.example.com"), 1));
    assert_true(gwr_hostname__valid(S("*.com"), 1));
    assert_false(gwr_hostname__valid(S("*.example.com"), 0));
    assert_false(gwr_hostname__valid(S("*"), 1));
    assert_false(gwr_hostname__valid(S("*."), 1));
    assert_false(gwr_hostname__valid(S("a.*.com"), 1));
    assert_false(gwr_hostname__valid(S("**.com"), 1));
    assert_false(gwr_hostname__valid(S(""), 1));
    assert_false(gwr_hostname__valid(S("Example.com"), 0));
    assert_false(gwr_hostname__valid(S("-a.com"), 0));
    assert_false(gwr_hostname__valid(S("a-.com"), 0));
    assert_false(gwr_hostname__valid(S("a.-com"), 0));
    assert_false(gwr_hostname__valid(S("a.com-"), 0));
    assert_false(gwr_hostname__valid(S("a..com"), 0));
    assert_false(gwr_hostname__valid(S(".a.com"), 0));
    assert_false(gwr_hostname__valid(S("a.com."), 0));
    assert_false(gwr_hostname__valid(S("a_b.com"), 0));
    assert_false(gwr_hostname__valid(S("a.com:80"), 0));
    /* the pattern has no per-label 63 limit */
    char label[101];
    memset(label, 'a', 100);
    label[100] = '\0';
    assert_true(gwr_hostname__valid(S(label), 0));
    /* 253 ok, 254 not (wildcard counted in full) */
    char h[300];
    memset(h, 'a', sizeof(h));
    assert_true(gwr_hostname__valid((gwr_str){ h, 253 }, 0));
    assert_false(gwr_hostname__valid((gwr_str){ h, 254 }, 0));
    h[0] = '*';
    h[1] = '.';
    assert_true(gwr_hostname__valid((gwr_str){ h, 253 }, 1));
    assert_false(gwr_hostname__valid((gwr_str){ h, 254 }, 1));
    /* IP-looking values pass the CRD pattern ... */
    assert_true(gwr_hostname__valid(S("1.2.3.4"), 0));
}

static void
test_hostname_check_messages(void **state)
{
    (void)state;
    char h[300];
    memset(h, 'a', sizeof(h));
    assert_null(gwr_hostname__check((gwr_str){ h, 253 }, 0));
    assert_string_equal(gwr_hostname__check((gwr_str){ h, 254 }, 0),
                        "must be 1 to 253 characters");
    assert_string_equal(gwr_hostname__check(S(""), 1),
                        "must be 1 to 253 characters");
    assert_null(gwr_hostname__check(S("*.example.com"), 1));
    assert_string_equal(gwr_hostname__check(S("*.Example.com"), 1),
        "must match ^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?"
        "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
    assert_string_equal(gwr_hostname__check(S("*.example.com"), 0),
        "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?"
        "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
    /* ... but the library rejects them, as the API documents */
    assert_string_equal(gwr_hostname__check(S("1.2.3.4"), 0),
                        "must not be an IP address");
    /* only the whole value is tested: a wildcard over numeric labels is a
     * name pattern, not an address */
    assert_null(gwr_hostname__check(S("*.1.2.3.4"), 1));
    assert_null(gwr_hostname__check(S("1.2.3.4.example"), 0));
    assert_null(gwr_hostname__check(S("1.2.3.256"), 0));
}

static void
test_hostname_is_ip(void **state)
{
    (void)state;
    assert_true(gwr_hostname__is_ip(S("1.2.3.4")));
    assert_true(gwr_hostname__is_ip(S("255.255.255.255")));
    assert_true(gwr_hostname__is_ip(S("0.0.0.0")));
    assert_true(gwr_hostname__is_ip(S("010.001.1.1")));
    assert_true(gwr_hostname__is_ip(S("::1")));
    assert_true(gwr_hostname__is_ip(S("2001:db8::1")));
    assert_true(gwr_hostname__is_ip(S("::ffff:1.2.3.4")));
    assert_false(gwr_hostname__is_ip(S("1.2.3.256")));
    assert_false(gwr_hostname__is_ip(S("1.2.3")));
    assert_false(gwr_hostname__is_ip(S("1.2.3.4.5")));
    assert_false(gwr_hostname__is_ip(S("1.2.3.4.")));
    assert_false(gwr_hostname__is_ip(S("1234.1.1.1")));
    assert_false(gwr_hostname__is_ip(S("1..2.3")));
    assert_false(gwr_hostname__is_ip(S("a.b.c.d")));
    assert_false(gwr_hostname__is_ip(S("example.com")));
    assert_false(gwr_hostname__is_ip(S("")));
    assert_false(gwr_hostname__is_ip(S("deadbeef")));
}

static void
test_hostname_wildcard_match(void **state)
{
    (void)state;
    gwr_str w = S("*.example.com");
    assert_true(gwr_hostname__wildcard_match(w, S("foo.example.com")));
    assert_true(gwr_hostname__wildcard_match(w, S("a.b.example.com")));
    assert_false(gwr_hostname__wildcard_match(w, S("example.com")));
    assert_false(gwr_hostname__wildcard_match(w, S("fooexample.com")));
    assert_false(gwr_hostname__wildcard_match(w, S("foo.example.org")));
    assert_false(gwr_hostname__wildcard_match(w, S(".example.com")));
    assert_true(gwr_hostname__wildcard_match(S("*.com"), S("example.com")));
    assert_true(gwr_hostname__wildcard_match(S("a.com"), S("a.com")));
    assert_false(gwr_hostname__wildcard_match(S("a.com"), S("b.a.com")));
    assert_true(gwr_hostname__wildcard_match(S(""), S("anything")));
    assert_true(gwr_hostname__wildcard_match(S("*"), S("anything")));
}

static void
check_intersect(const char *l, const char *r, const char *want)
{
    gwr_str out = S("untouched");
    int got = gwr_hostname__intersect(S(l), S(r), &out);
    if (want == NULL) {
        assert_int_equal(got, 0);
        assert_true(gwr_str__eq_cstr(out, "untouched"));
    } else {
        assert_int_equal(got, 1);
        if (!gwr_str__eq_cstr(out, want))
            fail_msg("%s & %s -> %.*s", l, r, (int)out.len, out.ptr);
    }
}

static void
test_hostname_intersect_table(void **state)
{
    (void)state;
    /* §2.2 table, row by row ("" = unset) */
    check_intersect("", "foo.com", "foo.com");
    check_intersect("", "*.foo.com", "*.foo.com");
    check_intersect("", "", "");
    check_intersect("x.com", "", "x.com");
    check_intersect("*.s.com", "", "*.s.com");
    check_intersect("x.com", "x.com", "x.com");
    check_intersect("x.com", "y.com", NULL);
    check_intersect("a.x.com", "*.x.com", "a.x.com");
    check_intersect("x.com", "*.x.com", NULL);
    check_intersect("*.s.com", "h.s.com", "h.s.com");
    check_intersect("*.s.com", "s.com", NULL);
    check_intersect("*.com", "*.example.com", "*.example.com");
    check_intersect("*.example.com", "*.com", "*.example.com");
    check_intersect("*.example.com", "*.example.com", "*.example.com");
    check_intersect("*.example.com", "*.example.org", NULL);
    check_intersect("*.ample.com", "*.xample.com", NULL);
    /* §2.2 conformance examples */
    check_intersect("very.specific.com", "*.specific.com",
                    "very.specific.com");
    check_intersect("*.foo.example.com", "*.example.com",
                    "*.foo.example.com");
    check_intersect("abc.foo.example.com", "*.example.com",
                    "abc.foo.example.com");
    check_intersect("*.wildcard.io", "wildcard.io", NULL);
    /* the effective hostname is a view into an input */
    gwr_str l = S("*.com"), r = S("*.example.com"), out;
    assert_int_equal(gwr_hostname__intersect(l, r, &out), 1);
    assert_ptr_equal(out.ptr, r.ptr);
    out = S("x");
    assert_int_equal(gwr_hostname__intersect((gwr_str){ NULL, 0 },
                                             (gwr_str){ NULL, 0 }, &out), 1);
    assert_int_equal(out.len, 0);
}

static int
norm(const char *in, const char *want, uint32_t want_port)
{
    char buf[64];
    gwr_str out = { NULL, 0 };
    uint32_t port = 777;
    int rc = gwr_hostname__normalize_request(S(in), buf, sizeof(buf), &out,
                                             &port);
    if (rc == GWR_OK) {
        if (want == NULL)
            fail_msg("accepted %s", in);
        if (!gwr_str__eq_cstr(out, want))
            fail_msg("%s -> %.*s", in, (int)out.len, out.ptr);
        assert_ptr_equal(out.ptr, buf);
        assert_int_equal(out.ptr[out.len], '\0');
        assert_int_equal(port, want_port);
    }
    return rc;
}

static void
test_hostname_normalize_request(void **state)
{
    (void)state;
    assert_int_equal(norm("example.com", "example.com", 0), GWR_OK);
    assert_int_equal(norm("very.specific.com:1234", "very.specific.com", 1234),
                     GWR_OK);
    assert_int_equal(norm("Example.COM", "example.com", 0), GWR_OK);
    assert_int_equal(norm("Example.COM.:8080", "example.com", 8080), GWR_OK);
    assert_int_equal(norm("example.com.", "example.com", 0), GWR_OK);
    assert_int_equal(norm("example.com:", "example.com", 0), GWR_OK);
    assert_int_equal(norm("host:65535", "host", 65535), GWR_OK);
    assert_int_equal(norm("under_score.local", "under_score.local", 0), GWR_OK);
    assert_int_equal(norm("1.2.3.4:80", "1.2.3.4", 80), GWR_OK);
    assert_int_equal(norm("[::1]", "::1", 0), GWR_OK);
    assert_int_equal(norm("[2001:DB8::1]:8443", "2001:db8::1", 8443), GWR_OK);
    assert_int_equal(norm("[::ffff:1.2.3.4]:1", "::ffff:1.2.3.4", 1), GWR_OK);

    assert_int_equal(norm("", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm(":80", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm(".", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("example.com..", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm(".example.com", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("a..b", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("host:65536", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("host:123456", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("host:8x", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("host:80:80", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("::1", NULL, 0), GWR_E_INVAL); /* unbracketed */
    assert_int_equal(norm("[::1", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("[::1]x", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("[]", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("[fe80::1%eth0]", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("[1.2.3.4]", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("exa mple.com", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("*.example.com", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("ex\xc3\xa4mple.com", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("user@host", NULL, 0), GWR_E_INVAL);
    assert_int_equal(norm("a\tb", NULL, 0), GWR_E_INVAL);

    /* buffer sizing: result + NUL */
    char small[4];
    gwr_str out;
    assert_int_equal(gwr_hostname__normalize_request(S("abc:1"), small, 4,
                                                     &out, NULL), GWR_OK);
    assert_string_equal(small, "abc");
    assert_int_equal(gwr_hostname__normalize_request(S("abcd"), small, 4,
                                                     &out, NULL), GWR_E_RANGE);
    assert_int_equal(gwr_hostname__normalize_request((gwr_str){ NULL, 0 },
                                                     small, 4, &out, NULL),
                     GWR_E_INVAL);
}

static void
test_hostname_specificity(void **state)
{
    (void)state;
    uint32_t none = gwr_hostname__specificity(S(""));
    uint32_t star = gwr_hostname__specificity(S("*"));
    uint32_t w_com = gwr_hostname__specificity(S("*.com"));
    uint32_t w_ex = gwr_hostname__specificity(S("*.example.com"));
    uint32_t w_foo = gwr_hostname__specificity(S("*.foo.example.com"));
    uint32_t exact_short = gwr_hostname__specificity(S("a.io"));
    uint32_t exact = gwr_hostname__specificity(S("foo.example.com"));
    assert_int_equal(none, 0);
    assert_int_equal(star, 0);
    assert_true(w_com > none);
    assert_true(w_ex > w_com);
    assert_true(w_foo > w_ex);
    assert_true(exact_short > w_foo);
    assert_true(exact > exact_short);
    /* the longest possible wildcard still ranks below any exact name */
    char h[253];
    memset(h, 'a', sizeof(h));
    h[0] = '*';
    h[1] = '.';
    assert_true(gwr_hostname__specificity((gwr_str){ h, 253 }) < exact_short);
}

/* The word-at-a-time fast check of gwr_hostname__normalize_request_view
 * against the full normalizer: same return code and same bytes, and a
 * view into the input exactly when the input is already normal. */
static void
test_hostname_request_view_agrees(void **state)
{
    (void)state;
    static const char alpha[] = "abcz0129-_....Ax:[]\x80";
    uint64_t x = 0x2545f4914f6cdd1du;
    char h[48], b1[64], b2[64];
    size_t views = 0;
    for (int iter = 0; iter < 200000; iter++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = (size_t)(x % 40);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            h[i] = alpha[x % (sizeof(alpha) - 1)];
        }
        gwr_str in = { h, len }, o1, o2;
        int r1 = gwr_hostname__normalize_request(in, b1, sizeof(b1), &o1, NULL);
        int r2 = gwr_hostname__normalize_request_view(in, b2, sizeof(b2), &o2);
        assert_int_equal(r1, r2);
        if (r1 != GWR_OK)
            continue;
        assert_int_equal(o1.len, o2.len);
        assert_memory_equal(o1.ptr, o2.ptr, o1.len);
        int unchanged = o1.len == len && memcmp(o1.ptr, h, len) == 0;
        if (o2.ptr == h)
            views++;
        assert_int_equal(o2.ptr == h, unchanged);
    }
    assert_true(views > 1000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostname_valid),
        cmocka_unit_test(test_hostname_check_messages),
        cmocka_unit_test(test_hostname_is_ip),
        cmocka_unit_test(test_hostname_wildcard_match),
        cmocka_unit_test(test_hostname_intersect_table),
        cmocka_unit_test(test_hostname_normalize_request),
        cmocka_unit_test(test_hostname_request_view_agrees),
        cmocka_unit_test(test_hostname_specificity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
