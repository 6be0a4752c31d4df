/*
 * HTTP/2 plumbing shared by the gwproxy end-to-end test programs
 * (h2c-backend, grpc-server, grpc-client). SPDX-License-Identifier: MIT
 *
 * The servers: h2t_serve_main() listens on 127.0.0.1 (a free port),
 * prints "NAME PORT" and "READY", and runs a libevent loop with one
 * nghttp2 server session per connection until its standard input closes.
 * It keeps each connection's streams (an h2t_stream, created at the
 * request HEADERS, collects the request body); the program answers from
 * its own header and frame callbacks.
 *
 * Client and server: field helpers and the gRPC message framing.
 */
#ifndef GWR_TEST_H2_TEST_UTIL_H
#define GWR_TEST_H2_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nghttp2/nghttp2.h>

struct bufferevent;
struct evbuffer;

/* The first member of a server program's stream. */
typedef struct h2t_stream {
    struct h2t_stream *next;
    int32_t id;
    struct evbuffer *body;      /* request body */
    struct evbuffer *out;       /* response body */
} h2t_stream;

/* An accepted connection: the user data of the nghttp2 callbacks. */
typedef struct h2t_conn {
    struct bufferevent *bev;
    nghttp2_session *session;
    h2t_stream *streams;
} h2t_conn;

typedef struct h2t_server {
    const char *prog;           /* for the usage and error lines */
    size_t stream_size;         /* the program's stream (h2t_stream first) */
    void (*stream_init)(h2t_stream *s);     /* after calloc; may be NULL */
    void (*stream_fini)(h2t_stream *s);     /* before free; may be NULL */
    nghttp2_on_header_callback on_header;
    nghttp2_on_frame_recv_callback on_frame_recv;
    /* Request body bytes were added to s->body; may be NULL. */
    void (*on_body)(h2t_conn *c, h2t_stream *s);
    int nodelay;                /* TCP_NODELAY on accepted connections */
} h2t_server;

/* main() of a server: "PROG NAME" (else usage, 2), *name = NAME, then
 * serve until standard input closes (0; 1 when it cannot listen). */
int h2t_serve_main(const h2t_server *srv, int argc, char **argv,
                   const char **name);

/* The stream id on c, NULL when unknown. */
h2t_stream *h2t_find(h2t_conn *c, int32_t id);

/* A data provider read callback sending the evbuffer src->ptr, then EOF. */
ssize_t h2t_read_evbuffer(nghttp2_session *ses, int32_t id, uint8_t *buf,
                          size_t len, uint32_t *flags,
                          nghttp2_data_source *src, void *ud);

/* Copy v (n bytes) into dst (size bytes), cut and NUL-terminated. */
void h2t_copy(char *dst, size_t size, const uint8_t *v, size_t n);

/* A field of NUL-terminated name and value (not copied). */
nghttp2_nv h2t_nv(const char *name, const char *value);

/* gRPC length-prefixed messages: flag byte 0, then the length as 4 bytes
 * big-endian. */
#define H2T_GRPC_PREFIX 5
void h2t_grpc_prefix(uint8_t hdr[H2T_GRPC_PREFIX], size_t n);
/* The message length in the prefix at p. */
size_t h2t_grpc_length(const uint8_t *p);

#endif
