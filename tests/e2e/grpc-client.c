/*
 * A small gRPC client over h2c (HTTP/2 with prior knowledge) for the
 * gwproxy end-to-end tests, on libnghttp2 and plain sockets. No protobuf:
 * a message is raw bytes. SPDX-License-Identifier: MIT
 *
 *     grpc-client [OPTIONS] PORT PATH [MESSAGE...]
 *
 *   --authority A    :authority (default 127.0.0.1:PORT)
 *   -H NAME:VALUE    one more request field (repeatable)
 *   -n N             N calls at once on one connection (default 1)
 *   --size N         send one message of N pattern bytes instead
 *   --get            a plain HTTP/2 GET of PATH (no gRPC framing)
 *   --post BODY      a plain HTTP/2 POST of BODY (no gRPC framing)
 *   --reset-after MS reset the stream(s) (CANCEL) after MS ms, then stop
 *   --delay MS       send the request body only MS ms after the head
 *   --bidi           send each message only after the reply to the one
 *                    before arrived (a bidirectional call: works only if
 *                    the request body streams through)
 *   --timeout S      give up after S seconds (default 10)
 *
 * A call is a POST with content-type application/grpc and te: trailers
 * whose body is the messages, each length-prefixed (flag 0, 4-byte
 * big-endian length). One JSON line per stream on standard output:
 *
 *   {"stream": 1, "status": 200, "headers": [[n, v]...],
 *    "trailers": [[n, v]...], "trailers_only": false, "grpc_status": "0",
 *    "grpc_message": null, "messages": ["..."], "message_lens": [N...],
 *    "echo_match": true, "body": "...", "reset": null}
 *
 * trailers_only: the response was a single HEADERS frame with END_STREAM;
 * grpc_status/grpc_message: from the trailers, or from that frame;
 * messages: the decoded response messages (each cut at 200 bytes);
 * echo_match: every reply ends with the request's (first) message; body:
 * the raw response body for --get/--post (cut at 4000 bytes); reset: the
 * RST_STREAM code received, if any. Exit status 0 when every stream
 * completed (a reset stream or a timeout: 1; usage: 2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "h2-test-util.h"

#define MAX_STREAMS 256
#define MAX_FIELDS 64

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

typedef struct call {
    int32_t id;
    int status, done, trailers_only, heads;
    long reset;
    buf headers, trailers;   /* JSON array bodies: ["n","v"],... */
    buf body;                /* response body as received */
    char grpc_status[16], grpc_message[256];
    int have_status, have_message;
    size_t sent;             /* request body bytes handed to nghttp2 */
    int deferred;            /* its DATA waits (--delay, --bidi) */
} call;

static int fd = -1;
static buf request;          /* the request body (same for every call) */
static buf first_message;    /* for echo_match */
static call calls[MAX_STREAMS];
static int ncalls;
static size_t msg_end[MAX_FIELDS]; /* end offset of each request message */
static int nmsgs, bidi;
static int body_held;      /* --delay: not yet */

static void
buf_add(buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (b->p == NULL) {
            perror("grpc-client");
            exit(2);
        }
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
buf_str(buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void
json_str(buf *b, const char *p, size_t n)
{
    buf_str(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            buf_add(b, esc, 2);
        } else if (c < 0x20 || c >= 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            buf_str(b, esc);
        } else {
            buf_add(b, &p[i], 1);
        }
    }
    buf_str(b, "\"");
}

static call *
find(int32_t id)
{
    for (int i = 0; i < ncalls; i++)
        if (calls[i].id == id)
            return &calls[i];
    return NULL;
}

static ssize_t
send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags,
        void *ud)
{
    (void)s;
    (void)flags;
    (void)ud;
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK
            ? NGHTTP2_ERR_WOULDBLOCK : NGHTTP2_ERR_CALLBACK_FAILURE;
    return n;
}

static int
header_cb(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
          size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags,
          void *ud)
{
    (void)s;
    (void)flags;
    (void)ud;
    call *c = find(f->hd.stream_id);
    if (c == NULL || f->hd.type != NGHTTP2_HEADERS)
        return 0;
    int trailer = f->headers.cat == NGHTTP2_HCAT_HEADERS;
    if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
        c->status = atoi((const char *)value);
        return 0;
    }
    if (nlen == 11 && memcmp(name, "grpc-status", 11) == 0) {
        snprintf(c->grpc_status, sizeof(c->grpc_status), "%.*s", (int)vlen,
                 (const char *)value);
        c->have_status = 1;
    }
    if (nlen == 12 && memcmp(name, "grpc-message", 12) == 0) {
        snprintf(c->grpc_message, sizeof(c->grpc_message), "%.*s", (int)vlen,
                 (const char *)value);
        c->have_message = 1;
    }
    buf *b = trailer ? &c->trailers : &c->headers;
    if (b->len > 0)
        buf_str(b, ", ");
    buf_str(b, "[");
    json_str(b, (const char *)name, nlen);
    buf_str(b, ", ");
    json_str(b, (const char *)value, vlen);
    buf_str(b, "]");
    return 0;
}

static int
frame_recv_cb(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    (void)s;
    (void)ud;
    call *c = find(f->hd.stream_id);
    if (c == NULL)
        return 0;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_RESPONSE) {
        c->heads++;
        if ((f->hd.flags & NGHTTP2_FLAG_END_STREAM) && c->body.len == 0)
            c->trailers_only = 1;
    }
    /* RST_STREAM(NO_ERROR) after a complete response is no failure. */
    if (f->hd.type == NGHTTP2_RST_STREAM && f->rst_stream.error_code != 0)
        c->reset = (long)f->rst_stream.error_code;
    return 0;
}

static void resume_all(nghttp2_session *s);

static int
data_cb(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
        size_t len, void *ud)
{
    (void)flags;
    (void)ud;
    call *c = find(id);
    if (c != NULL)
        buf_add(&c->body, data, len);
    if (bidi)
        resume_all(s);
    return 0;
}

static int
close_cb(nghttp2_session *s, int32_t id, uint32_t err, void *ud)
{
    (void)s;
    (void)ud;
    call *c = find(id);
    if (c != NULL) {
        c->done = 1;
        if (err != NGHTTP2_NO_ERROR && c->reset < 0)
            c->reset = (long)err;
    }
    return 0;
}

/* Complete length-prefixed messages in the response so far. */
static int
count_replies(const call *c)
{
    size_t off = 0;
    int k = 0;
    while (c->body.len - off >= 5) {
        const uint8_t *p = (const uint8_t *)c->body.p + off;
        size_t n = h2t_grpc_length(p);
        if (c->body.len - off - 5 < n)
            break;
        off += 5 + n;
        k++;
    }
    return k;
}

static ssize_t
read_cb(nghttp2_session *s, int32_t id, uint8_t *out, size_t len,
        uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)s;
    (void)src;
    (void)ud;
    call *c = find(id);
    size_t limit = request.len;
    if (body_held)
        limit = 0;
    else if (bidi) {
        /* Message k+1 once k replies are in. */
        int k = count_replies(c) + 1;
        limit = k >= nmsgs ? request.len : msg_end[k - 1];
    }
    size_t left = limit - c->sent;
    size_t n = left < len ? left : len;
    if (n == 0 && c->sent < request.len) {
        c->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    memcpy(out, request.p + c->sent, n);
    c->sent += n;
    if (c->sent == request.len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static void
resume_all(nghttp2_session *s)
{
    for (int i = 0; i < ncalls; i++) {
        if (!calls[i].deferred || calls[i].done)
            continue;
        calls[i].deferred = 0;
        nghttp2_session_resume_data(s, calls[i].id);
    }
}

static void
add_message(const char *p, size_t n)
{
    uint8_t h[H2T_GRPC_PREFIX];
    h2t_grpc_prefix(h, n);
    buf_add(&request, h, H2T_GRPC_PREFIX);
    buf_add(&request, p, n);
    if (nmsgs < MAX_FIELDS)
        msg_end[nmsgs++] = request.len;
    if (first_message.p == NULL)
        buf_add(&first_message, p, n);
}

static void
print_call(call *c, int grpc)
{
    buf o = { 0 };
    char num[64];
    snprintf(num, sizeof(num), "{\"stream\": %d, \"status\": %d, ", (int)c->id,
             c->status);
    buf_str(&o, num);
    buf_str(&o, "\"headers\": [");
    if (c->headers.p)
        buf_str(&o, c->headers.p);
    buf_str(&o, "], \"trailers\": [");
    if (c->trailers.p)
        buf_str(&o, c->trailers.p);
    buf_str(&o, "], \"trailers_only\": ");
    buf_str(&o, c->trailers_only ? "true" : "false");
    buf_str(&o, ", \"grpc_status\": ");
    if (c->have_status)
        json_str(&o, c->grpc_status, strlen(c->grpc_status));
    else
        buf_str(&o, "null");
    buf_str(&o, ", \"grpc_message\": ");
    if (c->have_message)
        json_str(&o, c->grpc_message, strlen(c->grpc_message));
    else
        buf_str(&o, "null");
    /* Length-prefixed messages. */
    buf lens = { 0 };
    buf_str(&o, ", \"messages\": [");
    size_t off = 0;
    int count = 0, echo = first_message.len > 0, framing_ok = 1;
    while (grpc && off < c->body.len) {
        const uint8_t *p = (const uint8_t *)c->body.p + off;
        if (c->body.len - off < 5) {
            framing_ok = 0;
            break;
        }
        size_t n = h2t_grpc_length(p);
        if (c->body.len - off - 5 < n) {
            framing_ok = 0;
            break;
        }
        if (count++ > 0) {
            buf_str(&o, ", ");
            buf_str(&lens, ", ");
        }
        json_str(&o, (const char *)p + 5, n > 200 ? 200 : n);
        snprintf(num, sizeof(num), "%zu", n);
        buf_str(&lens, num);
        if (n < first_message.len ||
            memcmp(p + 5 + n - first_message.len, first_message.p,
                   first_message.len) != 0)
            echo = 0;
        off += 5 + n;
    }
    buf_str(&o, "], \"message_lens\": [");
    if (lens.p)
        buf_str(&o, lens.p);
    buf_str(&o, "], \"framing_ok\": ");
    buf_str(&o, framing_ok ? "true" : "false");
    buf_str(&o, ", \"echo_match\": ");
    buf_str(&o, echo && count > 0 ? "true" : "false");
    buf_str(&o, ", \"body\": ");
    if (grpc)
        buf_str(&o, "null");
    else
        json_str(&o, c->body.p ? c->body.p : "",
                 c->body.len > 4000 ? 4000 : c->body.len);
    buf_str(&o, ", \"reset\": ");
    if (c->reset >= 0) {
        snprintf(num, sizeof(num), "%ld", c->reset);
        buf_str(&o, num);
    } else {
        buf_str(&o, "null");
    }
    buf_str(&o, "}\n");
    fputs(o.p, stdout);
    free(o.p);
    free(lens.p);
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
usage(void)
{
    fprintf(stderr, "usage: grpc-client [--authority A] [-H NAME:VALUE]... "
            "[-n N] [--size N] [--get | --post BODY] [--reset-after MS] "
            "[--delay MS] [--bidi] [--timeout S] PORT PATH [MESSAGE...]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *authority = NULL, *post = NULL;
    char *extra[MAX_FIELDS][2];
    int nextra = 0, n = 1, get = 0;
    long size = -1, reset_after = -1, delay = -1;
    double timeout = 10;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--get") == 0) {
            get = 1;
            continue;
        }
        if (strcmp(a, "--bidi") == 0) {
            bidi = 1;
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        if (strcmp(a, "--authority") == 0) {
            authority = argv[++i];
        } else if (strcmp(a, "-H") == 0) {
            char *v = strchr(argv[++i], ':');
            if (v == NULL || nextra == MAX_FIELDS)
                return usage();
            *v = '\0';
            extra[nextra][0] = argv[i];
            extra[nextra][1] = v + 1 + (v[1] == ' ');
            nextra++;
        } else if (strcmp(a, "-n") == 0) {
            n = atoi(argv[++i]);
        } else if (strcmp(a, "--size") == 0) {
            size = atol(argv[++i]);
        } else if (strcmp(a, "--delay") == 0) {
            delay = atol(argv[++i]);
        } else if (strcmp(a, "--post") == 0) {
            post = argv[++i];
        } else if (strcmp(a, "--reset-after") == 0) {
            reset_after = atol(argv[++i]);
        } else if (strcmp(a, "--timeout") == 0) {
            timeout = atof(argv[++i]);
        } else {
            return usage();
        }
    }
    if (argc - i < 2 || n < 1 || n > MAX_STREAMS)
        return usage();
    int port = atoi(argv[i]);
    const char *path = argv[i + 1];
    int grpc = !get && post == NULL;
    if (grpc && size >= 0) {
        char *m = malloc((size_t)size + 1);
        for (long k = 0; k < size; k++)
            m[k] = (char)('a' + k % 26);
        add_message(m, (size_t)size);
        free(m);
    } else if (grpc) {
        for (int k = i + 2; k < argc; k++)
            add_message(argv[k], strlen(argv[k]));
    } else if (post != NULL) {
        buf_str(&request, post);
    }
    char auth[64];
    if (authority == NULL) {
        snprintf(auth, sizeof(auth), "127.0.0.1:%d", port);
        authority = auth;
    }

    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        perror("grpc-client: connect");
        return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    nghttp2_session_callbacks *cbs;
    nghttp2_session *session;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
    nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frame_recv_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, data_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, close_cb);
    nghttp2_session_client_new(&session, cbs, NULL);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, NULL, 0);

    nghttp2_nv nva[6 + MAX_FIELDS];
    size_t k = 0;
    nva[k++] = h2t_nv(":method", get ? "GET" : "POST");
    nva[k++] = h2t_nv(":scheme", "http");
    nva[k++] = h2t_nv(":authority", authority);
    nva[k++] = h2t_nv(":path", path);
    if (grpc) {
        nva[k++] = h2t_nv("content-type", "application/grpc");
        nva[k++] = h2t_nv("te", "trailers");
    }
    for (int e = 0; e < nextra; e++)
        nva[k++] = h2t_nv(extra[e][0], extra[e][1]);
    nghttp2_data_provider prd;
    prd.source.ptr = NULL;
    prd.read_callback = read_cb;
    for (int c = 0; c < n; c++) {
        calls[c].reset = -1;
        calls[c].id = nghttp2_submit_request(session, NULL, nva, k,
                                             get ? NULL : &prd, NULL);
        if (calls[c].id < 0) {
            fprintf(stderr, "grpc-client: submit: %s\n",
                    nghttp2_strerror(calls[c].id));
            return 1;
        }
        ncalls++;
    }

    body_held = delay > 0;
    double t0 = now(), deadline = t0 + timeout;
    int reset_done = 0, failed = 0;
    for (;;) {
        int open = 0;
        for (int c = 0; c < ncalls; c++)
            open += !calls[c].done;
        if (open == 0)
            break;
        if (reset_after >= 0 && !reset_done &&
            now() - t0 >= (double)reset_after / 1000) {
            for (int c = 0; c < ncalls; c++)
                if (!calls[c].done)
                    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE,
                                              calls[c].id, NGHTTP2_CANCEL);
            reset_done = 1;
        }
        if (body_held && now() - t0 >= (double)delay / 1000) {
            body_held = 0;
            resume_all(session);
        }
        if (nghttp2_session_send(session) != 0) {
            fprintf(stderr, "grpc-client: send failed\n");
            failed = 1;
            break;
        }
        if (reset_done) {
            /* Give the RST_STREAM a moment to leave, then stop. */
            struct timespec pause = { 0, 100000000 };
            nanosleep(&pause, NULL);
            break;
        }
        double t = now();
        if (t >= deadline) {
            fprintf(stderr, "grpc-client: timed out\n");
            failed = 1;
            break;
        }
        double wait = deadline - t;
        if (reset_after >= 0 && !reset_done) {
            double r = t0 + (double)reset_after / 1000 - t;
            if (r < wait)
                wait = r > 0 ? r : 0;
        }
        if (body_held) {
            double r = t0 + (double)delay / 1000 - t;
            if (r < wait)
                wait = r > 0 ? r : 0;
        }
        struct pollfd p = { fd, POLLIN, 0 };
        if (nghttp2_session_want_write(session))
            p.events |= POLLOUT;
        int rc = poll(&p, 1, (int)(wait * 1000) + 1);
        if (rc < 0 && errno != EINTR) {
            perror("grpc-client: poll");
            failed = 1;
            break;
        }
        if (rc > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
            uint8_t b[65536];
            ssize_t got = recv(fd, b, sizeof(b), 0);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                fprintf(stderr, "grpc-client: connection closed\n");
                failed = 1;
                break;
            }
            if (got > 0 && nghttp2_session_mem_recv(session, b, (size_t)got) < 0) {
                fprintf(stderr, "grpc-client: HTTP/2 error\n");
                failed = 1;
                break;
            }
        }
    }
    for (int c = 0; c < ncalls; c++) {
        print_call(&calls[c], grpc);
        if (!calls[c].done || calls[c].reset >= 0)
            failed = 1;
        free(calls[c].headers.p);
        free(calls[c].trailers.p);
        free(calls[c].body.p);
    }
    nghttp2_session_del(session);
    close(fd);
    free(request.p);
    free(first_message.p);
    return failed || reset_done ? 1 : 0;
}
