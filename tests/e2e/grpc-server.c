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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <nghttp2/nghttp2.h>

#include "h2-test-util.h"

#define MAX_FIELDS 64

static const char *name;

typedef struct stream {
    h2t_stream h;                /* id, request body, response messages */
    char path[512], ctype[128], te[64];
    char *fields[MAX_FIELDS][2]; /* "x-..." request fields */
    int nfields;
    char status[8], message[128];
    int chat, responded, ended, deferred;
    size_t parsed;               /* Chat: request bytes answered */
} stream;

typedef h2t_conn conn;

static stream *
find(conn *c, int32_t id)
{
    return (stream *)h2t_find(c, id);
}

static void
stream_fini(h2t_stream *hs)
{
    stream *s = (stream *)hs;
    for (int i = 0; i < s->nfields; i++) {
        free(s->fields[i][0]);
        free(s->fields[i][1]);
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
        h2t_copy(s->path, sizeof(s->path), v, vlen);
    else if (nlen == 12 && memcmp(n, "content-type", 12) == 0)
        h2t_copy(s->ctype, sizeof(s->ctype), v, vlen);
    else if (nlen == 2 && memcmp(n, "te", 2) == 0)
        h2t_copy(s->te, sizeof(s->te), v, vlen);
    else if (nlen > 2 && memcmp(n, "x-", 2) == 0 && s->nfields < MAX_FIELDS) {
        s->fields[s->nfields][0] = dup_n(n, nlen);
        s->fields[s->nfields][1] = dup_n(v, vlen);
        s->nfields++;
    }
    return 0;
}

static void chat_pump(conn *c, stream *s);

/* Request body bytes arrived. */
static void
on_body(conn *c, h2t_stream *hs)
{
    stream *s = (stream *)hs;
    if (s->chat)
        chat_pump(c, s);
}

static ssize_t
read_cb(nghttp2_session *ses, int32_t id, uint8_t *buf, size_t len,
        uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    stream *s = src->ptr;
    (void)ud;
    int n = evbuffer_remove(s->h.out, buf, len);
    if (evbuffer_get_length(s->h.out) == 0 && s->chat && !s->ended) {
        if (n > 0)
            return n;
        s->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (evbuffer_get_length(s->h.out) == 0) {
        char trailer[128];
        snprintf(trailer, sizeof(trailer), "%s", name);
        nghttp2_nv t[3];
        int k = 0;
        t[k++] = h2t_nv("grpc-status", s->status);
        if (s->message[0])
            t[k++] = h2t_nv("grpc-message", s->message);
        t[k++] = h2t_nv("x-trailer", trailer);
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        nghttp2_submit_trailer(ses, id, t, (size_t)k);
    }
    return n < 0 ? 0 : n;
}

static void
add_message(struct evbuffer *out, const char *p, size_t n)
{
    uint8_t hdr[H2T_GRPC_PREFIX];
    h2t_grpc_prefix(hdr, n);
    evbuffer_add(out, hdr, H2T_GRPC_PREFIX);
    evbuffer_add(out, p, n);
}

/* Trailers-only: one HEADERS frame with END_STREAM. */
static void
trailers_only(conn *c, stream *s, const char *status, const char *msg)
{
    nghttp2_nv h[5];
    int k = 0;
    h[k++] = h2t_nv(":status", "200");
    h[k++] = h2t_nv("content-type", "application/grpc");
    h[k++] = h2t_nv("x-backend", name);
    h[k++] = h2t_nv("grpc-status", status);
    if (msg != NULL)
        h[k++] = h2t_nv("grpc-message", msg);
    nghttp2_submit_response(c->session, s->h.id, h, (size_t)k, NULL);
}

static void
send_head(conn *c, stream *s)
{
    nghttp2_nv h[4 + MAX_FIELDS];
    char names[MAX_FIELDS][300];
    int k = 0;
    h[k++] = h2t_nv(":status", "200");
    h[k++] = h2t_nv("content-type", "application/grpc");
    h[k++] = h2t_nv("x-backend", name);
    for (int i = 0; i < s->nfields; i++) {
        snprintf(names[i], sizeof(names[i]), "x-req-%s", s->fields[i][0]);
        h[k++] = h2t_nv(names[i], s->fields[i][1]);
    }
    nghttp2_data_provider prd;
    prd.source.ptr = s;
    prd.read_callback = read_cb;
    s->responded = 1;
    nghttp2_submit_response(c->session, s->h.id, h, (size_t)k, &prd);
}

static void
respond(conn *c, stream *s)
{
    if (strncmp(s->ctype, "application/grpc", 16) != 0) {
        nghttp2_nv h[] = { h2t_nv(":status", "415"),
                           h2t_nv("x-backend", name) };
        nghttp2_submit_response(c->session, s->h.id, h, 2, NULL);
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
    size_t len = evbuffer_get_length(s->h.body);
    uint8_t *p = evbuffer_pullup(s->h.body, -1);
    size_t off = 0;
    while (off < len && strcmp(method, "Fail") != 0) {
        if (len - off < 5 || p[off] != 0) {
            trailers_only(c, s, "13", "malformed message");
            return;
        }
        size_t n = h2t_grpc_length(p + off);
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
                add_message(s->h.out, r, (size_t)m);
            }
            continue;
        }
        char prefix[600];
        int m = snprintf(prefix, sizeof(prefix), "%s:%s/%s:", name, service,
                         method);
        uint8_t hdr[H2T_GRPC_PREFIX];
        h2t_grpc_prefix(hdr, (size_t)m + n);
        evbuffer_add(s->h.out, hdr, H2T_GRPC_PREFIX);
        evbuffer_add(s->h.out, prefix, (size_t)m);
        evbuffer_add(s->h.out, msg, n);
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
    size_t len = evbuffer_get_length(s->h.body);
    uint8_t *p = evbuffer_pullup(s->h.body, -1);
    while (len - s->parsed >= 5) {
        const uint8_t *m = p + s->parsed;
        size_t n = h2t_grpc_length(m);
        if (len - s->parsed - 5 < n)
            break;
        char r[600];
        int k = snprintf(r, sizeof(r), "%s:%.*s:%.*s", name,
                         (int)strlen(s->path + 1), s->path + 1,
                         (int)(n < 400 ? n : 400), (const char *)m + 5);
        add_message(s->h.out, r, (size_t)k);
        s->parsed += 5 + n;
    }
    if (!s->responded && (evbuffer_get_length(s->h.out) > 0 || s->ended)) {
        snprintf(s->status, sizeof(s->status), "0");
        send_head(c, s);
    } else if (s->deferred) {
        s->deferred = 0;
        nghttp2_session_resume_data(c->session, s->h.id);
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

static const h2t_server server = {
    .prog = "grpc-server",
    .stream_size = sizeof(stream),
    .stream_fini = stream_fini,
    .on_header = header_cb,
    .on_frame_recv = frame_recv_cb,
    .on_body = on_body,
    .nodelay = 1,
};

int
main(int argc, char **argv)
{
    /* gwproxy closes upstream connections it gives up on (a cancelled
     * call): a write to them must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    return h2t_serve_main(&server, argc, argv, &name);
}
