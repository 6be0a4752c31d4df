/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * A bump allocator over chunks from the context allocator: parsed
 * documents, the object model and compiled tables each die as a whole.
 */
#include <stdalign.h>
#include <string.h>

#include "gwr_private.h"

#define ARENA_CHUNK_MIN 8192u
#define ARENA_ALIGN alignof(max_align_t)

struct gwr_arena_chunk {
    gwr_arena_chunk *next;
    size_t cap, used;
    alignas(max_align_t) unsigned char data[];
};

void
gwr_arena__init(gwr_arena *a, gwr_ctx *ctx)
{
    a->ctx = ctx;
    a->head = NULL;
    a->used = 0;
}

void *
gwr_arena__alloc(gwr_arena *a, size_t n)
{
    if (n == 0 || n > SIZE_MAX / 2)
        return NULL;
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    gwr_arena_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < need) {
        size_t cap = need > ARENA_CHUNK_MIN ? need : ARENA_CHUNK_MIN;
        /* Big requests get their own chunk behind the current one, so the
         * current chunk's free tail stays in use. */
        c = gwr__alloc(a->ctx, sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->cap = cap;
        c->used = 0;
        if (a->head != NULL && need > ARENA_CHUNK_MIN) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used += need;
    return p;
}

void *
gwr_arena__calloc(gwr_arena *a, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        return NULL;
    void *p = gwr_arena__alloc(a, nmemb * size);
    if (p != NULL)
        memset(p, 0, nmemb * size);
    return p;
}

char *
gwr_arena__strndup(gwr_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = gwr_arena__alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int
gwr_arena__str(gwr_arena *a, gwr_str in, gwr_str *out)
{
    if (in.len == 0) {
        out->ptr = "";
        out->len = 0;
        return GWR_OK;
    }
    char *p = gwr_arena__strndup(a, in.ptr, in.len);
    if (p == NULL)
        return GWR_E_NOMEM;
    out->ptr = p;
    out->len = in.len;
    return GWR_OK;
}

void
gwr_arena__free(gwr_arena *a)
{
    gwr_arena_chunk *c = a->head;
    while (c != NULL) {
        gwr_arena_chunk *next = c->next;
        gwr__free(a->ctx, c);
        c = next;
    }
    a->head = NULL;
    a->used = 0;
}
