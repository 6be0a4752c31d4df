/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Scalar-type validators. Each CRD pattern is decomposed into a few
 * character-class scans; the comments give the pattern piece they
 * implement. Messages quote the CRD pattern so users can look it up.
 */
#include <string.h>

#include "names.h"

#define SUBDOMAIN_RE \
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"

static int
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnum(char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

static int
in_set(char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? : a DNS-1123 label (no length limit, as
 * in the pattern). */
static int
dns_label(const char *p, size_t n)
{
    if (n == 0 || !is_lower_alnum(p[0]) || !is_lower_alnum(p[n - 1]))
        return 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (!is_lower_alnum(p[i]) && p[i] != '-')
            return 0;
    }
    return 1;
}

/* label(\.label)* : a DNS-1123 subdomain. */
static int
dns_subdomain(const char *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '.') {
            if (!dns_label(p + start, i - start))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] : starts and ends with an
 * alphanumeric, '-', '_' and '.' inside. */
static int
qualified_segment(const char *p, size_t n)
{
    if (n == 0 || !is_alnum(p[0]) || !is_alnum(p[n - 1]))
        return 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (!is_alnum(p[i]) && !in_set(p[i], "-_."))
            return 0;
    }
    return 1;
}

static int
all_in(const char *p, size_t n, int (*cls)(char), const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        if (!cls(p[i]) && !in_set(p[i], extra))
            return 0;
    }
    return 1;
}

const char *
gwr_names__check_section_name(gwr_str v)
{
    if (v.len < 1 || v.len > 253)
        return "must be 1 to 253 characters";
    if (!dns_subdomain(v.ptr, v.len))
        return "must match ^" SUBDOMAIN_RE "$";
    return NULL;
}

const char *
gwr_names__check_namespace(gwr_str v)
{
    if (v.len < 1 || v.len > 63)
        return "must be 1 to 63 characters";
    if (!dns_label(v.ptr, v.len))
        return "must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
    return NULL;
}

const char *
gwr_names__check_group(gwr_str v)
{
    if (v.len > 253)
        return "must be at most 253 characters";
    if (v.len > 0 && !dns_subdomain(v.ptr, v.len))
        return "must match ^$|^" SUBDOMAIN_RE "$";
    return NULL;
}

const char *
gwr_names__check_kind(gwr_str v)
{
    if (v.len < 1 || v.len > 63)
        return "must be 1 to 63 characters";
    /* ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$ */
    if (!is_alpha(v.ptr[0]) || !is_alnum(v.ptr[v.len - 1]) ||
        !all_in(v.ptr, v.len, is_alnum, "-"))
        return "must match ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$";
    return NULL;
}

const char *
gwr_names__check_object_name(gwr_str v)
{
    if (v.len < 1 || v.len > 253)
        return "must be 1 to 253 characters";
    return NULL;
}

const char *
gwr_names__check_header_name(gwr_str v)
{
    if (v.len < 1 || v.len > 256)
        return "must be 1 to 256 characters";
    /* RFC 7230 tchar */
    if (!all_in(v.ptr, v.len, is_alnum, "!#$%&'*+-.^_`|~"))
        return "must match ^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";
    return NULL;
}

const char *
gwr_names__check_header_value(gwr_str v)
{
    if (v.len < 1 || v.len > 4096)
        return "must be 1 to 4096 characters";
    return NULL;
}

static int
is_visible(char c)
{
    return c >= '!' && c <= '~';
}

const char *
gwr_names__check_header_value_pattern(gwr_str v)
{
    static const char msg[] = "must match ^[!-~]+([\\t ]?[!-~]+)*$";
    if (v.len == 0 || !is_visible(v.ptr[0]) || !is_visible(v.ptr[v.len - 1]))
        return msg;
    for (size_t i = 1; i < v.len; i++) {
        char c = v.ptr[i];
        if (is_visible(c))
            continue;
        /* one space or tab, and only between visible characters */
        if ((c != ' ' && c != '\t') || !is_visible(v.ptr[i - 1]))
            return msg;
    }
    return NULL;
}

const char *
gwr_names__check_label_key(gwr_str v)
{
    static const char msg[] =
        "must match ^([a-z0-9]([-a-z0-9]*[a-z0-9])?"
        "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
        "([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$";
    if (v.len < 1 || v.len > 253)
        return "must be 1 to 253 characters";
    /* Neither part may contain '/', so the first one splits them. The
     * CEL rule "prefix shorter than 253" cannot fail under the 253 total
     * and is therefore not checked separately. */
    const char *slash = memchr(v.ptr, '/', v.len);
    const char *name = v.ptr;
    size_t name_len = v.len;
    if (slash != NULL) {
        size_t plen = (size_t)(slash - v.ptr);
        if (!dns_subdomain(v.ptr, plen))
            return msg;
        name = slash + 1;
        name_len = v.len - plen - 1;
    }
    if (name_len > 63 || !qualified_segment(name, name_len))
        return msg;
    return NULL;
}

const char *
gwr_names__check_label_value(gwr_str v)
{
    if (v.len > 63)
        return "must be at most 63 characters";
    if (v.len > 0 && !qualified_segment(v.ptr, v.len))
        return "must match ^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
    return NULL;
}

const char *
gwr_names__check_annotation_key(gwr_str v)
{
    if (v.len < 1 || v.len > 253)
        return "must be 1 to 253 characters";
    /* (segment /?)* : '/'-separated non-empty segments, one trailing '/'
     * allowed (two segments written back to back are again a segment). */
    size_t start = 0;
    for (size_t i = 0; i <= v.len; i++) {
        if (i == v.len || v.ptr[i] == '/') {
            if (!(i == v.len && start == v.len) &&
                !qualified_segment(v.ptr + start, i - start))
                return "must match "
                       "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]/?)*$";
            start = i + 1;
        }
    }
    return NULL;
}

static int
is_controller_path_char(char c)
{
    return is_alnum(c) || in_set(c, "/-._~%!$&'()*+,;=:");
}

const char *
gwr_names__check_gateway_controller(gwr_str v)
{
    if (v.len < 1 || v.len > 253)
        return "must be 1 to 253 characters";
    const char *slash = memchr(v.ptr, '/', v.len);
    size_t plen = slash != NULL ? (size_t)(slash - v.ptr) : 0;
    if (slash == NULL || !dns_subdomain(v.ptr, plen) || plen + 1 == v.len ||
        !all_in(slash + 1, v.len - plen - 1, is_controller_path_char, ""))
        return "must match ^" SUBDOMAIN_RE
               "\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$";
    return NULL;
}

const char *
gwr_names__check_protocol_type(gwr_str v)
{
    if (v.len < 1 || v.len > 255)
        return "must be 1 to 255 characters";
    /* ^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$ */
    if (is_alnum(v.ptr[0]) && is_alnum(v.ptr[v.len - 1]) &&
        all_in(v.ptr, v.len, is_alnum, "-"))
        return NULL;
    /* subdomain\/[A-Za-z0-9]+$ searched anywhere: the part after the last
     * '/' must be alphanumeric, and some suffix of what precedes it must
     * be a subdomain, which holds exactly when the byte before the '/'
     * is [a-z0-9] (that byte alone is one). Anything before it is free. */
    size_t k = v.len;
    while (k > 0 && v.ptr[k - 1] != '/')
        k--;
    if (k >= 2 && k < v.len && is_lower_alnum(v.ptr[k - 2]) &&
        all_in(v.ptr + k, v.len - k, is_alnum, ""))
        return NULL;
    return "must match ^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|" SUBDOMAIN_RE
           "\\/[A-Za-z0-9]+$";
}

const char *
gwr_names__check_http_method(gwr_str v)
{
    static const char *const methods[] = {
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
        "TRACE", "PATCH",
    };
    for (size_t i = 0; i < GWR_ARRAY_LEN(methods); i++) {
        if (gwr_str__eq_cstr(v, methods[i]))
            return NULL;
    }
    return "must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, "
           "TRACE, PATCH";
}
