/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * Concurrency (docs/THREADING.md): matcher threads route requests on a
 * shared table while a compiler thread keeps compiling new generations
 * and publishing them, and a dropper thread releases the old ones, so
 * tables are compiled on one thread, matched on several and freed on yet
 * another, while decisions still pin retired generations. Each worker
 * checks that every decision belongs to the generation it pinned (the
 * config of generation g tags its upstream requests "x-gen: g" and
 * routes to Service "s<g % 4>"). All memory goes through one
 * thread-safe counting allocator that must end with nothing live.
 *
 * Meaningful under ThreadSanitizer:
 *   meson setup build-tsan -Db_sanitize=thread
 *   meson test -C build-tsan concurrency
 * Bounded: GENERATIONS swaps, and workers stop when the swaps are done.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define WORKERS 4
#define GENERATIONS 40
#define GRAVEYARD 8

/* ---- a thread-safe counting allocator ---------------------------------- */

typedef struct { size_t n; size_t pad; } blk;

static atomic_long live_blocks;

static void *
a_alloc(size_t n, void *ud)
{
    (void)ud;
    blk *b = malloc(sizeof(blk) + n);
    if (b == NULL)
        return NULL;
    b->n = n;
    atomic_fetch_add(&live_blocks, 1);
    return b + 1;
}

static void *
a_realloc(void *p, size_t n, void *ud)
{
    if (p == NULL)
        return a_alloc(n, ud);
    blk *b = realloc((blk *)p - 1, sizeof(blk) + n);
    if (b == NULL)
        return NULL;
    b->n = n;
    return b + 1;
}

static void
a_free(void *p, void *ud)
{
    (void)ud;
    if (p == NULL)
        return;
    atomic_fetch_sub(&live_blocks, 1);
    free((blk *)p - 1);
}

static const gwr_allocator shared_alloc =
    GWR_ALLOCATOR_INIT(a_alloc, a_realloc, a_free, NULL);

/* ---- shared state -------------------------------------------------------- */

typedef struct shared {
    pthread_mutex_t lock;        /* protects current + gen (load + ref) */
    gwr_table *current;
    unsigned gen;
    atomic_int stop;
    atomic_long matched;
    atomic_long wrong;
    /* retired tables, released by the dropper thread */
    pthread_mutex_t glock;
    pthread_cond_t gcond;
    gwr_table *grave[GRAVEYARD];
    size_t ngrave;
    int compiler_done;
} shared;

static char *
config_for(unsigned g)
{
    char *buf = malloc(4096);
    assert_non_null(buf);
    int n = 0;
    for (int s = 0; s < 4; s++)
        n += snprintf(buf + n, 4096 - (size_t)n,
                      "apiVersion: v1\nkind: Service\nmetadata: {name: s%d, "
                      "namespace: app}\nspec: {ports: [{port: 80}]}\n---\n",
                      s);
    snprintf(buf + n, 4096 - (size_t)n,
             "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
             "metadata: {name: gen%u, namespace: app}\nspec:\n"
             "  hostnames: ['*.example.com']\n"
             "  rules:\n"
             "  - matches:\n"
             "    - path: {type: RegularExpression, value: '/g/[0-9]+/.*'}\n"
             "    - path: {type: PathPrefix, value: /p%u}\n"
             "    - headers: [{name: x-any, value: '1'}]\n"
             "    filters:\n"
             "    - type: RequestHeaderModifier\n"
             "      requestHeaderModifier:\n"
             "        add: [{name: x-gen, value: '%u'}]\n"
             "    - type: RequestMirror\n"
             "      requestMirror: {backendRef: {name: s%u, port: 80}, "
             "percent: 50}\n"
             "    backendRefs: [{name: s%u, port: 80}]\n",
             g, g, g, (g + 1) % 4, g % 4);
    return buf;
}

static gwr_table *
compile_gen(gwr_ctx *ctx, unsigned g)
{
    char *text = config_for(g);
    gwr_config *cfg = NULL;
    gwr_table *t = NULL;
    assert_int_equal(gwr_config_new(&cfg, ctx), GWR_OK);
    assert_int_equal(gwr_config_add_text(cfg, GWR_FORMAT_YAML,
                                         (gwr_str){ text, strlen(text) },
                                         (gwr_str)GWR_STR_LIT("gen")),
                     GWR_OK);
    assert_int_equal(gwr_table_compile(&t, cfg, NULL), GWR_OK);
    gwr_config_free(cfg);   /* the table is a snapshot */
    free(text);
    return t;
}

/* ---- threads ------------------------------------------------------------- */

static int
check_decision(const gwr_decision *d, unsigned g)
{
    char want[16];
    snprintf(want, sizeof(want), "%u", g);
    if (gwr_decision_result(d) != GWR_RESULT_FORWARD)
        return 0;
    const gwr_backend *b = gwr_decision_backend(d);
    gwr_str name = gwr_backend_name(b);
    if (name.len != 2 || name.ptr[0] != 's' ||
        (unsigned)(name.ptr[1] - '0') != g % 4)
        return 0;
    int tagged = 0;
    for (size_t i = 0; i < gwr_decision_upstream_header_count(d); i++) {
        const gwr_header *h = gwr_decision_upstream_header(d, i);
        if (h->name.len == 5 && memcmp(h->name.ptr, "x-gen", 5) == 0)
            tagged = h->value.len == strlen(want) &&
                     memcmp(h->value.ptr, want, h->value.len) == 0;
    }
    return tagged && gwr_decision_mirror_count(d) == 1;
}

static void *
worker(void *arg)
{
    shared *s = arg;
    /* one context per thread, as a proxy worker would have: it makes the
     * unseeded requests' random source thread-local */
    gwr_ctx *ctx = NULL;
    gwr_decision *d = NULL;
    if (gwr_ctx_new(&ctx, &shared_alloc, NULL, NULL) != GWR_OK ||
        gwr_decision_new(&d, ctx) != GWR_OK) {
        atomic_fetch_add(&s->wrong, 1);
        return NULL;
    }
    static const char *const paths[] = { "/g/1/x", "/p", "/other" };
    unsigned long i = 0;
    while (!atomic_load(&s->stop)) {
        pthread_mutex_lock(&s->lock);
        gwr_table *t = gwr_table_ref(s->current);
        unsigned g = s->gen;
        pthread_mutex_unlock(&s->lock);

        gwr_request r = GWR_REQUEST_INIT;
        const char *p = paths[i % 3];
        char pbuf[32];
        if (i % 3 == 1) {
            snprintf(pbuf, sizeof(pbuf), "/p%u/x", g);
            p = pbuf;
        }
        gwr_header any = { GWR_STR_LIT("x-any"), GWR_STR_LIT("1") };
        r.host = (gwr_str)GWR_STR_LIT("w.example.com");
        r.path = (gwr_str){ p, strlen(p) };
        r.headers = &any;
        r.n_headers = i % 3 == 2;
        if (i & 1) {
            r.flags = GWR_REQ_SEEDED;
            r.seed = i;
        }
        int rc = gwr_table_match(t, &r, d);
        /* drop our pin: the decision keeps the generation alive */
        gwr_table_unref(t);
        if (rc != GWR_OK || !check_decision(d, g))
            atomic_fetch_add(&s->wrong, 1);
        atomic_fetch_add(&s->matched, 1);
        i++;
    }
    gwr_decision_free(d);
    gwr_ctx_free(ctx);
    return NULL;
}

static void *
dropper(void *arg)
{
    shared *s = arg;
    pthread_mutex_lock(&s->glock);
    for (;;) {
        while (s->ngrave == 0 && !s->compiler_done)
            pthread_cond_wait(&s->gcond, &s->glock);
        if (s->ngrave == 0 && s->compiler_done)
            break;
        gwr_table *t = s->grave[--s->ngrave];
        pthread_mutex_unlock(&s->glock);
        gwr_table_unref(t);       /* often the last reference */
        pthread_mutex_lock(&s->glock);
        pthread_cond_broadcast(&s->gcond);
    }
    pthread_mutex_unlock(&s->glock);
    return NULL;
}

static void *
compiler(void *arg)
{
    shared *s = arg;
    gwr_ctx *ctx = NULL;
    if (gwr_ctx_new(&ctx, &shared_alloc, NULL, NULL) != GWR_OK) {
        atomic_fetch_add(&s->wrong, 1);
        return NULL;
    }
    for (unsigned g = 1; g <= GENERATIONS; g++) {
        gwr_table *nt = compile_gen(ctx, g);
        pthread_mutex_lock(&s->lock);
        gwr_table *old = s->current;
        s->current = nt;
        s->gen = g;
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_lock(&s->glock);
        while (s->ngrave == GRAVEYARD)
            pthread_cond_wait(&s->gcond, &s->glock);
        s->grave[s->ngrave++] = old;
        pthread_cond_broadcast(&s->gcond);
        pthread_mutex_unlock(&s->glock);
        /* let the workers see each generation */
        long seen = atomic_load(&s->matched);
        while (atomic_load(&s->matched) < seen + 2 * WORKERS &&
               atomic_load(&s->wrong) == 0)
            sched_yield();
    }
    /* the context goes now; the tables it compiled keep it alive */
    gwr_ctx_free(ctx);
    pthread_mutex_lock(&s->glock);
    s->compiler_done = 1;
    pthread_cond_broadcast(&s->gcond);
    pthread_mutex_unlock(&s->glock);
    atomic_store(&s->stop, 1);
    return NULL;
}

static void
test_concurrency_match_compile_swap(void **state)
{
    (void)state;
    static shared s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.lock, NULL);
    pthread_mutex_init(&s.glock, NULL);
    pthread_cond_init(&s.gcond, NULL);
    atomic_store(&live_blocks, 0);

    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, &shared_alloc, NULL, NULL), GWR_OK);
    s.current = compile_gen(ctx, 0);
    gwr_ctx_free(ctx);

    pthread_t w[WORKERS], c, dr;
    for (int i = 0; i < WORKERS; i++)
        assert_int_equal(pthread_create(&w[i], NULL, worker, &s), 0);
    assert_int_equal(pthread_create(&dr, NULL, dropper, &s), 0);
    assert_int_equal(pthread_create(&c, NULL, compiler, &s), 0);
    pthread_join(c, NULL);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(w[i], NULL);
    pthread_join(dr, NULL);
    gwr_table_unref(s.current);

    print_message("# %ld matches over %d generations, %ld wrong\n",
                  atomic_load(&s.matched), GENERATIONS,
                  atomic_load(&s.wrong));
    assert_int_equal(atomic_load(&s.wrong), 0);
    assert_true(atomic_load(&s.matched) >= 2L * WORKERS * GENERATIONS);
    assert_int_equal(atomic_load(&live_blocks), 0);
    pthread_cond_destroy(&s.gcond);
    pthread_mutex_destroy(&s.glock);
    pthread_mutex_destroy(&s.lock);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrency_match_compile_swap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
