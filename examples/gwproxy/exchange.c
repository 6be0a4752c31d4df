/*
 * gwproxy - one client request: match it, hand the decision to the engine,
 * write what the engine answers and relay the chosen attempt's body.
 * SPDX-License-Identifier: MIT
 *
 * The client is an HTTP/1.x connection (c: the bytes are written here) or
 * an HTTP/2 stream (s: server_h2_out.c frames them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "gwproxy.h"

struct gwp_exchange {
    struct gwp_exchange *next, **prev;
    gwp_proxy *px;
    struct gwp_client *c;  /* NULL once the client is gone or detached */
    struct gwp_h2s *s;     /* the HTTP/2 stream instead (NULL when gone) */
    uint64_t id;           /* the engine's exchange id (0: none) */
    uint64_t source;       /* xid whose body is relayed */
    http_head req;
    gwp_body *body;
    http_fields trailers;  /* of the relayed response */
    uint64_t t0;
    int status;
    int attempts;
    int head_sent, chunked, close_after, head_only, ended, aborted, upgraded;
    int te_trailers;       /* HTTP/1.1 client sent "TE: trailers" */
    struct event *ev_finish;
    char route[256];
    char backend[400];
    char peer[64];
};

static const char *
reason_phrase(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 413: return "Content Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

gwp_exchange *
gwp_exchange_find(gwp_proxy *px, uint64_t id)
{
    if (id == 0)
        return NULL;
    for (gwp_exchange *x = px->exchanges; x != NULL; x = x->next)
        if (x->id == id)
            return x;
    return NULL;
}

gwp_exchange *
gwp_exchange_next(gwp_exchange *x)
{
    return x->next;
}

gwp_body *
gwp_exchange_body(gwp_exchange *x)
{
    return x->body;
}

void
gwp_exchange_take_trailers(gwp_exchange *x, http_fields *t)
{
    http_fields_move(&x->trailers, t);
}

gwr_str
gwp_exchange_upgrade(gwp_exchange *x)
{
    gwr_str none = { NULL, 0 };
    if (!http_header_has_token(&x->req, "connection", "upgrade"))
        return none;
    return http_header(&x->req, "upgrade");
}

void
gwp_exchange_note_attempt(gwp_exchange *x, const gwr_upstream *req,
                          const char *label)
{
    const gwr_backend *b = gwr_upstream_backend(req);
    gwr_str ns = gwr_backend_namespace(b), name = gwr_backend_name(b);
    x->attempts = (int)gwr_upstream_attempt(req) + 1;
    snprintf(x->backend, sizeof(x->backend), "%.*s/%.*s:%u@%s", (int)ns.len,
             ns.ptr, (int)name.len, name.ptr, (unsigned)gwr_backend_port(b),
             label);
}

static void
exchange_free(gwp_exchange *x)
{
    *x->prev = x->next;
    if (x->next)
        x->next->prev = x->prev;
    if (x->ev_finish)
        event_free(x->ev_finish);
    gwp_body_unref(x->body);
    http_fields_clear(&x->trailers);
    http_head_clear(&x->req);
    gwp_proxy *px = x->px;
    free(x);
    gwp_maybe_exit(px);
}

static void
log_line(gwp_exchange *x)
{
    char status[16];
    if (x->head_sent)
        snprintf(status, sizeof(status), "%d", x->status);
    else
        snprintf(status, sizeof(status), "-");
    fprintf(stderr,
            "gwproxy: %s \"%.*s %.*s\" route=%s backend=%s status=%s%s "
            "attempts=%d ms=%llu\n",
            x->peer, (int)x->req.method.len, x->req.method.ptr,
            (int)x->req.target.len, x->req.target.ptr,
            x->route[0] ? x->route : "-", x->backend[0] ? x->backend : "-",
            status, x->aborted ? " aborted" : "", x->attempts,
            (unsigned long long)(gwp_now_ms() - x->t0));
}

/* Runs from the loop, never inside an engine call: the client may start
 * its next request (and so call gwr_engine_submit()) from here. */
static void
on_finish(evutil_socket_t fd, short what, void *arg)
{
    gwp_exchange *x = arg;
    (void)fd;
    (void)what;
    log_line(x);
    struct gwp_client *c = x->c;
    struct gwp_h2s *s = x->s;
    int keep = !x->close_after && !x->aborted;
    x->c = NULL;
    x->s = NULL;
    int aborted = x->aborted;
    exchange_free(x);
#ifdef GWP_HAVE_NGHTTP2
    if (s != NULL)
        gwp_h2s_finished(s, aborted);
#else
    (void)s;
#endif
    if (c != NULL) {
        if (aborted)
            gwp_client_abort(c);
        else
            gwp_client_exchange_done(c, keep);
    }
}

static void
finish_soon(gwp_exchange *x)
{
    struct timeval zero = { 0, 0 };
    x->ended = 1;
    evtimer_add(x->ev_finish, &zero);
}

/* A response gwproxy makes itself, when the engine cannot be asked. */
static void
respond_local(gwp_exchange *x, int status)
{
    gwr_str none = { "", 0 };
    gwp_exchange_respond(x, status, NULL, 0, none);
    x->source = 0;
    finish_soon(x);
}

static void
add_header(struct evbuffer *out, gwr_str name, gwr_str value)
{
    evbuffer_add_printf(out, "%.*s: %.*s\r\n", (int)name.len, name.ptr,
                        (int)value.len, value.ptr);
}

#ifdef GWP_HAVE_NGHTTP2
/* 1 when the upstream response has nothing after its head: no body bytes
 * and no trailers (an h2c trailers-only answer, Content-Length: 0). */
static int
upstream_empty(gwp_upstream *u)
{
    if (u->h2 != NULL)
        return gwp_h2_closed(u) && !gwp_h2_failed(u) &&
               evbuffer_get_length(u->decoded) == 0 && u->trailers.n == 0;
    return u->br.mode == BODY_NONE;
}

/* The response head on an HTTP/2 stream. */
static int
respond_h2(gwp_exchange *x, gwp_upstream *u, int status, const gwr_header *h,
           size_t n, gwr_str body)
{
    int bodiless = x->head_only || status == 204 || status == 304;
    if (u == NULL) {
        /* Generated: the whole response now; an empty body makes it one
         * HEADERS frame with END_STREAM (trailers-only for gRPC). */
        gwr_str none = { "", 0 };
        int64_t cl = body.len > 0 && status != 204 && status != 304
            ? (int64_t)body.len : -1;
        gwp_h2s_respond(x->s, status, h, n, bodiless ? &none : &body, 1, cl);
        finish_soon(x);
        return 0;
    }
    if (status < 200) {
        /* No upgrade over HTTP/2: gwp_exchange_upgraded() resets. */
        return 0;
    }
    int64_t cl = -1;
    if (u->br.mode == BODY_LENGTH) {
        cl = (int64_t)u->br.remaining;
    } else if (x->head_only || status == 304) {
        gwr_str v = http_header(&u->head, "content-length");
        if (v.len > 0 && v.len < 19)
            cl = strtoll(v.ptr, NULL, 10);
    }
    return gwp_h2s_respond(x->s, status, h, n, NULL,
                           bodiless || upstream_empty(u), cl);
}
#endif

int
gwp_exchange_respond(gwp_exchange *x, int status, const gwr_header *h,
                     size_t n, gwr_str body)
{
    gwp_proxy *px = x->px;
    x->status = status;
    x->head_sent = 1;
    x->source = x->id ? gwr_engine_response_source(px->engine, x->id) : 0;
    gwp_conn *k = x->source ? gwp_conn_find(px, x->source) : NULL;
    gwp_upstream *u = k ? k->u : NULL;
    if (x->source != 0 && u == NULL) {
        /* Cannot happen (the attempt is alive while its head is being
         * reported); if it did, the engine ends the exchange without a
         * further callback, so end it here too. */
        x->aborted = 1;
        finish_soon(x);
        return -1;
    }
    if (x->c == NULL && x->s == NULL) {
        if (u == NULL)
            finish_soon(x);
        return 0;
    }
#ifdef GWP_HAVE_NGHTTP2
    if (x->s != NULL)
        return respond_h2(x, u, status, h, n, body);
#endif
    struct evbuffer *out = bufferevent_get_output(gwp_client_bev(x->c));
    gwr_str reason = { reason_phrase(status), strlen(reason_phrase(status)) };
    if (u != NULL && u->head.reason.len > 0)
        reason = u->head.reason;
    evbuffer_add_printf(out, "HTTP/1.1 %d %.*s\r\n", status, (int)reason.len,
                        reason.ptr);
    for (size_t i = 0; i < n; i++)
        if (!http_is_hop_by_hop(h[i].name))
            add_header(out, h[i].name, h[i].value);
    if (status == 101 && u != NULL) {
        gwr_str up = http_header(&u->head, "upgrade");
        evbuffer_add_printf(out, "Connection: Upgrade\r\nUpgrade: %.*s\r\n\r\n",
                            (int)up.len, up.ptr);
        return 0;
    }
    int bodiless = x->head_only || status < 200 || status == 204 || status == 304;
    if (u == NULL) {
        if (!bodiless || x->head_only)
            evbuffer_add_printf(out, "Content-Length: %zu\r\n", body.len);
    } else {
        switch (u->br.mode) {
        case BODY_NONE:
            if (x->head_only || status == 304) {
                gwr_str cl = http_header(&u->head, "content-length");
                if (cl.len > 0)
                    add_header(out, (gwr_str){ "Content-Length", 14 }, cl);
            } else if (!bodiless) {
                evbuffer_add(out, "Content-Length: 0\r\n", 19);
            }
            break;
        case BODY_LENGTH:
            evbuffer_add_printf(out, "Content-Length: %llu\r\n",
                                (unsigned long long)u->br.remaining);
            break;
        case BODY_CHUNKED:
        case BODY_CLOSE:
            if (x->req.minor >= 1) {
                x->chunked = 1;
                evbuffer_add(out, "Transfer-Encoding: chunked\r\n", 28);
            } else {
                x->close_after = 1;
            }
            break;
        }
    }
    if (px->stopping)
        x->close_after = 1;
    if (x->close_after)
        evbuffer_add(out, "Connection: close\r\n", 19);
    evbuffer_add(out, "\r\n", 2);
    if (u == NULL) {
        if (!bodiless && body.len > 0)
            evbuffer_add(out, body.ptr, body.len);
        /* The engine made this response: the exchange is over. */
        finish_soon(x);
    }
    return 0;
}

void
gwp_exchange_relay(gwp_exchange *x, gwp_upstream *u, struct evbuffer *data)
{
    size_t n = evbuffer_get_length(data);
    if ((x->c == NULL && x->s == NULL) || x->head_only || n == 0) {
        evbuffer_drain(data, n);
        return;
    }
#ifdef GWP_HAVE_NGHTTP2
    if (x->s != NULL) {
        if (gwp_h2s_data(x->s, data) == 1)
            gwp_upstream_pause(u, 1);
        return;
    }
#endif
    struct evbuffer *out = bufferevent_get_output(gwp_client_bev(x->c));
    if (x->chunked)
        evbuffer_add_printf(out, "%zx\r\n", n);
    evbuffer_add_buffer(out, data);
    if (x->chunked)
        evbuffer_add(out, "\r\n", 2);
    if (evbuffer_get_length(out) > GWP_HIGH_WATER)
        gwp_upstream_pause(u, 1);
}

void
gwp_exchange_client_writable(gwp_exchange *x)
{
    gwp_conn *k = gwp_conn_find(x->px, x->source);
    if (k != NULL && k->u != NULL && k->u->paused)
        gwp_upstream_pause(k->u, 0);
}

void
gwp_exchange_relay_done(gwp_exchange *x)
{
    if (x->ended)
        return;
#ifdef GWP_HAVE_NGHTTP2
    if (x->s != NULL) {
        gwp_h2s_end(x->s, &x->trailers);
        finish_soon(x);
        return;
    }
#endif
    if (x->c != NULL && x->chunked && !x->head_only) {
        /* HTTP/2 trailers (grpc-status...) go into the chunked trailer
         * section when the client said it takes them. */
        struct evbuffer *out = bufferevent_get_output(gwp_client_bev(x->c));
        evbuffer_add(out, "0\r\n", 3);
        for (size_t i = 0; x->te_trailers && i < x->trailers.n; i++)
            if (!http_is_hop_by_hop(x->trailers.v[i].name))
                add_header(out, x->trailers.v[i].name, x->trailers.v[i].value);
        evbuffer_add(out, "\r\n", 2);
    }
    gwp_conn *k = gwp_conn_find(x->px, x->source);
    if (k != NULL && k->u != NULL && k->u->br.mode == BODY_CLOSE &&
        !x->chunked)
        x->close_after = 1;
    finish_soon(x);
}

void
gwp_exchange_upgraded(gwp_exchange *x, struct bufferevent *upstream)
{
    x->upgraded = 1;
    x->close_after = 1;
    if (x->s != NULL) {
        /* An HTTP/2 request cannot be upgraded: cut the stream. */
        bufferevent_free(upstream);
        x->aborted = 1;
    } else if (x->c != NULL) {
        struct bufferevent *client = gwp_client_detach(x->c);
        x->c = NULL;
        gwp_tunnel_start(x->px, client, upstream);
    } else {
        bufferevent_free(upstream);
    }
    finish_soon(x);
}

void
gwp_exchange_abort(gwp_exchange *x)
{
    /* The engine gave up after the head was sent (upstream reset while
     * relaying, request timeout): the only signal left is to cut the
     * client connection. */
    x->aborted = 1;
    finish_soon(x);
}

void
gwp_exchange_client_gone(gwp_exchange *x)
{
    x->c = NULL;
    x->s = NULL;
    if (!x->ended && x->id != 0) {
        x->aborted = 1;
        int rc = gwr_engine_cancel(x->px->engine, x->id);
        if (rc != GWR_OK && rc != GWR_E_NOT_FOUND)
            fprintf(stderr, "gwproxy: cancel: %s\n", gwr_strerror(rc));
    }
    if (!x->ended)
        finish_soon(x);
}

static gwr_str
view(const char *p, size_t n)
{
    gwr_str s = { p, n };
    return s;
}

static gwp_exchange *
exchange_new(gwp_proxy *px, http_head *head, const char *peer)
{
    gwp_exchange *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return NULL;
    x->ev_finish = evtimer_new(px->base, on_finish, x);
    if (x->ev_finish == NULL) {
        free(x);
        return NULL;
    }
    x->px = px;
    x->req = *head;
    memset(head, 0, sizeof(*head));
    x->t0 = gwp_now_ms();
    snprintf(x->peer, sizeof(x->peer), "%s", peer);
    x->head_only = http_str_ieq(x->req.method, "HEAD");
    x->next = px->exchanges;
    if (x->next)
        x->next->prev = &x->next;
    x->prev = &px->exchanges;
    px->exchanges = x;
    return x;
}

/* Match the request and submit the decision. */
static void
exchange_route(gwp_exchange *x, uint32_t port)
{
    gwp_proxy *px = x->px;
    /* The request as libgwroute sees it: views into the parsed head. */
    gwr_request rq = GWR_REQUEST_INIT;
    rq.method = x->req.method;
    rq.scheme = view("http", 4);
    rq.path = x->req.target;
    rq.host = http_header(&x->req, "host");
    if (rq.path.len > 7 && strncasecmp(rq.path.ptr, "http://", 7) == 0) {
        /* absolute-form: the authority wins over Host (RFC 9112 3.2.2) */
        const char *a = rq.path.ptr + 7, *e = rq.path.ptr + rq.path.len;
        const char *slash = memchr(a, '/', (size_t)(e - a));
        if (slash == NULL)
            slash = e;
        rq.host = view(a, (size_t)(slash - a));
        rq.path = slash < e ? view(slash, (size_t)(e - slash)) : view("/", 1);
    }
    rq.headers = x->req.headers;
    rq.n_headers = x->req.n_headers;
    rq.port = port;
    /* The parsed head outlives the decision's use: the decision views it
     * (no copy) and is reset once the engine has copied what it needs. */
    rq.flags = GWR_REQ_NO_COPY;
    int rc = gwr_table_match(px->table, &rq, px->decision);
    if (rc != GWR_OK) {
        fprintf(stderr, "gwproxy: match: %s\n", gwr_strerror(rc));
        respond_local(x, rc == GWR_E_NOMEM ? 503 : 500);
        return;
    }
    const gwr_decision *d = px->decision;
    gwr_str kind = gwr_decision_route_kind(d), ns = gwr_decision_route_namespace(d),
            name = gwr_decision_route_name(d), rule = gwr_decision_rule_name(d);
    if (name.len > 0)
        snprintf(x->route, sizeof(x->route), "%.*s:%.*s/%.*s rule=%d%s%.*s",
                 (int)kind.len, kind.ptr, (int)ns.len, ns.ptr, (int)name.len,
                 name.ptr, gwr_decision_rule_index(d), rule.len ? ":" : "",
                 (int)rule.len, rule.ptr);

    /* Everything else -- redirects, 404/500 answers, backend choice,
     * retries, timeouts, mirrors -- happens in the engine. */
    rc = gwr_engine_submit(px->engine, d, &x->id);
    gwr_decision_reset(px->decision);   /* it viewed x->req */
    if (rc != GWR_OK && !x->ended) {
        if (rc != GWR_E_CALLBACK)
            fprintf(stderr, "gwproxy: submit: %s\n", gwr_strerror(rc));
        if (x->id != 0 && rc == GWR_E_CALLBACK)
            gwr_engine_cancel(px->engine, x->id);
        if (!x->head_sent)
            respond_local(x, 502);
        else
            gwp_exchange_abort(x);
    }
}

void
gwp_exchange_start(gwp_proxy *px, struct gwp_client *c, uint32_t port,
                   http_head *head, struct evbuffer *body)
{
    gwp_body *b = gwp_body_new(body);
    if (b == NULL)
        evbuffer_free(body);
    gwp_exchange *x = b ? exchange_new(px, head, gwp_client_peer(c)) : NULL;
    if (x == NULL) {
        gwp_body_unref(b);
        http_head_clear(head);
        gwp_client_abort(c);
        return;
    }
    x->c = c;
    x->body = b;
    x->close_after = x->req.minor == 0
        ? !http_header_has_token(&x->req, "connection", "keep-alive")
        : http_header_has_token(&x->req, "connection", "close");
    x->te_trailers = http_header_has_token(&x->req, "te", "trailers");
    gwp_client_set_exchange(c, x);
    exchange_route(x, port);
}

#ifdef GWP_HAVE_NGHTTP2
int
gwp_exchange_start_h2(gwp_proxy *px, struct gwp_h2s *s, uint32_t port,
                      http_head *head, gwp_body *body, const char *peer)
{
    gwp_exchange *x = exchange_new(px, head, peer);
    if (x == NULL) {
        http_head_clear(head);
        return -1;
    }
    x->s = s;
    x->body = gwp_body_ref(body);
    gwp_h2s_set_exchange(s, x);
    exchange_route(x, port);
    return 0;
}
#endif

void
gwp_exchange_close_all(gwp_proxy *px)
{
    while (px->exchanges != NULL) {
        gwp_exchange *x = px->exchanges;
        x->c = NULL;
#ifdef GWP_HAVE_NGHTTP2
        if (x->s != NULL)
            gwp_h2s_set_exchange(x->s, NULL);
#endif
        x->s = NULL;
        exchange_free(x);
    }
}
