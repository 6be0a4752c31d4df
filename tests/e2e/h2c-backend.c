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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <nghttp2/nghttp2.h>

static const char *name;

typedef struct stream {
    struct stream *next;
    int32_t id;
    struct evbuffer *json_headers; /* "[..],[..]" */
    struct evbuffer *body;         /* request body */
    struct evbuffer *out;          /* response body */
    char method[16], path[512], authority[256];
} stream;

typedef struct conn {
    struct bufferevent *bev;
    nghttp2_session *session;
    stream *streams;
} conn;

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
    for (stream *s = c->streams; s != NULL; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

static void
stream_free(conn *c, int32_t id)
{
    for (stream **ps = &c->streams; *ps != NULL; ps = &(*ps)->next) {
        stream *s = *ps;
        if (s->id != id)
            continue;
        *ps = s->next;
        evbuffer_free(s->json_headers);
        evbuffer_free(s->body);
        evbuffer_free(s->out);
        free(s);
        return;
    }
}

static ssize_t
send_cb(nghttp2_session *ses, const uint8_t *data, size_t len, int flags,
        void *ud)
{
    (void)ses;
    (void)flags;
    conn *c = ud;
    evbuffer_add(bufferevent_get_output(c->bev), data, len);
    return (ssize_t)len;
}

static int
begin_headers_cb(nghttp2_session *ses, const nghttp2_frame *f, void *ud)
{
    (void)ses;
    conn *c = ud;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    stream *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    s->id = f->hd.stream_id;
    s->json_headers = evbuffer_new();
    s->body = evbuffer_new();
    s->out = evbuffer_new();
    s->next = c->streams;
    c->streams = s;
    return 0;
}

static void
copy(char *dst, size_t size, const uint8_t *v, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
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
        copy(s->method, sizeof(s->method), v, vlen);
    else if (nlen == 5 && memcmp(n, ":path", 5) == 0)
        copy(s->path, sizeof(s->path), v, vlen);
    else if (nlen == 10 && memcmp(n, ":authority", 10) == 0)
        copy(s->authority, sizeof(s->authority), v, vlen);
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

static int
data_cb(nghttp2_session *ses, uint8_t flags, int32_t id, const uint8_t *data,
        size_t len, void *ud)
{
    (void)ses;
    (void)flags;
    stream *s = find(ud, id);
    if (s != NULL)
        evbuffer_add(s->body, data, len);
    return 0;
}

static ssize_t
read_cb(nghttp2_session *ses, int32_t id, uint8_t *buf, size_t len,
        uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)ses;
    (void)id;
    (void)ud;
    struct evbuffer *b = src->ptr;
    int n = evbuffer_remove(b, buf, len);
    if (evbuffer_get_length(b) == 0)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return n < 0 ? 0 : n;
}

static void
respond(conn *c, stream *s)
{
    struct evbuffer *o = s->out;
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
    size_t bl = evbuffer_get_length(s->body);
    p = evbuffer_pullup(s->body, -1);
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
        { (uint8_t *)":status", (uint8_t *)status, 7, strlen(status), 0 },
        { (uint8_t *)"content-type", (uint8_t *)"application/json", 12, 16, 0 },
        { (uint8_t *)"content-length", (uint8_t *)len, 14, strlen(len), 0 },
        { (uint8_t *)"x-backend", (uint8_t *)name, 9, strlen(name), 0 },
        { (uint8_t *)"x-proto", (uint8_t *)"h2c", 7, 3, 0 },
    };
    nghttp2_data_provider prd;
    prd.source.ptr = o;
    prd.read_callback = read_cb;
    nghttp2_submit_response(c->session, s->id, hdrs, 5, &prd);
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

static int
close_cb(nghttp2_session *ses, int32_t id, uint32_t err, void *ud)
{
    (void)ses;
    (void)err;
    stream_free(ud, id);
    return 0;
}

static void
conn_free(conn *c)
{
    while (c->streams != NULL)
        stream_free(c, c->streams->id);
    nghttp2_session_del(c->session);
    bufferevent_free(c->bev);
    free(c);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
    conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    unsigned char *p = evbuffer_pullup(in, -1);
    if (nghttp2_session_mem_recv(c->session, p, n) < 0) {
        conn_free(c);
        return;
    }
    evbuffer_drain(in, n);
    if (nghttp2_session_send(c->session) != 0)
        conn_free(c);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
    conn *c = arg;
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
        !nghttp2_session_want_read(c->session) &&
        !nghttp2_session_want_write(c->session))
        conn_free(c);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what;
    conn_free(arg);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
          int salen, void *arg)
{
    (void)l;
    (void)sa;
    (void)salen;
    struct event_base *base = arg;
    conn *c = calloc(1, sizeof(*c));
    c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    nghttp2_session_callbacks *cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, begin_headers_cb);
    nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, data_cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frame_recv_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, close_cb);
    nghttp2_session_server_new(&c->session, cbs, c);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry iv = { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100 };
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, &iv, 1);
    nghttp2_session_send(c->session);
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
on_stdin(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    char buf[256];
    if (read(fd, buf, sizeof(buf)) <= 0)
        event_base_loopexit(arg, NULL);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: h2c-backend NAME\n");
        return 2;
    }
    name = argv[1];
    /* A client closing while we write must not kill the backend. */
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct evconnlistener *l = evconnlistener_new_bind(
        base, on_accept, base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
        (struct sockaddr *)&sin, sizeof(sin));
    if (l == NULL) {
        perror("h2c-backend: listen");
        return 1;
    }
    socklen_t len = sizeof(sin);
    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &len);
    printf("%s %u\nREADY\n", name, (unsigned)ntohs(sin.sin_port));
    fflush(stdout);
    struct event *ev = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, base);
    event_add(ev, NULL);
    event_base_dispatch(base);
    event_free(ev);
    evconnlistener_free(l);
    event_base_free(base);
    return 0;
}
