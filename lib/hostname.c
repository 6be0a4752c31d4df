/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Hostname validation, wildcard matching, intersection and request Host
 * normalization. The CRD patterns are checked by hand (no regex engine)
 * and nothing allocates: normalization runs on every request.
 */
#include <string.h>

#include "hostname.h"
#include "swar.h"

#define HOSTNAME_MAX 253

static int
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ :
 * dot-separated, non-empty labels of [-a-z0-9] that start and end with
 * [a-z0-9]. The pattern has no 63-byte label limit, so neither do we. */
static int
match_subdomain(const char *p, size_t n)
{
    size_t label = 0; /* bytes in the current label */
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '.') {
            if (label == 0 || p[i - 1] == '-')
                return 0;
            label = 0;
        } else if (is_lower_alnum(c)) {
            label++;
        } else if (c == '-') {
            if (label == 0)
                return 0;
            label++;
        } else {
            return 0;
        }
    }
    return label != 0 && p[n - 1] != '-';
}

static int
is_match_all(gwr_str s)
{
    return s.len == 0 || (s.len == 1 && s.ptr[0] == '*');
}

static int
is_wildcard(gwr_str s)
{
    return s.len >= 2 && s.ptr[0] == '*' && s.ptr[1] == '.';
}

int
gwr_hostname__valid(gwr_str h, int allow_wildcard)
{
    if (h.len < 1 || h.len > HOSTNAME_MAX)
        return 0;
    if (allow_wildcard && is_wildcard(h))
        return match_subdomain(h.ptr + 2, h.len - 2);
    return match_subdomain(h.ptr, h.len);
}

const char *
gwr_hostname__check(gwr_str h, int allow_wildcard)
{
    if (h.len < 1 || h.len > HOSTNAME_MAX)
        return GWR_HOSTNAME__MSG_LENGTH;
    if (!gwr_hostname__valid(h, allow_wildcard))
        return allow_wildcard ? GWR_HOSTNAME__MSG_PATTERN
                              : GWR_HOSTNAME__MSG_PRECISE_PATTERN;
    if (gwr_hostname__is_ip(h))
        return GWR_HOSTNAME__MSG_IP;
    return NULL;
}

static int
is_ipv4(gwr_str h)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= h.len || h.ptr[i] != '.')
                return 0;
            i++;
        }
        unsigned v = 0;
        size_t digits = 0;
        while (i < h.len && is_digit(h.ptr[i])) {
            v = v * 10 + (unsigned)(h.ptr[i] - '0');
            i++;
            if (++digits > 3)
                return 0;
        }
        if (digits == 0 || v > 255)
            return 0;
    }
    return i == h.len;
}

static int
is_ipv6(gwr_str h)
{
    int colon = 0;
    for (size_t i = 0; i < h.len; i++) {
        char c = h.ptr[i];
        if (c == ':')
            colon = 1;
        else if (!is_hex(c) && c != '.')
            return 0;
    }
    return colon;
}

int
gwr_hostname__is_ip(gwr_str h)
{
    return is_ipv4(h) || is_ipv6(h);
}

int
gwr_hostname__wildcard_match(gwr_str pattern, gwr_str host)
{
    if (is_match_all(pattern))
        return 1;
    if (is_wildcard(pattern)) {
        /* suffix keeps the dot (".s") so a match ends on a label
         * boundary; host must be strictly longer: >= 1 more label. */
        gwr_str suffix = { pattern.ptr + 1, pattern.len - 1 };
        return host.len > suffix.len && gwr_str__ends_with(host, suffix);
    }
    return gwr_str__eq(pattern, host);
}

int
gwr_hostname__intersect(gwr_str listener, gwr_str route, gwr_str *out)
{
    int l_all = is_match_all(listener), r_all = is_match_all(route);
    if (l_all && r_all) {
        *out = (gwr_str){ NULL, 0 };
        return 1;
    }
    if (l_all) {
        *out = route;
        return 1;
    }
    if (r_all) {
        *out = listener;
        return 1;
    }
    int l_wild = is_wildcard(listener), r_wild = is_wildcard(route);
    if (gwr_str__eq(listener, route)) {
        *out = route;
        return 1;
    }
    if (!l_wild && !r_wild)
        return 0;
    /* Whichever side the other one matches is the narrower set, and a
     * wildcard matching "*.x" as text means x ends with its domain, which
     * is exactly the wildcard/wildcard row of §2.2. */
    if (l_wild && gwr_hostname__wildcard_match(listener, route)) {
        *out = route;
        return 1;
    }
    if (r_wild && gwr_hostname__wildcard_match(route, listener)) {
        *out = listener;
        return 1;
    }
    return 0;
}

static int
is_name_char(char c)
{
    return is_lower_alnum(c) || c == '-' || c == '_' || c == '.';
}

int
gwr_hostname__port(gwr_str port, uint32_t *value)
{
    uint32_t v = 0;
    if (port.len > 5)
        return 0;
    for (size_t i = 0; i < port.len; i++) {
        if (!is_digit(port.ptr[i]))
            return 0;
        v = v * 10 + (uint32_t)(port.ptr[i] - '0');
    }
    *value = v;
    return v <= 65535;
}

int
gwr_hostname__normalize_request(gwr_str host, char *buf, size_t buflen,
                                gwr_str *out, uint32_t *port_out)
{
    gwr_str name, port = { NULL, 0 };
    int bracketed = 0;

    if (host.len == 0 || host.ptr == NULL)
        return GWR_E_INVAL;
    if (host.ptr[0] == '[') {
        const char *close = memchr(host.ptr, ']', host.len);
        if (close == NULL)
            return GWR_E_INVAL;
        name = (gwr_str){ host.ptr + 1, (size_t)(close - host.ptr) - 1 };
        size_t after = (size_t)(close - host.ptr) + 1;
        if (after < host.len) {
            if (host.ptr[after] != ':')
                return GWR_E_INVAL;
            port = (gwr_str){ host.ptr + after + 1, host.len - after - 1 };
        }
        bracketed = 1;
    } else {
        const char *colon = memchr(host.ptr, ':', host.len);
        if (colon != NULL) {
            size_t at = (size_t)(colon - host.ptr);
            name = (gwr_str){ host.ptr, at };
            port = (gwr_str){ colon + 1, host.len - at - 1 };
        } else {
            name = host;
        }
    }

    uint32_t pv = 0;
    if (!gwr_hostname__port(port, &pv))
        return GWR_E_INVAL;

    /* One trailing dot is the DNS root: "example.com." names the same
     * host. A second one would leave an empty label and is rejected. */
    if (!bracketed && name.len > 0 && name.ptr[name.len - 1] == '.')
        name.len--;
    if (name.len == 0 || (!bracketed && name.ptr[name.len - 1] == '.'))
        return GWR_E_INVAL;
    if (name.len + 1 > buflen)
        return GWR_E_RANGE;

    for (size_t i = 0; i < name.len; i++) {
        char c = gwr__tolower(name.ptr[i]);
        if (bracketed) {
            if (!is_hex(c) && c != ':' && c != '.')
                return GWR_E_INVAL;
        } else {
            if (!is_name_char(c))
                return GWR_E_INVAL;
            if (c == '.' && (i == 0 || name.ptr[i - 1] == '.'))
                return GWR_E_INVAL; /* empty label */
        }
        buf[i] = c;
    }
    if (bracketed && !is_ipv6(name))
        return GWR_E_INVAL;
    buf[name.len] = '\0';
    *out = (gwr_str){ buf, name.len };
    if (port_out != NULL)
        *port_out = pv;
    return GWR_OK;
}

/* Bytes of an already normal request host name: 1 = lowercase letter,
 * digit, '-' or '_'; 2 = '.'; 0 = anything the full normalizer must see
 * (upper case, ':', '[', invalid bytes). */
static const unsigned char host_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

int
gwr_hostname__normalize_request_view(gwr_str host, char *buf, size_t buflen,
                                     gwr_str *out)
{
    /* Eight bytes per step (lib/swar.h), the last few one table lookup
     * each. A label may not be empty, so a '.' must follow a name byte
     * and the last byte must be a name byte. */
    size_t n = host.len;
    if (n > 0 && host.ptr != NULL) {
        unsigned prev = 2;        /* as if a '.' preceded the first byte */
        size_t i = 0;
#ifdef GWR_SIMD16
        /* 16 bytes per step, the last ones as the host's last 16 bytes
         * with those already checked masked off. */
        while (i < n && n >= 16) {
            size_t base = n - i >= 16 ? i : n - 16;
            unsigned lo = (unsigned)(i - base);
            unsigned valid = (0xffffu << lo) & 0xffffu;
            unsigned name, dot;
            gwr_simd__host16(host.ptr + base, &name, &dot);
            dot &= valid;
            if (((name | dot) & valid) != valid ||
                (dot & ((dot << 1) | (prev == 2 ? 1u << lo : 0))))
                goto full;        /* another byte, or an empty label */
            prev = (dot >> 15) & 1 ? 2 : 1;
            i = base + 16;
        }
#endif
        /* Whole words; the last few bytes one table lookup each. */
        for (; n - i >= 8; i += 8) {
            uint64_t w = gwr_swar__load(host.ptr + i);
            if (w & GWR_SWAR_HIGHS)
                break;
            uint64_t dots = gwr_swar__eq(w, '.');
            uint64_t name = gwr_swar__range(w, 'a', 'z') |
                            gwr_swar__range(w, '0', '9') |
                            gwr_swar__eq(w, '-') | gwr_swar__eq(w, '_');
            if ((name | dots) != GWR_SWAR_HIGHS ||
                (dots & ((dots << 8) | (prev == 2 ? 0x80 : 0))))
                break;            /* another byte, or an empty label */
            prev = (dots >> 63) ? 2 : 1;
        }
        if (n - i < 8) {
            for (; i < n; i++) {
                unsigned cls = host_class[(unsigned char)host.ptr[i]];
                if (cls == 0 || (cls == 2 && prev == 2))
                    break;
                prev = cls;
            }
            if (i == n && prev == 1) {
                *out = host;
                return GWR_OK;
            }
        }
    }
#ifdef GWR_SIMD16
full:
#endif
    return gwr_hostname__normalize_request(host, buf, buflen, out, NULL);
}

uint32_t
gwr_hostname__specificity(gwr_str effective_hostname)
{
    gwr_str h = effective_hostname;
    if (is_match_all(h))
        return 0;
    /* Hostnames are at most 253 bytes, so 1024 + len keeps every exact
     * name above every wildcard. */
    if (is_wildcard(h))
        return 1 + (uint32_t)(h.len - 2);
    return 1024 + (uint32_t)(h.len > 4096 ? 4096 : h.len);
}
