/*
 * gwproxy - HTTP/2 cleartext client connections (prior knowledge), on
 * libnghttp2. SPDX-License-Identifier: MIT
 *
 * server.c hands over a connection whose first bytes are the client
 * preface; an nghttp2 server session takes it from there. Each stream is
 * one request: when its HEADERS are complete the head is rebuilt as
 * HTTP/1-style fields (":authority" becomes Host, cookie crumbs are
 * joined), routed and submitted to the engine like an HTTP/1.x request
 * (exchange.c), and its DATA frames are appended to a growing request body
 * that the upstream requests read as it arrives (body.c). Responses are
 * framed by server_h2_out.c.
 *
 * Limits: GWP_H2_MAX_STREAMS concurrent streams (SETTINGS); request heads
 * of HTTP_MAX_HEAD bytes and HTTP_MAX_HEADERS fields (else 431); request
 * bodies are kept whole for retries and mirrors, at most GWP_MAX_BODY per
 * stream and GWP_H2_CONN_BODY_MAX per connection: past that the exchange
 * is cancelled and the stream answered 413 (or reset with
 * ENHANCE_YOUR_CALM once a response has started). Request trailers are
 * dropped.
 *
 * Re-entrancy: nghttp2 callbacks never send and never free the session;
 * frames queued from elsewhere (the engine's callbacks) are sent from a
 * zero-delay event (gwp_h2__schedule). A stream is freed only by its
 * close callback or with its connection.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>

#include "server_h2.h"

static void
stream_free(struct gwp_h2s *s)
{
    struct gwp_h2c *h = s->h;
    if (s->x != NULL) {
        /* The client reset the stream (or the connection went): cancel. */
        gwp_exchange *x = s->x;
        s->x = NULL;
        gwp_exchange_client_gone(x);
    }
    if (s->body != NULL) {
        gwp_body_end(s->body, 0); /* no-op once complete */
        gwp_body_unref(s->body);
    }
    h->body_bytes -= s->counted;
    *s->prev = s->next;
    if (s->next)
        s->next->prev = s->prev;
    http_fields_clear(&s->fields);
    http_fields_clear(&s->trailers);
    if (s->out)
        evbuffer_free(s->out);
    free(s);
}

static struct gwp_h2s *
stream_of(struct gwp_h2c *h, int32_t id)
{
    return nghttp2_session_get_stream_user_data(h->session, id);
}

/* Fatal for the connection: every stream goes (their exchanges are
 * cancelled), what is queued is flushed, then it closes. */
static void
h2c_fail(struct gwp_h2c *h, const char *why)
{
    if (h->dead)
        return;
    if (h->px->verbose)
        fprintf(stderr, "gwproxy: %s: HTTP/2: %s\n", gwp_client_peer(h->c),
                why);
    h->dead = 1;
    while (h->streams != NULL) {
        nghttp2_session_set_stream_user_data(h->session, h->streams->id, NULL);
        stream_free(h->streams);
    }
    gwp_client_close(h->c);
}

/* Resume the upstreams of streams that drained, then send. From the loop
 * only. */
static void
h2c_send(struct gwp_h2c *h)
{
    if (h->dead)
        return;
    for (struct gwp_h2s *s = h->streams; s != NULL; s = s->next) {
        if (!s->want_resume)
            continue;
        s->want_resume = 0;
        if (s->x != NULL)
            gwp_exchange_client_writable(s->x);
    }
    if (nghttp2_session_send(h->session) != 0) {
        h2c_fail(h, "send failed");
        return;
    }
    int done = !nghttp2_session_want_read(h->session) &&
               !nghttp2_session_want_write(h->session);
    if (done || (h->goaway && h->streams == NULL)) {
        h->dead = 1;
        gwp_client_close(h->c); /* flush, then close */
    }
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    h2c_send(arg);
}

void
gwp_h2__schedule(struct gwp_h2c *h)
{
    if (!h->dead)
        event_active(h->ev_flush, EV_TIMEOUT, 0);
}

/* ---- nghttp2 callbacks -------------------------------------------------- */

static ssize_t
send_cb(nghttp2_session *session, const uint8_t *data, size_t len, int flags,
        void *ud)
{
    (void)session;
    (void)flags;
    struct gwp_h2c *h = ud;
    struct evbuffer *out = bufferevent_get_output(gwp_client_bev(h->c));
    /* Back-pressure: the write callback (below half of this) resumes. */
    if (evbuffer_get_length(out) >= GWP_HIGH_WATER)
        return NGHTTP2_ERR_WOULDBLOCK;
    if (evbuffer_add(out, data, len) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    return (ssize_t)len;
}

static int
begin_headers_cb(nghttp2_session *session, const nghttp2_frame *f, void *ud)
{
    struct gwp_h2c *h = ud;
    if (f->hd.type != NGHTTP2_HEADERS ||
        f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct gwp_h2s *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM */
    s->out = evbuffer_new();
    if (s->out == NULL) {
        free(s);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    s->h = h;
    s->id = f->hd.stream_id;
    s->next = h->streams;
    if (s->next)
        s->next->prev = &s->next;
    s->prev = &h->streams;
    h->streams = s;
    nghttp2_session_set_stream_user_data(session, s->id, s);
    return 0;
}

static int
header_cb(nghttp2_session *session, const nghttp2_frame *f,
          const uint8_t *name, size_t nlen, const uint8_t *value, size_t vlen,
          uint8_t flags, void *ud)
{
    (void)session;
    (void)flags;
    struct gwp_h2s *s = stream_of(ud, f->hd.stream_id);
    if (s == NULL || f->hd.type != NGHTTP2_HEADERS ||
        f->headers.cat != NGHTTP2_HCAT_REQUEST || s->head_status != 0)
        return 0; /* request trailers are dropped */
    s->head_bytes += nlen + vlen + 4;
    if (s->head_bytes > HTTP_MAX_HEAD ||
        http_fields_add(&s->fields, (const char *)name, nlen,
                        (const char *)value, vlen) != 0) {
        s->head_status = 431;
        http_fields_clear(&s->fields);
    }
    return 0;
}

static gwr_str
field(const struct gwp_h2s *s, const char *name)
{
    for (size_t i = 0; i < s->fields.n; i++)
        if (http_str_ieq(s->fields.v[i].name, name))
            return s->fields.v[i].value;
    gwr_str none = { NULL, 0 };
    return none;
}

static char *
put(char *p, gwr_str v, gwr_str *out)
{
    memcpy(p, v.ptr, v.len);
    p[v.len] = '\0';
    out->ptr = p;
    out->len = v.len;
    return p + v.len + 1;
}

/* The stream's fields as a parsed HTTP/1 request head: method, target,
 * Host from :authority (else the host field), the other fields in order,
 * the cookie crumbs joined into one field (RFC 9113 8.2.3). */
static int
build_head(struct gwp_h2s *s, http_head *hd)
{
    gwr_str method = field(s, ":method"), path = field(s, ":path");
    gwr_str authority = field(s, ":authority");
    if (method.len == 0 || path.len == 0)
        return 400; /* CONNECT (no :path) is not proxied */
    size_t total = method.len + path.len + 2;
    for (size_t i = 0; i < s->fields.n; i++)
        total += s->fields.v[i].name.len + s->fields.v[i].value.len + 4;
    memset(hd, 0, sizeof(*hd));
    hd->raw = malloc(total + 16);
    hd->headers = calloc(s->fields.n + 1, sizeof(gwr_header));
    if (hd->raw == NULL || hd->headers == NULL) {
        http_head_clear(hd);
        return 503;
    }
    char *p = put(hd->raw, method, &hd->method);
    p = put(p, path, &hd->target);
    hd->minor = 1;
    if (authority.len > 0) {
        gwr_header *f = &hd->headers[hd->n_headers++];
        p = put(p, (gwr_str)GWR_STR_LIT("host"), &f->name);
        p = put(p, authority, &f->value);
    }
    int cookie_done = 0;
    for (size_t i = 0; i < s->fields.n; i++) {
        const gwr_header *in = &s->fields.v[i];
        if (in->name.len > 0 && in->name.ptr[0] == ':')
            continue;
        if (authority.len > 0 && http_str_ieq(in->name, "host"))
            continue;
        int is_cookie = http_str_ieq(in->name, "cookie");
        if (is_cookie && cookie_done)
            continue;
        gwr_header *f = &hd->headers[hd->n_headers++];
        p = put(p, in->name, &f->name);
        if (!is_cookie) {
            p = put(p, in->value, &f->value);
            continue;
        }
        /* Every crumb, from here on, into this one field. */
        cookie_done = 1;
        size_t vl = 0;
        for (size_t j = i; j < s->fields.n; j++) {
            const gwr_header *c = &s->fields.v[j];
            if (!http_str_ieq(c->name, "cookie"))
                continue;
            if (vl > 0) {
                memcpy(p + vl, "; ", 2);
                vl += 2;
            }
            memcpy(p + vl, c->value.ptr, c->value.len);
            vl += c->value.len;
        }
        p[vl] = '\0';
        f->value.ptr = p;
        f->value.len = vl;
        p += vl + 1;
    }
    return 0;
}

/* The request head is complete: route it. */
static void
start_request(struct gwp_h2s *s)
{
    struct gwp_h2c *h = s->h;
    http_head head;
    int status = s->head_status ? s->head_status : build_head(s, &head);
    http_fields_clear(&s->fields);
    if (status == 0) {
        s->body = gwp_body_new(NULL);
        if (s->body == NULL) {
            http_head_clear(&head);
            status = 503;
        }
    }
    if (status == 0 && s->req_done)
        gwp_body_end(s->body, 1);
    if (status == 0 && gwp_exchange_start_h2(h->px, s, h->port, &head, s->body,
                                             gwp_client_peer(h->c)) != 0)
        status = 503;
    if (status != 0) {
        fprintf(stderr, "gwproxy: %s: HTTP/2 stream %d: %d\n",
                gwp_client_peer(h->c), (int)s->id, status);
        gwp_h2__answer(s, status);
    }
}

/* The request body is too big to keep: give up on the exchange. */
static void
body_overflow(struct gwp_h2s *s)
{
    fprintf(stderr, "gwproxy: %s: HTTP/2 stream %d: request body over the "
            "limit\n", gwp_client_peer(s->h->c), (int)s->id);
    if (s->x != NULL) {
        gwp_exchange *x = s->x;
        s->x = NULL;
        gwp_exchange_client_gone(x);
    }
    gwp_body_end(s->body, 0);
    if (!s->responded)
        gwp_h2__answer(s, 413);
    else
        gwp_h2__reset(s, NGHTTP2_ENHANCE_YOUR_CALM);
}

static int
data_cb(nghttp2_session *session, uint8_t flags, int32_t id,
        const uint8_t *data, size_t len, void *ud)
{
    (void)session;
    (void)flags;
    struct gwp_h2c *h = ud;
    struct gwp_h2s *s = stream_of(h, id);
    if (s == NULL || s->body == NULL || gwp_body_state(s->body) != 0)
        return 0; /* answered already: dropped */
    if (gwp_body_length(s->body) + len > GWP_MAX_BODY ||
        h->body_bytes + len > GWP_H2_CONN_BODY_MAX) {
        body_overflow(s);
        return 0;
    }
    if (gwp_body_append(s->body, data, len) != 0) {
        body_overflow(s);
        return 0;
    }
    s->counted += len;
    h->body_bytes += len;
    return 0;
}

static int
frame_recv_cb(nghttp2_session *session, const nghttp2_frame *f, void *ud)
{
    (void)session;
    struct gwp_h2s *s = stream_of(ud, f->hd.stream_id);
    if (s == NULL)
        return 0;
    int end = (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (f->hd.type == NGHTTP2_HEADERS &&
        f->headers.cat == NGHTTP2_HCAT_REQUEST) {
        s->req_done = end;
        start_request(s);
        return 0;
    }
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) && end) {
        s->req_done = 1;
        if (s->body != NULL)
            gwp_body_end(s->body, 1);
    }
    return 0;
}

static int
close_cb(nghttp2_session *session, int32_t id, uint32_t code, void *ud)
{
    (void)code;
    struct gwp_h2c *h = ud;
    struct gwp_h2s *s = stream_of(h, id);
    if (s == NULL)
        return 0;
    nghttp2_session_set_stream_user_data(session, id, NULL);
    stream_free(s);
    if (h->goaway && h->streams == NULL)
        gwp_h2__schedule(h);
    return 0;
}

/* ---- the connection ------------------------------------------------------ */

struct gwp_h2c *
gwp_h2c_new(gwp_proxy *px, struct gwp_client *c, uint32_t port)
{
    struct gwp_h2c *h = calloc(1, sizeof(*h));
    nghttp2_session_callbacks *cbs = NULL;
    if (h == NULL || nghttp2_session_callbacks_new(&cbs) != 0) {
        free(h);
        return NULL;
    }
    h->px = px;
    h->c = c;
    h->port = port;
    nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, begin_headers_cb);
    nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, data_cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frame_recv_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, close_cb);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, gwp_h2__frame_sent);
    int rc = nghttp2_session_server_new(&h->session, cbs, h);
    nghttp2_session_callbacks_del(cbs);
    h->ev_flush = event_new(px->base, -1, 0, on_flush, h);
    nghttp2_settings_entry iv[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, GWP_H2_MAX_STREAMS },
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HTTP_MAX_HEAD },
    };
    if (rc != 0 || h->ev_flush == NULL ||
        nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, iv, 2) != 0) {
        if (rc == 0)
            nghttp2_session_del(h->session);
        if (h->ev_flush)
            event_free(h->ev_flush);
        free(h);
        return NULL;
    }
    /* Many small frames go both ways: no Nagle delay between them. */
    int one = 1;
    setsockopt(bufferevent_getfd(gwp_client_bev(c)), IPPROTO_TCP, TCP_NODELAY,
               &one, sizeof(one));
    if (px->verbose)
        fprintf(stderr, "gwproxy: %s: HTTP/2 (h2c prior knowledge)\n",
                gwp_client_peer(c));
    return h;
}

void
gwp_h2c_read(struct gwp_h2c *h)
{
    if (h->dead)
        return;
    struct evbuffer *in = bufferevent_get_input(gwp_client_bev(h->c));
    size_t n = evbuffer_get_length(in);
    if (n > 0) {
        unsigned char *p = evbuffer_pullup(in, -1);
        ssize_t rc = nghttp2_session_mem_recv(h->session, p, n);
        evbuffer_drain(in, n);
        if (rc < 0) {
            nghttp2_session_send(h->session); /* a GOAWAY, maybe */
            h2c_fail(h, nghttp2_strerror((int)rc));
            return;
        }
    }
    h2c_send(h);
}

void
gwp_h2c_writable(struct gwp_h2c *h)
{
    h2c_send(h);
}

int
gwp_h2c_busy(const struct gwp_h2c *h)
{
    return h->streams != NULL;
}

void
gwp_h2c_shutdown(struct gwp_h2c *h)
{
    if (h->dead || h->goaway)
        return;
    h->goaway = 1;
    nghttp2_submit_goaway(h->session, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(h->session),
                          NGHTTP2_NO_ERROR, NULL, 0);
    gwp_h2__schedule(h);
}

void
gwp_h2c_free(struct gwp_h2c *h)
{
    h->dead = 1;
    while (h->streams != NULL)
        stream_free(h->streams);
    nghttp2_session_del(h->session);
    event_free(h->ev_flush);
    free(h);
}
