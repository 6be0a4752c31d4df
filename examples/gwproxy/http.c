/*
 * gwproxy - HTTP/1.1 head parser and body decoder. SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

int
http_str_ieq(gwr_str a, const char *b)
{
    size_t n = strlen(b);
    if (a.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a.ptr[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

void
http_head_clear(http_head *h)
{
    free(h->raw);
    free(h->headers);
    memset(h, 0, sizeof(*h));
}

int
http_fields_add(http_fields *f, const char *name, size_t nlen,
                const char *value, size_t vlen)
{
    if (f->n == HTTP_MAX_HEADERS)
        return -1;
    if (f->v == NULL) {
        f->v = calloc(HTTP_MAX_HEADERS, sizeof(*f->v));
        if (f->v == NULL)
            return -1;
    }
    /* One block per field: "name\0value\0"; freed through name.ptr. */
    char *p = malloc(nlen + vlen + 2);
    if (p == NULL)
        return -1;
    memcpy(p, name, nlen);
    p[nlen] = '\0';
    memcpy(p + nlen + 1, value, vlen);
    p[nlen + 1 + vlen] = '\0';
    f->v[f->n].name.ptr = p;
    f->v[f->n].name.len = nlen;
    f->v[f->n].value.ptr = p + nlen + 1;
    f->v[f->n].value.len = vlen;
    f->n++;
    return 0;
}

void
http_fields_clear(http_fields *f)
{
    for (size_t i = 0; i < f->n; i++)
        free((char *)(uintptr_t)f->v[i].name.ptr);
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

void
http_fields_move(http_fields *dst, http_fields *src)
{
    http_fields_clear(dst);
    *dst = *src;
    src->v = NULL;
    src->n = 0;
}

static gwr_str
trim(const char *p, size_t n)
{
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    gwr_str s = { p, n };
    return s;
}

static int
is_tchar(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Split the head into lines; parse header fields after the start line.
 * The start line is returned through *line / *line_len. */
static int
parse_common(struct evbuffer *in, http_head *h, char **line, size_t *line_len)
{
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if (end.pos < 0) {
        if (evbuffer_get_length(in) > HTTP_MAX_HEAD)
            return -1;
        return 0;
    }
    if ((size_t)end.pos + 4 > HTTP_MAX_HEAD)
        return -1;
    size_t n = (size_t)end.pos + 4;
    memset(h, 0, sizeof(*h));
    h->raw = malloc(n + 1);
    h->headers = calloc(HTTP_MAX_HEADERS, sizeof(gwr_header));
    if (h->raw == NULL || h->headers == NULL) {
        http_head_clear(h);
        return -1;
    }
    evbuffer_remove(in, h->raw, n);
    h->raw[n] = '\0';
    char *p = h->raw, *stop = h->raw + n - 2; /* the final CRLF */
    char *eol = strstr(p, "\r\n");
    *line = p;
    *line_len = (size_t)(eol - p);
    *eol = '\0';
    p = eol + 2;
    while (p < stop) {
        eol = strstr(p, "\r\n");
        char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon == NULL || colon == p || h->n_headers == HTTP_MAX_HEADERS)
            goto bad;
        for (char *q = p; q < colon; q++)
            if (!is_tchar((unsigned char)*q))
                goto bad;
        for (char *q = colon + 1; q < eol; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t')
                goto bad;
        gwr_header *f = &h->headers[h->n_headers++];
        f->name.ptr = p;
        f->name.len = (size_t)(colon - p);
        f->value = trim(colon + 1, (size_t)(eol - colon - 1));
        /* NUL-terminate values in place (the CR is not needed). */
        ((char *)f->value.ptr)[f->value.len] = '\0';
        p = eol + 2;
    }
    return 1;
bad:
    http_head_clear(h);
    return -1;
}

static int
parse_version(const char *v, size_t n, int *minor)
{
    if (n != 8 || memcmp(v, "HTTP/1.", 7) != 0 || (v[7] != '0' && v[7] != '1'))
        return -1;
    *minor = v[7] - '0';
    return 0;
}

int
http_parse_request(struct evbuffer *in, http_head *h)
{
    char *line;
    size_t len;
    int rc = parse_common(in, h, &line, &len);
    if (rc <= 0)
        return rc;
    char *sp1 = memchr(line, ' ', len);
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;
    if (sp1 == NULL || sp2 == NULL || sp1 == line || sp2 == sp1 + 1)
        goto bad;
    for (char *q = line; q < sp1; q++)
        if (!is_tchar((unsigned char)*q))
            goto bad;
    h->method.ptr = line;
    h->method.len = (size_t)(sp1 - line);
    h->target.ptr = sp1 + 1;
    h->target.len = (size_t)(sp2 - sp1 - 1);
    if (parse_version(sp2 + 1, len - (size_t)(sp2 + 1 - line), &h->minor) != 0)
        goto bad;
    *sp1 = '\0';
    *sp2 = '\0';
    return 1;
bad:
    http_head_clear(h);
    return -1;
}

int
http_parse_response(struct evbuffer *in, http_head *h)
{
    char *line;
    size_t len;
    int rc = parse_common(in, h, &line, &len);
    if (rc <= 0)
        return rc;
    if (len < 12 || parse_version(line, 8, &h->minor) != 0 || line[8] != ' ' ||
        !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
        !isdigit((unsigned char)line[11]) || (len > 12 && line[12] != ' ')) {
        http_head_clear(h);
        return -1;
    }
    h->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (h->status < 100) {
        http_head_clear(h);
        return -1;
    }
    h->reason = len > 13 ? trim(line + 13, len - 13) : (gwr_str){ "", 0 };
    return 1;
}

gwr_str
http_header(const http_head *h, const char *name)
{
    for (size_t i = 0; i < h->n_headers; i++)
        if (http_str_ieq(h->headers[i].name, name))
            return h->headers[i].value;
    gwr_str none = { NULL, 0 };
    return none;
}

int
http_list_has(gwr_str list, gwr_str token)
{
    const char *p = list.ptr, *e = list.ptr + list.len;
    while (p < e) {
        const char *c = memchr(p, ',', (size_t)(e - p));
        if (c == NULL)
            c = e;
        gwr_str t = trim(p, (size_t)(c - p));
        if (t.len == token.len && t.len > 0 &&
            strncasecmp(t.ptr, token.ptr, t.len) == 0)
            return 1;
        p = c + 1;
    }
    return 0;
}

int
http_header_has_token(const http_head *h, const char *name, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i < h->n_headers; i++) {
        if (!http_str_ieq(h->headers[i].name, name))
            continue;
        const char *p = h->headers[i].value.ptr;
        const char *e = p + h->headers[i].value.len;
        while (p < e) {
            const char *c = memchr(p, ',', (size_t)(e - p));
            if (c == NULL)
                c = e;
            gwr_str t = trim(p, (size_t)(c - p));
            if (t.len == tl && strncasecmp(t.ptr, token, tl) == 0)
                return 1;
            p = c + 1;
        }
    }
    return 0;
}

int
http_is_connection_listed(const gwr_header *h, size_t n, gwr_str name)
{
    for (size_t i = 0; i < n; i++)
        if (http_str_ieq(h[i].name, "connection") &&
            http_list_has(h[i].value, name))
            return 1;
    return 0;
}

int
http_is_hop_by_hop(gwr_str name)
{
    static const char *const hop[] = {
        "connection", "keep-alive", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade", "proxy-authenticate",
        "proxy-authorization", "content-length", "host",
    };
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        if (http_str_ieq(name, hop[i]))
            return 1;
    return 0;
}

static int
parse_length(gwr_str v, uint64_t *out)
{
    if (v.len == 0 || v.len > 18)
        return -1;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (!isdigit((unsigned char)v.ptr[i]))
            return -1;
        n = n * 10 + (uint64_t)(v.ptr[i] - '0');
    }
    *out = n;
    return 0;
}

/* Content-Length, checking that repeated fields agree. */
static int
content_length(const http_head *h, int *present, uint64_t *out)
{
    *present = 0;
    for (size_t i = 0; i < h->n_headers; i++) {
        if (!http_str_ieq(h->headers[i].name, "content-length"))
            continue;
        uint64_t n;
        if (parse_length(h->headers[i].value, &n) != 0)
            return -1;
        if (*present && n != *out)
            return -1;
        *present = 1;
        *out = n;
    }
    return 0;
}

static int
framing(body_reader *br, const http_head *h, int is_request)
{
    memset(br, 0, sizeof(*br));
    int has_te = 0;
    for (size_t i = 0; i < h->n_headers; i++)
        if (http_str_ieq(h->headers[i].name, "transfer-encoding"))
            has_te = 1;
    int has_cl;
    uint64_t cl = 0;
    if (content_length(h, &has_cl, &cl) != 0)
        return -1;
    if (has_te) {
        /* Only "chunked" (last) is understood; anything else, or both
         * framings at once, is refused (request smuggling). */
        gwr_str te = http_header(h, "transfer-encoding");
        if (!http_str_ieq(te, "chunked") || has_cl)
            return -1;
        br->mode = BODY_CHUNKED;
        br->chunk_state = CH_SIZE;
        return 0;
    }
    if (has_cl) {
        br->mode = cl ? BODY_LENGTH : BODY_NONE;
        br->remaining = cl;
        br->done = cl == 0;
        return 0;
    }
    br->mode = is_request ? BODY_NONE : BODY_CLOSE;
    br->done = is_request;
    return 0;
}

int
body_reader_request(body_reader *br, const http_head *h)
{
    return framing(br, h, 1);
}

int
body_reader_response(body_reader *br, const http_head *h, gwr_str method)
{
    if (http_str_ieq(method, "HEAD") || h->status == 204 || h->status == 304 ||
        (h->status >= 100 && h->status < 200)) {
        memset(br, 0, sizeof(*br));
        br->mode = BODY_NONE;
        br->done = 1;
        return 0;
    }
    return framing(br, h, 0);
}

int
body_reader_run(body_reader *br, struct evbuffer *in, struct evbuffer *out)
{
    for (;;) {
        if (br->done)
            return 1;
        switch (br->mode) {
        case BODY_NONE:
            br->done = 1;
            return 1;
        case BODY_CLOSE:
            evbuffer_remove_buffer(in, out, evbuffer_get_length(in));
            return 0;
        case BODY_LENGTH: {
            size_t avail = evbuffer_get_length(in);
            size_t take = avail < br->remaining ? avail : (size_t)br->remaining;
            if (take == 0)
                return 0;
            evbuffer_remove_buffer(in, out, take);
            br->remaining -= take;
            if (br->remaining == 0)
                br->done = 1;
            continue;
        }
        case BODY_CHUNKED:
            break;
        }
        size_t n = 0;
        char *line;
        switch (br->chunk_state) {
        case CH_SIZE:
            line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF_STRICT);
            if (line == NULL)
                return evbuffer_get_length(in) > 1024 ? -1 : 0;
            {
                uint64_t sz = 0;
                size_t i = 0;
                for (; i < n && isxdigit((unsigned char)line[i]); i++) {
                    if (i >= 15) {
                        free(line);
                        return -1;
                    }
                    int c = tolower((unsigned char)line[i]);
                    sz = sz * 16 + (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
                }
                int ok = i > 0 && (i == n || line[i] == ';' || line[i] == ' ' ||
                                   line[i] == '\t');
                free(line);
                if (!ok)
                    return -1;
                br->remaining = sz;
                br->chunk_state = sz ? CH_DATA : CH_TRAILER;
            }
            break;
        case CH_DATA: {
            size_t avail = evbuffer_get_length(in);
            size_t take = avail < br->remaining ? avail : (size_t)br->remaining;
            if (take == 0)
                return 0;
            evbuffer_remove_buffer(in, out, take);
            br->remaining -= take;
            if (br->remaining == 0)
                br->chunk_state = CH_DATA_END;
            break;
        }
        case CH_DATA_END: {
            if (evbuffer_get_length(in) < 2)
                return 0;
            char crlf[2];
            evbuffer_remove(in, crlf, 2);
            if (crlf[0] != '\r' || crlf[1] != '\n')
                return -1;
            br->chunk_state = CH_SIZE;
            break;
        }
        case CH_TRAILER:
            /* Trailer fields are read and dropped. */
            line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF_STRICT);
            if (line == NULL)
                return evbuffer_get_length(in) > HTTP_MAX_HEAD ? -1 : 0;
            free(line);
            if (n == 0) {
                br->chunk_state = CH_DONE;
                br->done = 1;
            }
            break;
        default:
            return -1;
        }
    }
}
