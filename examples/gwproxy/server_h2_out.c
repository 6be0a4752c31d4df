/*
 * gwproxy - responses on HTTP/2 client streams. SPDX-License-Identifier: MIT
 *
 * The head becomes a HEADERS frame (":status", field names in lower case,
 * connection-specific fields dropped, content-length when known). A
 * response without a body -- a generated one with an empty body, HEAD,
 * 204/304, an upstream answer that ended with its head -- is that one
 * frame with END_STREAM: for gRPC that is a trailers-only response. Body
 * bytes queue in the stream and go out as DATA through a data provider
 * that defers while the queue is empty; upstream trailers (grpc-status,
 * grpc-message) follow the last DATA as a HEADERS frame with END_STREAM.
 *
 * Back-pressure: past GWP_HIGH_WATER queued bytes the exchange pauses its
 * upstream; when the data provider has drained the queue below half of
 * that, the stream asks (from the loop) to resume it. The peer's HTTP/2
 * flow-control window and the connection's output buffer (send_cb) bound
 * what leaves the queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "server_h2.h"

void
gwp_h2s_set_exchange(struct gwp_h2s *s, gwp_exchange *x)
{
    s->x = x;
}

void
gwp_h2__reset(struct gwp_h2s *s, uint32_t code)
{
    if (s->reset)
        return;
    s->reset = 1;
    nghttp2_submit_rst_stream(s->h->session, NGHTTP2_FLAG_NONE, s->id, code);
    gwp_h2__schedule(s->h);
}

static nghttp2_nv
nv(const char *name, size_t nlen, const char *value, size_t vlen)
{
    nghttp2_nv v = { (uint8_t *)(uintptr_t)name, (uint8_t *)(uintptr_t)value,
                     nlen, vlen, NGHTTP2_NV_FLAG_NONE };
    return v;
}

/* The fields that may cross into HTTP/2, names in lower case (copied into
 * lower, which holds the sum of the name lengths). The count written. */
static size_t
copy_fields(nghttp2_nv *nva, char *lower, const gwr_header *h, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        gwr_str name = h[i].name;
        if (name.len == 0 || name.ptr[0] == ':' || http_is_hop_by_hop(name))
            continue;
        for (size_t j = 0; j < name.len; j++) {
            char c = name.ptr[j];
            lower[j] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        nva[k++] = nv(lower, name.len, h[i].value.ptr, h[i].value.len);
        lower += name.len;
    }
    return k;
}

static ssize_t
read_out_cb(nghttp2_session *session, int32_t id, uint8_t *buf, size_t len,
            uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)id;
    (void)ud;
    struct gwp_h2s *s = src->ptr;
    int n = evbuffer_remove(s->out, buf, len);
    if (n < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t left = evbuffer_get_length(s->out);
    if (s->paused && left < GWP_HIGH_WATER / 2) {
        s->paused = 0;
        s->want_resume = 1;
        gwp_h2__schedule(s->h);
    }
    if (left > 0)
        return n;
    if (!s->out_ended) {
        if (n > 0)
            return n;
        s->deferred = 1;
        return NGHTTP2_ERR_DEFERRED;
    }
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (s->trailers.n > 0) {
        nghttp2_nv nva[HTTP_MAX_HEADERS];
        size_t total = 0;
        for (size_t i = 0; i < s->trailers.n; i++)
            total += s->trailers.v[i].name.len;
        char *lower = malloc(total + 1);
        if (lower == NULL)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        size_t k = copy_fields(nva, lower, s->trailers.v, s->trailers.n);
        /* nghttp2 copies the fields: the buffers may go right after. */
        if (k > 0 && nghttp2_submit_trailer(session, s->id, nva, k) == 0)
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        free(lower);
        http_fields_clear(&s->trailers);
    }
    return n;
}

int
gwp_h2s_respond(struct gwp_h2s *s, int status, const gwr_header *h, size_t n,
                const gwr_str *body, int end_now, int64_t content_length)
{
    if (s->responded || s->reset)
        return -1;
    nghttp2_nv *nva = calloc(n + 2, sizeof(*nva));
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += h[i].name.len;
    char *lower = malloc(total + 1);
    if (nva == NULL || lower == NULL) {
        free(nva);
        free(lower);
        gwp_h2__reset(s, NGHTTP2_INTERNAL_ERROR);
        return -1;
    }
    char st[8], cl[24];
    snprintf(st, sizeof(st), "%03d", status % 1000);
    size_t k = 0;
    nva[k++] = nv(":status", 7, st, strlen(st));
    k += copy_fields(nva + k, lower, h, n);
    if (content_length >= 0) {
        snprintf(cl, sizeof(cl), "%lld", (long long)content_length);
        nva[k++] = nv("content-length", 14, cl, strlen(cl));
    }
    if (body != NULL) {
        /* Generated: all of it now. */
        if (body->len > 0)
            evbuffer_add(s->out, body->ptr, body->len);
        end_now = body->len == 0;
    }
    nghttp2_data_provider prd;
    prd.source.ptr = s;
    prd.read_callback = read_out_cb;
    int rc = nghttp2_submit_response(s->h->session, s->id, nva, k,
                                     end_now ? NULL : &prd);
    free(nva);
    free(lower);
    s->responded = 1;
    s->out_ended = end_now || body != NULL;
    if (rc != 0) {
        gwp_h2__reset(s, NGHTTP2_INTERNAL_ERROR);
        return -1;
    }
    gwp_h2__schedule(s->h);
    return 0;
}

void
gwp_h2__answer(struct gwp_h2s *s, int status)
{
    gwr_str none = { "", 0 };
    gwp_h2s_respond(s, status, NULL, 0, &none, 1, -1);
}

static void
resume(struct gwp_h2s *s)
{
    if (!s->deferred)
        return;
    s->deferred = 0;
    nghttp2_session_resume_data(s->h->session, s->id);
    gwp_h2__schedule(s->h);
}

int
gwp_h2s_data(struct gwp_h2s *s, struct evbuffer *data)
{
    if (s->out_ended || s->reset) {
        evbuffer_drain(data, evbuffer_get_length(data));
        return 0;
    }
    evbuffer_add_buffer(s->out, data);
    resume(s);
    if (evbuffer_get_length(s->out) > GWP_HIGH_WATER) {
        s->paused = 1;
        return 1;
    }
    return 0;
}

void
gwp_h2s_end(struct gwp_h2s *s, http_fields *trailers)
{
    if (s->out_ended || s->reset)
        return;
    s->out_ended = 1;
    http_fields_move(&s->trailers, trailers);
    resume(s);
}

void
gwp_h2s_finished(struct gwp_h2s *s, int aborted)
{
    s->x = NULL;
    /* Cut short, or never answered: the client must not wait. */
    if (aborted || !s->responded || !s->out_ended)
        gwp_h2__reset(s, NGHTTP2_INTERNAL_ERROR);
}

int
gwp_h2__frame_sent(nghttp2_session *session, const nghttp2_frame *f, void *ud)
{
    (void)ud;
    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    struct gwp_h2s *s = nghttp2_session_get_stream_user_data(session,
                                                             f->hd.stream_id);
    if (s != NULL && !s->req_done && !s->reset) {
        /* Answered before the request ended: stop the rest of it. */
        s->reset = 1;
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id,
                                  NGHTTP2_NO_ERROR);
    }
    return 0;
}
