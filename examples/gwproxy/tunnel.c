/*
 * gwproxy - the byte pipe after 101 Switching Protocols (WebSocket).
 * SPDX-License-Identifier: MIT
 *
 * Both sides are copied to each other with backpressure (the reader stops
 * while the other side has more than GWP_HIGH_WATER queued). Either side
 * closing flushes what is queued to the other and closes it.
 */
#include <stdlib.h>

#include <event2/buffer.h>

#include "gwproxy.h"

struct gwp_tunnel {
    struct gwp_tunnel *next, **prev;
    gwp_proxy *px;
    struct bufferevent *side[2];
    int closing;
};

static void
tunnel_free(struct gwp_tunnel *t)
{
    *t->prev = t->next;
    if (t->next)
        t->next->prev = t->prev;
    for (int i = 0; i < 2; i++)
        if (t->side[i])
            bufferevent_free(t->side[i]);
    gwp_proxy *px = t->px;
    free(t);
    gwp_maybe_exit(px);
}

static int
idx(struct gwp_tunnel *t, struct bufferevent *bev)
{
    return t->side[0] == bev ? 0 : 1;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
    struct gwp_tunnel *t = arg;
    struct bufferevent *other = t->side[!idx(t, bev)];
    if (other == NULL)
        return;
    struct evbuffer *out = bufferevent_get_output(other);
    evbuffer_add_buffer(out, bufferevent_get_input(bev));
    if (evbuffer_get_length(out) > GWP_HIGH_WATER)
        bufferevent_disable(bev, EV_READ);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
    struct gwp_tunnel *t = arg;
    int i = idx(t, bev);
    if (t->closing) {
        /* Flushed what the closed side left: done. */
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
            tunnel_free(t);
        return;
    }
    struct bufferevent *other = t->side[!i];
    if (other != NULL)
        bufferevent_enable(other, EV_READ);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
    struct gwp_tunnel *t = arg;
    (void)what;
    int i = idx(t, bev);
    struct bufferevent *other = t->side[!i];
    /* Move the last bytes, drop this side, let the other flush. */
    on_read(bev, t);
    bufferevent_free(bev);
    t->side[i] = NULL;
    if (t->closing || other == NULL ||
        evbuffer_get_length(bufferevent_get_output(other)) == 0) {
        tunnel_free(t);
        return;
    }
    t->closing = 1;
    bufferevent_disable(other, EV_READ);
}

void
gwp_tunnel_start(gwp_proxy *px, struct bufferevent *a, struct bufferevent *b)
{
    struct gwp_tunnel *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        bufferevent_free(a);
        bufferevent_free(b);
        return;
    }
    t->px = px;
    t->side[0] = a;
    t->side[1] = b;
    t->next = px->tunnels;
    if (t->next)
        t->next->prev = &t->next;
    t->prev = &px->tunnels;
    px->tunnels = t;
    for (int i = 0; i < 2; i++) {
        bufferevent_setcb(t->side[i], on_read, on_write, on_event, t);
        bufferevent_set_timeouts(t->side[i], NULL, NULL);
        bufferevent_enable(t->side[i], EV_READ | EV_WRITE);
    }
    /* Bytes that arrived together with the heads. */
    on_read(a, t);
    on_read(b, t);
}

void
gwp_tunnel_close_all(gwp_proxy *px)
{
    while (px->tunnels != NULL)
        tunnel_free(px->tunnels);
}

size_t
gwp_tunnel_count(gwp_proxy *px)
{
    size_t n = 0;
    for (struct gwp_tunnel *t = px->tunnels; t != NULL; t = t->next)
        n++;
    return n;
}
