/*
 * gwproxy - a reverse proxy on libevent that hosts libgwroute (docs/CLI.md,
 * docs/EMBEDDING.md "Worked example: gwproxy"). SPDX-License-Identifier: MIT
 *
 * One thread, one event_base. Pieces:
 *   main.c     options, signals, start and graceful stop
 *   config.c   load FILE..., compile the table, reload on SIGHUP
 *   server.c   listeners and client connections (HTTP/1.1 server side)
 *   shim.c     the gwr_io callbacks the exchange engine drives
 *   upstream.c one TCP connection to a backend per attempt
 *   upstream_h2.c  HTTP/2 (h2c) on that connection, with libnghttp2
 *   exchange.c one client request: match, submit, relay the response
 *   tunnel.c   byte pipe after a 101 Switching Protocols (WebSocket)
 *   http.c     head parser and body decoder
 */
#ifndef GWPROXY_H
#define GWPROXY_H

#include <stdint.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "gwroute.h"
#include "http.h"

#define GWP_MAX_BODY (8u * 1024 * 1024)   /* request bodies are buffered */
#define GWP_HIGH_WATER (1u * 1024 * 1024) /* response backpressure */
#define GWP_MIRROR_TIMEOUT_MS 10000
#define GWP_IDLE_TIMEOUT_S 60

/* --backend NS/NAME:PORT=HOST:PORT */
typedef struct gwp_override {
    char *ns, *name;
    uint32_t port;
    char *host;
    char *host_port;
} gwp_override;

typedef struct gwp_listener {
    struct gwp_listener *next;
    struct gwp_proxy *px;
    struct evconnlistener *lev;
    uint32_t port;       /* the Gateway listener port (routing) */
    uint32_t bound_port; /* port + offset (what we listen on) */
} gwp_listener;

struct gwp_client;
struct gwp_tunnel;
typedef struct gwp_exchange gwp_exchange;
typedef struct gwp_upstream gwp_upstream;
struct gwp_tunnel;

typedef struct gwp_proxy {
    struct event_base *base;
    const char *bind_addr;
    int port_offset;
    char **files;
    int nfiles;
    gwp_override *overrides;
    size_t n_overrides;
    uint32_t *extra_ports; /* --listen PORT */
    size_t n_extra_ports;
    int verbose;

    gwr_ctx *ctx;
    gwr_table *table;      /* current; each exchange holds its own ref */
    unsigned generation;   /* bumped by every successful (re)load */
    gwp_listener *listeners;

    struct event *ev_hup, *ev_term, *ev_int;
    int stopping;

    gwr_engine *engine;
    gwr_decision *decision;        /* scratch for gwr_table_match() */
    struct event *ev_timer;        /* the engine's single timer */
    struct event *ev_exit;         /* shutdown deadline */

    struct gwp_client *clients;    /* open client connections */
    struct gwp_exchange *exchanges;/* exchanges known to the host */
    struct gwp_conn *conns;        /* upstream connections (and mirrors) */
    struct gwp_tunnel *tunnels;    /* upgraded connections */
    uint64_t rr;                   /* round-robin over endpoints */
} gwp_proxy;

/* ---- config.c ------------------------------------------------------------ */
/* Load the files and compile a table. 0 and *out set, or -1 (reported). */
int gwp_config_load(gwp_proxy *px, gwr_table **out, uint32_t **ports,
                    size_t *n_ports);
/* SIGHUP: load again; on success swap the table (and open listeners for
 * ports that appeared). A bad config changes nothing. */
void gwp_config_reload(gwp_proxy *px);
int gwp_parse_override(const char *arg, gwp_override *o);
/* Pick an address for a backend: a --backend override, else one of the
 * ready endpoints (round robin). 0, -1 when it has none. */
int gwp_resolve_backend(gwp_proxy *px, const gwr_backend *b,
                        struct sockaddr_storage *ss, socklen_t *len,
                        char *label, size_t label_size);

/* ---- server.c ------------------------------------------------------------ */
int gwp_listen(gwp_proxy *px, uint32_t port);
void gwp_server_stop_listening(gwp_proxy *px);
void gwp_server_close_idle(gwp_proxy *px);
void gwp_server_close_all(gwp_proxy *px);
void gwp_server_count(gwp_proxy *px, size_t *clients, size_t *exchanges,
                      size_t *conns, size_t *tunnels);
gwp_exchange *gwp_exchange_next(gwp_exchange *x);
size_t gwp_tunnel_count(gwp_proxy *px);
/* Close the listeners whose port is neither in ports nor a --listen one. */
void gwp_server_keep_only(gwp_proxy *px, const uint32_t *ports, size_t n);
/* Called by the exchange when the response is complete (keep-alive or
 * close), or when the connection must die. */
void gwp_client_exchange_done(struct gwp_client *c, int keep_alive);
void gwp_client_abort(struct gwp_client *c);
struct bufferevent *gwp_client_bev(struct gwp_client *c);
/* Hand the client socket to a tunnel (101 Switching Protocols). */
struct bufferevent *gwp_client_detach(struct gwp_client *c);
const char *gwp_client_peer(const struct gwp_client *c);
void gwp_client_set_exchange(struct gwp_client *c, gwp_exchange *x);
void gwp_maybe_exit(gwp_proxy *px);

/* ---- exchange.c ---------------------------------------------------------- */
/* Route and submit a fully received request (takes head and body). */
void gwp_exchange_start(gwp_proxy *px, struct gwp_client *c, uint32_t port,
                        http_head *head, struct evbuffer *body);
/* The client went away: cancel the exchange in the engine. */
void gwp_exchange_client_gone(gwp_exchange *x);
/* The client output buffer drained below the low-water mark. */
void gwp_exchange_client_writable(gwp_exchange *x);
gwp_exchange *gwp_exchange_find(gwp_proxy *px, uint64_t id);
/* gwr_io.respond / cancel for an exchange id (shim.c forwards). */
int gwp_exchange_respond(gwp_exchange *x, int status, const gwr_header *h,
                         size_t n, gwr_str body);
void gwp_exchange_abort(gwp_exchange *x);
/* What send_request needs from the exchange. */
struct evbuffer *gwp_exchange_body(gwp_exchange *x);
gwr_str gwp_exchange_upgrade(gwp_exchange *x);
void gwp_exchange_note_attempt(gwp_exchange *x, const gwr_upstream *req,
                               const char *label);
/* Relay the response body of the attempt the client receives. */
void gwp_exchange_relay(gwp_exchange *x, gwp_upstream *u, struct evbuffer *data);
void gwp_exchange_relay_done(gwp_exchange *x);
/* 101 passed to the client: pipe the client and upstream sockets. */
void gwp_exchange_upgraded(gwp_exchange *x, struct bufferevent *upstream);
void gwp_exchange_close_all(gwp_proxy *px);

/* ---- shim.c: the gwr_io implementation ---------------------------------- */
/* One upstream connection, known to the engine as conn_id (and, once the
 * request is sent, xid). Mirrors are conns without ids. */
typedef struct gwp_conn {
    struct gwp_conn *next, **prev;
    gwp_proxy *px;
    uint64_t conn_id, xid, exchange_id;
    struct gwp_upstream *u;
    struct event *ev;       /* deferred connect failure / mirror timeout */
    int mirror;
    int failed;
    uint32_t proto;         /* gwr_backend_proto_kind from connect */
    char label[300];        /* host:port connected to */
} gwp_conn;

int gwp_shim_init(gwp_proxy *px);
/* 1 for a request field that is not forwarded: hop-by-hop, listed in
 * Connection, Expect, or written by gwproxy itself (Host, framing). */
int gwp_skip_request_field(const gwr_upstream *req, gwr_str name);
void gwp_shim_free(gwp_proxy *px);
gwp_conn *gwp_conn_find(gwp_proxy *px, uint64_t id);
void gwp_conn_free(gwp_conn *k);

/* ---- upstream.c ---------------------------------------------------------- */
typedef struct gwp_upstream_cbs {
    void (*connected)(gwp_upstream *u, void *ud);
    /* The response head is in u->head; reading pauses until
     * gwp_upstream_stream() (or the upstream is freed). */
    void (*head)(gwp_upstream *u, void *ud);
    /* Decoded body bytes (drain them). Must not free u. */
    void (*body)(gwp_upstream *u, struct evbuffer *data, void *ud);
    /* These may free u. */
    void (*done)(gwp_upstream *u, void *ud);
    /* Connect failure, reset, malformed response, early EOF. */
    void (*error)(gwp_upstream *u, const char *what, void *ud);
} gwp_upstream_cbs;

struct gwp_upstream {
    gwp_proxy *px;
    struct bufferevent *bev;
    http_head head;
    int have_head;
    body_reader br;
    char method[16];
    struct evbuffer *decoded;
    const gwp_upstream_cbs *cbs;
    void *ud;
    int connected;
    int streaming;
    int paused;
    struct gwp_h2 *h2;     /* HTTP/2 (h2c) state, NULL for HTTP/1.1 */
};

/* Start connecting to addr. NULL on immediate failure. */
gwp_upstream *gwp_upstream_connect(gwp_proxy *px, const struct sockaddr *addr,
                                   socklen_t len, const gwp_upstream_cbs *cbs,
                                   void *ud);
/* Queue the request bytes (moved out of req); HEAD matters for framing. */
void gwp_upstream_send(gwp_upstream *u, struct evbuffer *req, gwr_str method);
/* The same in HTTP/2 with prior knowledge (h2c), one stream: the request
 * is built from the engine's view directly. 0, or -1 (u unchanged). */
int gwp_upstream_send_h2(gwp_upstream *u, const gwr_upstream *req,
                         struct evbuffer *body);
/* Start relaying the body (may call done/error before it returns). */
void gwp_upstream_stream(gwp_upstream *u);
void gwp_upstream_pause(gwp_upstream *u, int pause);
void gwp_upstream_free(gwp_upstream *u);
/* Take the socket for a tunnel (with unread bytes); u is freed. */
struct bufferevent *gwp_upstream_detach(gwp_upstream *u);

/* ---- upstream_h2.c (libnghttp2) ------------------------------------------ */
int gwp_h2_send(gwp_upstream *u, const gwr_upstream *req, struct evbuffer *body);
int gwp_h2_recv(gwp_upstream *u);
int gwp_h2_head(gwp_upstream *u);
int gwp_h2_closed(const gwp_upstream *u);
int gwp_h2_failed(const gwp_upstream *u);
void gwp_h2_free(gwp_upstream *u);

/* ---- tunnel.c ------------------------------------------------------------ */
void gwp_tunnel_start(gwp_proxy *px, struct bufferevent *a,
                      struct bufferevent *b);
void gwp_tunnel_close_all(gwp_proxy *px);

uint64_t gwp_now_ms(void);

#endif
