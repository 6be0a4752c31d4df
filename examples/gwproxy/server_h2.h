/*
 * gwproxy - HTTP/2 client connections: what server_h2.c (connection,
 * requests) and server_h2_out.c (responses) share. SPDX-License-Identifier: MIT
 */
#ifndef GWPROXY_SERVER_H2_H
#define GWPROXY_SERVER_H2_H

#include <nghttp2/nghttp2.h>

#include "gwproxy.h"

/* One stream: a request, then its response. It outlives its exchange
 * while the response drains; the exchange outlives it when the client
 * resets it (the exchange is then cancelled). */
struct gwp_h2s {
    struct gwp_h2s *next, **prev;
    struct gwp_h2c *h;
    int32_t id;
    gwp_exchange *x;          /* NULL before the head, and once over */
    /* request */
    http_fields fields;       /* the head as received, pseudo-headers too */
    size_t head_bytes;
    int head_status;          /* 0, or the error to answer (400, 431) */
    gwp_body *body;           /* created with the exchange */
    size_t counted;           /* its bytes counted in h->body_bytes */
    int req_done;             /* END_STREAM received */
    /* response */
    struct evbuffer *out;     /* body bytes not yet framed */
    http_fields trailers;
    int responded;            /* HEADERS submitted */
    int out_ended;            /* nothing more comes after out (+ trailers) */
    int deferred;             /* DATA deferred until more is queued */
    int paused;               /* the upstream was asked to pause */
    int want_resume;          /* ...and may go on (see gwp_h2__flush) */
    int reset;                /* RST_STREAM submitted */
};

/* One client connection. */
struct gwp_h2c {
    gwp_proxy *px;
    struct gwp_client *c;
    nghttp2_session *session;
    struct gwp_h2s *streams;
    struct event *ev_flush;   /* gwp_h2__schedule(): send from the loop */
    uint32_t port;
    size_t body_bytes;        /* request bytes held by open streams */
    int goaway;               /* GOAWAY submitted: close once idle */
    int dead;                 /* closing: nothing is sent any more */
};

/* server_h2.c: send what is queued from the loop, soon. Everything that
 * queues frames outside nghttp2's own callbacks calls this instead of
 * nghttp2_session_send(), which must not run inside those callbacks (and
 * which may close streams, i.e. free them). */
void gwp_h2__schedule(struct gwp_h2c *h);

/* server_h2_out.c */
/* Answer a stream locally (no exchange): status and an empty body. */
void gwp_h2__answer(struct gwp_h2s *s, int status);
/* Reset a stream (once). */
void gwp_h2__reset(struct gwp_h2s *s, uint32_t code);
/* on_frame_send_callback: a response that ended while the request still
 * runs is followed by RST_STREAM(NO_ERROR) (RFC 9113 8.1). */
int gwp_h2__frame_sent(nghttp2_session *session, const nghttp2_frame *f,
                       void *ud);

#endif
