/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The exchange engine: the state machine of docs/EMBEDDING.md, the id
 * map, the deadline heap behind the single host timer, and the public
 * entry points. Every call into the host goes through host() and from
 * there through gwr_io__call() (lib/io.c).
 *
 * Allocation happens only in gwr_engine_new() and gwr_engine_submit()
 * (which reserves the id map, heap and header scratch an exchange can
 * need), plus growing the header scratch for an upstream response head
 * larger than any seen before; every other event runs allocation-free.
 */
#include <string.h>

#include "engine_int.h"

/* ---- options ----------------------------------------------------------- */

#define N_OPTS ((int)GWR_ARRAY_LEN(((gwr_engine *)0)->opt))

static const int64_t opt_default[] = { 1, 25, 10, 0, 0, 1 };
static const int64_t opt_min[] = { 0, 0, 1, 0, 0, 0 };
static const int64_t opt_max[] = { 1000, 3600000, 1000000, 1,
                                   INT64_C(1) << 40, 1 };

/* Exchanges in flight; bounds the id map (three ids each). */
#define MAX_EXCHANGES (UINT32_C(1) << 24)

/* ---- id map ------------------------------------------------------------ */

static size_t
id_hash(uint64_t id, size_t mask)
{
    uint64_t z = id * 0x9e3779b97f4a7c15ULL;
    return (size_t)(z ^ (z >> 32)) & mask;
}

static eng_x *
map_get(const gwr_engine *e, uint64_t id)
{
    if (id == 0 || e->map_cap == 0)
        return NULL;
    size_t mask = e->map_cap - 1;
    for (size_t i = id_hash(id, mask);; i = (i + 1) & mask) {
        if (e->map[i].id == id)
            return e->map[i].x;
        if (e->map[i].id == 0)
            return NULL;
    }
}

/* Capacity was reserved by map_reserve(); the load stays <= 1/2. */
static void
map_put(gwr_engine *e, uint64_t id, eng_x *x)
{
    size_t mask = e->map_cap - 1;
    size_t i = id_hash(id, mask);
    while (e->map[i].id != 0)
        i = (i + 1) & mask;
    e->map[i].id = id;
    e->map[i].x = x;
    e->map_n++;
}

/* Linear-probing delete by backward shift: no tombstones, so lookups
 * stay short however long the engine runs. */
static void
map_del(gwr_engine *e, uint64_t id)
{
    if (id == 0 || e->map_cap == 0)
        return;
    size_t mask = e->map_cap - 1;
    size_t i = id_hash(id, mask);
    while (e->map[i].id != id) {
        if (e->map[i].id == 0)
            return;
        i = (i + 1) & mask;
    }
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (e->map[j].id == 0)
            break;
        size_t home = id_hash(e->map[j].id, mask);
        /* Move j back into the hole at i unless its home lies
         * cyclically in (i, j]. */
        int stays = (i <= j) ? (i < home && home <= j)
                             : (i < home || home <= j);
        if (stays)
            continue;
        e->map[i] = e->map[j];
        i = j;
    }
    e->map[i].id = 0;
    e->map[i].x = NULL;
    e->map_n--;
}

static int
map_reserve(gwr_engine *e, size_t entries)
{
    if (entries > SIZE_MAX / 4)
        return GWR_E_NOMEM;
    size_t cap = e->map_cap ? e->map_cap : 16;
    while (cap < entries * 2)
        cap *= 2;
    if (cap == e->map_cap)
        return GWR_OK;
    eng_slot *m = gwr__calloc(e->ctx, cap, sizeof(*m));
    if (m == NULL)
        return GWR_E_NOMEM;
    eng_slot *old = e->map;
    size_t old_cap = e->map_cap;
    e->map = m;
    e->map_cap = cap;
    e->map_n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id != 0)
            map_put(e, old[i].id, old[i].x);
    gwr__free(e->ctx, old);
    return GWR_OK;
}

static uint64_t
new_id(gwr_engine *e, eng_x *x)
{
    uint64_t id = ++e->next_id;
    if (x != NULL)
        map_put(e, id, x);
    return id;
}

/* ---- deadline heap ------------------------------------------------------ */

static void
heap_place(gwr_engine *e, size_t i, eng_x *x)
{
    e->heap[i] = x;
    x->heap_idx = i;
}

static void
sift_up(gwr_engine *e, size_t i)
{
    eng_x *x = e->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (e->heap[p]->deadline <= x->deadline)
            break;
        heap_place(e, i, e->heap[p]);
        i = p;
    }
    heap_place(e, i, x);
}

static void
sift_down(gwr_engine *e, size_t i)
{
    eng_x *x = e->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= e->heap_n)
            break;
        if (c + 1 < e->heap_n && e->heap[c + 1]->deadline < e->heap[c]->deadline)
            c++;
        if (x->deadline <= e->heap[c]->deadline)
            break;
        heap_place(e, i, e->heap[c]);
        i = c;
    }
    heap_place(e, i, x);
}

static void
heap_remove(gwr_engine *e, eng_x *x)
{
    size_t i = x->heap_idx;
    if (i == SIZE_MAX)
        return;
    x->heap_idx = SIZE_MAX;
    eng_x *last = e->heap[--e->heap_n];
    if (i == e->heap_n)
        return;
    heap_place(e, i, last);
    sift_down(e, i);
    sift_up(e, last->heap_idx);
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Recompute x's deadline from its state and fix its heap position. */
static void
heap_update(gwr_engine *e, eng_x *x)
{
    uint64_t d = x->req_deadline;
    if (x->state == X_BACKOFF)
        d = min64(d, x->backoff_until);
    else
        d = min64(d, x->try_deadline);
    x->deadline = d;
    if (d == ENG_NO_DEADLINE) {
        heap_remove(e, x);
        return;
    }
    if (x->heap_idx == SIZE_MAX) {
        /* Capacity reserved at submit. */
        heap_place(e, e->heap_n++, x);
        sift_up(e, x->heap_idx);
        return;
    }
    sift_down(e, x->heap_idx);
    sift_up(e, x->heap_idx);
}

/* ---- host calls --------------------------------------------------------- */

/* The one way into the host. R25: while it runs, mutating entry points
 * refuse with GWR_E_STATE. After a gwr_engine_free() from a callback no
 * further callback is made: the host is tearing down. */
static int
host(gwr_engine *e, gwr_io_call *c)
{
    if (e->free_pending) {
        c->result = 0;
        return GWR_OK;
    }
    e->in_cb++;
    int rc = gwr_io__call(e->ctx, c);
    e->in_cb--;
    return rc;
}

static void
host_cancel(gwr_engine *e, uint64_t id)
{
    if (id == 0)
        return;
    gwr_io_call c;
    memset(&c, 0, sizeof(c));
    c.op = GWR_IO__CANCEL;
    c.id = id;
    (void)host(e, &c);   /* cancel cannot fail */
}

static int
sync_timer(gwr_engine *e)
{
    uint64_t next = e->heap_n ? e->heap[0]->deadline : ENG_NO_DEADLINE;
    if (e->armed_known && next == e->armed)
        return GWR_OK;
    gwr_io_call c;
    memset(&c, 0, sizeof(c));
    c.op = GWR_IO__SET_TIMER;
    c.deadline = next;
    int rc = host(e, &c);
    /* After a failure the next entry point tries again. */
    e->armed = next;
    e->armed_known = rc == GWR_OK;
    return rc;
}

static void engine_destroy(gwr_engine *e);

static int
enter(gwr_engine *e)
{
    if (e == NULL)
        return GWR_E_INVAL;
    if (e->in_cb)
        return GWR_E_STATE;
    return GWR_OK;
}

/* Common exit of every mutating entry point: re-arm the timer, run a
 * deferred free. rc >= 0 is a success value that a timer failure
 * overrides. */
static int
leave(gwr_engine *e, int rc)
{
    if (e->free_pending) {
        engine_destroy(e);
        return rc;
    }
    int trc = sync_timer(e);
    if (rc >= 0 && trc != GWR_OK)
        rc = trc;
    return rc;
}

/* ---- exchange lifecycle ------------------------------------------------- */

static void
x_forget(gwr_engine *e, uint64_t *id)
{
    map_del(e, *id);
    *id = 0;
}

/* Abandon the current attempt: cancel what the host still holds. */
static void
x_drop_upstream(gwr_engine *e, eng_x *x)
{
    uint64_t xid = x->xid, conn = x->conn_id;
    x_forget(e, &x->xid);
    x_forget(e, &x->conn_id);
    host_cancel(e, xid);
    host_cancel(e, conn);
    x->try_deadline = ENG_NO_DEADLINE;
}

static void
x_end(gwr_engine *e, eng_x *x)
{
    heap_remove(e, x);
    map_del(e, x->xid);
    map_del(e, x->conn_id);
    map_del(e, x->id);
    e->n_x--;
    gwr_eng__x_free(e, x);
}

/* The gRPC form of each status the engine generates (docs/DECISIONS.md).
 * The codes follow gRPC's "HTTP to gRPC Status Code Mapping" (404 ->
 * UNIMPLEMENTED; 502, 503 -> UNAVAILABLE), with two exceptions: 500 is
 * only ever generated for a rule without a usable backend, which
 * gwr_decision_grpc_status() calls UNAVAILABLE (not the mapping's
 * UNKNOWN), and 504 is the engine's own deadline, DEADLINE_EXCEEDED: the
 * call may have run upstream, and UNAVAILABLE would invite a client's
 * retry policy to run it again. The messages are fixed printable ASCII without '%', so they are
 * already in grpc-message's percent-encoded form, and say nothing about
 * the request or the backends. */
typedef struct grpc_answer {
    int http;
    int code;
    gwr_str message;
} grpc_answer;

static const grpc_answer grpc_answers[] = {
    { 404, GWR_GRPC_UNIMPLEMENTED, GWR_STR_LIT("no matching route") },
    { 500, GWR_GRPC_UNAVAILABLE, GWR_STR_LIT("no usable backend") },
    { 502, GWR_GRPC_UNAVAILABLE, GWR_STR_LIT("upstream request failed") },
    { 503, GWR_GRPC_UNAVAILABLE, GWR_STR_LIT("upstream connection failed") },
    { 504, GWR_GRPC_DEADLINE_EXCEEDED, GWR_STR_LIT("request timed out") },
};

/* The gRPC answer for a generated status of x; NULL: answer in HTTP (not
 * a gRPC call, or a status without a gRPC form, e.g. a redirect). */
static const grpc_answer *
grpc_answer_for(const eng_x *x, int status)
{
    if (!x->grpc)
        return NULL;
    for (size_t i = 0; i < GWR_ARRAY_LEN(grpc_answers); i++)
        if (grpc_answers[i].http == status)
            return &grpc_answers[i];
    return NULL;
}

/* Most fields an answer of the engine starts with (the three of the gRPC
 * form); reserve() sizes the scratch with it. */
#define GENERATED_FIELDS 3

/* Answer the client with a response the gateway makes up: @p status with
 * @p extra (the Location of a redirect, or NULL), or for a gRPC call the
 * trailers-only form (HTTP 200, content-type application/grpc,
 * grpc-status, grpc-message, empty body). The response edits apply
 * either way. The scratch was reserved at submit, so building the head
 * cannot fail. */
static int
respond_generated(gwr_engine *e, eng_x *x, int status,
                  const gwr_header *extra)
{
    gwr_header f[GENERATED_FIELDS];
    size_t nf = 0;
    char code[4];
    const grpc_answer *g = grpc_answer_for(x, status);
    if (g != NULL) {
        /* Codes are 0..16: at most two digits. */
        size_t cl = 0;
        if (g->code >= 10)
            code[cl++] = (char)('0' + g->code / 10);
        code[cl++] = (char)('0' + g->code % 10);
        code[cl] = '\0';
        f[0].name = gwr_str__from_cstr("content-type");
        f[0].value = gwr_str__from_cstr("application/grpc");
        f[1].name = gwr_str__from_cstr("grpc-status");
        f[1].value.ptr = code;
        f[1].value.len = cl;
        f[2].name = gwr_str__from_cstr("grpc-message");
        f[2].value = g->message;
        nf = 3;
        status = 200;
    } else if (extra != NULL) {
        f[nf++] = *extra;
    }
    const gwr_header *hs = f;
    size_t n = nf;
    (void)gwr_eng__edit_head(e, x->resp, x->n_resp, f, nf, NULL, 0, &hs, &n);
    gwr_io_call c;
    memset(&c, 0, sizeof(c));
    c.op = GWR_IO__RESPOND;
    c.id = x->id;
    c.status = status;
    c.headers = hs;
    c.n_headers = n;
    c.body.ptr = "";
    return host(e, &c) == GWR_OK ? GWR_OK : GWR_E_CALLBACK;
}

/* End x with a generated status (502 after a host failure, 503 after
 * connection errors, 504 on a timeout; their gRPC form for a gRPC
 * call). */
static int
x_fail(gwr_engine *e, eng_x *x, int status)
{
    x_drop_upstream(e, x);
    const grpc_answer *g = grpc_answer_for(x, status);
    if (g != NULL)
        gwr_io__log(e->ctx, GWR_LOG_DEBUG,
                    "exchange %llu: answering %d as grpc-status %d",
                    (unsigned long long)x->id, status, g->code);
    else
        gwr_io__log(e->ctx, GWR_LOG_DEBUG, "exchange %llu: answering %d",
                    (unsigned long long)x->id, status);
    int rc = respond_generated(e, x, status, NULL);
    x_end(e, x);
    return rc;
}

/* The head was relayed; the body broke or ran out of time. */
static void
x_abort_stream(gwr_engine *e, eng_x *x)
{
    x_drop_upstream(e, x);
    host_cancel(e, x->id);
    x_end(e, x);
}

static gwr_upstream
x_view(const eng_x *x, const gwr_backend *be, int mirror)
{
    gwr_upstream u;
    u.exchange_id = x->id;
    u.attempt = mirror || x->tries == 0 ? 0 : x->tries - 1;
    u.mirror = mirror;
    u.be = be;
    u.proto = gwr_eng__proto(x, be);
    u.deadline = mirror ? ENG_NO_DEADLINE : min64(x->try_deadline,
                                                  x->req_deadline);
    u.method = x->method;
    u.scheme = x->scheme;
    u.host = x->host;
    u.path = x->path;
    u.headers = x->up_headers;
    u.n_headers = x->n_up;
    return u;
}

static uint64_t
after(uint64_t now, uint64_t ms)
{
    return ms >= ENG_NO_DEADLINE - now ? ENG_NO_DEADLINE - 1 : now + ms;
}

static int
x_send(gwr_engine *e, eng_x *x)
{
    x->xid = new_id(e, x);
    x->state = X_WAITING;
    gwr_upstream u = x_view(x, x->be, 0);
    gwr_io_call c;
    memset(&c, 0, sizeof(c));
    c.op = GWR_IO__SEND_REQUEST;
    c.id = x->conn_id;
    c.xid = x->xid;
    c.req = &u;
    if (host(e, &c) != GWR_OK) {
        x_forget(e, &x->xid);
        (void)x_fail(e, x, 502);
        return GWR_E_CALLBACK;
    }
    heap_update(e, x);
    return GWR_OK;
}

static int
x_start_attempt(gwr_engine *e, eng_x *x, uint64_t now)
{
    const gwr_backend *failed = x->tries ? x->be : NULL;
    x->tries++;
    x->be = gwr_eng__pick(x, x->tries, failed);
    x->conn_id = new_id(e, x);
    x->try_deadline = x->backend_timeout_ms
        ? after(now, x->backend_timeout_ms) : ENG_NO_DEADLINE;
    x->state = X_CONNECTING;
    heap_update(e, x);
    gwr_io_call c;
    memset(&c, 0, sizeof(c));
    c.op = GWR_IO__CONNECT;
    c.be = x->be;
    c.proto = gwr_eng__proto(x, x->be);
    c.id = x->conn_id;
    if (host(e, &c) != GWR_OK) {
        /* The host refused the connection itself: it holds nothing to
         * cancel, and a failing host is not retried against. */
        x_forget(e, &x->conn_id);
        (void)x_fail(e, x, 502);
        return GWR_E_CALLBACK;
    }
    if (c.result == 1)
        return x_send(e, x);
    return GWR_OK;
}

static int
can_retry(const eng_x *x, uint64_t now)
{
    return x->has_retry && x->tries <= x->max_retries
        && now < x->req_deadline;
}

static int
x_schedule_retry(gwr_engine *e, eng_x *x, uint64_t now)
{
    uint64_t wait = gwr_eng__backoff(e, x, x->tries);
    gwr_io__log(e->ctx, GWR_LOG_DEBUG,
                "exchange %llu: retry %u in %llu ms",
                (unsigned long long)x->id, (unsigned)x->tries,
                (unsigned long long)wait);
    if (wait == 0)
        return x_start_attempt(e, x, now);
    /* A backoff running past the request deadline is cut short by it:
     * the heap key is the earlier of the two, and the request timeout
     * answers 504 (spec 6.3: "return a timeout error immediately"). */
    x->state = X_BACKOFF;
    x->backoff_until = after(now, wait);
    x->try_deadline = ENG_NO_DEADLINE;
    heap_update(e, x);
    return GWR_OK;
}

enum { FAIL_CONN, FAIL_TIMEOUT };

static int
x_attempt_failed(gwr_engine *e, eng_x *x, uint64_t now, int why)
{
    x_drop_upstream(e, x);
    if (can_retry(x, now))
        return x_schedule_retry(e, x, now);
    /* Spec 6.3: exhausted connection-error retries give 503; an attempt
     * timeout is a timeout error, 504 (spec 6.2). */
    return x_fail(e, x, why == FAIL_TIMEOUT ? 504 : 503);
}

/* A deadline of x passed: move it on so its key is > now or end it. */
static int
x_expire(gwr_engine *e, eng_x *x, uint64_t now)
{
    if (x->req_deadline <= now) {
        if (x->state == X_STREAMING) {
            x_abort_stream(e, x);
            return GWR_OK;
        }
        return x_fail(e, x, 504);
    }
    if (x->state == X_BACKOFF)
        return x_start_attempt(e, x, now);
    if (x->state == X_STREAMING) {
        x_abort_stream(e, x);
        return GWR_OK;
    }
    return x_attempt_failed(e, x, now, FAIL_TIMEOUT);
}

/* ---- public: lifecycle -------------------------------------------------- */

int
gwr_engine_new(gwr_engine **out, gwr_ctx *ctx)
{
    if (out == NULL)
        return GWR_E_INVAL;
    *out = NULL;
    if (ctx == NULL)
        return GWR_E_INVAL;
    if (ctx->engine != NULL)
        return GWR_E_STATE;
    gwr_engine *e = gwr__calloc(ctx, 1, sizeof(*e));
    if (e == NULL)
        return GWR_E_NOMEM;
    e->ctx = gwr_ctx__ref(ctx);
    e->armed = ENG_NO_DEADLINE;
    e->armed_known = 1;   /* a new host timer is disarmed */
    for (int i = 0; i < N_OPTS; i++)
        e->opt[i] = opt_default[i];
    ctx->engine = e;
    *out = e;
    return GWR_OK;
}

static void
engine_destroy(gwr_engine *e)
{
    /* Each exchange once, by its own id's entry: first unlink the
     * entries of its connection and attempt ids (while every exchange is
     * still alive to be read), then free. */
    for (size_t i = 0; i < e->map_cap; i++) {
        eng_x *x = e->map[i].x;
        if (x != NULL && e->map[i].id != x->id)
            e->map[i].x = NULL;
    }
    for (size_t i = 0; i < e->map_cap; i++)
        gwr_eng__x_free(e, e->map[i].x);
    gwr_ctx *ctx = e->ctx;
    gwr__free(ctx, e->map);
    gwr__free(ctx, e->heap);
    gwr__free(ctx, e->scratch);
    ctx->engine = NULL;
    gwr__free(ctx, e);
    gwr_ctx__unref(ctx);
}

void
gwr_engine_free(gwr_engine *e)
{
    if (e == NULL)
        return;
    if (e->in_cb) {
        e->free_pending = 1;
        return;
    }
    engine_destroy(e);
}

int
gwr_engine_set_option(gwr_engine *e, uint32_t option, int64_t value)
{
    if (e == NULL || option >= (uint32_t)N_OPTS)
        return GWR_E_INVAL;
    if (e->in_cb)
        return GWR_E_STATE;
    if (value < opt_min[option] || value > opt_max[option])
        return GWR_E_RANGE;
    e->opt[option] = value;
    return GWR_OK;
}

/* ---- public: submit ----------------------------------------------------- */

static int
reserve(gwr_engine *e, const gwr_decision *d)
{
    size_t n = e->n_x + 1;
    int rc = map_reserve(e, 3 * n);
    if (rc == GWR_OK)
        rc = gwr__grow(e->ctx, (void **)&e->heap, &e->heap_cap, n,
                       sizeof(eng_x *));
    if (rc == GWR_OK) {
        size_t hs = GENERATED_FIELDS
            + gwr_decision_response_header_count(d, GWR_HEADERS_SET)
            + gwr_decision_response_header_count(d, GWR_HEADERS_ADD);
        rc = gwr__grow(e->ctx, (void **)&e->scratch, &e->scratch_cap, hs,
                       sizeof(gwr_header));
    }
    return rc;
}

static void
send_mirrors(gwr_engine *e, eng_x *x, const gwr_decision *d)
{
    size_t n = gwr_decision_mirror_count(d);
    for (size_t i = 0; i < n; i++) {
        int sampled = 0;
        const gwr_backend *be = gwr_decision_mirror(d, i, &sampled);
        if (be == NULL || !sampled)
            continue;
        gwr_upstream u = x_view(x, be, 1);
        gwr_io_call c;
        memset(&c, 0, sizeof(c));
        c.op = GWR_IO__SEND_MIRROR;
        c.be = be;
        c.req = &u;
        /* Spec 4.5: the mirror's fate never reaches the client, nor the
         * host's return code of this submit. */
        if (host(e, &c) != GWR_OK)
            gwr_io__log(e->ctx, GWR_LOG_WARN,
                        "exchange %llu: mirror %zu not sent",
                        (unsigned long long)x->id, i);
    }
}

int
gwr_engine_submit(gwr_engine *e, const gwr_decision *d,
                  uint64_t *exchange_id_out)
{
    if (exchange_id_out != NULL)
        *exchange_id_out = 0;
    int rc = enter(e);
    if (rc != GWR_OK)
        return rc;
    if (d == NULL || !gwr_io__has(e->ctx, GWR_IO__RESPOND))
        return GWR_E_INVAL;
    uint32_t result = gwr_decision_result(d);
    int fwd = result == GWR_RESULT_FORWARD && gwr_decision_backend(d) != NULL;
    if (fwd && (!gwr_io__has(e->ctx, GWR_IO__CONNECT)
                || !gwr_io__has(e->ctx, GWR_IO__SEND_REQUEST)))
        return GWR_E_INVAL;
    if (e->n_x >= MAX_EXCHANGES)
        return GWR_E_LIMIT;
    rc = reserve(e, d);
    if (rc != GWR_OK)
        return rc;
    eng_x *x = gwr_eng__x_new(e, d);
    if (x == NULL)
        return GWR_E_NOMEM;
    x->id = new_id(e, x);
    e->n_x++;
    if (exchange_id_out != NULL)
        *exchange_id_out = x->id;

    if (!fwd) {
        int status = gwr_decision_status(d);
        gwr_header loc = { GWR_STR_LIT("location"), { NULL, 0 } };
        const gwr_header *extra = NULL;
        if (result == GWR_RESULT_REDIRECT) {
            loc.value = gwr_decision_location(d);
            extra = &loc;
            /* A redirect is an HTTP answer, gRPC call or not
             * (docs/DECISIONS.md). */
            x->grpc = 0;
        }
        if (status < 100 || status > 999)
            status = result == GWR_RESULT_NO_ROUTE ? 404 : 500;
        rc = respond_generated(e, x, status, extra);
        x_end(e, x);
        return leave(e, rc);
    }
    send_mirrors(e, x, d);
    rc = x_start_attempt(e, x, gwr_io__now_ms(e->ctx));
    return leave(e, rc);
}

/* ---- public: events ----------------------------------------------------- */

int
gwr_engine_on_connected(gwr_engine *e, uint64_t conn_id, int status)
{
    int rc = enter(e);
    if (rc != GWR_OK)
        return rc;
    eng_x *x = map_get(e, conn_id);
    if (x == NULL || x->conn_id != conn_id)
        return GWR_E_NOT_FOUND;
    if (x->state != X_CONNECTING)
        return GWR_E_STATE;
    if (status < 0) {
        gwr_io__log(e->ctx, GWR_LOG_DEBUG,
                    "exchange %llu: connection %llu failed (%d)",
                    (unsigned long long)x->id,
                    (unsigned long long)conn_id, status);
        /* The host reported it: nothing of it left to cancel. */
        x_forget(e, &x->conn_id);
        rc = x_attempt_failed(e, x, gwr_io__now_ms(e->ctx), FAIL_CONN);
    } else {
        rc = x_send(e, x);
    }
    return leave(e, rc);
}

int
gwr_engine_on_response_head(gwr_engine *e, uint64_t xid, int http_status,
                            const gwr_header *headers, size_t n)
{
    int rc = enter(e);
    if (rc != GWR_OK)
        return rc;
    if ((headers == NULL && n > 0) || http_status < 100 || http_status > 999
        || (http_status < 200 && http_status != 101))
        return GWR_E_INVAL;
    eng_x *x = map_get(e, xid);
    if (x == NULL || x->xid != xid)
        return GWR_E_NOT_FOUND;
    if (x->state != X_WAITING)
        return GWR_E_STATE;
    uint64_t now = gwr_io__now_ms(e->ctx);
    if (http_status != 101 && gwr_eng__is_retry_code(x, http_status)
        && can_retry(x, now)) {
        gwr_io__log(e->ctx, GWR_LOG_DEBUG, "exchange %llu: upstream %d",
                    (unsigned long long)x->id, http_status);
        x_drop_upstream(e, x);
        rc = x_schedule_retry(e, x, now);
        return leave(e, rc < 0 ? rc : 0);
    }
    const gwr_header *hs = NULL;
    size_t nh = 0;
    /* What the upstream sent is relayed as it is, gRPC call or not: only
     * the response edits apply. */
    rc = gwr_eng__edit_head(e, x->resp, x->n_resp, NULL, 0, headers, n, &hs,
                            &nh);
    if (rc != GWR_OK) {
        (void)x_fail(e, x, 502);
        return leave(e, rc);
    }
    /* STREAMING before the call, so gwr_engine_response_source() names
     * this attempt from inside respond. */
    x->state = X_STREAMING;
    gwr_io_call c;
    memset(&c, 0, sizeof(c));
    c.op = GWR_IO__RESPOND;
    c.id = x->id;
    c.status = http_status;
    c.headers = hs;
    c.n_headers = nh;
    c.body.ptr = "";
    if (host(e, &c) != GWR_OK) {
        x_drop_upstream(e, x);
        x_end(e, x);
        return leave(e, GWR_E_CALLBACK);
    }
    if (http_status == 101) {
        /* The host owns the tunnel now: forget, do not cancel. */
        x_forget(e, &x->xid);
        x_forget(e, &x->conn_id);
        x_end(e, x);
    } else {
        heap_update(e, x);
    }
    return leave(e, 1);
}

int
gwr_engine_on_body_done(gwr_engine *e, uint64_t xid)
{
    int rc = enter(e);
    if (rc != GWR_OK)
        return rc;
    eng_x *x = map_get(e, xid);
    if (x == NULL || x->xid != xid)
        return GWR_E_NOT_FOUND;
    if (x->state != X_STREAMING)
        return GWR_E_STATE;
    /* The lease is over normally: the host keeps or pools the
     * connection, so nothing is cancelled. */
    x_forget(e, &x->xid);
    x_forget(e, &x->conn_id);
    x_end(e, x);
    return leave(e, GWR_OK);
}

int
gwr_engine_on_error(gwr_engine *e, uint64_t id, int err)
{
    int rc = enter(e);
    if (rc != GWR_OK)
        return rc;
    eng_x *x = map_get(e, id);
    if (x == NULL || (id != x->xid && id != x->conn_id))
        return GWR_E_NOT_FOUND;
    gwr_io__log(e->ctx, GWR_LOG_DEBUG, "exchange %llu: id %llu failed (%d)",
                (unsigned long long)x->id, (unsigned long long)id, err);
    /* The id the host reported failed needs no cancel. */
    if (id == x->xid)
        x_forget(e, &x->xid);
    else
        x_forget(e, &x->conn_id);
    if (x->state == X_STREAMING) {
        x_abort_stream(e, x);
        rc = GWR_OK;
    } else {
        rc = x_attempt_failed(e, x, gwr_io__now_ms(e->ctx), FAIL_CONN);
    }
    return leave(e, rc);
}

int
gwr_engine_on_timer(gwr_engine *e)
{
    int rc = enter(e);
    if (rc != GWR_OK)
        return rc;
    /* The host timer just fired, so it is no longer armed: forget what we
     * gave it, or a timer that fired a little early (before the deadline
     * on our clock) would never be re-armed by leave(). */
    e->armed_known = 0;
    uint64_t now = gwr_io__now_ms(e->ctx);
    while (e->heap_n > 0 && e->heap[0]->deadline <= now && !e->free_pending) {
        int xrc = x_expire(e, e->heap[0], now);
        if (xrc < 0)
            rc = xrc;
    }
    return leave(e, rc);
}

int
gwr_engine_cancel(gwr_engine *e, uint64_t exchange_id)
{
    int rc = enter(e);
    if (rc != GWR_OK)
        return rc;
    eng_x *x = map_get(e, exchange_id);
    if (x == NULL || x->id != exchange_id)
        return GWR_E_NOT_FOUND;
    x_drop_upstream(e, x);
    x_end(e, x);
    return leave(e, GWR_OK);
}

/* ---- public: queries (allowed inside callbacks) ------------------------- */

uint64_t
gwr_engine_next_deadline(const gwr_engine *e)
{
    return e != NULL && e->heap_n > 0 ? e->heap[0]->deadline
                                       : ENG_NO_DEADLINE;
}

size_t
gwr_engine_exchange_count(const gwr_engine *e)
{
    return e != NULL ? e->n_x : 0;
}

uint64_t
gwr_engine_exchange_of(const gwr_engine *e, uint64_t id)
{
    if (e == NULL || id == 0)
        return 0;
    /* One map holds every live id (exchange, connection, attempt) and
     * points at its exchange; a stale entry no longer matches. */
    const eng_x *x = map_get(e, id);
    if (x == NULL || (id != x->id && id != x->conn_id && id != x->xid))
        return 0;
    return x->id;
}

uint64_t
gwr_engine_response_source(const gwr_engine *e, uint64_t exchange_id)
{
    if (e == NULL)
        return 0;
    eng_x *x = map_get(e, exchange_id);
    if (x == NULL || x->id != exchange_id || x->state != X_STREAMING)
        return 0;
    return x->xid;
}
