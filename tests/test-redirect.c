/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * RequestRedirect Location (lib/redirect.c): every row of the §4.2
 * HTTPRouteRedirectPortAndScheme table, the §4.4 redirect examples,
 * query handling and the default-port rules.
 */
#include <string.h>

#include "helpers.h"
#include "gwr_private.h"
#include "redirect.h"

static gwr_str
S(const char *s)
{
    return gwr_str__from_cstr(s);
}

static void
check_location(const gwr_redirect__request *req,
               const gwr_redirect__filter *f, const char *want)
{
    char buf[256];
    gwr_str out = { NULL, 0 };
    int rc = gwr_redirect__location(req, f, buf, sizeof(buf), &out);
    if (rc != GWR_OK)
        fail_msg("rc %d, want %s", rc, want);
    if (!gwr_str__eq_cstr(out, want))
        fail_msg("%.*s, want %s", (int)out.len, out.ptr, want);
    assert_ptr_equal(out.ptr, buf);
    assert_int_equal(buf[out.len], '\0');
}

static void
test_redirect_port_and_scheme_table(void **state)
{
    (void)state;
    static const struct {
        const char *listener_scheme;
        uint32_t listener_port;
        const char *scheme; /* NULL: unset */
        uint32_t port;      /* 0: unset */
        const char *want;
    } rows[] = {
        { "http", 80, NULL, 0, "http://example.org/p" },
        { "http", 80, NULL, 80, "http://example.org/p" },
        { "http", 80, NULL, 8080, "http://example.org:8080/p" },
        { "http", 80, "https", 0, "https://example.org/p" },
        { "http", 80, "https", 443, "https://example.org/p" },
        { "http", 80, "https", 8443, "https://example.org:8443/p" },
        { "http", 8080, NULL, 0, "http://example.org:8080/p" },
        { "http", 8080, NULL, 80, "http://example.org/p" },
        { "http", 8080, "https", 0, "https://example.org/p" },
        { "https", 443, NULL, 0, "https://example.org/p" },
        { "https", 443, NULL, 443, "https://example.org/p" },
        { "https", 443, NULL, 8443, "https://example.org:8443/p" },
        { "https", 443, "http", 0, "http://example.org/p" },
        { "https", 443, "http", 80, "http://example.org/p" },
        { "https", 443, "http", 8080, "http://example.org:8080/p" },
    };
    for (size_t i = 0; i < GWR_ARRAY_LEN(rows); i++) {
        gwr_redirect__request req = {
            S(rows[i].listener_scheme), S("client.example"),
            rows[i].listener_port, S("/p"), { NULL, 0 },
        };
        gwr_redirect__filter f = { { NULL, 0 }, S("example.org"),
                                   rows[i].port, GWR_REDIRECT__PATH_KEEP,
                                   { NULL, 0 }, { NULL, 0 } };
        if (rows[i].scheme != NULL)
            f.scheme = S(rows[i].scheme);
        check_location(&req, &f, rows[i].want);
    }
}

static void
test_redirect_defaults_and_ports(void **state)
{
    (void)state;
    gwr_redirect__request req = { S("http"), S("foo.example.com"), 80,
                                  S("/a/b"), { NULL, 0 } };
    gwr_redirect__filter f = { { NULL, 0 }, { NULL, 0 }, 0,
                               GWR_REDIRECT__PATH_KEEP, { NULL, 0 },
                               { NULL, 0 } };
    /* nothing set: same URL (a loop, but that is the configuration) */
    check_location(&req, &f, "http://foo.example.com/a/b");
    /* listener port, not the Host header's port (already stripped) */
    req.listener_port = 8080;
    check_location(&req, &f, "http://foo.example.com:8080/a/b");
    /* scheme set to the current one: its well-known port, not 8080 */
    f.scheme = S("http");
    check_location(&req, &f, "http://foo.example.com/a/b");
    /* https on 80 is written out */
    f.port = 80;
    f.scheme = S("https");
    check_location(&req, &f, "https://foo.example.com:80/a/b");
    /* http on 443 too */
    f.scheme = S("http");
    f.port = 443;
    check_location(&req, &f, "http://foo.example.com:443/a/b");
    /* a scheme without a well-known port falls back to the listener port */
    f.scheme = S("ftp");
    f.port = 0;
    check_location(&req, &f, "ftp://foo.example.com:8080/a/b");
    /* IPv6 request host goes back into brackets */
    f.scheme = (gwr_str){ NULL, 0 };
    req.host = S("2001:db8::1");
    check_location(&req, &f, "http://[2001:db8::1]:8080/a/b");
    req.listener_port = 80;
    check_location(&req, &f, "http://[2001:db8::1]/a/b");
    f.port = 65535;
    req.host = S("h");
    check_location(&req, &f, "http://h:65535/a/b");
}

static void
test_redirect_paths(void **state)
{
    (void)state;
    gwr_redirect__request req = { S("http"), S("example.com"), 80,
                                  S("/original-prefix/lemon"), { NULL, 0 } };
    gwr_redirect__filter f = { { NULL, 0 }, { NULL, 0 }, 0,
                               GWR_REDIRECT__PATH_PREFIX,
                               S("/replacement-prefix"),
                               S("/original-prefix") };
    /* §4.4 redirect conformance */
    check_location(&req, &f, "http://example.com/replacement-prefix/lemon");
    req.path = S("/path-and-host");
    f.matched_prefix = S("/path-and-host");
    f.hostname = S("example.org");
    check_location(&req, &f, "http://example.org/replacement-prefix");
    req.path = S("/full/path/original");
    f.path_type = GWR_REDIRECT__PATH_FULL;
    f.path = S("/full-path-replacement");
    f.hostname = (gwr_str){ NULL, 0 };
    check_location(&req, &f, "http://example.com/full-path-replacement");
    /* ReplacePrefixMatch with an empty replacement */
    req.path = S("/foo");
    f.path_type = GWR_REDIRECT__PATH_PREFIX;
    f.matched_prefix = S("/foo");
    f.path = S("");
    check_location(&req, &f, "http://example.com/");
    /* values without a leading '/' still give an absolute path */
    f.path = S("xyz");
    req.path = S("/foo/bar");
    check_location(&req, &f, "http://example.com/xyz/bar");
    f.path_type = GWR_REDIRECT__PATH_FULL;
    check_location(&req, &f, "http://example.com/xyz");
    f.path = S("");
    check_location(&req, &f, "http://example.com/");
    /* prefix that does not match the path */
    f.path_type = GWR_REDIRECT__PATH_PREFIX;
    f.matched_prefix = S("/bar");
    char buf[64];
    gwr_str out = S("untouched");
    assert_int_equal(gwr_redirect__location(&req, &f, buf, sizeof(buf), &out),
                     GWR_E_INVAL);
    assert_true(gwr_str__eq_cstr(out, "untouched"));
    f.path_type = 7;
    assert_int_equal(gwr_redirect__location(&req, &f, buf, sizeof(buf), &out),
                     GWR_E_INVAL);
}

static void
test_redirect_query(void **state)
{
    (void)state;
    gwr_redirect__request req = { S("https"), S("example.com"), 443,
                                  S("/a"), S("x=1&y=%20") };
    gwr_redirect__filter f = { S("http"), { NULL, 0 }, 0,
                               GWR_REDIRECT__PATH_FULL, S("/b"),
                               { NULL, 0 } };
    /* query preserved, also when the path is replaced */
    check_location(&req, &f, "http://example.com/b?x=1&y=%20");
    f.path_type = GWR_REDIRECT__PATH_PREFIX;
    f.matched_prefix = S("/a");
    f.path = S("/c");
    check_location(&req, &f, "http://example.com/c?x=1&y=%20");
    /* an empty query ("/a?") is dropped */
    req.query = S("");
    check_location(&req, &f, "http://example.com/c");
}

static void
test_redirect_buffer(void **state)
{
    (void)state;
    gwr_redirect__request req = { S("http"), S("h"), 80, S("/p"), S("q") };
    gwr_redirect__filter f = { { NULL, 0 }, { NULL, 0 }, 0,
                               GWR_REDIRECT__PATH_KEEP, { NULL, 0 },
                               { NULL, 0 } };
    const char *want = "http://h/p?q";
    size_t need = strlen(want) + 1;
    char buf[64];
    gwr_str out;
    for (size_t n = 0; n < need; n++)
        assert_int_equal(gwr_redirect__location(&req, &f, buf, n, &out),
                         GWR_E_RANGE);
    assert_int_equal(gwr_redirect__location(&req, &f, buf, need, &out), GWR_OK);
    assert_string_equal(buf, want);
    /* same for the in-place prefix path, including the prepended '/' */
    f.path_type = GWR_REDIRECT__PATH_PREFIX;
    f.matched_prefix = S("/p");
    f.path = S("x");
    want = "http://h/x?q";
    need = strlen(want) + 1;
    for (size_t n = 0; n < need; n++)
        assert_int_equal(gwr_redirect__location(&req, &f, buf, n, &out),
                         GWR_E_RANGE);
    assert_int_equal(gwr_redirect__location(&req, &f, buf, need, &out), GWR_OK);
    assert_string_equal(buf, want);
    /* invalid inputs */
    f.path_type = GWR_REDIRECT__PATH_KEEP;
    req.host = (gwr_str){ NULL, 0 };
    assert_int_equal(gwr_redirect__location(&req, &f, buf, sizeof(buf), &out),
                     GWR_E_INVAL);
    req.host = S("h");
    f.port = 65536;
    assert_int_equal(gwr_redirect__location(&req, &f, buf, sizeof(buf), &out),
                     GWR_E_INVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redirect_port_and_scheme_table),
        cmocka_unit_test(test_redirect_defaults_and_ports),
        cmocka_unit_test(test_redirect_paths),
        cmocka_unit_test(test_redirect_query),
        cmocka_unit_test(test_redirect_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
