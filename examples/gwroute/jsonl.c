/*
 * gwroute - strict JSON reader for batch request lines (RFC 8259).
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

typedef struct jp {
    const char *p, *end;
    const char *err;
    int depth;
} jp;

static void
ws(jp *j)
{
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

static int
bad(jp *j, const char *msg)
{
    if (j->err == NULL)
        j->err = msg;
    return -1;
}

static int
hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t
put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A string; *out (may be NULL to skip) receives a malloc'd decoded copy. */
static int
str(jp *j, char **out, size_t *len)
{
    if (j->p >= j->end || *j->p != '"')
        return bad(j, "expected a string");
    j->p++;
    /* Decoded output is never longer than the escaped input. */
    char *o = malloc((size_t)(j->end - j->p) + 1);
    if (o == NULL)
        return bad(j, "out of memory");
    size_t n = 0;
    for (;;) {
        if (j->p >= j->end) {
            free(o);
            return bad(j, "unterminated string");
        }
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            break;
        if (c < 0x20) {
            free(o);
            return bad(j, "control character in string");
        }
        if (c != '\\') {
            o[n++] = (char)c;
            continue;
        }
        if (j->p >= j->end) {
            free(o);
            return bad(j, "unterminated escape");
        }
        char e = *j->p++;
        switch (e) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (j->end - j->p < 4 || hex4(j->p, &cp) != 0) {
                free(o);
                return bad(j, "bad \\u escape");
            }
            j->p += 4;
            if (cp >= 0xd800 && cp < 0xdc00) {
                unsigned lo;
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
                    hex4(j->p + 2, &lo) != 0 || lo < 0xdc00 || lo >= 0xe000) {
                    free(o);
                    return bad(j, "unpaired surrogate");
                }
                j->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                free(o);
                return bad(j, "unpaired surrogate");
            }
            n += put_utf8(o + n, cp);
            break;
        }
        default:
            free(o);
            return bad(j, "bad escape");
        }
    }
    o[n] = '\0';
    if (out != NULL) {
        *out = o;
        if (len)
            *len = n;
    } else {
        free(o);
    }
    return 0;
}

static int
number(jp *j, double *out)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
        return bad(j, "expected a number");
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return bad(j, "bad number");
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return bad(j, "bad number");
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    char tmp[64];
    size_t n = (size_t)(j->p - s);
    if (n >= sizeof(tmp))
        return bad(j, "number too long");
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return 0;
}

static int
lit(jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return bad(j, "unexpected token");
    j->p += n;
    return 0;
}

static int value(jp *j);

static int
skip_container(jp *j, char open, char close)
{
    if (++j->depth > 64)
        return bad(j, "nesting too deep");
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return 0;
    }
    for (;;) {
        ws(j);
        if (open == '{') {
            if (str(j, NULL, NULL) != 0)
                return -1;
            ws(j);
            if (j->p >= j->end || *j->p != ':')
                return bad(j, "expected ':'");
            j->p++;
            ws(j);
        }
        if (value(j) != 0)
            return -1;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return 0;
        }
        return bad(j, "expected ',' or a closing bracket");
    }
}

static int
value(jp *j)
{
    ws(j);
    if (j->p >= j->end)
        return bad(j, "unexpected end of line");
    double d;
    switch (*j->p) {
    case '"': return str(j, NULL, NULL);
    case '{': return skip_container(j, '{', '}');
    case '[': return skip_container(j, '[', ']');
    case 't': return lit(j, "true");
    case 'f': return lit(j, "false");
    case 'n': return lit(j, "null");
    default: return number(j, &d);
    }
}

static int
headers(jp *j, jreq *r)
{
    if (j->p >= j->end || *j->p != '[')
        return bad(j, "\"headers\" must be an array of [name, value] pairs");
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
    }
    for (;;) {
        ws(j);
        if (j->p >= j->end || *j->p != '[')
            return bad(j, "\"headers\" must be an array of [name, value] pairs");
        j->p++;
        ws(j);
        if (r->n_headers == JREQ_MAX_HEADERS)
            return bad(j, "too many headers");
        size_t i = r->n_headers;
        if (str(j, &r->hname[i], &r->hlen[i][0]) != 0)
            return -1;
        r->hvalue[i] = NULL;
        r->n_headers++;
        ws(j);
        if (j->p >= j->end || *j->p != ',')
            return bad(j, "a header pair needs two strings");
        j->p++;
        ws(j);
        if (str(j, &r->hvalue[i], &r->hlen[i][1]) != 0)
            return -1;
        ws(j);
        if (j->p >= j->end || *j->p != ']')
            return bad(j, "a header pair needs exactly two strings");
        j->p++;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            return 0;
        }
        return bad(j, "expected ',' or ']' in \"headers\"");
    }
}

static int
member_str(jp *j, char **dst, size_t *len, const char *name)
{
    if (*dst != NULL)
        return bad(j, "duplicate member");
    (void)name;
    if (j->p >= j->end || *j->p != '"')
        return bad(j, "string member expected");
    return str(j, dst, len);
}

int
jreq_parse(const char *line, size_t len, jreq *r, const char **err)
{
    memset(r, 0, sizeof(*r));
    r->port = -1;
    jp j = { line, line + len, NULL, 0 };
    ws(&j);
    if (j.p >= j.end || *j.p != '{') {
        *err = "a request must be a JSON object";
        return -1;
    }
    j.p++;
    ws(&j);
    int first = 1;
    while (j.p < j.end && *j.p != '}') {
        if (!first) {
            if (*j.p != ',') {
                bad(&j, "expected ',' or '}'");
                goto fail;
            }
            j.p++;
            ws(&j);
        }
        first = 0;
        char *key = NULL;
        if (str(&j, &key, NULL) != 0)
            goto fail;
        ws(&j);
        if (j.p >= j.end || *j.p != ':') {
            free(key);
            bad(&j, "expected ':'");
            goto fail;
        }
        j.p++;
        ws(&j);
        int rc;
        if (strcmp(key, "method") == 0)
            rc = member_str(&j, &r->method, &r->method_len, key);
        else if (strcmp(key, "host") == 0)
            rc = member_str(&j, &r->host, &r->host_len, key);
        else if (strcmp(key, "path") == 0)
            rc = member_str(&j, &r->path, &r->path_len, key);
        else if (strcmp(key, "scheme") == 0)
            rc = member_str(&j, &r->scheme, &r->scheme_len, key);
        else if (strcmp(key, "id") == 0)
            rc = member_str(&j, &r->id, &r->id_len, key);
        else if (strcmp(key, "sni") == 0)
            rc = member_str(&j, &r->sni, &r->sni_len, key);
        else if (strcmp(key, "headers") == 0)
            rc = headers(&j, r);
        else if (strcmp(key, "port") == 0) {
            double d;
            rc = number(&j, &d);
            if (rc == 0 && (d < 1 || d > 65535 || d != (double)(long)d))
                rc = bad(&j, "\"port\" must be an integer 1..65535");
            if (rc == 0)
                r->port = (long)d;
        } else
            rc = value(&j);   /* unknown member: skipped */
        free(key);
        if (rc != 0)
            goto fail;
        ws(&j);
    }
    if (j.p >= j.end) {
        bad(&j, "unterminated object");
        goto fail;
    }
    j.p++;
    ws(&j);
    if (j.p != j.end) {
        bad(&j, "trailing characters after the object");
        goto fail;
    }
    if (r->path == NULL) {
        bad(&j, "\"path\" is required");
        goto fail;
    }
    return 0;
fail:
    *err = j.err ? j.err : "malformed JSON";
    jreq_free(r);
    return -1;
}

void
jreq_free(jreq *r)
{
    free(r->method);
    free(r->host);
    free(r->path);
    free(r->scheme);
    free(r->id);
    free(r->sni);
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->hname[i]);
        free(r->hvalue[i]);
    }
    memset(r, 0, sizeof(*r));
    r->port = -1;
}
