/*
 * gwproxy - a reverse proxy on libevent that hosts libgwroute (docs/CLI.md,
 * docs/EMBEDDING.md "Worked example: gwproxy"). SPDX-License-Identifier: MIT
 *
 * One thread, one event_base. Pieces:
 *   main.c     options, signals, start and graceful stop
 *   config.c   load FILE..., compile the table, reload on SIGHUP
 *   server.c   listeners and client connections (HTTP/1.1 server side)
 *   server_h2.c    HTTP/2 (h2c, prior knowledge) client connections
 *   server_h2_out.c  responses on those streams: head, data, trailers
 *   body.c     the request body, shared with the upstream requests
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
/* HTTP/2 clients: streams at once per connection, and request bytes
 * buffered per connection over all its streams (each is also capped at
 * GWP_MAX_BODY). */
#define GWP_H2_MAX_STREAMS 100
#define GWP_H2_CONN_BODY_MAX (32u * 1024 * 1024)

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
struct gwp_h2c; /* an HTTP/2 client connection (server_h2.c) */
struct gwp_h2s; /* one of its streams */
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

/* ---- body.c ------------------------------------------------------------- */
typedef struct gwp_body gwp_body;
/* A watcher of a growing body: fn(ud) runs after bytes were appended and
 * when the body ends (complete or aborted). It may stop watching. */
typedef struct gwp_body_watch {
    struct gwp_body_watch *next, **prev;
    gwp_body *body;          /* referenced while watching, else NULL */
    void (*fn)(void *ud);
    void *ud;
} gwp_body_watch;

/* A body with one reference: complete (takes the evbuffer) or, with
 * NULL, empty and growing. NULL on failure (complete is then not taken). */
gwp_body *gwp_body_new(struct evbuffer *complete);
gwp_body *gwp_body_ref(gwp_body *b);
void gwp_body_unref(gwp_body *b);
/* Every byte received so far (read only: callers never drain it). */
struct evbuffer *gwp_body_data(gwp_body *b);
size_t gwp_body_length(const gwp_body *b);
/* 0 still growing, 1 complete, -1 aborted (the client went away). */
int gwp_body_state(const gwp_body *b);
/* Copy up to n bytes from offset off; the count copied. */
size_t gwp_body_copy(gwp_body *b, size_t off, void *dst, size_t n);
/* Append (0, or -1 when ended or out of memory) and end; both notify. */
int gwp_body_append(gwp_body *b, const void *p, size_t n);
void gwp_body_end(gwp_body *b, int ok);
void gwp_body_watch_start(gwp_body *b, gwp_body_watch *w, void (*fn)(void *),
                          void *ud);
void gwp_body_watch_stop(gwp_body_watch *w); /* no-op when not watching */

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
/* Stop reading, flush what is queued, then close. */
void gwp_client_close(struct gwp_client *c);
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
/* The same for an HTTP/2 stream, as soon as its head arrived: takes the
 * head, references the (maybe still growing) body. The stream learns its
 * exchange through gwp_h2s_set_exchange(). 0, or -1 when nothing could be
 * started (no memory): the caller answers. */
int gwp_exchange_start_h2(gwp_proxy *px, struct gwp_h2s *s, uint32_t port,
                          http_head *head, gwp_body *body, const char *peer);
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
gwp_body *gwp_exchange_body(gwp_exchange *x);
gwr_str gwp_exchange_upgrade(gwp_exchange *x);
void gwp_exchange_note_attempt(gwp_exchange *x, const gwr_upstream *req,
                               const char *label);
/* Relay the response body of the attempt the client receives. */
void gwp_exchange_relay(gwp_exchange *x, gwp_upstream *u, struct evbuffer *data);
void gwp_exchange_relay_done(gwp_exchange *x);
/* The trailer fields of the relayed response (moved out of t), written
 * by gwp_exchange_relay_done(). */
void gwp_exchange_take_trailers(gwp_exchange *x, http_fields *t);
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
    /* An HTTP/1.1 request whose (HTTP/2 client's) body is still growing:
     * the head waits in pending until the body is complete. */
    gwp_body_watch wait;
    struct evbuffer *pending;
    char method[16];
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
    http_fields trailers;  /* HTTP/2 response trailers (HTTP/1.1: dropped) */
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
 * is built from the engine's view directly, the body streamed as it
 * grows. 0, or -1 (u unchanged). */
int gwp_upstream_send_h2(gwp_upstream *u, const gwr_upstream *req,
                         gwp_body *body);
/* Start relaying the body (may call done/error before it returns). */
void gwp_upstream_stream(gwp_upstream *u);
void gwp_upstream_pause(gwp_upstream *u, int pause);
void gwp_upstream_free(gwp_upstream *u);
/* Take the socket for a tunnel (with unread bytes); u is freed. */
struct bufferevent *gwp_upstream_detach(gwp_upstream *u);

/* ---- upstream_h2.c (libnghttp2) ------------------------------------------ */
int gwp_h2_send(gwp_upstream *u, const gwr_upstream *req, gwp_body *body);
int gwp_h2_recv(gwp_upstream *u);
int gwp_h2_head(gwp_upstream *u);
int gwp_h2_closed(const gwp_upstream *u);
int gwp_h2_failed(const gwp_upstream *u);
void gwp_h2_free(gwp_upstream *u);

/* ---- server_h2.c, server_h2_out.c (libnghttp2) -------------------------- */
/* The HTTP/2 client connection preface. */
#define GWP_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define GWP_H2_PREFACE_LEN 24
#ifdef GWP_HAVE_NGHTTP2
/* Take over client connection c whose input starts with the preface.
 * NULL on failure (c untouched). */
struct gwp_h2c *gwp_h2c_new(gwp_proxy *px, struct gwp_client *c,
                            uint32_t port);
/* server.c's bufferevent callbacks for that connection. */
void gwp_h2c_read(struct gwp_h2c *h);
void gwp_h2c_writable(struct gwp_h2c *h);
/* 1 while a stream is open. */
int gwp_h2c_busy(const struct gwp_h2c *h);
/* GOAWAY; the connection closes once its streams are done. */
void gwp_h2c_shutdown(struct gwp_h2c *h);
/* Free (from client_free): the exchanges of open streams are cancelled. */
void gwp_h2c_free(struct gwp_h2c *h);

/* What exchange.c asks of a stream. */
void gwp_h2s_set_exchange(struct gwp_h2s *s, gwp_exchange *x);
/* Submit the response head. With body (a generated response) the whole
 * response goes now. Without, end_now 1 means there is no body (HEADERS
 * carries END_STREAM: a trailers-only gRPC answer); else the body follows
 * through gwp_h2s_data() and gwp_h2s_end(). content_length < 0: none.
 * 0, or -1 (the stream is reset). */
int gwp_h2s_respond(struct gwp_h2s *s, int status, const gwr_header *h,
                    size_t n, const gwr_str *body, int end_now,
                    int64_t content_length);
/* Queue body bytes (moved out of data); 1 when the stream holds more than
 * GWP_HIGH_WATER: pause the upstream until gwp_exchange_client_writable. */
int gwp_h2s_data(struct gwp_h2s *s, struct evbuffer *data);
/* The body is complete; trailers (moved out, may be empty) follow it. */
void gwp_h2s_end(struct gwp_h2s *s, http_fields *trailers);
/* The exchange is over (and forgets s); aborted: reset the stream unless
 * the whole response was queued. */
void gwp_h2s_finished(struct gwp_h2s *s, int aborted);
#endif

/* ---- tunnel.c ------------------------------------------------------------ */
void gwp_tunnel_start(gwp_proxy *px, struct bufferevent *a,
                      struct bufferevent *b);
void gwp_tunnel_close_all(gwp_proxy *px);

uint64_t gwp_now_ms(void);

#endif
