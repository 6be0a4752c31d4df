/*
 * gwproxy - one HTTP/1.1 connection to a backend, used for one attempt.
 * SPDX-License-Identifier: MIT
 *
 * Connect, write the request, parse the response head, then (once the
 * exchange decided to keep this response) decode and hand over the body.
 * Requests carry "Connection: close" (or "Connection: Upgrade"), so a
 * connection is never reused and a close-delimited body is simple.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gwproxy.h"

static void
fail(gwp_upstream *u, const char *what)
{
    bufferevent_disable(u->bev, EV_READ | EV_WRITE);
    u->cbs->error(u, what, u->ud);
}

/* Runs the body decoder over what arrived; may call done/error, after
 * which u may be gone: callers return right after. */
static void
pump(gwp_upstream *u, int eof)
{
    struct evbuffer *in = bufferevent_get_input(u->bev);
    int rc = body_reader_run(&u->br, in, u->decoded);
    if (evbuffer_get_length(u->decoded) > 0)
        u->cbs->body(u, u->decoded, u->ud);
    if (rc < 0) {
        fail(u, "malformed response body");
        return;
    }
    if (rc == 1) {
        bufferevent_disable(u->bev, EV_READ);
        u->cbs->done(u, u->ud);
        return;
    }
    if (eof) {
        if (u->br.mode == BODY_CLOSE) {
            u->br.done = 1;
            u->cbs->done(u, u->ud);
        } else {
            fail(u, "response body cut short");
        }
    }
}

#ifdef GWP_HAVE_NGHTTP2
/* HTTP/2: body bytes and the end of the stream were recorded by the
 * session; hand them over once the exchange relays this response. */
static void
h2_pump(gwp_upstream *u, int eof)
{
    if (evbuffer_get_length(u->decoded) > 0)
        u->cbs->body(u, u->decoded, u->ud);
    if (gwp_h2_failed(u)) {
        fail(u, "HTTP/2 stream reset");
        return;
    }
    if (gwp_h2_closed(u)) {
        bufferevent_disable(u->bev, EV_READ);
        u->cbs->done(u, u->ud);
        return;
    }
    if (eof)
        fail(u, "connection closed in the HTTP/2 stream");
}

static void
h2_read(gwp_upstream *u)
{
    int rc = gwp_h2_recv(u);
    if (rc == 1) {
        if (gwp_h2_head(u) != 0) {
            fail(u, "malformed HTTP/2 response head");
            return;
        }
        u->have_head = 1;
        u->cbs->head(u, u->ud);
        return;
    }
    if (rc < 0 && !u->have_head) {
        fail(u, "HTTP/2 error");
        return;
    }
    if (u->streaming && !u->paused)
        h2_pump(u, 0);
}
#endif

static void
on_read(struct bufferevent *bev, void *arg)
{
    gwp_upstream *u = arg;
#ifdef GWP_HAVE_NGHTTP2
    if (u->h2 != NULL) {
        h2_read(u);
        return;
    }
#endif
    if (!u->have_head) {
        struct evbuffer *in = bufferevent_get_input(bev);
        int rc;
        /* 1xx informational heads other than 101 are skipped. */
        for (;;) {
            rc = http_parse_response(in, &u->head);
            if (rc != 1 || u->head.status >= 200 || u->head.status == 101)
                break;
            http_head_clear(&u->head);
        }
        if (rc == 0)
            return;
        gwr_str m = { u->method, strlen(u->method) };
        if (rc < 0 || body_reader_response(&u->br, &u->head, m) != 0) {
            fail(u, "malformed response head");
            return;
        }
        u->have_head = 1;
        bufferevent_disable(bev, EV_READ);
        u->cbs->head(u, u->ud);
        return;
    }
    if (u->streaming && !u->paused)
        pump(u, 0);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
    gwp_upstream *u = arg;
    (void)bev;
    if (what & BEV_EVENT_CONNECTED) {
        u->connected = 1;
        u->cbs->connected(u, u->ud);
        return;
    }
#ifdef GWP_HAVE_NGHTTP2
    if ((what & BEV_EVENT_EOF) && u->h2 != NULL && u->have_head) {
        if (u->streaming)
            h2_pump(u, 1);
        return;
    }
#endif
    if (what & BEV_EVENT_EOF) {
        if (!u->have_head) {
            fail(u, "connection closed before the response head");
            return;
        }
        if (u->streaming) {
            /* Whatever is buffered is part of the body. */
            pump(u, 1);
            return;
        }
        return; /* the head is being looked at; EOF is seen again later */
    }
    fail(u, (what & BEV_EVENT_TIMEOUT) ? "timeout" : "connection error");
}

gwp_upstream *
gwp_upstream_connect(gwp_proxy *px, const struct sockaddr *addr, socklen_t len,
                     const gwp_upstream_cbs *cbs, void *ud)
{
    gwp_upstream *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    u->px = px;
    u->cbs = cbs;
    u->ud = ud;
    u->decoded = evbuffer_new();
    /* Deferred callbacks: they always run from the loop, never from inside
     * a call into the engine (which would refuse a re-entrant call). */
    u->bev = bufferevent_socket_new(px->base, -1,
                                    BEV_OPT_CLOSE_ON_FREE |
                                    BEV_OPT_DEFER_CALLBACKS);
    if (u->decoded == NULL || u->bev == NULL) {
        gwp_upstream_free(u);
        return NULL;
    }
    bufferevent_setcb(u->bev, on_read, NULL, on_event, u);
    if (bufferevent_socket_connect(u->bev, addr, (int)len) != 0) {
        gwp_upstream_free(u);
        return NULL;
    }
    return u;
}

void
gwp_upstream_send(gwp_upstream *u, struct evbuffer *req, gwr_str method)
{
    size_t n = method.len < sizeof(u->method) - 1 ? method.len
                                                 : sizeof(u->method) - 1;
    memcpy(u->method, method.ptr, n);
    u->method[n] = '\0';
    evbuffer_add_buffer(bufferevent_get_output(u->bev), req);
    bufferevent_enable(u->bev, EV_READ | EV_WRITE);
}

#ifdef GWP_HAVE_NGHTTP2
int
gwp_upstream_send_h2(gwp_upstream *u, const gwr_upstream *req,
                     gwp_body *body)
{
    gwr_str method = gwr_upstream_method(req);
    size_t n = method.len < sizeof(u->method) - 1 ? method.len
                                                 : sizeof(u->method) - 1;
    memcpy(u->method, method.ptr, n);
    u->method[n] = '\0';
    return gwp_h2_send(u, req, body);
}
#endif

void
gwp_upstream_stream(gwp_upstream *u)
{
    u->streaming = 1;
    if (!u->paused)
        bufferevent_enable(u->bev, EV_READ);
#ifdef GWP_HAVE_NGHTTP2
    if (u->h2 != NULL) {
        if (!u->paused)
            h2_pump(u, 0);
        return;
    }
#endif
    /* Bytes that came with the head, or a body-less response. */
    pump(u, 0);
}

void
gwp_upstream_pause(gwp_upstream *u, int pause)
{
    if (u->paused == pause)
        return;
    u->paused = pause;
    if (pause) {
        bufferevent_disable(u->bev, EV_READ);
    } else if (u->streaming) {
        bufferevent_enable(u->bev, EV_READ);
#ifdef GWP_HAVE_NGHTTP2
        if (u->h2 != NULL) {
            h2_pump(u, 0);
            return;
        }
#endif
        pump(u, 0);
    }
}

void
gwp_upstream_free(gwp_upstream *u)
{
    if (u == NULL)
        return;
    if (u->bev != NULL)
        bufferevent_free(u->bev);
#ifdef GWP_HAVE_NGHTTP2
    gwp_h2_free(u);
#endif
    if (u->decoded != NULL)
        evbuffer_free(u->decoded);
    http_head_clear(&u->head);
    http_fields_clear(&u->trailers);
    free(u);
}

struct bufferevent *
gwp_upstream_detach(gwp_upstream *u)
{
    struct bufferevent *bev = u->bev;
    u->bev = NULL;
    bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
    gwp_upstream_free(u);
    return bev;
}
