/*
 * The HTTP/2 plumbing of h2-test-util.h, on libevent and libnghttp2.
 * SPDX-License-Identifier: MIT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "h2-test-util.h"

/* One server a process: the one h2t_serve_main() runs. */
static const h2t_server *server;

h2t_stream *
h2t_find(h2t_conn *c, int32_t id)
{
    for (h2t_stream *s = c->streams; s != NULL; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

static void
stream_free(h2t_conn *c, int32_t id)
{
    for (h2t_stream **ps = &c->streams; *ps != NULL; ps = &(*ps)->next) {
        h2t_stream *s = *ps;
        if (s->id != id)
            continue;
        *ps = s->next;
        if (server->stream_fini != NULL)
            server->stream_fini(s);
        evbuffer_free(s->body);
        evbuffer_free(s->out);
        free(s);
        return;
    }
}

void
h2t_copy(char *dst, size_t size, const uint8_t *v, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

nghttp2_nv
h2t_nv(const char *name, const char *value)
{
    nghttp2_nv x = { (uint8_t *)(uintptr_t)name, (uint8_t *)(uintptr_t)value,
                     strlen(name), strlen(value), NGHTTP2_NV_FLAG_NONE };
    return x;
}

void
h2t_grpc_prefix(uint8_t hdr[H2T_GRPC_PREFIX], size_t n)
{
    hdr[0] = 0;
    hdr[1] = (uint8_t)(n >> 24);
    hdr[2] = (uint8_t)(n >> 16);
    hdr[3] = (uint8_t)(n >> 8);
    hdr[4] = (uint8_t)n;
}

size_t
h2t_grpc_length(const uint8_t *p)
{
    return (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
}

ssize_t
h2t_read_evbuffer(nghttp2_session *ses, int32_t id, uint8_t *buf, size_t len,
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

/* ---- nghttp2 server session callbacks (user data: the h2t_conn) ---- */

static ssize_t
send_cb(nghttp2_session *ses, const uint8_t *data, size_t len, int flags,
        void *ud)
{
    (void)ses;
    (void)flags;
    h2t_conn *c = ud;
    evbuffer_add(bufferevent_get_output(c->bev), data, len);
    return (ssize_t)len;
}

static int
begin_headers_cb(nghttp2_session *ses, const nghttp2_frame *f, void *ud)
{
    (void)ses;
    h2t_conn *c = ud;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    h2t_stream *s = calloc(1, server->stream_size);
    if (s == NULL)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    s->id = f->hd.stream_id;
    s->body = evbuffer_new();
    s->out = evbuffer_new();
    if (server->stream_init != NULL)
        server->stream_init(s);
    s->next = c->streams;
    c->streams = s;
    return 0;
}

static int
data_cb(nghttp2_session *ses, uint8_t flags, int32_t id, const uint8_t *data,
        size_t len, void *ud)
{
    (void)ses;
    (void)flags;
    h2t_stream *s = h2t_find(ud, id);
    if (s == NULL)
        return 0;
    evbuffer_add(s->body, data, len);
    if (server->on_body != NULL)
        server->on_body(ud, s);
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

/* ---- connections ------------------------------------------------------- */

static void
conn_free(h2t_conn *c)
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
    h2t_conn *c = arg;
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
    h2t_conn *c = arg;
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
    h2t_conn *c = calloc(1, sizeof(*c));
    if (server->nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    nghttp2_session_callbacks *cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
                                                            begin_headers_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, data_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, close_cb);
    nghttp2_session_callbacks_set_on_header_callback(cbs, server->on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs,
                                                         server->on_frame_recv);
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
h2t_serve_main(const h2t_server *srv, int argc, char **argv,
               const char **name)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s NAME\n", srv->prog);
        return 2;
    }
    *name = argv[1];
    server = srv;
    struct event_base *base = event_base_new();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct evconnlistener *l = evconnlistener_new_bind(
        base, on_accept, base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
        (struct sockaddr *)&sin, sizeof(sin));
    if (l == NULL) {
        fprintf(stderr, "%s: listen: %s\n", srv->prog, strerror(errno));
        return 1;
    }
    socklen_t len = sizeof(sin);
    getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &len);
    printf("%s %u\nREADY\n", *name, (unsigned)ntohs(sin.sin_port));
    fflush(stdout);
    struct event *ev = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, base);
    event_add(ev, NULL);
    event_base_dispatch(base);
    event_free(ev);
    evconnlistener_free(l);
    event_base_free(base);
    return 0;
}
