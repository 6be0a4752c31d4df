/*
 * libgwroute fuzz target - SPDX-License-Identifier: MIT
 *
 * The exchange engine (gwroute/engine.h) driven by a fuzzed sequence of
 * host events, with a fake host behind gwr_io: a settable clock, one
 * timer, and callbacks that record every id the engine hands out and can
 * be told to fail or to call back into the engine. Each input byte pair
 * is one event: submit a request (forward with retries, timeouts,
 * mirrors, weights, WebSocket upgrade; redirect; 404; 500), a connection
 * ready or failed, a response head (any status, with headers), a body
 * done, an error, the clock moving on and the timer firing, a client
 * cancel, an option change, failing callbacks, or the engine being torn
 * down with exchanges in flight. Checked: ids are never 0 and never
 * reused across kinds; a generated answer (redirect, 404, 500) is given
 * inside submit to the exchange id submit returns; every call made from
 * inside a callback is refused with GWR_E_STATE; nothing leaks.
 */
#include "fuzz-common.h"
#include "gwroute.h"
#include "gwroute/engine.h"

#define MAX_IDS 4096

static const char *const config_engine[] = {
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: app, namespace: e}\n"
    "spec: {ports: [{port: 80}, {port: 81, name: h2, "
    "appProtocol: kubernetes.io/h2c}]}\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: ws, namespace: e}\n"
    "spec: {ports: [{port: 80, appProtocol: kubernetes.io/ws}]}\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: shadow, namespace: e}\n"
    "spec: {ports: [{port: 80}]}\n",
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata:\n"
    "  name: app-1\n"
    "  namespace: e\n"
    "  labels: {kubernetes.io/service-name: app}\n"
    "addressType: IPv4\n"
    "ports: [{port: 8080}]\n"
    "endpoints:\n"
    "- addresses: ['10.0.0.1', '10.0.0.2']\n",
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata: {name: r, namespace: e}\n"
    "spec:\n"
    "  rules:\n"
    "  - matches: [{path: {type: PathPrefix, value: /retry}}]\n"
    "    backendRefs:\n"
    "    - {name: app, port: 80, weight: 2}\n"
    "    - {name: app, port: 81, weight: 1}\n"
    "    retry: {attempts: 3, backoff: 10ms, codes: [500, 502, 503]}\n"
    "    timeouts: {request: 2s, backendRequest: 300ms}\n"
    "  - matches: [{path: {type: PathPrefix, value: /plain}}]\n"
    "    backendRefs: [{name: app, port: 80}]\n"
    "    retry: {}\n"
    "  - matches: [{path: {type: PathPrefix, value: /mirror}}]\n"
    "    filters:\n"
    "    - type: RequestMirror\n"
    "      requestMirror: {backendRef: {name: shadow, port: 80}}\n"
    "    - type: RequestMirror\n"
    "      requestMirror: {backendRef: {name: app, port: 80}, "
    "percent: 50}\n"
    "    - type: ResponseHeaderModifier\n"
    "      responseHeaderModifier:\n"
    "        set: [{name: server, value: gw}]\n"
    "        add: [{name: x-a, value: '1'}]\n"
    "        remove: [x-internal]\n"
    "    backendRefs: [{name: app, port: 80}]\n"
    "    timeouts: {request: 500ms}\n"
    "  - matches: [{path: {type: PathPrefix, value: /ws}}]\n"
    "    backendRefs: [{name: ws, port: 80}]\n"
    "  - matches: [{path: {type: PathPrefix, value: /redirect}}]\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect: {statusCode: 301, hostname: other.test}\n"
    "  - matches: [{path: {type: PathPrefix, value: /broken}}]\n"
    "    backendRefs: [{name: missing, port: 80}]\n",
    NULL
};

static const char *const paths[] = {
    "/retry/a", "/plain", "/mirror/x?q=1", "/ws", "/redirect/x", "/broken",
    "/nothing", "/bad%zz"
};

/* A status an engine call may return (rc printed when it may not). */
#define CHECK_RC(rc, cond)                                                \
    do {                                                                  \
        if (!(cond))                                                      \
            fprintf(stderr, "line %d: unexpected status %d\n", __LINE__,  \
                    (rc));                                                \
        FUZZ_CHECK(cond);                                                 \
    } while (0)

/* ---- the fake host ------------------------------------------------------- */

typedef struct host {
    gwr_engine *e;
    uint64_t now, timer;
    uint64_t ids[MAX_IDS];      /* every id the engine handed out */
    size_t n_ids;
    uint64_t conns[64], xids[64], exchanges[64];
    size_t n_conns, n_xids, n_exchanges;
    uint64_t last_respond;      /* exchange of the last respond */
    uint8_t fail;               /* bit k: callback kind k returns -1 */
    uint8_t reenter;            /* call into the engine from callbacks */
    int connect_sync;
} host;

static host H;

static void
new_id(uint64_t id)
{
    FUZZ_CHECK(id != 0);
    for (size_t i = 0; i < H.n_ids; i++)
        FUZZ_CHECK(H.ids[i] != id);
    if (H.n_ids < MAX_IDS)
        H.ids[H.n_ids++] = id;
}

static void
remember(uint64_t *list, size_t *n, uint64_t id)
{
    if (*n < 64)
        list[(*n)++] = id;
    else
        list[id % 64] = id;
}

/* From inside a callback every changing call is refused, the read-only
 * ones work. */
static void
reenter(void)
{
    if (!H.reenter || H.e == NULL)
        return;
    FUZZ_CHECK(gwr_engine_on_timer(H.e) == GWR_E_STATE);
    FUZZ_CHECK(gwr_engine_cancel(H.e, 1) == GWR_E_STATE);
    FUZZ_CHECK(gwr_engine_on_error(H.e, 1, -1) == GWR_E_STATE);
    (void)gwr_engine_next_deadline(H.e);
    (void)gwr_engine_exchange_count(H.e);
}

static void
read_upstream(const gwr_upstream *u)
{
    FUZZ_CHECK(u != NULL);
    FUZZ_CHECK(gwr_upstream_exchange_id(u) != 0);
    (void)gwr_upstream_attempt(u);
    (void)gwr_upstream_is_mirror(u);
    (void)gwr_upstream_protocol(u);
    (void)gwr_upstream_deadline(u);
    const gwr_backend *b = gwr_upstream_backend(u);
    FUZZ_CHECK(b != NULL);
    gwr_str s = gwr_backend_name(b);
    fuzz_touch(s.ptr, s.len);
    s = gwr_upstream_method(u);
    fuzz_touch(s.ptr, s.len);
    s = gwr_upstream_scheme(u);
    fuzz_touch(s.ptr, s.len);
    s = gwr_upstream_host(u);
    fuzz_touch(s.ptr, s.len);
    s = gwr_upstream_path(u);
    fuzz_touch(s.ptr, s.len);
    size_t n = gwr_upstream_header_count(u);
    for (size_t i = 0; i < n; i++) {
        const gwr_header *h = gwr_upstream_header(u, i);
        FUZZ_CHECK(h != NULL);
        fuzz_touch(h->name.ptr, h->name.len);
        fuzz_touch(h->value.ptr, h->value.len);
    }
    FUZZ_CHECK(gwr_upstream_header(u, n) == NULL);
}

static uint64_t
cb_now(void *ud)
{
    (void)ud;
    return H.now;
}

static void
cb_random(uint8_t *buf, size_t len, void *ud)
{
    (void)ud;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(H.now * 31 + i);
}

static int
cb_set_timer(uint64_t deadline, void *ud)
{
    (void)ud;
    reenter();
    H.timer = deadline;
    return (H.fail & 0x01) ? -1 : 0;
}

static int
cb_connect(const gwr_backend *be, uint32_t proto, uint64_t conn_id,
           void *ud)
{
    (void)ud;
    new_id(conn_id);
    FUZZ_CHECK(be != NULL && proto <= GWR_BACKEND_WSS);
    /* The connection is leased by a live exchange, which names itself. */
    uint64_t x = gwr_engine_exchange_of(H.e, conn_id);
    FUZZ_CHECK(x != 0 && gwr_engine_exchange_of(H.e, x) == x);
    gwr_str n = gwr_backend_name(be);
    fuzz_touch(n.ptr, n.len);
    reenter();
    if (H.fail & 0x02)
        return -1;
    if (H.connect_sync)
        return 1;
    remember(H.conns, &H.n_conns, conn_id);
    return 0;
}

static int
cb_send_request(uint64_t conn_id, uint64_t xid, const gwr_upstream *req,
                void *ud)
{
    (void)ud;
    FUZZ_CHECK(conn_id != 0);
    new_id(xid);
    read_upstream(req);
    /* Attempt and connection belong to the request's exchange. */
    uint64_t x = gwr_upstream_exchange_id(req);
    FUZZ_CHECK(gwr_engine_exchange_of(H.e, xid) == x &&
               gwr_engine_exchange_of(H.e, conn_id) == x);
    reenter();
    if (H.fail & 0x04)
        return -1;
    remember(H.xids, &H.n_xids, xid);
    return 0;
}

static int
cb_send_mirror(const gwr_backend *be, const gwr_upstream *req, void *ud)
{
    (void)ud;
    FUZZ_CHECK(be != NULL);
    read_upstream(req);
    FUZZ_CHECK(gwr_upstream_is_mirror(req) == 1);
    reenter();
    return (H.fail & 0x08) ? -1 : 0;
}

static int
cb_respond(uint64_t exchange_id, int status, const gwr_header *headers,
           size_t n, const char *body, size_t body_len, void *ud)
{
    (void)ud;
    FUZZ_CHECK(exchange_id != 0);
    FUZZ_CHECK(status >= 100 && status <= 999);
    FUZZ_CHECK(n == 0 || headers != NULL);
    for (size_t i = 0; i < n; i++) {
        fuzz_touch(headers[i].name.ptr, headers[i].name.len);
        fuzz_touch(headers[i].value.ptr, headers[i].value.len);
    }
    FUZZ_CHECK(body != NULL || body_len == 0);
    fuzz_touch(body, body_len);
    if (H.e != NULL)
        (void)gwr_engine_response_source(H.e, exchange_id);
    reenter();
    H.last_respond = exchange_id;
    return (H.fail & 0x10) ? -1 : 0;
}

static void
cb_cancel(uint64_t id, void *ud)
{
    (void)ud;
    FUZZ_CHECK(id != 0);
    reenter();
}

/* ---- events -------------------------------------------------------------- */

static gwr_ctx *fz_ctx;
static gwr_table *fz_table;
static gwr_decision *fz_dec;

static void
setup(void)
{
    if (fz_ctx != NULL)
        return;
    gwr_io io = GWR_IO_INIT;
    io.now_ms = cb_now;
    io.random = cb_random;
    io.set_timer = cb_set_timer;
    io.connect = cb_connect;
    io.send_request = cb_send_request;
    io.send_mirror = cb_send_mirror;
    io.respond = cb_respond;
    io.cancel = cb_cancel;
    gwr_config *cfg = NULL;
    if (gwr_ctx_new(&fz_ctx, NULL, &io, NULL) != GWR_OK ||
        gwr_config_new(&cfg, fz_ctx) != GWR_OK)
        abort();
    for (size_t i = 0; config_engine[i] != NULL; i++) {
        gwr_str t = { config_engine[i], strlen(config_engine[i]) };
        int rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML, t,
                                     (gwr_str)GWR_STR_LIT("fuzz-engine"));
        if (rc != GWR_OK && rc != GWR_E_CONFIG)
            abort();
    }
    if (gwr_table_compile(&fz_table, cfg, NULL) != GWR_OK ||
        gwr_decision_new(&fz_dec, fz_ctx) != GWR_OK)
        abort();
    gwr_config_free(cfg);
}

static uint64_t
pick(const uint64_t *list, size_t n, uint8_t b)
{
    if (n == 0 || b == 0xff)
        return (uint64_t)b * 977u; /* an unknown id */
    return list[b % n];
}

static void
ev_submit(uint8_t arg)
{
    gwr_request r = GWR_REQUEST_INIT;
    const char *p = paths[arg % (sizeof(paths) / sizeof(paths[0]))];
    gwr_header up[2] = {
        { GWR_STR_LIT("Connection"), GWR_STR_LIT("Upgrade") },
        { GWR_STR_LIT("Upgrade"), GWR_STR_LIT("websocket") },
    };
    r.host = (gwr_str)GWR_STR_LIT("svc.test");
    r.path = (gwr_str){ p, strlen(p) };
    r.flags = GWR_REQ_SEEDED;
    r.seed = arg;
    if (arg & 0x80) {
        r.headers = up;
        r.n_headers = 2;
    }
    if (gwr_table_match(fz_table, &r, fz_dec) != GWR_OK)
        return;
    uint64_t xid = 0;
    H.last_respond = 0;
    uint32_t result = gwr_decision_result(fz_dec);
    int rc = gwr_engine_submit(H.e, fz_dec, &xid);
    if (rc == GWR_OK || rc == GWR_E_CALLBACK) {
        if (xid != 0)
            new_id(xid);
        if (rc == GWR_OK && result != GWR_RESULT_FORWARD)
            FUZZ_CHECK(H.last_respond == xid && xid != 0);
        if (xid != 0)
            remember(H.exchanges, &H.n_exchanges, xid);
    } else {
        FUZZ_CHECK(rc == GWR_E_LIMIT || rc == GWR_E_NOMEM);
    }
}

static void
ev_head(uint8_t arg, uint8_t arg2)
{
    static const int statuses[] = { 200, 500, 502, 503, 101, 404, 100, 999,
                                    99, 1000, 204, 301 };
    gwr_header h[3] = {
        { GWR_STR_LIT("server"), GWR_STR_LIT("up") },
        { GWR_STR_LIT("x-internal"), GWR_STR_LIT("1") },
        { GWR_STR_LIT("x-a"), GWR_STR_LIT("0") },
    };
    int st = statuses[arg2 % (sizeof(statuses) / sizeof(statuses[0]))];
    size_t n = (arg2 >> 4) % 4;
    int rc = gwr_engine_on_response_head(H.e, pick(H.xids, H.n_xids, arg), st,
                                         (arg2 & 0x40) && n > 0 ? NULL : h, n);
    CHECK_RC(rc, rc == 0 || rc == 1 || rc == GWR_E_INVAL ||
               rc == GWR_E_NOT_FOUND || rc == GWR_E_STATE ||
               rc == GWR_E_CALLBACK || rc == GWR_E_NOMEM);
    if (st < 100 || st > 999 || ((arg2 & 0x40) && n > 0))
        FUZZ_CHECK(rc == GWR_E_INVAL || rc == GWR_E_NOT_FOUND);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048)
        return 0;
    setup();
    memset(&H, 0, sizeof(H));
    H.timer = UINT64_MAX;
    H.now = 1000;
    if (gwr_engine_new(&H.e, fz_ctx) != GWR_OK)
        abort();
    fuzz_in in = { data, size };
    while (in.n > 0) {
        uint8_t op = fuzz_u8(&in), arg = fuzz_u8(&in);
        uint64_t id;
        int rc;
        switch (op % 12) {
        case 0:
        case 1:
            ev_submit(arg);
            break;
        case 2:
            id = pick(H.conns, H.n_conns, arg);
            rc = gwr_engine_on_connected(H.e, id, (op & 0x80) ? -5 : 0);
            CHECK_RC(rc, rc == GWR_OK || rc == GWR_E_NOT_FOUND ||
                       rc == GWR_E_STATE || rc == GWR_E_CALLBACK);
            break;
        case 3:
            ev_head(arg, fuzz_u8(&in));
            break;
        case 4:
            rc = gwr_engine_on_body_done(H.e, pick(H.xids, H.n_xids, arg));
            CHECK_RC(rc, rc == GWR_OK || rc == GWR_E_NOT_FOUND ||
                       rc == GWR_E_STATE || rc == GWR_E_CALLBACK);
            break;
        case 5:
            id = (op & 0x80) ? pick(H.conns, H.n_conns, arg)
                             : pick(H.xids, H.n_xids, arg);
            rc = gwr_engine_on_error(H.e, id, -(int)arg);
            CHECK_RC(rc, rc == GWR_OK || rc == GWR_E_NOT_FOUND ||
                       rc == GWR_E_STATE || rc == GWR_E_CALLBACK);
            break;
        case 6:
            /* the clock moves on; fire the timer when due (or early) */
            H.now += (uint64_t)arg * ((op & 0x80) ? 100u : 3u);
            if (H.now >= H.timer || (op & 0x40)) {
                rc = gwr_engine_on_timer(H.e);
                CHECK_RC(rc, rc == GWR_OK || rc == GWR_E_STATE ||
                           rc == GWR_E_CALLBACK);
            }
            break;
        case 7:
            rc = gwr_engine_cancel(H.e,
                                   pick(H.exchanges, H.n_exchanges, arg));
            /* A failing set_timer makes it GWR_E_CALLBACK (documented
             * since finding F7). */
            CHECK_RC(rc, rc == GWR_OK || rc == GWR_E_NOT_FOUND ||
                         rc == GWR_E_STATE || rc == GWR_E_CALLBACK);
            break;
        case 8: {
            static const int64_t values[] = { 0, 1, 2, 10, 1000, -1,
                                              1000001, INT64_MAX };
            rc = gwr_engine_set_option(H.e, arg % 7,
                                       values[(op >> 4) % 8]);
            CHECK_RC(rc, rc == GWR_OK || rc == GWR_E_RANGE ||
                       (arg % 7 == 6 && rc == GWR_E_INVAL));
            break;
        }
        case 9:
            H.fail = arg & 0x1f;
            break;
        case 10:
            H.reenter = arg & 1;
            H.connect_sync = (arg >> 1) & 1;
            break;
        case 11:
            if (arg & 1) {
                /* tear down with exchanges in flight, start over */
                gwr_engine_free(H.e);
                H.e = NULL;
                if (gwr_engine_new(&H.e, fz_ctx) != GWR_OK)
                    abort();
                H.n_conns = H.n_xids = H.n_exchanges = 0;
                H.n_ids = 0; /* ids are unique per engine */
            } else {
                (void)gwr_engine_next_deadline(H.e);
                (void)gwr_engine_exchange_count(H.e);
                if (H.n_exchanges > 0)
                    (void)gwr_engine_response_source(
                        H.e, H.exchanges[arg % H.n_exchanges]);
            }
            break;
        default:
            break;
        }
    }
    gwr_engine_free(H.e);
    H.e = NULL;
    return 0;
}
