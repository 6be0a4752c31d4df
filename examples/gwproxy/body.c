/*
 * gwproxy - a request body shared by the exchange and its upstream
 * requests. SPDX-License-Identifier: MIT
 *
 * An HTTP/1.x body is complete before the exchange starts. An HTTP/2
 * request is routed as soon as its HEADERS arrive and its DATA keeps
 * coming while the engine connects: the body grows, and whoever sends it
 * upstream watches it (an h2c upstream streams each new piece, an
 * HTTP/1.1 upstream waits for the end to write Content-Length). Every
 * byte is kept until the last reference goes, so that a retry or a
 * mirror replays the body from the start (hence the size cap).
 */
#include <stdlib.h>

#include <event2/buffer.h>

#include "gwproxy.h"

struct gwp_body {
    unsigned refs;
    int state;                  /* 0 growing, 1 complete, -1 aborted */
    struct evbuffer *data;
    gwp_body_watch *watchers;
    gwp_body_watch *cursor;     /* next watcher to notify */
};

gwp_body *
gwp_body_new(struct evbuffer *complete)
{
    gwp_body *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->refs = 1;
    if (complete != NULL) {
        b->data = complete;
        b->state = 1;
        return b;
    }
    b->data = evbuffer_new();
    if (b->data == NULL) {
        free(b);
        return NULL;
    }
    return b;
}

gwp_body *
gwp_body_ref(gwp_body *b)
{
    b->refs++;
    return b;
}

void
gwp_body_unref(gwp_body *b)
{
    if (b == NULL || --b->refs > 0)
        return;
    /* Watchers hold references: there are none left. */
    evbuffer_free(b->data);
    free(b);
}

struct evbuffer *
gwp_body_data(gwp_body *b)
{
    return b->data;
}

size_t
gwp_body_length(const gwp_body *b)
{
    return evbuffer_get_length(b->data);
}

int
gwp_body_state(const gwp_body *b)
{
    return b->state;
}

size_t
gwp_body_copy(gwp_body *b, size_t off, void *dst, size_t n)
{
    size_t len = evbuffer_get_length(b->data);
    if (off >= len)
        return 0;
    if (n > len - off)
        n = len - off;
    struct evbuffer_ptr pos;
    if (evbuffer_ptr_set(b->data, &pos, off, EVBUFFER_PTR_SET) != 0)
        return 0;
    ev_ssize_t got = evbuffer_copyout_from(b->data, &pos, dst, n);
    return got > 0 ? (size_t)got : 0;
}

/* Tell every watcher that something changed. A watcher may unwatch
 * itself (or another one) from its callback: the cursor skips it. */
static void
notify(gwp_body *b)
{
    b->refs++;
    for (gwp_body_watch *w = b->watchers; w != NULL; w = b->cursor) {
        b->cursor = w->next;
        w->fn(w->ud);
    }
    b->cursor = NULL;
    gwp_body_unref(b);
}

int
gwp_body_append(gwp_body *b, const void *p, size_t n)
{
    if (b->state != 0)
        return -1;
    if (evbuffer_add(b->data, p, n) != 0)
        return -1;
    notify(b);
    return 0;
}

void
gwp_body_end(gwp_body *b, int ok)
{
    if (b->state != 0)
        return;
    b->state = ok ? 1 : -1;
    notify(b);
}

void
gwp_body_watch_start(gwp_body *b, gwp_body_watch *w, void (*fn)(void *),
                     void *ud)
{
    w->body = gwp_body_ref(b);
    w->fn = fn;
    w->ud = ud;
    w->prev = &b->watchers;
    w->next = b->watchers;
    if (w->next)
        w->next->prev = &w->next;
    b->watchers = w;
}

void
gwp_body_watch_stop(gwp_body_watch *w)
{
    gwp_body *b = w->body;
    if (b == NULL)
        return;
    if (b->cursor == w)
        b->cursor = w->next;
    *w->prev = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->body = NULL;
    w->next = NULL;
    w->prev = NULL;
    gwp_body_unref(b);
}
