/*
 * gwproxy - HTTP/2 cleartext with prior knowledge (kubernetes.io/h2c
 * backends) on libnghttp2. SPDX-License-Identifier: MIT
 *
 * One session and one stream per upstream connection. nghttp2's callbacks
 * only record what arrived (head fields, body bytes, trailers, stream
 * end); the upstream callbacks (which may call the engine, which may free
 * the connection) run after nghttp2_session_mem_recv() has returned.
 *
 * The request body is read from the shared gwp_body at an offset: what
 * is not there yet defers the DATA frames (an HTTP/2 client's body still
 * arriving), and the body's watcher resumes them. `te: trailers`, the one
 * TE value HTTP/2 allows, is passed on (gRPC servers expect it).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <nghttp2/nghttp2.h>

#include "gwproxy.h"

struct gwp_h2 {
    nghttp2_session *session;
    int32_t stream_id;
    struct evbuffer *head_text; /* ":status" and fields as an HTTP/1 head */
    gwp_body *body;             /* request body (referenced), or NULL */
    size_t sent;                /* bytes of it given to nghttp2 */
    gwp_body_watch watch;       /* while the body grows */
    int deferred;               /* DATA deferred: waiting for the body */
    int head_ready, head_given, closed, failed;
    int remote_done;            /* the response ended (END_STREAM) */
};

static ssize_t
send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)s;
    (void)flags;
    gwp_upstream *u = ud;
    if (evbuffer_add(bufferevent_get_output(u->bev), data, len) != 0)
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    return (ssize_t)len;
}

static int
header_cb(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
          size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags,
          void *ud)
{
    (void)s;
    (void)flags;
    gwp_upstream *u = ud;
    struct gwp_h2 *h = u->h2;
    if (f->hd.type != NGHTTP2_HEADERS || f->hd.stream_id != h->stream_id)
        return 0;
    if (h->head_ready) {
        /* Trailers (nghttp2 has checked them: no pseudo-headers). */
        if (f->headers.cat == NGHTTP2_HCAT_HEADERS && nlen > 0 &&
            name[0] != ':' &&
            http_fields_add(&u->trailers, (const char *)name, nlen,
                            (const char *)value, vlen) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        return 0;
    }
    if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
        if (evbuffer_get_length(h->head_text) == 0)
            evbuffer_add_printf(h->head_text, "HTTP/1.1 %.*s \r\n", (int)vlen,
                                (const char *)value);
        return 0;
    }
    if (nlen > 0 && name[0] == ':')
        return 0;
    evbuffer_add_printf(h->head_text, "%.*s: %.*s\r\n", (int)nlen,
                        (const char *)name, (int)vlen, (const char *)value);
    return 0;
}

static int
frame_recv_cb(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    (void)s;
    gwp_upstream *u = ud;
    struct gwp_h2 *h = u->h2;
    if (f->hd.stream_id == h->stream_id && h->head_ready &&
        (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        h->remote_done = 1; /* our request may still be going */
    if (f->hd.type != NGHTTP2_HEADERS || f->hd.stream_id != h->stream_id ||
        h->head_ready)
        return 0;
    char line[10];
    if (evbuffer_get_length(h->head_text) < sizeof(line))
        return 0; /* no :status: nghttp2 has refused the stream already */
    evbuffer_copyout(h->head_text, line, sizeof(line));
    if (line[9] == '1') {
        /* 1xx: informational, wait for the final head. */
        evbuffer_drain(h->head_text, evbuffer_get_length(h->head_text));
        return 0;
    }
    evbuffer_add(h->head_text, "\r\n", 2);
    h->head_ready = 1;
    if (f->hd.flags & NGHTTP2_FLAG_END_STREAM)
        h->remote_done = 1; /* a head without body (trailers-only) */
    return 0;
}

static int
data_cb(nghttp2_session *s, uint8_t flags, int32_t stream_id,
        const uint8_t *data, size_t len, void *ud)
{
    (void)s;
    (void)flags;
    gwp_upstream *u = ud;
    if (stream_id == u->h2->stream_id)
        evbuffer_add(u->decoded, data, len);
    return 0;
}

static int
close_cb(nghttp2_session *s, int32_t stream_id, uint32_t error_code, void *ud)
{
    (void)s;
    gwp_upstream *u = ud;
    if (stream_id != u->h2->stream_id)
        return 0;
    u->h2->closed = 1;
    if (error_code != NGHTTP2_NO_ERROR || !u->h2->head_ready)
        u->h2->failed = 1;
    return 0;
}

static ssize_t
read_body_cb(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t len,
             uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)s;
    (void)stream_id;
    (void)src;
    gwp_upstream *u = ud;
    struct gwp_h2 *h = u->h2;
    int state = gwp_body_state(h->body);
    if (state < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM */
    size_t n = gwp_body_copy(h->body, h->sent, buf, len);
    h->sent += n;
    if (state == 1 && h->sent == gwp_body_length(h->body)) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return (ssize_t)n;
    }
    if (n == 0) {
        h->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)n;
}

/* The body grew or ended: resume deferred DATA. The session only writes
 * to the output buffer here; what comes back is read from the loop. */
static void
on_body_more(void *ud)
{
    gwp_upstream *u = ud;
    struct gwp_h2 *h = u->h2;
    if (gwp_body_state(h->body) != 0)
        gwp_body_watch_stop(&h->watch);
    if (!h->deferred || h->closed)
        return;
    h->deferred = 0;
    if (nghttp2_session_resume_data(h->session, h->stream_id) == 0)
        nghttp2_session_send(h->session);
    /* Our END_STREAM (or RST_STREAM) may have closed the stream just now,
     * the response having ended before: nothing more will be read, so let
     * the read callback (from the loop) see it. */
    if (h->closed)
        bufferevent_trigger(u->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

void
gwp_h2_free(gwp_upstream *u)
{
    struct gwp_h2 *h = u->h2;
    if (h == NULL)
        return;
    gwp_body_watch_stop(&h->watch);
    nghttp2_session_del(h->session);
    if (h->head_text)
        evbuffer_free(h->head_text);
    gwp_body_unref(h->body);
    free(h);
    u->h2 = NULL;
}

static nghttp2_nv
nv(gwr_str name, gwr_str value)
{
    nghttp2_nv v = { (uint8_t *)(uintptr_t)name.ptr,
                     (uint8_t *)(uintptr_t)value.ptr, name.len, value.len,
                     NGHTTP2_NV_FLAG_NONE };
    return v;
}

int
gwp_h2_send(gwp_upstream *u, const gwr_upstream *req, gwp_body *body)
{
    if (body != NULL && gwp_body_state(body) < 0)
        return -1;
    struct gwp_h2 *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return -1;
    u->h2 = h;
    h->head_text = evbuffer_new();
    nghttp2_session_callbacks *cbs = NULL;
    if (h->head_text == NULL || nghttp2_session_callbacks_new(&cbs) != 0)
        goto fail;
    nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
    nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frame_recv_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, data_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, close_cb);
    int rc = nghttp2_session_client_new(&h->session, cbs, u);
    nghttp2_session_callbacks_del(cbs);
    if (rc != 0)
        goto fail;
    if (body != NULL)
        h->body = gwp_body_ref(body);

    /* Pseudo-headers, then the fields in lower case (HTTP/2 requires it),
     * minus the connection-specific ones. */
    size_t n = gwr_upstream_header_count(req);
    nghttp2_nv *nva = calloc(n + 6, sizeof(*nva));
    char *lower = NULL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += gwr_upstream_header(req, i)->name.len;
    lower = malloc(total + 1);
    if (nva == NULL || lower == NULL) {
        free(nva);
        free(lower);
        goto fail;
    }
    size_t k = 0, off = 0;
    nva[k++] = nv((gwr_str)GWR_STR_LIT(":method"), gwr_upstream_method(req));
    nva[k++] = nv((gwr_str)GWR_STR_LIT(":scheme"), (gwr_str)GWR_STR_LIT("http"));
    nva[k++] = nv((gwr_str)GWR_STR_LIT(":authority"), gwr_upstream_host(req));
    nva[k++] = nv((gwr_str)GWR_STR_LIT(":path"), gwr_upstream_path(req));
    int te_trailers = 0;
    for (size_t i = 0; i < n; i++) {
        const gwr_header *f = gwr_upstream_header(req, i);
        if (http_str_ieq(f->name, "te") &&
            http_list_has(f->value, (gwr_str)GWR_STR_LIT("trailers")))
            te_trailers = 1;
        if (gwp_skip_request_field(req, f->name))
            continue;
        for (size_t j = 0; j < f->name.len; j++) {
            char c = f->name.ptr[j];
            lower[off + j] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        gwr_str name = { lower + off, f->name.len };
        off += f->name.len;
        nva[k++] = nv(name, f->value);
    }
    if (te_trailers)
        nva[k++] = nv((gwr_str)GWR_STR_LIT("te"), (gwr_str)GWR_STR_LIT("trailers"));
    /* A complete body has a length; a growing one is streamed, and ends
     * with the stream. */
    char clen[32];
    int growing = h->body != NULL && gwp_body_state(h->body) == 0;
    size_t blen = h->body != NULL ? gwp_body_length(h->body) : 0;
    if (blen > 0 && !growing) {
        int m = snprintf(clen, sizeof(clen), "%zu", blen);
        gwr_str v = { clen, (size_t)m };
        nva[k++] = nv((gwr_str)GWR_STR_LIT("content-length"), v);
    }
    nghttp2_data_provider prd;
    prd.source.ptr = NULL;
    prd.read_callback = read_body_cb;
    nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, NULL, 0);
    h->stream_id = nghttp2_submit_request(h->session, NULL, nva, k,
                                          blen > 0 || growing ? &prd : NULL,
                                          NULL);
    free(nva);
    free(lower);
    if (h->stream_id < 0)
        goto fail;
    /* HEADERS, DATA as it comes, WINDOW_UPDATEs: no Nagle delay. */
    int one = 1;
    setsockopt(bufferevent_getfd(u->bev), IPPROTO_TCP, TCP_NODELAY, &one,
               sizeof(one));
    if (growing)
        gwp_body_watch_start(h->body, &h->watch, on_body_more, u);
    if (nghttp2_session_send(h->session) != 0)
        goto fail;
    bufferevent_enable(u->bev, EV_READ | EV_WRITE);
    return 0;
fail:
    gwp_h2_free(u);
    return -1;
}

/* Feed what arrived to nghttp2, answer it, then tell the upstream what
 * changed: 1 head ready, 0 nothing new, -1 error. */
int
gwp_h2_recv(gwp_upstream *u)
{
    struct gwp_h2 *h = u->h2;
    struct evbuffer *in = bufferevent_get_input(u->bev);
    size_t n = evbuffer_get_length(in);
    if (n > 0) {
        unsigned char *p = evbuffer_pullup(in, -1);
        ssize_t rc = nghttp2_session_mem_recv(h->session, p, n);
        if (rc < 0)
            return -1;
        evbuffer_drain(in, n);
    }
    if (nghttp2_session_send(h->session) != 0)
        return -1;
    if (h->head_ready && !h->head_given) {
        h->head_given = 1;
        return 1;
    }
    return h->failed ? -1 : 0;
}

/* Parse the head collected from the HEADERS frame. */
int
gwp_h2_head(gwp_upstream *u)
{
    struct gwp_h2 *h = u->h2;
    if (http_parse_response(h->head_text, &u->head) != 1)
        return -1;
    gwr_str m = { u->method, strlen(u->method) };
    if (body_reader_response(&u->br, &u->head, m) != 0)
        return -1;
    /* Content-Length framing is kept for the client; HTTP/2 has no
     * chunked coding, so anything else is "until the stream ends". */
    if (u->br.mode == BODY_CHUNKED)
        u->br.mode = BODY_CLOSE;
    return 0;
}

/* The response is complete: the stream closed, or the backend ended its
 * side (it may answer before the request body is all sent; the rest of it
 * is then not needed). */
int
gwp_h2_closed(const gwp_upstream *u)
{
    return u->h2->closed || u->h2->remote_done;
}

int
gwp_h2_failed(const gwp_upstream *u)
{
    return u->h2->failed;
}
