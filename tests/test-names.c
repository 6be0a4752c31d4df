/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Scalar-type validators (lib/names.c): for each, valid values, the
 * length edge on both sides and invalid values with their exact message.
 */
#include <string.h>

#include "helpers.h"
#include "gwr_private.h"
#include "names.h"

typedef const char *(*check_fn)(gwr_str v);

static gwr_str
S(const char *s)
{
    return gwr_str__from_cstr(s);
}

static void
ok(check_fn fn, const char *v)
{
    const char *msg = fn(S(v));
    if (msg != NULL)
        fail_msg("'%s' rejected: %s", v, msg);
}

static void
bad(check_fn fn, const char *v, const char *want)
{
    const char *msg = fn(S(v));
    if (msg == NULL)
        fail_msg("'%s' accepted", v);
    assert_string_equal(msg, want);
}

/* A value of n copies of c (with an optional fixed head), for length
 * edges. */
static char big[5000];

static gwr_str
fill(const char *head, char c, size_t n)
{
    size_t h = strlen(head);
    assert_true(n < sizeof(big) && h <= n);
    memset(big, c, n);
    memcpy(big, head, h);
    return (gwr_str){ big, n };
}

#define SUBDOMAIN_MSG \
    "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?" \
    "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

static void
test_names_section_name(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_section_name;
    ok(f, "http");
    ok(f, "foo-example");
    ok(f, "example.com");
    ok(f, "a");
    ok(f, "0");
    assert_null(f(fill("", 'a', 253)));
    assert_string_equal(f(fill("", 'a', 254)), "must be 1 to 253 characters");
    bad(f, "", "must be 1 to 253 characters");
    bad(f, "example.com/bar", SUBDOMAIN_MSG);
    bad(f, "Http", SUBDOMAIN_MSG);
    bad(f, "-a", SUBDOMAIN_MSG);
    bad(f, "a-", SUBDOMAIN_MSG);
    bad(f, "a..b", SUBDOMAIN_MSG);
    bad(f, "a.", SUBDOMAIN_MSG);
    bad(f, "a_b", SUBDOMAIN_MSG);
}

static void
test_names_namespace(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_namespace;
    ok(f, "default");
    ok(f, "gateway-conformance-infra");
    assert_null(f(fill("", 'a', 63)));
    assert_string_equal(f(fill("", 'a', 64)), "must be 1 to 63 characters");
    bad(f, "", "must be 1 to 63 characters");
    bad(f, "example.com", "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    bad(f, "Default", "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    bad(f, "-x", "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
}

static void
test_names_group(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_group;
    ok(f, "");
    ok(f, "gateway.networking.k8s.io");
    ok(f, "foo.example.com");
    assert_null(f(fill("", 'a', 253)));
    assert_string_equal(f(fill("", 'a', 254)),
                        "must be at most 253 characters");
    bad(f, "example.com/bar",
        "must match ^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?"
        "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
}

static void
test_names_kind(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_kind;
    const char *msg = "must match ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$";
    ok(f, "Service");
    ok(f, "HTTPRoute");
    ok(f, "a");
    ok(f, "My-Kind2");
    assert_null(f(fill("", 'K', 63)));
    assert_string_equal(f(fill("", 'K', 64)), "must be 1 to 63 characters");
    bad(f, "", "must be 1 to 63 characters");
    bad(f, "invalid/kind", msg);
    bad(f, "2Kind", msg);
    bad(f, "Kind-", msg);
    bad(f, "-Kind", msg);
    bad(f, "Ki_nd", msg);
}

static void
test_names_object_name(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_object_name;
    ok(f, "anything Goes_here!");
    assert_null(f(fill("", 'x', 253)));
    assert_string_equal(f(fill("", 'x', 254)), "must be 1 to 253 characters");
    bad(f, "", "must be 1 to 253 characters");
}

static void
test_names_header_name(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_header_name;
    const char *msg = "must match ^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";
    ok(f, "Content-Type");
    ok(f, "x-header-set");
    ok(f, "!#$%&'*+-.^_`|~09AZaz");
    assert_null(f(fill("", 'h', 256)));
    assert_string_equal(f(fill("", 'h', 257)), "must be 1 to 256 characters");
    bad(f, "", "must be 1 to 256 characters");
    bad(f, ":authority", msg);
    bad(f, "Host:", msg);
    bad(f, "x header", msg);
    bad(f, "x\"y", msg);
    bad(f, "x(y)", msg);
    bad(f, "x/y", msg);
    bad(f, "caf\xc3\xa9", msg);
}

static void
test_names_header_value(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_header_value;
    ok(f, "v");
    ok(f, " anything\tat all ");
    assert_null(f(fill("", 'v', 4096)));
    assert_string_equal(f(fill("", 'v', 4097)),
                        "must be 1 to 4096 characters");
    bad(f, "", "must be 1 to 4096 characters");

    f = gwr_names__check_header_value_pattern;
    const char *msg = "must match ^[!-~]+([\\t ]?[!-~]+)*$";
    ok(f, "v");
    ok(f, "a b\tc");
    ok(f, "text/html; charset=utf-8");
    ok(f, "!~");
    bad(f, "", msg);
    bad(f, " a", msg);
    bad(f, "a ", msg);
    bad(f, "a\t", msg);
    bad(f, "a  b", msg);
    bad(f, "a \tb", msg);
    bad(f, "a\nb", msg);
    bad(f, "caf\xc3\xa9", msg);
    bad(f, "a\x7f", msg);
}

#define LABEL_KEY_MSG \
    "must match ^([a-z0-9]([-a-z0-9]*[a-z0-9])?" \
    "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?" \
    "([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$"

static void
test_names_label_key(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_label_key;
    /* upstream's valid examples */
    ok(f, "app");
    ok(f, "tier");
    ok(f, "example");
    ok(f, "example.com");
    ok(f, "example.com/path");
    ok(f, "example.com/path.html");
    ok(f, "kubernetes.io/metadata.name");
    ok(f, "My_Key.v-1");
    /* name segment: 63 ok, 64 not */
    assert_null(f(fill("", 'n', 63)));
    assert_string_equal(f(fill("", 'n', 64)), LABEL_KEY_MSG);
    assert_null(f(fill("example.com/", 'n', 12 + 63)));
    assert_string_equal(f(fill("example.com/", 'n', 12 + 64)), LABEL_KEY_MSG);
    /* total: 253 ok, 254 not */
    gwr_str v = fill("", 'a', 253);
    memcpy(big + 253 - 10, "/name12345", 10);
    assert_null(f(v));
    v = fill("", 'a', 254);
    memcpy(big + 254 - 10, "/name12345", 10);
    assert_string_equal(f(v), "must be 1 to 253 characters");
    bad(f, "", "must be 1 to 253 characters");
    /* upstream's invalid examples */
    bad(f, "Example.com/key", LABEL_KEY_MSG);
    bad(f, "key~@@@", LABEL_KEY_MSG);
    bad(f, "example.com.", LABEL_KEY_MSG);
    bad(f, "example~", LABEL_KEY_MSG);
    bad(f, "a/b/c", LABEL_KEY_MSG);
    bad(f, "/name", LABEL_KEY_MSG);
    bad(f, "example.com/", LABEL_KEY_MSG);
    bad(f, "_name", LABEL_KEY_MSG);
}

static void
test_names_label_value(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_label_value;
    const char *msg =
        "must match ^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
    ok(f, "");
    ok(f, "gateway");
    ok(f, "MyValue");
    ok(f, "my.name");
    ok(f, "123-my-value");
    ok(f, "a_b");
    assert_null(f(fill("", 'v', 63)));
    assert_string_equal(f(fill("", 'v', 64)), "must be at most 63 characters");
    bad(f, "-a", msg);
    bad(f, "a.", msg);
    bad(f, "a/b", msg);
    bad(f, "a b", msg);
}

static void
test_names_annotation_key(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_annotation_key;
    const char *msg =
        "must match ^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]/?)*$";
    /* upstream's valid examples */
    ok(f, "example");
    ok(f, "example.com");
    ok(f, "example.com/path");
    ok(f, "example.com/path.html");
    /* the pattern is looser than a Kubernetes qualified name */
    ok(f, "a/b/c");
    ok(f, "a/");
    ok(f, "Upper.Case/X");
    assert_null(f(fill("", 'k', 253)));
    assert_string_equal(f(fill("", 'k', 254)), "must be 1 to 253 characters");
    bad(f, "", "must be 1 to 253 characters");
    /* upstream's invalid examples */
    bad(f, "example~", msg);
    bad(f, "example.com.", msg);
    bad(f, ".example.com", msg);
    bad(f, "/a", msg);
    bad(f, "a//b", msg);
    bad(f, "a//", msg);
    bad(f, "a-/b", msg);
}

static void
test_names_gateway_controller(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_gateway_controller;
    const char *msg =
        "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?"
        "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
        "\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$";
    ok(f, "example.com/bar");
    ok(f, "gateway.envoyproxy.io/gatewayclass-controller");
    ok(f, "a/B/c~%!$&'()*+,;=:._-");
    gwr_str v = fill("example.com/", 'p', 253);
    assert_null(f(v));
    v = fill("example.com/", 'p', 254);
    assert_string_equal(f(v), "must be 1 to 253 characters");
    bad(f, "", "must be 1 to 253 characters");
    bad(f, "example.com", msg);
    bad(f, "foo.example.com", msg);
    bad(f, "example.com/", msg);
    bad(f, "Example.com/bar", msg);
    bad(f, "/bar", msg);
    bad(f, "example.com/b ar", msg);
    bad(f, "example.com/b#ar", msg);
}

static void
test_names_protocol_type(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_protocol_type;
    const char *msg =
        "must match ^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|"
        "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
        "\\/[A-Za-z0-9]+$";
    ok(f, "HTTP");
    ok(f, "HTTPS");
    ok(f, "TLS");
    ok(f, "TCP");
    ok(f, "UDP");
    ok(f, "my-Proto2");
    ok(f, "example.com/Custom1");
    /* the second alternative is unanchored at the start */
    ok(f, "Example.COM!!/x/example.com/Custom");
    ok(f, "_a/b");
    assert_null(f(fill("", 'P', 255)));
    assert_string_equal(f(fill("", 'P', 256)), "must be 1 to 255 characters");
    bad(f, "", "must be 1 to 255 characters");
    bad(f, "-HTTP", msg);
    bad(f, "HTTP-", msg);
    bad(f, "HT TP", msg);
    bad(f, "example.com/", msg);
    bad(f, "example.com/a-b", msg);
    bad(f, "Example.coM/x", msg);
    bad(f, "/x", msg);
    bad(f, "a./x", msg);
}

static void
test_names_http_method(void **state)
{
    (void)state;
    check_fn f = gwr_names__check_http_method;
    const char *msg = "must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, "
                      "OPTIONS, TRACE, PATCH";
    static const char *const all[] = { "GET", "HEAD", "POST", "PUT", "DELETE",
                                       "CONNECT", "OPTIONS", "TRACE", "PATCH" };
    for (size_t i = 0; i < GWR_ARRAY_LEN(all); i++)
        ok(f, all[i]);
    bad(f, "get", msg);
    bad(f, "GETS", msg);
    bad(f, "GE", msg);
    bad(f, "", msg);
    bad(f, "*", msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_section_name),
        cmocka_unit_test(test_names_namespace),
        cmocka_unit_test(test_names_group),
        cmocka_unit_test(test_names_kind),
        cmocka_unit_test(test_names_object_name),
        cmocka_unit_test(test_names_header_name),
        cmocka_unit_test(test_names_header_value),
        cmocka_unit_test(test_names_label_key),
        cmocka_unit_test(test_names_label_value),
        cmocka_unit_test(test_names_annotation_key),
        cmocka_unit_test(test_names_gateway_controller),
        cmocka_unit_test(test_names_protocol_type),
        cmocka_unit_test(test_names_http_method),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
