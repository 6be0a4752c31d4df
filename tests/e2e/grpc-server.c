/*
 * A small gRPC server over h2c (HTTP/2 with prior knowledge) for the
 * gwproxy end-to-end tests, on libnghttp2 and libevent. No protobuf: a
 * message is whatever bytes the client sends. SPDX-License-Identifier: MIT
 *
 *     grpc-server NAME
 *
 * listens on 127.0.0.1 (a free port), prints "NAME PORT" and "READY", and
 * exits when its standard input closes. A call is a POST to
 * /SERVICE/METHOD with content-type application/grpc[+x] and te: trailers
 * whose body is length-prefixed messages (flag byte 0, 4-byte big-endian
 * length, bytes). Every call gets :status 200, content-type
 * application/grpc, x-backend: NAME, and "x-req-F: V" for each request
 * field F starting with "x-" (so a test sees what reached the backend).
 * By METHOD:
 *
 *   FailFast  trailers-only: grpc-status 7, grpc-message "denied by NAME"
 *   Early     trailers-only grpc-status 3 as soon as the head arrived,
 *             before the request body
 *   Fail      no message; trailers grpc-status 9, grpc-message
 *             "failed on NAME"
 *   Stall     never answers (the test cancels the call)
 *   Chat      answers each message as soon as it arrives (before the
 *             request ends): "NAME:SERVICE/Chat:MESSAGE"
 *   Stream    for each message N: N replies "NAME:SERVICE/Stream:i"
 *   other     one reply per message: "NAME:SERVICE/METHOD:MESSAGE"
 *
 * then trailers grpc-status 0 and x-trailer: NAME. Not a gRPC call
 * (another content-type): 415. No "te: trailers": trailers-only
 * grpc-status 13 (as strict gRPC servers do). A malformed body: 13.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#define MAX_FIELDS 64

static const char *name;

typedef struct stream {
    struct stream *next;
    int32_t id;
    char path[512], ctype[128], te[64];
    char *fields[MAX_FIELDS][2]; /* "x-..." request fields */
    int nfields;
    struct evbuffer *body;       /* request body */
    struct evbuffer *out;        /* response messages, framed */
    char status[8], message[128];
    int chat, responded, ended, deferred;
    size_t parsed;               /* Chat: request bytes answered */
} stream;

typedef struct conn {
    struct bufferevent *bev;
    nghttp2_session *session;
    stream *streams;
} conn;

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
        for (int i = 0; i < s->nfields; i++) {
            free(s->fields[i][0]);
            free(s->fields[i][1]);
        }
        evbuffer_free(s->body);
        evbuffer_free(s->out);
        free(s);
        return;
    }
}

static char *
dup_n(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void
copy(char *dst, size_t size, const uint8_t *v, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
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
    s->id = f->hd.stream_id;
    s->body = evbuffer_new();
    s->out = evbuffer_new();
    s->next = c->streams;
    c->streams = s;
    return 0;
}

static int
header_cb(nghttp2_session *ses, const nghttp2_frame *f, const uint8_t *n,
          size_t nlen, const uint8_t *v, size_t vlen, uint8_t flags, void *ud)
{
    (void)ses;
    (void)flags;
    stream *s = find(ud, f->hd.stream_id);
    if (s == NULL || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    if (nlen == 5 && memcmp(n, ":path", 5) == 0)
        copy(s->path, sizeof(s->path), v, vlen);
    else if (nlen == 12 && memcmp(n, "content-type", 12) == 0)
        copy(s->ctype, sizeof(s->ctype), v, vlen);
    else if (nlen == 2 && memcmp(n, "te", 2) == 0)
        copy(s->te, sizeof(s->te), v, vlen);
    else if (nlen > 2 && memcmp(n, "x-", 2) == 0 && s->nfields < MAX_FIELDS) {
        s->fields[s->nfields][0] = dup_n(n, nlen);
        s->fields[s->nfields][1] = dup_n(v, vlen);
        s->nfields++;
    }
    return 0;
}

static void chat_pump(conn *c, stream *s);

static int
data_cb(nghttp2_session *ses, uint8_t flags, int32_t id, const uint8_t *data,
        size_t len, void *ud)
{
    (void)ses;
    (void)flags;
    stream *s = find(ud, id);
    if (s != NULL)
        evbuffer_add(s->body, data, len);
    if (s != NULL && s->chat)
        chat_pump(ud, s);
    return 0;
}

static nghttp2_nv
nv(const char *n, const char *v)
{
    nghttp2_nv x = { (uint8_t *)(uintptr_t)n, (uint8_t *)(uintptr_t)v,
                     strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE };
    return x;
}

static ssize_t
read_cb(nghttp2_session *ses, int32_t id, uint8_t *buf, size_t len,
        uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    stream *s = src->ptr;
    (void)ud;
    int n = evbuffer_remove(s->out, buf, len);
    if (evbuffer_get_length(s->out) == 0 && s->chat && !s->ended) {
        if (n > 0)
            return n;
        s->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (evbuffer_get_length(s->out) == 0) {
        char trailer[128];
        snprintf(trailer, sizeof(trailer), "%s", name);
        nghttp2_nv t[3];
        int k = 0;
        t[k++] = nv("grpc-status", s->status);
        if (s->message[0])
            t[k++] = nv("grpc-message", s->message);
        t[k++] = nv("x-trailer", trailer);
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        nghttp2_submit_trailer(ses, id, t, (size_t)k);
    }
    return n < 0 ? 0 : n;
}

static void
add_message(struct evbuffer *out, const char *p, size_t n)
{
    uint8_t hdr[5] = { 0, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
                       (uint8_t)(n >> 8), (uint8_t)n };
    evbuffer_add(out, hdr, 5);
    evbuffer_add(out, p, n);
}

/* Trailers-only: one HEADERS frame with END_STREAM. */
static void
trailers_only(conn *c, stream *s, const char *status, const char *msg)
{
    nghttp2_nv h[5];
    int k = 0;
    h[k++] = nv(":status", "200");
    h[k++] = nv("content-type", "application/grpc");
    h[k++] = nv("x-backend", name);
    h[k++] = nv("grpc-status", status);
    if (msg != NULL)
        h[k++] = nv("grpc-message", msg);
    nghttp2_submit_response(c->session, s->id, h, (size_t)k, NULL);
}

static void
send_head(conn *c, stream *s)
{
    nghttp2_nv h[4 + MAX_FIELDS];
    char names[MAX_FIELDS][300];
    int k = 0;
    h[k++] = nv(":status", "200");
    h[k++] = nv("content-type", "application/grpc");
    h[k++] = nv("x-backend", name);
    for (int i = 0; i < s->nfields; i++) {
        snprintf(names[i], sizeof(names[i]), "x-req-%s", s->fields[i][0]);
        h[k++] = nv(names[i], s->fields[i][1]);
    }
    nghttp2_data_provider prd;
    prd.source.ptr = s;
    prd.read_callback = read_cb;
    s->responded = 1;
    nghttp2_submit_response(c->session, s->id, h, (size_t)k, &prd);
}

static void
respond(conn *c, stream *s)
{
    if (strncmp(s->ctype, "application/grpc", 16) != 0) {
        nghttp2_nv h[] = { nv(":status", "415"), nv("x-backend", name) };
        nghttp2_submit_response(c->session, s->id, h, 2, NULL);
        return;
    }
    if (strcmp(s->te, "trailers") != 0) {
        trailers_only(c, s, "13", "missing te: trailers");
        return;
    }
    /* /SERVICE/METHOD */
    const char *svc = s->path + 1, *slash = strchr(svc, '/');
    if (s->path[0] != '/' || slash == NULL || slash == svc) {
        trailers_only(c, s, "12", "bad path");
        return;
    }
    char service[256], method[256];
    snprintf(service, sizeof(service), "%.*s", (int)(slash - svc), svc);
    snprintf(method, sizeof(method), "%s", slash + 1);
    if (strcmp(method, "Stall") == 0)
        return;
    if (strcmp(method, "FailFast") == 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "denied by %s", name);
        trailers_only(c, s, "7", msg);
        return;
    }
    snprintf(s->status, sizeof(s->status), "0");
    /* The messages. */
    size_t len = evbuffer_get_length(s->body);
    uint8_t *p = evbuffer_pullup(s->body, -1);
    size_t off = 0;
    while (off < len && strcmp(method, "Fail") != 0) {
        if (len - off < 5 || p[off] != 0) {
            trailers_only(c, s, "13", "malformed message");
            return;
        }
        size_t n = (size_t)p[off + 1] << 24 | (size_t)p[off + 2] << 16 |
                   (size_t)p[off + 3] << 8 | p[off + 4];
        if (len - off - 5 < n) {
            trailers_only(c, s, "13", "malformed message");
            return;
        }
        const char *msg = (const char *)p + off + 5;
        off += 5 + n;
        if (strcmp(method, "Stream") == 0) {
            char num[16];
            snprintf(num, sizeof(num), "%.*s", (int)(n < 15 ? n : 15), msg);
            int count = atoi(num);
            for (int i = 0; i < count && i < 1000; i++) {
                char r[600];
                int m = snprintf(r, sizeof(r), "%s:%s/Stream:%d", name, service, i);
                add_message(s->out, r, (size_t)m);
            }
            continue;
        }
        char prefix[600];
        int m = snprintf(prefix, sizeof(prefix), "%s:%s/%s:", name, service,
                         method);
        uint8_t hdr[5] = { 0, (uint8_t)((m + n) >> 24), (uint8_t)((m + n) >> 16),
                           (uint8_t)((m + n) >> 8), (uint8_t)(m + n) };
        evbuffer_add(s->out, hdr, 5);
        evbuffer_add(s->out, prefix, (size_t)m);
        evbuffer_add(s->out, msg, n);
    }
    if (strcmp(method, "Fail") == 0) {
        snprintf(s->status, sizeof(s->status), "9");
        snprintf(s->message, sizeof(s->message), "failed on %s", name);
    }
    send_head(c, s);
}

/* Chat: answer every complete message received so far. */
static void
chat_pump(conn *c, stream *s)
{
    size_t len = evbuffer_get_length(s->body);
    uint8_t *p = evbuffer_pullup(s->body, -1);
    while (len - s->parsed >= 5) {
        const uint8_t *m = p + s->parsed;
        size_t n = (size_t)m[1] << 24 | (size_t)m[2] << 16 |
                   (size_t)m[3] << 8 | m[4];
        if (len - s->parsed - 5 < n)
            break;
        char r[600];
        int k = snprintf(r, sizeof(r), "%s:%.*s:%.*s", name,
                         (int)strlen(s->path + 1), s->path + 1,
                         (int)(n < 400 ? n : 400), (const char *)m + 5);
        add_message(s->out, r, (size_t)k);
        s->parsed += 5 + n;
    }
    if (!s->responded && (evbuffer_get_length(s->out) > 0 || s->ended)) {
        snprintf(s->status, sizeof(s->status), "0");
        send_head(c, s);
    } else if (s->deferred) {
        s->deferred = 0;
        nghttp2_session_resume_data(c->session, s->id);
    }
}

static int
frame_recv_cb(nghttp2_session *ses, const nghttp2_frame *f, void *ud)
{
    (void)ses;
    conn *c = ud;
    stream *s = find(c, f->hd.stream_id);
    if (s == NULL)
        return 0;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
        size_t n = strlen(s->path);
        s->chat = n > 5 && strcmp(s->path + n - 5, "/Chat") == 0;
        if (n > 6 && strcmp(s->path + n - 6, "/Early") == 0 && !s->responded) {
            s->responded = 1;
            trailers_only(c, s, "3", "rejected early");
            return 0;
        }
    }
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        s->ended = 1;
        if (s->responded && !s->chat)
            return 0;
        if (s->chat)
            chat_pump(c, s);
        else
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
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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
        fprintf(stderr, "usage: grpc-server NAME\n");
        return 2;
    }
    name = argv[1];
    /* gwproxy closes upstream connections it gives up on (a cancelled
     * call): a write to them must not kill the server. */
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
        perror("grpc-server: listen");
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
