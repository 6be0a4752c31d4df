/*
 * An HTTP/2 cleartext (prior knowledge) echo backend for the gwproxy
 * end-to-end tests. SPDX-License-Identifier: MIT
 *
 *     h2c-backend NAME
 *
 * listens on 127.0.0.1 (a free port), prints "NAME PORT" and "READY", and
 * answers every stream with 200, "x-backend: NAME", "x-proto: h2c" and a
 * JSON body {"backend", "proto", "method", "path", "authority",
 * "headers": [[name, value], ...], "body"} (string values are ASCII in the
 * tests; '"' and '\' are escaped). A path starting with /h2/status/NNN
 * answers NNN. Exits when its standard input closes.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <nghttp2/nghttp2.h>

#include "h2-test-util.h"

static const char *name;

typedef struct stream {
    h2t_stream h;                  /* id, request and response body */
    struct evbuffer *json_headers; /* "[..],[..]" */
    char method[16], path[512], authority[256];
} stream;

typedef h2t_conn conn;

static void
json_str(struct evbuffer *b, const uint8_t *p, size_t n)
{
    evbuffer_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\')
            evbuffer_add(b, "\\", 1);
        if (p[i] >= 0x20 && p[i] < 0x7f)
            evbuffer_add(b, &p[i], 1);
    }
    evbuffer_add(b, "\"", 1);
}

static stream *
find(conn *c, int32_t id)
{
    return (stream *)h2t_find(c, id);
}

static void
stream_init(h2t_stream *hs)
{
    ((stream *)hs)->json_headers = evbuffer_new();
}

static void
stream_fini(h2t_stream *hs)
{
    evbuffer_free(((stream *)hs)->json_headers);
}

static int
header_cb(nghttp2_session *ses, const nghttp2_frame *f, const uint8_t *n,
          size_t nlen, const uint8_t *v, size_t vlen, uint8_t flags, void *ud)
{
    (void)ses;
    (void)flags;
    stream *s = find(ud, f->hd.stream_id);
    if (s == NULL)
        return 0;
    if (nlen == 7 && memcmp(n, ":method", 7) == 0)
        h2t_copy(s->method, sizeof(s->method), v, vlen);
    else if (nlen == 5 && memcmp(n, ":path", 5) == 0)
        h2t_copy(s->path, sizeof(s->path), v, vlen);
    else if (nlen == 10 && memcmp(n, ":authority", 10) == 0)
        h2t_copy(s->authority, sizeof(s->authority), v, vlen);
    else if (nlen > 0 && n[0] != ':') {
        if (evbuffer_get_length(s->json_headers) > 0)
            evbuffer_add(s->json_headers, ",", 1);
        evbuffer_add(s->json_headers, "[", 1);
        json_str(s->json_headers, n, nlen);
        evbuffer_add(s->json_headers, ",", 1);
        json_str(s->json_headers, v, vlen);
        evbuffer_add(s->json_headers, "]", 1);
    }
    return 0;
}

static void
respond(conn *c, stream *s)
{
    struct evbuffer *o = s->h.out;
    const uint8_t *p;
    evbuffer_add_printf(o, "{\"backend\": \"%s\", \"proto\": \"h2c\", \"method\": ",
                        name);
    json_str(o, (const uint8_t *)s->method, strlen(s->method));
    evbuffer_add_printf(o, ", \"path\": ");
    json_str(o, (const uint8_t *)s->path, strlen(s->path));
    evbuffer_add_printf(o, ", \"authority\": ");
    json_str(o, (const uint8_t *)s->authority, strlen(s->authority));
    evbuffer_add_printf(o, ", \"headers\": [");
    evbuffer_add_buffer(o, s->json_headers);
    evbuffer_add_printf(o, "], \"body\": ");
    size_t bl = evbuffer_get_length(s->h.body);
    p = evbuffer_pullup(s->h.body, -1);
    json_str(o, p ? p : (const uint8_t *)"", bl);
    evbuffer_add_printf(o, "}");
    const char *status = "200";
    char st[4] = "";
    if (strncmp(s->path, "/h2/status/", 11) == 0 && strlen(s->path) >= 14) {
        memcpy(st, s->path + 11, 3);
        status = st;
    }
    char len[32];
    snprintf(len, sizeof(len), "%zu", evbuffer_get_length(o));
    nghttp2_nv hdrs[] = {
        h2t_nv(":status", status),
        h2t_nv("content-type", "application/json"),
        h2t_nv("content-length", len),
        h2t_nv("x-backend", name),
        h2t_nv("x-proto", "h2c"),
    };
    nghttp2_data_provider prd;
    prd.source.ptr = o;
    prd.read_callback = h2t_read_evbuffer;
    nghttp2_submit_response(c->session, s->h.id, hdrs, 5, &prd);
}

static int
frame_recv_cb(nghttp2_session *ses, const nghttp2_frame *f, void *ud)
{
    (void)ses;
    conn *c = ud;
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        stream *s = find(c, f->hd.stream_id);
        if (s != NULL)
            respond(c, s);
    }
    return 0;
}

static const h2t_server server = {
    .prog = "h2c-backend",
    .stream_size = sizeof(stream),
    .stream_init = stream_init,
    .stream_fini = stream_fini,
    .on_header = header_cb,
    .on_frame_recv = frame_recv_cb,
};

int
main(int argc, char **argv)
{
    /* A client closing while we write must not kill the backend. */
    signal(SIGPIPE, SIG_IGN);
    return h2t_serve_main(&server, argc, argv, &name);
}
