/*
 * gwproxy - listeners and client connections (the HTTP/1.1 server side).
 * SPDX-License-Identifier: MIT
 *
 * A connection reads one request head and its whole body (buffered, so
 * that the engine can replay it on a retry and copy it to mirrors), then
 * stops reading until the exchange is over; keep-alive and pipelined
 * requests continue from whatever is left in the input buffer.
 *
 * A connection whose first bytes are the HTTP/2 client preface (h2c with
 * prior knowledge, as gRPC clients speak on cleartext ports) is handed to
 * server_h2.c, which then gets this connection's bufferevent callbacks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gwproxy.h"

enum client_state { C_HEAD, C_BODY, C_EXCHANGE, C_CLOSING, C_H2 };

struct gwp_client {
    struct gwp_client *next, **prev;
    gwp_proxy *px;
    struct bufferevent *bev;
    uint32_t port;
    enum client_state state;
    http_head head;
    body_reader br;
    struct evbuffer *body;
    gwp_exchange *x;
    struct event *ev_close;
    struct gwp_h2c *h2;    /* an HTTP/2 connection (state C_H2/C_CLOSING) */
    int sniffed;           /* the first bytes were not the HTTP/2 preface */
    char peer[64];
};

static void client_process(struct gwp_client *c);

struct bufferevent *
gwp_client_bev(struct gwp_client *c)
{
    return c->bev;
}

const char *
gwp_client_peer(const struct gwp_client *c)
{
    return c->peer;
}

static void
client_free(struct gwp_client *c)
{
    *c->prev = c->next;
    if (c->next)
        c->next->prev = c->prev;
#ifdef GWP_HAVE_NGHTTP2
    if (c->h2 != NULL)
        gwp_h2c_free(c->h2);
#endif
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->ev_close)
        event_free(c->ev_close);
    if (c->body)
        evbuffer_free(c->body);
    http_head_clear(&c->head);
    gwp_proxy *px = c->px;
    free(c);
    gwp_maybe_exit(px);
}

void
gwp_maybe_exit(gwp_proxy *px)
{
    if (px->stopping && px->clients == NULL && px->tunnels == NULL &&
        px->exchanges == NULL && px->conns == NULL)
        event_base_loopexit(px->base, NULL);
}

static void
on_close_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    client_free(arg);
}

/* Stop reading, flush the output, then close. */
static void
client_close(struct gwp_client *c)
{
    c->state = C_CLOSING;
    bufferevent_disable(c->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
        struct timeval zero = { 0, 0 };
        evtimer_add(c->ev_close, &zero);
        return;
    }
    struct timeval tv = { 10, 0 };
    bufferevent_set_timeouts(c->bev, NULL, &tv);
    bufferevent_enable(c->bev, EV_WRITE);
}

void
gwp_client_close(struct gwp_client *c)
{
    if (c->state != C_CLOSING)
        client_close(c);
}

/* 1: the input is the HTTP/2 preface (c now speaks HTTP/2); 0: it is not
 * (HTTP/1.x from here on); -1: too few bytes to tell. */
static int
sniff_h2(struct gwp_client *c, struct evbuffer *in)
{
    unsigned char buf[GWP_H2_PREFACE_LEN];
    size_t n = evbuffer_get_length(in);
    if (n > sizeof(buf))
        n = sizeof(buf);
    evbuffer_copyout(in, buf, n);
    if (memcmp(buf, GWP_H2_PREFACE, n) != 0) {
        c->sniffed = 1;
        return 0;
    }
    if (n < GWP_H2_PREFACE_LEN)
        return -1;
    c->sniffed = 1;
#ifdef GWP_HAVE_NGHTTP2
    c->h2 = gwp_h2c_new(c->px, c, c->port);
    if (c->h2 == NULL)
        return 0; /* answered as HTTP/1.x: 400 */
    c->state = C_H2;
    gwp_h2c_read(c->h2);
    return 1;
#else
    return 0; /* gwproxy without libnghttp2: 400 */
#endif
}

static void
client_error(struct gwp_client *c, int status, const char *reason)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n"
                        "Connection: close\r\n\r\n",
                        status, reason);
    fprintf(stderr, "gwproxy: %s: %d %s\n", c->peer, status, reason);
    client_close(c);
}

static void
client_process(struct gwp_client *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    if (c->state == C_HEAD && !c->sniffed && sniff_h2(c, in) != 0)
        return; /* need more bytes, or now HTTP/2 */
    if (c->state == C_HEAD) {
        int rc = http_parse_request(in, &c->head);
        if (rc == 0)
            return;
        if (rc < 0) {
            client_error(c, 400, "Bad Request");
            return;
        }
        size_t hosts = 0;
        for (size_t i = 0; i < c->head.n_headers; i++)
            hosts += http_str_ieq(c->head.headers[i].name, "host");
        if (hosts > 1 || body_reader_request(&c->br, &c->head) != 0) {
            client_error(c, 400, "Bad Request");
            return;
        }
        if (c->br.mode == BODY_LENGTH && c->br.remaining > GWP_MAX_BODY) {
            client_error(c, 413, "Content Too Large");
            return;
        }
        c->body = evbuffer_new();
        if (c->body == NULL) {
            client_error(c, 503, "Service Unavailable");
            return;
        }
        if (!c->br.done && c->head.minor >= 1 &&
            http_header_has_token(&c->head, "expect", "100-continue") &&
            evbuffer_get_length(in) == 0)
            evbuffer_add(bufferevent_get_output(c->bev),
                         "HTTP/1.1 100 Continue\r\n\r\n", 25);
        c->state = C_BODY;
    }
    if (c->state == C_BODY) {
        int rc = body_reader_run(&c->br, in, c->body);
        if (rc < 0) {
            client_error(c, 400, "Bad Request");
            return;
        }
        if (evbuffer_get_length(c->body) > GWP_MAX_BODY) {
            client_error(c, 413, "Content Too Large");
            return;
        }
        if (rc == 0)
            return;
        c->state = C_EXCHANGE;
        /* Reading goes on (bounded by the watermark) only to notice a
         * client that goes away: its exchange is then cancelled. */
        http_head head = c->head;
        struct evbuffer *body = c->body;
        memset(&c->head, 0, sizeof(c->head));
        c->body = NULL;
        /* The exchange registers itself (gwp_client_set_exchange); it ends
         * from the loop, never inside this call. */
        gwp_exchange_start(c->px, c, c->port, &head, body);
    }
}

void
gwp_client_exchange_done(struct gwp_client *c, int keep_alive)
{
    c->x = NULL;
    if (!keep_alive || c->px->stopping) {
        client_close(c);
        return;
    }
    c->state = C_HEAD;
    bufferevent_enable(c->bev, EV_READ);
    client_process(c);
}

void
gwp_client_abort(struct gwp_client *c)
{
    client_free(c);
}

struct bufferevent *
gwp_client_detach(struct gwp_client *c)
{
    struct bufferevent *bev = c->bev;
    c->bev = NULL;
    bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
    client_free(c);
    return bev;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct gwp_client *c = arg;
#ifdef GWP_HAVE_NGHTTP2
    if (c->state == C_H2) {
        gwp_h2c_read(c->h2);
        return;
    }
#endif
    if (c->state == C_HEAD || c->state == C_BODY)
        client_process(c);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
    struct gwp_client *c = arg;
    if (c->state == C_CLOSING) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
            client_free(c);
        return;
    }
#ifdef GWP_HAVE_NGHTTP2
    if (c->state == C_H2) {
        gwp_h2c_writable(c->h2);
        return;
    }
#endif
    if (c->x != NULL)
        gwp_exchange_client_writable(c->x);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct gwp_client *c = arg;
    if ((what & BEV_EVENT_TIMEOUT) && c->state == C_EXCHANGE) {
        /* The idle timeout does not apply while a response is awaited. */
        bufferevent_enable(c->bev, EV_READ);
        return;
    }
#ifdef GWP_HAVE_NGHTTP2
    if ((what & BEV_EVENT_TIMEOUT) && c->state == C_H2) {
        /* Idle HTTP/2 connections get a GOAWAY; busy ones carry on. */
        bufferevent_enable(c->bev, EV_READ);
        if (!gwp_h2c_busy(c->h2))
            gwp_h2c_shutdown(c->h2);
        return;
    }
#endif
    if (c->x != NULL)
        gwp_exchange_client_gone(c->x);
    c->x = NULL;
    client_free(c);
}

static void
on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
          int salen, void *arg)
{
    gwp_listener *l = arg;
    gwp_proxy *px = l->px;
    (void)lev;
    (void)salen;
    struct gwp_client *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        evutil_closesocket(fd);
        return;
    }
    c->px = px;
    c->port = l->port;
    c->next = px->clients;
    if (c->next)
        c->next->prev = &c->next;
    c->prev = &px->clients;
    px->clients = c;
    char addr[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
        port = ntohs(in6->sin6_port);
    }
    snprintf(c->peer, sizeof(c->peer), "%s:%u", addr, port);
    c->bev = bufferevent_socket_new(px->base, fd,
                                    BEV_OPT_CLOSE_ON_FREE |
                                    BEV_OPT_DEFER_CALLBACKS);
    c->ev_close = evtimer_new(px->base, on_close_timer, c);
    if (c->bev == NULL || c->ev_close == NULL) {
        if (c->bev == NULL)
            evutil_closesocket(fd);
        client_free(c);
        return;
    }
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    /* The write callback runs when the output drains below half the
     * high-water mark: resume a paused upstream. */
    bufferevent_setwatermark(c->bev, EV_WRITE, GWP_HIGH_WATER / 2, 0);
    /* Stop reading while this much is buffered (a body being received is
     * moved out as it arrives; pipelined requests wait here). */
    bufferevent_setwatermark(c->bev, EV_READ, 0, HTTP_MAX_HEAD + 16 * 1024);
    struct timeval idle = { GWP_IDLE_TIMEOUT_S, 0 };
    bufferevent_set_timeouts(c->bev, &idle, NULL);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
    (void)lev;
    (void)arg;
    perror("gwproxy: accept");
}

int
gwp_listen(gwp_proxy *px, uint32_t port)
{
    for (gwp_listener *l = px->listeners; l != NULL; l = l->next)
        if (l->port == port)
            return 0;
    long bound = (long)port + px->port_offset;
    if (bound <= 0 || bound > 65535) {
        fprintf(stderr, "gwproxy: listener port %u + offset %d is out of range\n",
                (unsigned)port, px->port_offset);
        return -1;
    }
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);
    char spec[300];
    snprintf(spec, sizeof(spec), strchr(px->bind_addr, ':') ? "[%s]:%ld" : "%s:%ld",
             px->bind_addr, bound);
    if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &len) != 0) {
        fprintf(stderr, "gwproxy: bad bind address %s\n", px->bind_addr);
        return -1;
    }
    gwp_listener *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return -1;
    l->px = px;
    l->port = port;
    l->bound_port = (uint32_t)bound;
    l->lev = evconnlistener_new_bind(px->base, on_accept, l,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                     LEV_OPT_CLOSE_ON_EXEC, 128,
                                     (struct sockaddr *)&ss, len);
    if (l->lev == NULL) {
        fprintf(stderr, "gwproxy: cannot listen on %s: %s\n", spec,
                evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        free(l);
        return -1;
    }
    evconnlistener_set_error_cb(l->lev, on_accept_error);
    l->next = px->listeners;
    px->listeners = l;
    fprintf(stderr, "gwproxy: listening on %s (listener port %u)\n", spec,
            (unsigned)port);
    return 0;
}

void
gwp_server_stop_listening(gwp_proxy *px)
{
    while (px->listeners != NULL) {
        gwp_listener *l = px->listeners;
        px->listeners = l->next;
        evconnlistener_free(l->lev);
        free(l);
    }
}

void
gwp_server_keep_only(gwp_proxy *px, const uint32_t *ports, size_t n)
{
    gwp_listener **pl = &px->listeners;
    while (*pl != NULL) {
        gwp_listener *l = *pl;
        int keep = 0;
        for (size_t i = 0; i < n && !keep; i++)
            keep = ports[i] == l->port;
        for (size_t i = 0; i < px->n_extra_ports && !keep; i++)
            keep = px->extra_ports[i] == l->port;
        if (keep) {
            pl = &l->next;
            continue;
        }
        /* Connections already accepted on it carry on. */
        fprintf(stderr, "gwproxy: listener port %u is gone; closing %u\n",
                (unsigned)l->port, (unsigned)l->bound_port);
        *pl = l->next;
        evconnlistener_free(l->lev);
        free(l);
    }
}

void
gwp_server_close_idle(gwp_proxy *px)
{
    struct gwp_client *c = px->clients, *next;
    for (; c != NULL; c = next) {
        next = c->next;
#ifdef GWP_HAVE_NGHTTP2
        if (c->state == C_H2) {
            /* GOAWAY: streams in flight finish, then it closes. */
            gwp_h2c_shutdown(c->h2);
            continue;
        }
#endif
        if (c->state == C_HEAD &&
            evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
            client_close(c);
    }
}

void
gwp_client_set_exchange(struct gwp_client *c, gwp_exchange *x)
{
    c->x = x;
}

void
gwp_server_close_all(gwp_proxy *px)
{
    while (px->clients != NULL)
        client_free(px->clients);
}

void
gwp_server_count(gwp_proxy *px, size_t *clients, size_t *exchanges,
                 size_t *conns, size_t *tunnels)
{
    for (struct gwp_client *c = px->clients; c != NULL; c = c->next) {
        ++*clients;
        if (px->verbose)
            fprintf(stderr, "gwproxy: connection %s in state %d\n", c->peer,
                    (int)c->state);
    }
    for (gwp_exchange *x = px->exchanges; x != NULL; x = gwp_exchange_next(x))
        ++*exchanges;
    for (gwp_conn *k = px->conns; k != NULL; k = k->next)
        ++*conns;
    *tunnels = gwp_tunnel_count(px);
}
