/*
 * gwproxy - the gwr_io shim: how libevent carries out what the exchange
 * engine asks for. SPDX-License-Identifier: MIT
 *
 *   set_timer     -> one evtimer; when it fires, gwr_engine_on_timer()
 *   connect       -> resolve the backend, bufferevent_socket_connect();
 *                    BEV_EVENT_CONNECTED -> gwr_engine_on_connected(id, 0)
 *                    BEV_EVENT_ERROR     -> gwr_engine_on_connected(id, -1)
 *   send_request  -> write the head and the client's body (HTTP/1.1: once
 *                    complete; h2c: streamed as it arrives);
 *                    response head       -> gwr_engine_on_response_head()
 *                    end of the body     -> gwr_engine_on_body_done()
 *                    reset, early EOF    -> gwr_engine_on_error()
 *   send_mirror   -> a fire-and-forget connection, response discarded
 *   respond       -> write the client's response head (exchange.c)
 *   cancel        -> close a connection / abort a client response
 *
 * Events reach the engine only from libevent callbacks, never from inside
 * an engine call (upstream bufferevents use BEV_OPT_DEFER_CALLBACKS and
 * failures found inside a callback are reported through a 0 s timer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "gwproxy.h"

uint64_t
gwp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t
io_now_ms(void *ud)
{
    (void)ud;
    return gwp_now_ms();
}

static void
io_log(uint32_t level, const char *msg, size_t len, void *ud)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    (void)ud;
    fprintf(stderr, "gwproxy: libgwroute %s: %.*s\n",
            level < 4 ? names[level] : "?", (int)len, msg);
}

/* ---- timer --------------------------------------------------------------- */

static int
arm(gwp_proxy *px, uint64_t deadline_ms)
{
    if (deadline_ms == UINT64_MAX) {
        evtimer_del(px->ev_timer);
        return 0;
    }
    uint64_t now = gwp_now_ms();
    /* One millisecond late rather than early: libevent's clock and ours
     * are not the same reading. */
    uint64_t wait = deadline_ms > now ? deadline_ms - now + 1 : 0;
    struct timeval tv = { (time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000 };
    return evtimer_add(px->ev_timer, &tv) == 0 ? 0 : -1;
}

static int
io_set_timer(uint64_t deadline_ms, void *ud)
{
    return arm(ud, deadline_ms);
}

static void
on_engine_timer(evutil_socket_t fd, short what, void *arg)
{
    gwp_proxy *px = arg;
    (void)fd;
    (void)what;
    int rc = gwr_engine_on_timer(px->engine);
    if (rc != GWR_OK && rc != GWR_E_CALLBACK)
        fprintf(stderr, "gwproxy: engine timer: %s\n", gwr_strerror(rc));
    /* The evtimer is one-shot and has just fired. If the engine still has
     * a deadline it did not ask for again (it only calls set_timer when
     * the deadline changes, and a timer that fires a little early leaves
     * it unchanged), arm it here. */
    uint64_t next = gwr_engine_next_deadline(px->engine);
    if (next != UINT64_MAX && !evtimer_pending(px->ev_timer, NULL))
        arm(px, next);
}

/* ---- connections --------------------------------------------------------- */

gwp_conn *
gwp_conn_find(gwp_proxy *px, uint64_t id)
{
    if (id == 0)
        return NULL;
    for (gwp_conn *k = px->conns; k != NULL; k = k->next)
        if (k->conn_id == id || k->xid == id)
            return k;
    return NULL;
}

void
gwp_conn_free(gwp_conn *k)
{
    if (k == NULL)
        return;
    *k->prev = k->next;
    if (k->next)
        k->next->prev = k->prev;
    if (k->ev)
        event_free(k->ev);
    gwp_body_watch_stop(&k->wait);
    if (k->pending)
        evbuffer_free(k->pending);
    gwp_upstream_free(k->u);
    gwp_proxy *px = k->px;
    free(k);
    gwp_maybe_exit(px);
}

static gwp_conn *
conn_new(gwp_proxy *px)
{
    gwp_conn *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return NULL;
    k->px = px;
    k->next = px->conns;
    if (k->next)
        k->next->prev = &k->next;
    k->prev = &px->conns;
    px->conns = k;
    return k;
}

static void
report(int rc, const char *what)
{
    if (rc < 0 && rc != GWR_E_NOT_FOUND && rc != GWR_E_CALLBACK)
        fprintf(stderr, "gwproxy: %s: %s\n", what, gwr_strerror(rc));
}

static void
up_connected(gwp_upstream *u, void *ud)
{
    gwp_conn *k = ud;
    (void)u;
    if (k->mirror)
        return;
    report(gwr_engine_on_connected(k->px->engine, k->conn_id, 0),
           "on_connected");
}

static void
up_head(gwp_upstream *u, void *ud)
{
    gwp_conn *k = ud;
    gwp_proxy *px = k->px;
    if (k->mirror) {
        gwp_upstream_stream(u); /* read and drop the body */
        return;
    }
    uint64_t xid = k->xid, xch = k->exchange_id;
    int rc = gwr_engine_on_response_head(px->engine, xid, u->head.status,
                                         u->head.headers, u->head.n_headers);
    report(rc, "on_response_head");
    /* The engine may have cancelled this attempt (retry): look again. */
    k = gwp_conn_find(px, xid);
    if (k == NULL)
        return;
    gwp_exchange *x = gwp_exchange_find(px, xch);
    if (rc != 1 || x == NULL) {
        gwp_conn_free(k);
        return;
    }
    if (u->head.status == 101) {
        /* The exchange is over for the engine: the host owns the pipe. */
        struct bufferevent *up = gwp_upstream_detach(u);
        k->u = NULL;
        gwp_conn_free(k);
        gwp_exchange_upgraded(x, up);
        return;
    }
    gwp_upstream_stream(u);
}

static void
up_body(gwp_upstream *u, struct evbuffer *data, void *ud)
{
    gwp_conn *k = ud;
    if (k->mirror) {
        evbuffer_drain(data, evbuffer_get_length(data));
        return;
    }
    gwp_exchange *x = gwp_exchange_find(k->px, k->exchange_id);
    if (x == NULL) {
        evbuffer_drain(data, evbuffer_get_length(data));
        return;
    }
    gwp_exchange_relay(x, u, data);
}

static void
up_done(gwp_upstream *u, void *ud)
{
    gwp_conn *k = ud;
    gwp_proxy *px = k->px;
    (void)u;
    if (k->mirror) {
        gwp_conn_free(k);
        return;
    }
    uint64_t xid = k->xid, xch = k->exchange_id;
    gwp_exchange *x = gwp_exchange_find(px, xch);
    if (x != NULL && u->trailers.n > 0)
        gwp_exchange_take_trailers(x, &u->trailers);
    report(gwr_engine_on_body_done(px->engine, xid), "on_body_done");
    gwp_conn_free(gwp_conn_find(px, xid));
    if (x != NULL)
        gwp_exchange_relay_done(x);
}

static void
up_error(gwp_upstream *u, const char *what, void *ud)
{
    gwp_conn *k = ud;
    gwp_proxy *px = k->px;
    if (k->mirror) {
        gwp_conn_free(k);
        return;
    }
    if (px->verbose)
        fprintf(stderr, "gwproxy: upstream %s: %s\n", k->label, what);
    uint64_t id = k->xid ? k->xid : k->conn_id;
    int rc = u->connected || k->xid
        ? gwr_engine_on_error(px->engine, id, -1)
        : gwr_engine_on_connected(px->engine, k->conn_id, -1);
    report(rc, "on_error");
    gwp_conn_free(gwp_conn_find(px, id));
}

static const gwp_upstream_cbs up_cbs = {
    up_connected, up_head, up_body, up_done, up_error,
};

static void
on_conn_deferred(evutil_socket_t fd, short what, void *arg)
{
    gwp_conn *k = arg;
    gwp_proxy *px = k->px;
    (void)fd;
    (void)what;
    if (k->mirror) {
        gwp_conn_free(k); /* mirror timeout */
        return;
    }
    uint64_t id = k->conn_id;
    report(gwr_engine_on_connected(px->engine, id, -1), "on_connected");
    gwp_conn_free(gwp_conn_find(px, id));
}

static int
io_connect(const struct gwr_backend *be, uint32_t proto, uint64_t conn_id,
           void *ud)
{
    gwp_proxy *px = ud;
    gwp_conn *k = conn_new(px);
    if (k == NULL)
        return -1;
    k->conn_id = conn_id;
    k->proto = proto;
    k->ev = evtimer_new(px->base, on_conn_deferred, k);
    if (k->ev == NULL) {
        gwp_conn_free(k);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t len = 0;
    /* gwproxy speaks no TLS: a backend under a BackendTLSPolicy (or a wss
     * one) fails rather than fall back to plaintext (spec 5.6). */
    if (gwr_backend_tls(be) || proto == GWR_BACKEND_WSS) {
        snprintf(k->label, sizeof(k->label), "tls-unsupported");
        if (px->verbose)
            fprintf(stderr, "gwproxy: backend needs TLS, which gwproxy does "
                    "not speak: connection refused\n");
    } else if (gwp_resolve_backend(px, be, &ss, &len, k->label,
                                   sizeof(k->label)) == 0) {
        k->u = gwp_upstream_connect(px, (struct sockaddr *)&ss, len, &up_cbs, k);
    }
    if (k->u == NULL) {
        /* No address, or the socket could not even be created: report a
         * connection error from the loop (503 unless retried). */
        struct timeval zero = { 0, 0 };
        k->failed = 1;
        evtimer_add(k->ev, &zero);
    }
    return 0;
}

int
gwp_skip_request_field(const gwr_upstream *req, gwr_str name)
{
    if (http_is_hop_by_hop(name) || http_str_ieq(name, "expect"))
        return 1;
    /* Fields named by Connection are hop-by-hop as well. */
    size_t n = gwr_upstream_header_count(req);
    for (size_t i = 0; i < n; i++) {
        const gwr_header *f = gwr_upstream_header(req, i);
        if (http_is_connection_listed(f, 1, name))
            return 1;
    }
    return 0;
}

/* Serialize the head of an upstream request: the edited head from the
 * engine; finish_request() adds framing and connection management. */
static struct evbuffer *
build_head(const gwr_upstream *req)
{
    struct evbuffer *b = evbuffer_new();
    if (b == NULL)
        return NULL;
    gwr_str m = gwr_upstream_method(req), p = gwr_upstream_path(req);
    gwr_str h = gwr_upstream_host(req);
    evbuffer_add_printf(b, "%.*s %.*s HTTP/1.1\r\nHost: %.*s\r\n", (int)m.len,
                        m.ptr, (int)p.len, p.ptr, (int)h.len, h.ptr);
    size_t n = gwr_upstream_header_count(req);
    for (size_t i = 0; i < n; i++) {
        const gwr_header *f = gwr_upstream_header(req, i);
        if (gwp_skip_request_field(req, f->name))
            continue;
        evbuffer_add_printf(b, "%.*s: %.*s\r\n", (int)f->name.len, f->name.ptr,
                            (int)f->value.len, f->value.ptr);
    }
    return b;
}

/* Content-Length of the (complete) body, Connection, then the body by
 * reference, so that a retry or a mirror replays it. */
static void
finish_request(struct evbuffer *b, gwr_str m, gwp_body *body, gwr_str upgrade)
{
    size_t blen = body ? gwp_body_length(body) : 0;
    if (blen > 0 || http_str_ieq(m, "POST") || http_str_ieq(m, "PUT") ||
        http_str_ieq(m, "PATCH"))
        evbuffer_add_printf(b, "Content-Length: %zu\r\n", blen);
    if (upgrade.len > 0)
        evbuffer_add_printf(b, "Connection: Upgrade\r\nUpgrade: %.*s\r\n\r\n",
                            (int)upgrade.len, upgrade.ptr);
    else
        evbuffer_add(b, "Connection: close\r\n\r\n", 21);
    if (blen > 0)
        evbuffer_add_buffer_reference(b, gwp_body_data(body));
}

/* The growing body of a waiting HTTP/1.1 request changed. */
static void
on_body_more(void *ud)
{
    gwp_conn *k = ud;
    gwp_body *body = k->wait.body;
    int st = gwp_body_state(body);
    if (st == 0)
        return;
    if (st < 0) {
        /* The client went away. Its exchange was cancelled first, which
         * freed its attempts: this is a mirror, dropped. (An attempt left
         * over, at teardown, is the engine's or gwp_shim_free()'s.) */
        gwp_body_watch_stop(&k->wait);
        if (k->mirror)
            gwp_conn_free(k);
        return;
    }
    gwr_str m = { k->method, strlen(k->method) }, none = { NULL, 0 };
    finish_request(k->pending, m, body, none);
    gwp_upstream_send(k->u, k->pending, m);
    evbuffer_free(k->pending);
    k->pending = NULL;
    gwp_body_watch_stop(&k->wait);
}

/* Write an HTTP/1.1 request: now, or once a growing body is complete
 * (HTTP/1.1 needs its length first). 0, or -1. */
static int
send_h1(gwp_conn *k, const gwr_upstream *req, gwp_body *body, gwr_str upgrade)
{
    if (body != NULL && gwp_body_state(body) < 0)
        return -1;
    struct evbuffer *b = build_head(req);
    if (b == NULL)
        return -1;
    gwr_str m = gwr_upstream_method(req);
    if (body == NULL || gwp_body_state(body) == 1) {
        finish_request(b, m, body, upgrade);
        gwp_upstream_send(k->u, b, m);
        evbuffer_free(b);
        return 0;
    }
    size_t n = m.len < sizeof(k->method) - 1 ? m.len : sizeof(k->method) - 1;
    memcpy(k->method, m.ptr, n);
    k->method[n] = '\0';
    k->pending = b;
    gwp_body_watch_start(body, &k->wait, on_body_more, k);
    return 0;
}

static int
io_send_request(uint64_t conn_id, uint64_t xid, const struct gwr_upstream *req,
                void *ud)
{
    gwp_proxy *px = ud;
    gwp_conn *k = gwp_conn_find(px, conn_id);
    gwp_exchange *x = gwp_exchange_find(px, gwr_upstream_exchange_id(req));
    if (k == NULL || k->u == NULL || x == NULL)
        return -1;
    k->xid = xid;
    k->exchange_id = gwr_upstream_exchange_id(req);
    gwp_exchange_note_attempt(x, req, k->label);
#ifdef GWP_HAVE_NGHTTP2
    /* h2c backends get HTTP/2 with prior knowledge, except an Upgrade
     * (WebSocket over HTTP/2 would need RFC 8441): that stays HTTP/1.1. */
    if (k->proto == GWR_BACKEND_H2C && gwp_exchange_upgrade(x).len == 0)
        return gwp_upstream_send_h2(k->u, req, gwp_exchange_body(x));
#endif
    return send_h1(k, req, gwp_exchange_body(x), gwp_exchange_upgrade(x));
}

static int
io_send_mirror(const struct gwr_backend *be, const struct gwr_upstream *req,
               void *ud)
{
    gwp_proxy *px = ud;
    gwp_exchange *x = gwp_exchange_find(px, gwr_upstream_exchange_id(req));
    gwp_conn *k = conn_new(px);
    if (k == NULL)
        return -1;
    k->mirror = 1;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    struct timeval tv = { GWP_MIRROR_TIMEOUT_MS / 1000, 0 };
    k->ev = evtimer_new(px->base, on_conn_deferred, k);
    if (k->ev == NULL || evtimer_add(k->ev, &tv) != 0 || gwr_backend_tls(be) ||
        gwp_resolve_backend(px, be, &ss, &len, k->label, sizeof(k->label)) != 0 ||
        (k->u = gwp_upstream_connect(px, (struct sockaddr *)&ss, len, &up_cbs,
                                     k)) == NULL) {
        gwp_conn_free(k);
        return -1;
    }
#ifdef GWP_HAVE_NGHTTP2
    if (gwr_backend_protocol(be) == GWR_BACKEND_H2C) {
        if (gwp_upstream_send_h2(k->u, req, x ? gwp_exchange_body(x) : NULL) != 0) {
            gwp_conn_free(k);
            return -1;
        }
        return 0;
    }
#endif
    gwr_str none = { NULL, 0 };
    if (send_h1(k, req, x ? gwp_exchange_body(x) : NULL, none) != 0) {
        gwp_conn_free(k);
        return -1;
    }
    if (px->verbose)
        fprintf(stderr, "gwproxy: mirror %.*s/%.*s -> %s\n",
                (int)gwr_backend_namespace(be).len, gwr_backend_namespace(be).ptr,
                (int)gwr_backend_name(be).len, gwr_backend_name(be).ptr, k->label);
    return 0;
}

static int
io_respond(uint64_t exchange_id, int status, const struct gwr_header *headers,
           size_t n, const char *body_ptr, size_t body_len, void *ud)
{
    gwr_str body = { body_len ? body_ptr : "", body_len };
    gwp_proxy *px = ud;
    gwp_exchange *x = gwp_exchange_find(px, exchange_id);
    if (x == NULL)
        return -1;
    return gwp_exchange_respond(x, status, headers, n, body);
}

static void
io_cancel(uint64_t id, void *ud)
{
    gwp_proxy *px = ud;
    gwp_conn *k = gwp_conn_find(px, id);
    if (k != NULL) {
        /* An attempt being abandoned (retry, timeout) or a connection
         * released: Connection: close means nothing is pooled. */
        gwp_conn_free(k);
        return;
    }
    gwp_exchange *x = gwp_exchange_find(px, id);
    if (x != NULL)
        gwp_exchange_abort(x);
}

int
gwp_shim_init(gwp_proxy *px)
{
    gwr_io io = GWR_IO_INIT;
    io.now_ms = io_now_ms;
    io.log = io_log;
    io.set_timer = io_set_timer;
    io.connect = io_connect;
    io.send_request = io_send_request;
    io.send_mirror = io_send_mirror;
    io.respond = io_respond;
    io.cancel = io_cancel;
    px->ev_timer = evtimer_new(px->base, on_engine_timer, px);
    if (px->ev_timer == NULL)
        return -1;
    int rc = gwr_ctx_new(&px->ctx, NULL, &io, px);
    if (rc == GWR_OK)
        rc = gwr_engine_new(&px->engine, px->ctx);
    if (rc == GWR_OK)
        rc = gwr_decision_new(&px->decision, px->ctx);
    if (rc != GWR_OK) {
        fprintf(stderr, "gwproxy: %s\n", gwr_strerror(rc));
        return -1;
    }
    gwr_ctx_set_log_level(px->ctx, px->verbose ? GWR_LOG_DEBUG : GWR_LOG_WARN);
    return 0;
}

void
gwp_shim_free(gwp_proxy *px)
{
    /* The engine forgets its exchanges without callbacks; the host drops
     * its own connections. */
    gwr_engine_free(px->engine);
    px->engine = NULL;
    while (px->conns != NULL)
        gwp_conn_free(px->conns);
    gwr_decision_free(px->decision);
    gwr_table_unref(px->table);
    px->table = NULL;
    gwr_ctx_free(px->ctx);
    if (px->ev_timer)
        event_free(px->ev_timer);
}
