/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Request path handling. Normalization is one left-to-right pass that
 * decodes, escapes and removes dot segments at the same time, using the
 * output buffer as the segment stack, so it needs no scratch memory and
 * never allocates (it runs for every request).
 */
#include <string.h>

#include "path.h"
#include "swar.h"

#define MATCH_VALUE_MAX 1024

static const char hex_upper[] = "0123456789ABCDEF";

static int
hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
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
is_unreserved(char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Byte classes of a request path, one load per byte instead of a chain of
 * comparisons: PC_PLAIN is copied as is; PC_SLASH and PC_DOT are copied
 * but end or may form a segment that normalization changes; PC_ESCAPE is
 * printable ASCII outside pchar that normalization percent-encodes;
 * PC_OTHER is everything else ('%', '\\', '?', '#', controls, non-ASCII),
 * which only the full normalizer handles. */
enum { PC_OTHER = 0, PC_PLAIN = 1, PC_SLASH = 2, PC_DOT = 3, PC_ESCAPE = 4 };
static const unsigned char path_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 4, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 3, 2,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1, 4, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 0, 4, 4, 1,
    4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Printable ASCII outside pchar that clients still send raw; we escape
 * them rather than reject so the forwarded path is valid RFC 3986. */
static int
needs_escape(char c)
{
    return path_class[(unsigned char)c] == PC_ESCAPE;
}

/* ---- split --------------------------------------------------------------- */

void
gwr_path__split(gwr_str target, gwr_str *path, gwr_str *query)
{
    const char *p = target.ptr;
    size_t n = target.len, start = 0;

    /* absolute-form: scheme ":" "//" authority, scheme = ALPHA *( ALPHA /
     * DIGIT / "+" / "-" / "." ) */
    if (n > 0 && is_alpha(p[0])) {
        size_t i = 1;
        while (i < n && (is_alnum(p[i]) || p[i] == '+' || p[i] == '-' ||
                         p[i] == '.'))
            i++;
        if (i + 2 < n && p[i] == ':' && p[i + 1] == '/' && p[i + 2] == '/') {
            i += 3;
            while (i < n && p[i] != '/' && p[i] != '?' && p[i] != '#')
                i++;
            start = i;
        }
    }
    size_t end = start;
    while (end < n && p[end] != '?' && p[end] != '#')
        end++;
    *path = (gwr_str){ n > 0 ? p + start : p, end - start };
    if (end < n && p[end] == '?') {
        size_t q = end + 1, qe = q;
        while (qe < n && p[qe] != '#')
            qe++;
        *query = (gwr_str){ p + q, qe - q };
    } else {
        *query = (gwr_str){ NULL, 0 };
    }
}

/* ---- normalize ----------------------------------------------------------- */

typedef struct norm_out {
    char *buf;
    size_t cap;     /* usable bytes, the NUL excluded */
    size_t len;
    size_t seg;     /* start of the current segment (just after its '/') */
    uint32_t flags;
} norm_out;

static int
put(norm_out *o, char c)
{
    if (o->len >= o->cap)
        return GWR_E_RANGE;
    o->buf[o->len++] = c;
    return GWR_OK;
}

static int
put_escape(norm_out *o, char h1, char h2)
{
    if (o->cap - o->len < 3)
        return GWR_E_RANGE;
    if (o->flags & GWR_PATH__UPPERCASE_ESCAPES) {
        h1 = hex_upper[hex_val(h1)];
        h2 = hex_upper[hex_val(h2)];
    }
    o->buf[o->len++] = '%';
    o->buf[o->len++] = h1;
    o->buf[o->len++] = h2;
    return GWR_OK;
}

static int
put_byte_escaped(norm_out *o, unsigned char c)
{
    /* Escapes we create are always uppercase, whatever the flags. */
    if (o->cap - o->len < 3)
        return GWR_E_RANGE;
    o->buf[o->len++] = '%';
    o->buf[o->len++] = hex_upper[c >> 4];
    o->buf[o->len++] = hex_upper[c & 0xf];
    return GWR_OK;
}

/* One dot, literal or still escaped (when unreserved decoding is off the
 * escape must not let "%2e%2e" dodge dot-segment removal). */
static size_t
dot_at(const char *s, size_t n)
{
    if (n >= 1 && s[0] == '.')
        return 1;
    if (n >= 3 && s[0] == '%' && s[1] == '2' && (s[2] == 'e' || s[2] == 'E'))
        return 3;
    return 0;
}

/* 1 for ".", 2 for "..", 0 otherwise. */
static int
dot_segment(const char *s, size_t n)
{
    size_t a = dot_at(s, n);
    if (a == 0)
        return 0;
    if (a == n)
        return 1;
    size_t b = dot_at(s + a, n - a);
    return (b != 0 && a + b == n) ? 2 : 0;
}

/* The current segment is complete; at_sep says a '/' follows it. */
static int
end_segment(norm_out *o, int at_sep)
{
    if (o->flags & GWR_PATH__REMOVE_DOT_SEGMENTS) {
        int d = dot_segment(o->buf + o->seg, o->len - o->seg);
        if (d == 1) {
            o->len = o->seg; /* "/a/./b" -> "/a/b", "/a/." -> "/a/" */
            return GWR_OK;
        }
        if (d == 2) {
            /* Drop the segment and the one before it; at the root there
             * is nothing to drop, so "/../a" is "/a". */
            o->len = o->seg;
            if (o->len > 1) {
                o->len--;
                while (o->len > 0 && o->buf[o->len - 1] != '/')
                    o->len--;
            }
            o->seg = o->len;
            return GWR_OK;
        }
    }
    if (!at_sep)
        return GWR_OK;
    if ((o->flags & GWR_PATH__MERGE_SLASHES) && o->len == o->seg)
        return GWR_OK; /* empty segment: "//" */
    int rc = put(o, '/');
    o->seg = o->len;
    return rc;
}

static int
encoded_slash(norm_out *o, char decoded, char h1, char h2)
{
    if (o->flags & GWR_PATH__REJECT_ENCODED_SLASH)
        return GWR_E_INVAL;
    if (o->flags & GWR_PATH__DECODE_ENCODED_SLASH)
        return decoded == '/' ? end_segment(o, 1) : put(o, decoded);
    return put_escape(o, h1, h2);
}

int
gwr_path__normalize(gwr_str in, uint32_t flags, char *buf, size_t buflen,
                    gwr_str *out)
{
    norm_out o = { buf, buflen > 0 ? buflen - 1 : 0, 0, 0, flags };
    const char *p = in.ptr;
    size_t n = in.len;
    int rc;

    if (buflen < 2)
        return GWR_E_RANGE;
    if (n > 0 && p[0] != '/')
        return GWR_E_INVAL;
    buf[o.len++] = '/';
    o.seg = o.len;
    for (size_t i = 1; i < n; i++) {
        char c = p[i];
        unsigned char uc = (unsigned char)c;
        if (c == '/') {
            rc = end_segment(&o, 1);
        } else if (c == '%') {
            int h1 = i + 2 < n ? hex_val(p[i + 1]) : -1;
            int h2 = i + 2 < n ? hex_val(p[i + 2]) : -1;
            if (h1 < 0 || h2 < 0) {
                if (flags & GWR_PATH__REJECT_INVALID_ENCODING)
                    return GWR_E_INVAL;
                rc = put_byte_escaped(&o, '%');
            } else {
                char d = (char)(h1 * 16 + h2);
                if (d == '/' || d == '\\')
                    rc = encoded_slash(&o, d, p[i + 1], p[i + 2]);
                else if (is_unreserved(d) &&
                         (flags & GWR_PATH__DECODE_UNRESERVED))
                    rc = put(&o, d);
                else
                    rc = put_escape(&o, p[i + 1], p[i + 2]);
                i += 2;
            }
        } else if (uc <= 0x20 || uc >= 0x7f || c == '?' || c == '#') {
            return GWR_E_INVAL;
        } else if (c == '\\') {
            /* Some backends read '\' as '/', so a raw one follows the
             * encoded-slash policy instead of slipping past it. */
            if (flags & GWR_PATH__REJECT_ENCODED_SLASH)
                return GWR_E_INVAL;
            rc = (flags & GWR_PATH__DECODE_ENCODED_SLASH)
                     ? put(&o, c) : put_byte_escaped(&o, uc);
        } else if (needs_escape(c)) {
            rc = put_byte_escaped(&o, uc);
        } else {
            rc = put(&o, c);
        }
        if (rc != GWR_OK)
            return rc;
    }
    rc = end_segment(&o, 0);
    if (rc != GWR_OK)
        return rc;
    buf[o.len] = '\0';
    *out = (gwr_str){ buf, o.len };
    return GWR_OK;
}

/* The state of the normal-path scan: where the current segment started
 * and whether it is all '.' so far. */
typedef struct nscan {
    size_t seg;
    int only_dots;
} nscan;

/* One byte of the normal-path scan: 0 go on, 1 the path ends here ('?'
 * or '#'), -1 not normal. */
static int
nscan_byte(nscan *s, const char *p, size_t i, int merge, int dots)
{
    unsigned cls = path_class[(unsigned char)p[i]];
    if (cls == PC_PLAIN) {
        s->only_dots = 0;
    } else if (cls == PC_SLASH) {
        if (merge && i == s->seg)
            return -1;            /* "//" */
        if (dots && s->only_dots && (i - s->seg == 1 || i - s->seg == 2))
            return -1;            /* "/./" or "/../" */
        s->seg = i + 1;
        s->only_dots = 1;
    } else if (cls != PC_DOT) {
        return p[i] == '?' || p[i] == '#' ? 1 : -1;
    }
    return 0;
}

/* Advance the scan over bytes given as bit masks (bit k = byte base + k,
 * only the bits of valid taken, a run ending at bit width - 1): plain =
 * letters, digits, '-', '_', '~', '/'; slashes = '/'. 1 when every valid
 * byte is plain and the state was advanced, -1 not normal, 0 they need
 * the byte scan (a dot, an escape, '?', anything else). */
static int
nscan_bits(nscan *s, size_t base, unsigned valid, unsigned width,
           unsigned plain, unsigned slashes, int merge, int dots)
{
    if ((plain & valid) != valid)
        return 0;
    slashes &= valid;
    if (slashes == 0) {
        s->only_dots = 0;
        return 1;
    }
    size_t first = base + gwr_swar__low_bit(slashes);
    if (merge && (first == s->seg || (slashes & (slashes >> 1))))
        return -1;                /* "//" */
    /* The segment the first slash closes is all dots only when it began
     * before these bytes (no other byte of them precedes the slash). */
    if (dots && first == base + gwr_swar__low_bit(valid) && s->only_dots &&
        (first - s->seg == 1 || first - s->seg == 2))
        return -1;
    unsigned last = gwr_swar__high_bit(slashes);
    s->seg = base + last + 1;
    s->only_dots = last == width - 1;
    return 1;
}

/* Eight path bytes at i in one step (lib/swar.h); as nscan_bits(). */
static int
nscan_word(nscan *s, uint64_t w, size_t i, int merge, int dots)
{
    if (w & GWR_SWAR_HIGHS)
        return 0;
    uint64_t plain = gwr_swar__range(w, 'a', 'z') | gwr_swar__range(w, 'A', 'Z') |
                     gwr_swar__range(w, '/', '9') | gwr_swar__eq(w, '-') |
                     gwr_swar__eq(w, '_') | gwr_swar__eq(w, '~');
    return nscan_bits(s, i, 0xffu, 8, gwr_swar__bits(plain),
                      gwr_swar__bits(gwr_swar__eq(w, '/')), merge, dots);
}

/* The normal-path scan of in, stopping at the first '?' or '#': the
 * length of the path part, or SIZE_MAX when that part is not normal. */
static size_t
normal_prefix(gwr_str in, uint32_t flags)
{
    const char *p = in.ptr;
    size_t n = in.len;
    if (n == 0 || p[0] != '/')
        return SIZE_MAX;
    int merge = (flags & GWR_PATH__MERGE_SLASHES) != 0;
    int dots = (flags & GWR_PATH__REMOVE_DOT_SEGMENTS) != 0;
    nscan s = { 1, 1 };
    size_t i = 1;
#ifdef GWR_SIMD16
    /* 16 bytes per step; the last ones as the path's last 16 bytes with
     * the bytes already scanned masked off (never a read past the end). */
    while (i < n && n >= 17) {
        size_t base = n - i >= 16 ? i : n - 16;
        unsigned valid = (0xffffu << (i - base)) & 0xffffu;
        unsigned plain, slashes;
        gwr_simd__path16(p + base, &plain, &slashes);
        int r = nscan_bits(&s, base, valid, 16, plain, slashes, merge, dots);
        if (r < 0)
            return SIZE_MAX;
        if (r == 0) {
            for (; i < base + 16; i++) {
                r = nscan_byte(&s, p, i, merge, dots);
                if (r < 0)
                    return SIZE_MAX;
                if (r > 0)
                    goto out;
            }
        }
        i = base + 16;
    }
#endif
    while (i < n) {
        /* Whole words; the last few bytes (fewer than eight) one by one,
         * which measured cheaper than a masked word. */
        if (n - i >= 8) {
            int r = nscan_word(&s, gwr_swar__load(p + i), i, merge, dots);
            if (r < 0)
                return SIZE_MAX;
            if (r > 0) {
                i += 8;
                continue;
            }
        }
        /* A word the fast step cannot take, or the last bytes. */
        for (size_t e = n - i >= 8 ? i + 8 : n; i < e; i++) {
            int r = nscan_byte(&s, p, i, merge, dots);
            if (r < 0)
                return SIZE_MAX;
            if (r > 0)
                goto out;
        }
    }
out:
    if (dots && s.only_dots && (i - s.seg == 1 || i - s.seg == 2))
        return SIZE_MAX;
    return i;
}

int
gwr_path__split_normal(gwr_str target, uint32_t flags, gwr_str *path,
                       gwr_str *query)
{
    /* Nearly every real request path is already normal: plain pchar
     * bytes, no escapes, no empty or dot segments. One table lookup per
     * byte proves it, and the caller then uses the input as is, which is
     * exactly what gwr_path__normalize() would have written. */
    /* A target starting with '/' is origin-form, so the split is at the
     * first '?' or '#', which the normal-path scan stops at anyway: one
     * pass does both. */
    size_t end = normal_prefix(target, flags);
    if (end == SIZE_MAX)
        return 0;
    *path = (gwr_str){ target.ptr, end };
    if (end < target.len && target.ptr[end] == '?') {
        size_t q = end + 1;
        const char *hash = memchr(target.ptr + q, '#', target.len - q);
        size_t qe = hash != NULL ? (size_t)(hash - target.ptr) : target.len;
        *query = (gwr_str){ target.ptr + q, qe - q };
    } else {
        *query = (gwr_str){ NULL, 0 };
    }
    return 1;
}

/* ---- matching ------------------------------------------------------------ */

int
gwr_path__prefix_match(gwr_str prefix_value, gwr_str path)
{
    gwr_str p = prefix_value;
    if (p.len > 1 && p.ptr[p.len - 1] == '/')
        p.len--;
    if (p.len == 1 && p.ptr[0] == '/')
        return 1;
    if (!gwr_str__starts_with(path, p))
        return 0;
    /* element-wise: the prefix must end on a segment boundary */
    return path.len == p.len || path.ptr[p.len] == '/';
}

int
gwr_path__exact_match(gwr_str value, gwr_str path)
{
    return gwr_str__eq(value, path);
}

static int
contains(gwr_str s, const char *needle)
{
    size_t k = strlen(needle);
    if (s.len < k)
        return 0;
    for (size_t i = 0; i + k <= s.len; i++) {
        if (memcmp(s.ptr + i, needle, k) == 0)
            return 1;
    }
    return 0;
}

static int
ends_with(gwr_str s, const char *suffix)
{
    return gwr_str__ends_with(s, gwr_str__from_cstr(suffix));
}

const char *
gwr_path__check_match_value(gwr_str v)
{
    if (v.len > MATCH_VALUE_MAX)
        return "must be at most 1024 characters";
    if (v.len == 0 || v.ptr[0] != '/')
        return "must start with '/'";
    static const char *const forbidden[] = {
        "//", "/./", "/../", "%2f", "%2F", "#",
    };
    static const char *const forbidden_msg[] = {
        "must not contain '//'", "must not contain '/./'",
        "must not contain '/../'", "must not contain '%2f'",
        "must not contain '%2F'", "must not contain '#'",
    };
    for (size_t i = 0; i < GWR_ARRAY_LEN(forbidden); i++) {
        if (contains(v, forbidden[i]))
            return forbidden_msg[i];
    }
    if (ends_with(v, "/.."))
        return "must not end with '/..'";
    if (ends_with(v, "/."))
        return "must not end with '/.'";
    for (size_t i = 0; i < v.len; i++) {
        char c = v.ptr[i];
        if (c == '%') {
            if (i + 2 < v.len && hex_val(v.ptr[i + 1]) >= 0 &&
                hex_val(v.ptr[i + 2]) >= 0) {
                i += 2;
                continue;
            }
        } else if (is_alnum(c) || (c != '\0' && strchr("-/._~!$&'()*+,;=:@",
                                                       c) != NULL)) {
            continue;
        }
        return "must only contain characters matching "
               "^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$";
    }
    return NULL;
}

/* ---- ReplacePrefixMatch -------------------------------------------------- */

int
gwr_path__replace_prefix(gwr_str matched_prefix, gwr_str request_path,
                         gwr_str replacement, char *buf, size_t buflen,
                         gwr_str *out)
{
    if (!gwr_path__prefix_match(matched_prefix, request_path))
        return GWR_E_INVAL;
    size_t plen = matched_prefix.len;
    if (plen > 0 && matched_prefix.ptr[plen - 1] == '/')
        plen--; /* "/" gives "": the whole path is the rest */
    /* An empty view may have a NULL ptr: never do arithmetic on it. */
    gwr_str rest = { request_path.len > 0 ? request_path.ptr + plen : "",
                     request_path.len - plen };
    gwr_str x = replacement;
    if (x.len > 0 && x.ptr[x.len - 1] == '/')
        x.len--;
    size_t total = x.len + rest.len;
    if (total == 0) {
        if (buflen < 2)
            return GWR_E_RANGE;
        buf[0] = '/';
        buf[1] = '\0';
        *out = (gwr_str){ buf, 1 };
        return GWR_OK;
    }
    if (total >= buflen)
        return GWR_E_RANGE;
    if (x.len > 0)
        memcpy(buf, x.ptr, x.len);
    if (rest.len > 0)
        memcpy(buf + x.len, rest.ptr, rest.len);
    buf[total] = '\0';
    *out = (gwr_str){ buf, total };
    return GWR_OK;
}

gwr_str
gwr_path__pct_decode(gwr_str s, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        int h1 = i + 2 < s.len ? hex_val(s.ptr[i + 1]) : -1;
        int h2 = i + 2 < s.len ? hex_val(s.ptr[i + 2]) : -1;
        if (s.ptr[i] == '%' && h1 >= 0 && h2 >= 0) {
            out[n++] = (char)(h1 * 16 + h2);
            i += 2;
        } else {
            out[n++] = s.ptr[i];
        }
    }
    gwr_str r = { n ? out : "", n };
    return r;
}
