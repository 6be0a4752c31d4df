/*
 * gwproxy - one client request: match it, hand the decision to the engine,
 * write what the engine answers and relay the chosen attempt's body.
 * SPDX-License-Identifier: MIT
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
    uint64_t id;           /* the engine's exchange id (0: none) */
    uint64_t source;       /* xid whose body is relayed */
    http_head req;
    struct evbuffer *body;
    uint64_t t0;
    int status;
    int attempts;
    int head_sent, chunked, close_after, head_only, ended, aborted, upgraded;
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

struct evbuffer *
gwp_exchange_body(gwp_exchange *x)
{
    return x->body;
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
    if (x->body)
        evbuffer_free(x->body);
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
    int keep = !x->close_after && !x->aborted;
    x->c = NULL;
    int aborted = x->aborted;
    exchange_free(x);
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
    if (x->c == NULL) {
        if (u == NULL)
            finish_soon(x);
        return 0;
    }
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
    if (x->c == NULL || x->head_only || n == 0) {
        evbuffer_drain(data, n);
        return;
    }
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
    if (x->c != NULL && x->chunked && !x->head_only)
        evbuffer_add(bufferevent_get_output(gwp_client_bev(x->c)),
                     "0\r\n\r\n", 5);
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
    if (x->c != NULL) {
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

void
gwp_exchange_start(gwp_proxy *px, struct gwp_client *c, uint32_t port,
                   http_head *head, struct evbuffer *body)
{
    gwp_exchange *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        http_head_clear(head);
        evbuffer_free(body);
        gwp_client_abort(c);
        return;
    }
    x->px = px;
    x->c = c;
    x->req = *head;
    memset(head, 0, sizeof(*head));
    x->body = body;
    x->t0 = gwp_now_ms();
    snprintf(x->peer, sizeof(x->peer), "%s", gwp_client_peer(c));
    x->head_only = http_str_ieq(x->req.method, "HEAD");
    x->close_after = x->req.minor == 0
        ? !http_header_has_token(&x->req, "connection", "keep-alive")
        : http_header_has_token(&x->req, "connection", "close");
    x->next = px->exchanges;
    if (x->next)
        x->next->prev = &x->next;
    x->prev = &px->exchanges;
    px->exchanges = x;
    gwp_client_set_exchange(c, x);
    x->ev_finish = evtimer_new(px->base, on_finish, x);
    if (x->ev_finish == NULL) {
        gwp_client_set_exchange(c, NULL);
        x->c = NULL;
        exchange_free(x);
        gwp_client_abort(c);
        return;
    }

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
gwp_exchange_close_all(gwp_proxy *px)
{
    while (px->exchanges != NULL) {
        gwp_exchange *x = px->exchanges;
        x->c = NULL;
        exchange_free(x);
    }
}
