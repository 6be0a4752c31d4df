/*
 * libgwroute fuzz target - SPDX-License-Identifier: MIT
 *
 * Request paths (lib/path.h), the first thing a hostile request-target
 * reaches. Input: byte 0 is a separator S, the rest is
 * TARGET S PREFIX S REPLACEMENT S BUFLEN-BYTES. Checked:
 *   - gwr_path__split returns views inside the target;
 *   - gwr_path__split_normal (the matcher's fast path), where it answers
 *     "normal", splits the same way and the normalizer agrees byte for byte;
 *   - gwr_path__normalize under all 128 flag combinations: the output is
 *     a well-formed absolute path honouring each flag, within the
 *     documented size bound; normalizing it again gives the same output
 *     (idempotence); a buffer of exactly out.len + 1 bytes works, one
 *     byte less is GWR_E_RANGE, any other size is RANGE or the same
 *     output;
 *   - gwr_path__check_match_value against the §7.2 rules, written
 *     independently;
 *   - gwr_path__prefix_match (for valid values) against a segment-wise
 *     reference, gwr_path__exact_match reflexive;
 *   - gwr_path__replace_prefix: OK exactly when the prefix matches, the
 *     result is replacement + rest, exact-size buffer edges.
 */
#include "fuzz-common.h"
#include "path.h"

static int
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

static int
hexv(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static int
has(gwr_str s, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= s.len; i++)
        if (memcmp(s.ptr + i, needle, k) == 0)
            return 1;
    return 0;
}

static int
ends(gwr_str s, const char *suffix)
{
    size_t k = strlen(suffix);
    return s.len >= k && memcmp(s.ptr + s.len - k, suffix, k) == 0;
}

/* §7.2 for Exact / PathPrefix values, independently written. */
static int
ref_valid_match_value(gwr_str v)
{
    if (v.len == 0 || v.len > 1024 || v.ptr[0] != '/')
        return 0;
    if (memchr(v.ptr, '\0', v.len) != NULL)
        return 0;
    if (has(v, "//") || has(v, "/./") || has(v, "/../") || has(v, "%2f") ||
        has(v, "%2F") || has(v, "#") || ends(v, "/..") || ends(v, "/."))
        return 0;
    /* ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$ */
    static const char ok[] = "-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                             "qrstuvwxyz0123456789/._~!$&'()*+,;=:@";
    for (size_t i = 0; i < v.len; i++) {
        if (v.ptr[i] == '%' && i + 2 < v.len && is_hex(v.ptr[i + 1]) &&
            is_hex(v.ptr[i + 2]))
            i += 2;
        else if (strchr(ok, v.ptr[i]) == NULL)
            return 0;
    }
    return 1;
}

/* Is segment [s, s+n) "." or ".." (literal or %2e)? */
static int
is_dot_segment(const char *s, size_t n)
{
    size_t i = 0, dots = 0;
    while (i < n) {
        if (s[i] == '.')
            i++;
        else if (i + 3 <= n && s[i] == '%' && s[i + 1] == '2' &&
                 (s[i + 2] == 'e' || s[i + 2] == 'E'))
            i += 3;
        else
            return 0;
        dots++;
    }
    return dots == 1 || dots == 2;
}

/* Everything a successful normalization promises about its output. */
static void
check_output(gwr_str in, uint32_t flags, gwr_str out)
{
    FUZZ_CHECK(out.len >= 1 && out.ptr[0] == '/');
    FUZZ_CHECK(out.ptr[out.len] == '\0');
    FUZZ_CHECK(out.len <= 3 * in.len + 1);
    int escaped = 0;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c != '\0' && strchr("\"<>[]^`{|}", c) != NULL)
            escaped = 1;
        if (c == '\\' && !(flags & GWR_PATH__DECODE_ENCODED_SLASH))
            escaped = 1;
        if (c == '%' && !(i + 2 < in.len && is_hex(in.ptr[i + 1]) &&
                          is_hex(in.ptr[i + 2])))
            escaped = 1;
    }
    if (!escaped)
        FUZZ_CHECK(out.len <= (in.len > 1 ? in.len : 1));
    size_t seg = 1;
    for (size_t i = 0; i < out.len; i++) {
        unsigned char c = (unsigned char)out.ptr[i];
        FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '?' && c != '#');
        FUZZ_CHECK(strchr("\"<>[]^`{|}", c) == NULL);
        if (c == '\\')
            FUZZ_CHECK((flags & GWR_PATH__DECODE_ENCODED_SLASH) &&
                       !(flags & GWR_PATH__REJECT_ENCODED_SLASH));
        if (c == '%') {
            FUZZ_CHECK(i + 2 < out.len && is_hex(out.ptr[i + 1]) &&
                       is_hex(out.ptr[i + 2]));
            char h1 = out.ptr[i + 1], h2 = out.ptr[i + 2];
            char d = (char)(hexv(h1) * 16 + hexv(h2));
            if (flags & GWR_PATH__UPPERCASE_ESCAPES)
                FUZZ_CHECK(!(h1 >= 'a' && h1 <= 'f') &&
                           !(h2 >= 'a' && h2 <= 'f'));
            if (flags & GWR_PATH__REJECT_ENCODED_SLASH)
                FUZZ_CHECK(d != '/' && d != '\\');
            else if (flags & GWR_PATH__DECODE_ENCODED_SLASH)
                FUZZ_CHECK(d != '/' && d != '\\');
            if (flags & GWR_PATH__DECODE_UNRESERVED) {
                int unres = (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') ||
                            (d >= '0' && d <= '9') || d == '-' || d == '.' ||
                            d == '_' || d == '~';
                FUZZ_CHECK(!unres);
            }
        }
        if (i > 0 && (c == '/' || i + 1 == out.len)) {
            size_t end = c == '/' ? i : i + 1;
            if (flags & GWR_PATH__REMOVE_DOT_SEGMENTS)
                FUZZ_CHECK(!is_dot_segment(out.ptr + seg, end - seg));
            if (c == '/' && i > 0 && (flags & GWR_PATH__MERGE_SLASHES))
                FUZZ_CHECK(out.ptr[i - 1] != '/');
            seg = i + 1;
        }
    }
}

/* Normalize into a heap buffer of exactly buflen bytes. */
static int
normalize_n(gwr_str in, uint32_t flags, size_t buflen, char **buf,
            gwr_str *out)
{
    *buf = malloc(buflen > 0 ? buflen : 1);
    if (*buf == NULL)
        abort();
    return gwr_path__normalize(in, flags, *buf, buflen, out);
}

/* The fast path of the matcher: when gwr_path__split_normal calls the
 * target's path normal, it splits exactly as gwr_path__split and the
 * normalizer returns that path byte for byte. */
static void
check_split_normal(gwr_str tgt, gwr_str path, gwr_str query, uint32_t flags)
{
    gwr_str np, nq;
    if (!gwr_path__split_normal(tgt, flags, &np, &nq))
        return;
    FUZZ_CHECK(np.ptr == path.ptr && np.len == path.len);
    FUZZ_CHECK(nq.ptr == query.ptr && nq.len == query.len);
    char *buf = malloc(3 * path.len + 2);
    FUZZ_CHECK(buf != NULL);
    gwr_str out;
    FUZZ_CHECK(gwr_path__normalize(path, flags, buf, 3 * path.len + 2, &out) ==
               GWR_OK);
    FUZZ_CHECK(out.len == path.len && memcmp(out.ptr, path.ptr, path.len) == 0);
    free(buf);
}

static void
check_normalize(gwr_str in, uint32_t flags, size_t odd_buflen)
{
    size_t big = 3 * in.len + 2;
    char *buf;
    gwr_str out = { NULL, 0 };
    int rc = normalize_n(in, flags, big, &buf, &out);
    FUZZ_CHECK(rc == GWR_OK || rc == GWR_E_INVAL);
    if (rc != GWR_OK) {
        FUZZ_CHECK(out.ptr == NULL);
        free(buf);
        return;
    }
    FUZZ_CHECK(out.ptr == buf);
    check_output(in, flags, out);

    /* idempotence */
    char *buf2;
    gwr_str again;
    rc = normalize_n(out, flags, 3 * out.len + 2, &buf2, &again);
    if (rc != GWR_OK || again.len != out.len ||
        memcmp(again.ptr, out.ptr, out.len) != 0) {
        fprintf(stderr,
                "flags 0x%02x: \"%.*s\" -> \"%.*s\" -> rc %d \"%.*s\"\n",
                (unsigned)flags, (int)in.len, in.ptr, (int)out.len, out.ptr,
                rc, rc == GWR_OK ? (int)again.len : 0,
                rc == GWR_OK ? again.ptr : "");
        FUZZ_CHECK(!"normalization is idempotent");
    }
    free(buf2);

    /* Buffer edges. The buffer doubles as the segment stack, so a
     * buffer of exactly out.len + 1 bytes may still be too small for an
     * intermediate state ("/a/b/.." is written before "b/.." goes): the
     * contract is GWR_E_RANGE or the very same output, and always
     * GWR_E_RANGE when the output cannot fit. */
    size_t sizes[3] = { out.len + 1, out.len, odd_buflen };
    for (int k = 0; k < 3; k++) {
        gwr_str o2 = { NULL, 0 };
        rc = normalize_n(in, flags, sizes[k], &buf2, &o2);
        if (sizes[k] <= out.len)
            FUZZ_CHECK(rc == GWR_E_RANGE && o2.ptr == NULL);
        else
            FUZZ_CHECK(rc == GWR_E_RANGE ||
                       (rc == GWR_OK && o2.len == out.len &&
                        memcmp(o2.ptr, out.ptr, out.len) == 0));
        free(buf2);
    }
    free(buf);
}

/* PathPrefix by segments: the value's segments (one trailing empty one
 * dropped) are the first segments of the path. */
static int
ref_prefix(gwr_str v, gwr_str path)
{
    size_t vi = 1, pi = 1;
    if (path.len == 0 || path.ptr[0] != '/')
        return -1; /* not a path this reference speaks about */
    if (v.len > 1 && v.ptr[v.len - 1] == '/')
        v.len--;
    if (v.len == 1)
        return 1;
    while (vi <= v.len) {
        size_t ve = vi, pe = pi;
        while (ve < v.len && v.ptr[ve] != '/')
            ve++;
        while (pe < path.len && path.ptr[pe] != '/')
            pe++;
        if (pi > path.len)
            return 0;
        if (ve - vi != pe - pi || memcmp(v.ptr + vi, path.ptr + pi, ve - vi))
            return 0;
        vi = ve + 1;
        pi = pe + 1;
    }
    return 1;
}

static void
check_replace(gwr_str prefix, gwr_str path, gwr_str repl)
{
    int m = gwr_path__prefix_match(prefix, path);
    size_t big = path.len + repl.len + 2;
    char *buf = malloc(big);
    if (buf == NULL)
        abort();
    gwr_str out = { NULL, 0 };
    int rc = gwr_path__replace_prefix(prefix, path, repl, buf, big, &out);
    if (!m) {
        FUZZ_CHECK(rc == GWR_E_INVAL && out.ptr == NULL);
        free(buf);
        return;
    }
    FUZZ_CHECK(rc == GWR_OK && out.ptr == buf && out.ptr[out.len] == '\0');
    /* X' (one trailing '/' off) + the rest after the matched prefix */
    gwr_str x = repl, p = prefix;
    if (x.len > 0 && x.ptr[x.len - 1] == '/')
        x.len--;
    if (p.len > 0 && p.ptr[p.len - 1] == '/')
        p.len--;
    size_t rest = path.len - p.len;
    if (x.len + rest == 0) {
        FUZZ_CHECK(out.len == 1 && out.ptr[0] == '/');
    } else {
        FUZZ_CHECK(out.len == x.len + rest);
        FUZZ_CHECK(x.len == 0 || memcmp(out.ptr, x.ptr, x.len) == 0);
        FUZZ_CHECK(rest == 0 ||
                   memcmp(out.ptr + x.len, path.ptr + p.len, rest) == 0);
    }
    char *b2 = malloc(out.len + 1);
    if (b2 == NULL)
        abort();
    gwr_str o2;
    rc = gwr_path__replace_prefix(prefix, path, repl, b2, out.len + 1, &o2);
    FUZZ_CHECK(rc == GWR_OK && o2.len == out.len &&
               memcmp(o2.ptr, out.ptr, out.len) == 0);
    o2 = (gwr_str){ NULL, 0 };
    rc = gwr_path__replace_prefix(prefix, path, repl, b2, out.len, &o2);
    FUZZ_CHECK(rc == GWR_E_RANGE && o2.ptr == NULL);
    free(b2);
    free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    fuzz_in in = { data + 1, size - 1 };
    uint8_t sep = data[0];
    const char *f[3];
    size_t fl[3];
    for (int i = 0; i < 3; i++)
        fuzz_field(&in, sep, &f[i], &fl[i]);
    size_t odd_buflen = fuzz_u16(&in) % 64;

    /* exact-size heap copies: ASan sees any read past a view */
    char *target = fuzz_dup(f[0], fl[0]);
    char *prefix_c = fuzz_dup(f[1], fl[1]);
    char *repl_c = fuzz_dup(f[2], fl[2]);
    gwr_str tgt = { target, target ? fl[0] : 0 };
    gwr_str prefix = { prefix_c, prefix_c ? fl[1] : 0 };
    gwr_str repl = { repl_c, repl_c ? fl[2] : 0 };

    gwr_str path, query;
    gwr_path__split(tgt, &path, &query);
    FUZZ_CHECK(path.len <= tgt.len);
    if (path.len > 0)
        FUZZ_CHECK(path.ptr >= tgt.ptr &&
                   path.ptr + path.len <= tgt.ptr + tgt.len);
    FUZZ_CHECK(memchr(path.ptr ? path.ptr : "", '?', path.len) == NULL);
    if (query.ptr != NULL) {
        FUZZ_CHECK(query.ptr > tgt.ptr && query.ptr[-1] == '?' &&
                   query.ptr + query.len <= tgt.ptr + tgt.len);
        FUZZ_CHECK(memchr(query.ptr, '#', query.len) == NULL);
    }

    for (uint32_t flags = 0; flags < 0x80; flags++) {
        check_normalize(path, flags, odd_buflen);
        check_split_normal(tgt, path, query, flags);
    }

    /* the config-side rule, against the reference */
    const char *msg = gwr_path__check_match_value(prefix);
    FUZZ_CHECK((msg == NULL) == ref_valid_match_value(prefix));
    FUZZ_CHECK(gwr_path__exact_match(prefix, prefix) == 1);
    int same = prefix.len == path.len &&
               (path.len == 0 || memcmp(prefix.ptr, path.ptr, path.len) == 0);
    FUZZ_CHECK(gwr_path__exact_match(prefix, path) == same);

    /* matching and rewriting, on what reaches them in the library: a
     * validated config value against the normalized request path, or
     * against the raw path (GWR_COMPILE_NO_NORMALIZATION) */
    if (msg == NULL) {
        FUZZ_CHECK(gwr_path__prefix_match(prefix, prefix) == 1);
        char nb[8192 * 3 + 2];
        gwr_str norm;
        if (gwr_path__normalize(path, GWR_PATH__DEFAULT, nb, sizeof(nb),
                                &norm) == GWR_OK) {
            int r = ref_prefix(prefix, norm);
            FUZZ_CHECK(r == gwr_path__prefix_match(prefix, norm));
            check_replace(prefix, norm, repl);
        }
        int r = ref_prefix(prefix, path);
        if (r >= 0)
            FUZZ_CHECK(r == gwr_path__prefix_match(prefix, path));
        check_replace(prefix, path, repl);
    }
    free(target);
    free(prefix_c);
    free(repl_c);
    return 0;
}
