/*
 * gwproxy - a small HTTP/1.1 message parser on libevent buffers.
 * SPDX-License-Identifier: MIT
 *
 * Heads are parsed whole (up to HTTP_MAX_HEAD bytes) into one owned copy;
 * every field is a gwr_str view into that copy. Bodies are decoded by a
 * small state machine (Content-Length, chunked, or until close).
 */
#ifndef GWPROXY_HTTP_H
#define GWPROXY_HTTP_H

#include <stdint.h>

#include <event2/buffer.h>

#include "gwroute.h"

#define HTTP_MAX_HEAD (64 * 1024)
#define HTTP_MAX_HEADERS 128

typedef struct http_head {
    char *raw;                 /* owned copy of the head bytes */
    gwr_str method, target;    /* requests */
    int status;                /* responses */
    gwr_str reason;            /* responses */
    int minor;                 /* HTTP/1.<minor> */
    gwr_header *headers;       /* views into raw */
    size_t n_headers;
} http_head;

/* 1 parsed (bytes drained from in), 0 need more, -1 malformed / too big. */
int http_parse_request(struct evbuffer *in, http_head *h);
int http_parse_response(struct evbuffer *in, http_head *h);
void http_head_clear(http_head *h);

/* First value of a header (case-insensitive), or an empty view. */
gwr_str http_header(const http_head *h, const char *name);
/* 1 when a comma-separated header value list contains token (any case). */
int http_header_has_token(const http_head *h, const char *name,
                          const char *token);
int http_str_ieq(gwr_str a, const char *b);
/* Fields never copied as they are: the hop-by-hop ones (RFC 9110 7.6.1)
 * and the framing and Host fields gwproxy writes itself. */
int http_is_hop_by_hop(gwr_str name);
/* 1 when token is an element of the comma-separated list (any case). */
int http_list_has(gwr_str list, gwr_str token);
/* 1 when a Connection field among h[0..n) names `name` (which makes that
 * field hop-by-hop too). */
int http_is_connection_listed(const gwr_header *h, size_t n, gwr_str name);

/* An owned list of fields (HTTP/2 trailers): each name and value is a
 * NUL-terminated copy. At most HTTP_MAX_HEADERS entries. */
typedef struct http_fields {
    gwr_header *v;
    size_t n;
} http_fields;

/* Copy one field in. 0, or -1 (no memory, or the list is full). */
int http_fields_add(http_fields *f, const char *name, size_t nlen,
                    const char *value, size_t vlen);
void http_fields_clear(http_fields *f);
/* Move src into dst (dst cleared first); src is left empty. */
void http_fields_move(http_fields *dst, http_fields *src);

enum body_mode { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };
enum { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE };

typedef struct body_reader {
    enum body_mode mode;
    uint64_t remaining;   /* LENGTH: bytes left; CHUNKED: left in chunk */
    int chunk_state;
    int done;
} body_reader;

/* Framing of a request body; -1 for an invalid Content-Length /
 * Transfer-Encoding combination. */
int body_reader_request(body_reader *br, const http_head *h);
/* Framing of a response body to a request with method `method`. */
int body_reader_response(body_reader *br, const http_head *h, gwr_str method);
/* Move decoded body bytes from in to out. 1 complete, 0 need more,
 * -1 malformed. For BODY_CLOSE it never completes (call body_reader_eof). */
int body_reader_run(body_reader *br, struct evbuffer *in, struct evbuffer *out);

#endif
