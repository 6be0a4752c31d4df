/*
 * libgwroute benchmark - SPDX-License-Identifier: MIT
 *
 * gwbench: load, compile and match throughput of libgwroute on generated
 * Gateway API workloads, compared in the same run with the spec-literal
 * reference matcher (lib/refmatch.c), whose answers it verifies request
 * by request. docs/PERFORMANCE.md describes the method and the results.
 *
 *   gwbench [--rules 1000,10000,100000] [--quick] [--requests N]
 *           [--rounds R] [--seed S] [--profile mixed|paths|headers]
 *           [--ref-budget SEC] [--verify-budget SEC] [--no-sub]
 *           [--sub-rules N] [--callgrind MATCHES [--callgrind-ref]
 *           [--no-copy]]
 *
 * Exit status: 0 on success, 1 when the two matchers disagree on any
 * request or a match allocates in steady state, 2 on a setup error (bad
 * option, config rejected, out of memory).
 * No timing is ever asserted: the targets are reported, not enforced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gwroute.h"
#include "helpers.h"
#include "refmatch.h"
#include "select.h"
#include "table_int.h"
#include "workload.h"

#ifndef GWBENCH_COMPILER
#define GWBENCH_COMPILER "unknown"
#endif
#ifndef GWBENCH_BUILDTYPE
#define GWBENCH_BUILDTYPE "unknown"
#endif

/* ---- options ------------------------------------------------------------- */

#define MAX_SIZES 8

typedef struct bench_opts {
    size_t sizes[MAX_SIZES];
    size_t n_sizes;
    size_t n_requests;
    int rounds;
    uint64_t seed;
    double ref_budget;        /* seconds per reference timing round */
    double verify_budget;     /* seconds for the verification pass */
    int sub;                  /* run the paths vs headers sub-benchmark */
    size_t sub_rules;
    size_t callgrind;         /* > 0: callgrind mode, this many matches */
    int callgrind_ref;
    int no_copy;              /* callgrind mode: GWR_REQ_NO_COPY requests */
    int quick;
    int profile;              /* WL_* of the main table and callgrind mode */
} bench_opts;

/* ---- timing -------------------------------------------------------------- */

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: printed next to the wall-clock figures so a
 * reader can tell a contended machine (other processes stealing the CPU)
 * from a slow matcher. Never used for the reported medians. */
static double
cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
loadavg(char *buf, size_t size)
{
    snprintf(buf, size, "?");
    FILE *f = fopen("/proc/loadavg", "r");
    if (f == NULL)
        return;
    if (fgets(buf, (int)size, f) == NULL)
        snprintf(buf, size, "?");
    buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static volatile uint64_t g_sink;

/* ---- environment ---------------------------------------------------------- */

static void print_latency(int quick);

static void
print_env(const bench_opts *o)
{
    char model[256] = "unknown";
    int cpus = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        char line[512];
        while (fgets(line, sizeof(line), f) != NULL) {
            if (strncmp(line, "model name", 10) == 0) {
                cpus++;
                if (cpus == 1) {
                    char *p = strchr(line, ':');
                    if (p != NULL) {
                        p++;
                        while (*p == ' ' || *p == '\t')
                            p++;
                        snprintf(model, sizeof(model), "%s", p);
                        model[strcspn(model, "\n")] = '\0';
                    }
                }
            }
        }
        fclose(f);
    }
    printf("# gwbench - libgwroute %s\n", gwr_version_str());
    printf("cpu:       %s (%d logical CPUs in /proc/cpuinfo)\n", model, cpus);
    printf("compiler:  %s\n", GWBENCH_COMPILER);
    printf("buildtype: %s%s\n", GWBENCH_BUILDTYPE,
#ifdef NDEBUG
           " (NDEBUG)"
#else
           " (assertions on)"
#endif
    );
    printf("clock:     CLOCK_MONOTONIC; single thread; %d timed rounds, "
           "median reported\n", o->rounds);
    char la[128];
    loadavg(la, sizeof(la));
    printf("seed:      0x%016llx\n", (unsigned long long)o->seed);
    printf("machine:   /proc/loadavg at start: %s\n", la);
    if (!o->callgrind)        /* under valgrind it would take minutes */
        print_latency(o->quick);
    printf("\n");
}

/* ---- memory latency ------------------------------------------------------- */

/* What one dependent load costs on this machine when the data is spread
 * over a working set of a given size (a random cycle of 64-byte lines,
 * each holding the address of the next): the price of each link of the
 * chain a match follows through the table (docs/PERFORMANCE.md "Where
 * the time goes"). The table at 1k / 10k / 100k rules is ~0.5 / 5 /
 * 47 MB. */
static void
print_latency(int quick)
{
    static const size_t kib[] = { 32, 256, 1024, 4096, 8192, 16384, 65536 };
    size_t n_sizes = sizeof(kib) / sizeof(kib[0]);
    if (quick)
        n_sizes = 4;          /* up to 4 MiB: a second less */
    printf("memory:    dependent-load latency by working set (random "
           "64-byte lines):");
    uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);
    for (size_t s = 0; s < n_sizes; s++) {
        size_t n = kib[s] * 1024 / 64;
        size_t *order = malloc(n * sizeof(*order));
        char *lines = malloc(n * 64);
        if (order == NULL || lines == NULL) {
            free(order);
            free(lines);
            printf(" (out of memory)\n");
            break;
        }
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        for (size_t i = n - 1; i > 0; i--) {     /* Fisher-Yates */
            rng = rng * UINT64_C(6364136223846793005) +
                  UINT64_C(1442695040888963407);
            size_t j = (size_t)((rng >> 33) % (i + 1));
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < n; i++) {
            char *next = lines + order[(i + 1) % n] * 64;
            memcpy(lines + order[i] * 64, &next, sizeof(next));
        }
        char *p = lines;
        for (size_t i = 0; i < n; i++)          /* one lap to warm up */
            memcpy(&p, p, sizeof(p));
        size_t steps = 2000000;
        double t0 = now_s();
        for (size_t i = 0; i < steps; i++)
            memcpy(&p, p, sizeof(p));
        double ns = (now_s() - t0) * 1e9 / (double)steps;
        g_sink += (uint64_t)(uintptr_t)p;
        if (kib[s] >= 1024)
            printf(" %zu MiB %.0f ns%s", kib[s] / 1024, ns,
                   s + 1 < n_sizes ? "," : "\n");
        else
            printf(" %zu KiB %.1f ns,", kib[s], ns);
        free(order);
        free(lines);
    }
}

/* ---- one case ------------------------------------------------------------- */

typedef struct case_result {
    size_t rules, routes, entries, yaml_bytes, n_texts;
    double gen_s;
    double load_s;            /* median of load rounds, all texts */
    double compile_s;         /* median of compile rounds */
    double load_cpu_s, compile_cpu_s, ref_cpu_ns;   /* thread CPU time */
    size_t cfg_bytes;         /* config live bytes after load */
    size_t table_bytes;       /* live bytes held by the table */
    size_t compile_peak;      /* peak above the pre-compile level */
    size_t arena_used;        /* bytes handed out by the table's arena */
    double match_ns;          /* compiled table, median ns per match */
    double match_min_ns, match_max_ns;
    double match_cpu_ns;      /* thread CPU time, median (information) */
    double nocopy_ns;         /* the same stream with GWR_REQ_NO_COPY */
    double nocopy_cpu_ns;
    double hot_ns;            /* match of a just-parsed request (time_hot) */
    double hot_nocopy_ns;     /* the same with GWR_REQ_NO_COPY */
    double parse_ns;          /* the parse copy alone */
    double ref_ns;            /* reference, median ns per match */
    double ref_ratio;         /* median over the rounds of (reference
                                 round / the compiled round run right
                                 before it): both see the same machine */
    size_t ref_n;             /* requests in the reference timing set */
    size_t verified;          /* requests checked by both matchers */
    size_t disagreements;
    double pick_ns, sample_ns;
    double allocs_per_match;
    size_t allocs_total;
    size_t n_forward, n_noroute, n_other;
    size_t n_reqs;
} case_result;

static void
print_diags(const gwr_config *cfg, size_t max)
{
    size_t n = gwr_config_diag_count(cfg);
    for (size_t i = 0; i < n && i < max; i++) {
        char buf[512];
        gwr_diag_format(gwr_config_diag(cfg, i), buf, sizeof(buf));
        fprintf(stderr, "  %s\n", buf);
    }
    if (n > max)
        fprintf(stderr, "  ... %zu more\n", n - max);
}

/* Every text into a new config. Not inlined, so that callgrind can count
 * the load alone (--toggle-collect=load_all). */
__attribute__((noinline)) static int
load_all(gwr_ctx *ctx, const wl_workload *w, gwr_config **out, double *secs,
         double *cpu)
{
    gwr_config *cfg = NULL;
    if (gwr_config_new(&cfg, ctx) != GWR_OK)
        return -1;
    double c0 = cpu_s(), t0 = now_s();
    for (size_t i = 0; i < w->n_texts; i++) {
        gwr_str text = { w->texts[i].ptr, w->texts[i].len };
        gwr_str src = { w->texts[i].name, strlen(w->texts[i].name) };
        int rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML, text, src);
        if (rc != GWR_OK) {
            fprintf(stderr, "gwbench: %s: %s\n", w->texts[i].name,
                    gwr_strerror(rc));
            print_diags(cfg, 20);
            gwr_config_free(cfg);
            return -1;
        }
    }
    *secs = now_s() - t0;
    *cpu = cpu_s() - c0;
    if (gwr_config_error_count(cfg) != 0) {
        fprintf(stderr, "gwbench: the generated config has errors:\n");
        print_diags(cfg, 20);
        gwr_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

/* The timed loop of the compiled table; a function of its own so that
 * callgrind can count exactly its instructions (--toggle-collect). */
__attribute__((noinline)) uint64_t gwbench_match_loop(
    const gwr_table *t, const gwr_request *reqs, size_t n_reqs,
    gwr_decision *d, size_t count);

__attribute__((noinline)) uint64_t
gwbench_match_loop(const gwr_table *t, const gwr_request *reqs, size_t n_reqs,
                   gwr_decision *d, size_t count)
{
    uint64_t acc = 0;
    size_t j = 0;
    for (size_t i = 0; i < count; i++) {
        if (gwr_table_match(t, &reqs[j], d) != GWR_OK)
            return UINT64_MAX;
        acc += gwr_decision_result(d);
        if (++j == n_reqs)
            j = 0;
    }
    return acc;
}


static void
set_no_copy(wl_workload *w, int on)
{
    for (size_t i = 0; i < w->n_reqs; i++) {
        if (on)
            w->reqs[i].flags |= GWR_REQ_NO_COPY;
        else
            w->reqs[i].flags &= ~GWR_REQ_NO_COPY;
    }
}

/* ---- hot requests ------------------------------------------------------------
 * A host matches a request it has just parsed, so its bytes are in the
 * cache; the stream's 65536 prepared requests are not (at ~0.4 KiB each
 * they are far larger than the caches, whatever the table size). The
 * "hot" timing therefore copies each request into a parse buffer, as an
 * HTTP parser would have written it, then matches the copy; the same loop
 * without the match is timed too, and the difference is the match on a
 * request in cache. Two buffers alternate, so with GWR_REQ_NO_COPY the
 * previous decision's views stay valid until the next match. */
#define HOT_BUF 8192
#define HOT_HDRS 64

typedef struct hot_req {
    char buf[HOT_BUF];
    gwr_header h[HOT_HDRS];
    gwr_request r;
} hot_req;

static gwr_str
hot_put(hot_req *hr, size_t *used, gwr_str s)
{
    gwr_str v = { hr->buf + *used, s.len };
    if (s.len > 0)
        memcpy(hr->buf + *used, s.ptr, s.len);
    *used += s.len;
    return v;
}

/* Copy *in into hr (the "parse"); 0, or -1 when it does not fit. */
static int
hot_parse(const gwr_request *in, hot_req *hr)
{
    size_t need = in->method.len + in->scheme.len + in->host.len + in->path.len;
    for (size_t i = 0; i < in->n_headers; i++)
        need += in->headers[i].name.len + in->headers[i].value.len;
    if (need > HOT_BUF || in->n_headers > HOT_HDRS)
        return -1;
    size_t used = 0;
    hr->r = *in;
    hr->r.method = hot_put(hr, &used, in->method);
    hr->r.scheme = hot_put(hr, &used, in->scheme);
    hr->r.host = hot_put(hr, &used, in->host);
    hr->r.path = hot_put(hr, &used, in->path);
    for (size_t i = 0; i < in->n_headers; i++) {
        hr->h[i].name = hot_put(hr, &used, in->headers[i].name);
        hr->h[i].value = hot_put(hr, &used, in->headers[i].value);
    }
    hr->r.headers = hr->h;
    return 0;
}

/* The parse-then-match loop; with match 0 the parse alone (baseline). */
__attribute__((noinline)) uint64_t gwbench_hot_loop(
    const gwr_table *t, const gwr_request *reqs, size_t n_reqs,
    gwr_decision *d, hot_req *hr, int match);

__attribute__((noinline)) uint64_t
gwbench_hot_loop(const gwr_table *t, const gwr_request *reqs, size_t n_reqs,
                 gwr_decision *d, hot_req *hr, int match)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < n_reqs; i++) {
        hot_req *h = &hr[i & 1];
        if (hot_parse(&reqs[i], h) != 0)
            return UINT64_MAX;
        if (match) {
            if (gwr_table_match(t, &h->r, d) != GWR_OK)
                return UINT64_MAX;
            acc += gwr_decision_result(d);
        } else {
            acc += (uint64_t)(unsigned char)h->buf[0] + h->r.path.len;
        }
    }
    return acc;
}

/* Median ns per request of the parse-then-match loop minus the parse
 * alone, over rounds pairs of rounds run alternately. */
static double
time_hot(const gwr_table *t, const wl_workload *w, gwr_decision *d,
         hot_req *hr, int rounds, double *parse_ns)
{
    double v[64], b[64];
    for (int r = 0; r < rounds; r++) {
        double t0 = now_s();
        uint64_t a = gwbench_hot_loop(t, w->reqs, w->n_reqs, d, hr, 0);
        double t1 = now_s();
        uint64_t m = gwbench_hot_loop(t, w->reqs, w->n_reqs, d, hr, 1);
        double t2 = now_s();
        if (a == UINT64_MAX || m == UINT64_MAX)
            return -1e9;
        g_sink += a + m;
        b[r] = (t1 - t0) * 1e9 / (double)w->n_reqs;
        v[r] = (t2 - t1) * 1e9 / (double)w->n_reqs;
    }
    *parse_ns = median(b, rounds);
    return median(v, rounds) - *parse_ns;
}

static double
time_match_round(const gwr_table *t, const wl_workload *w, gwr_decision *d,
                 double *cpu_ns)
{
    double c0 = cpu_s(), t0 = now_s();
    uint64_t acc = gwbench_match_loop(t, w->reqs, w->n_reqs, d, w->n_reqs);
    double dt = now_s() - t0, dc = cpu_s() - c0;
    g_sink += acc;
    *cpu_ns = dc * 1e9 / (double)w->n_reqs;
    return acc == UINT64_MAX ? -1 : dt * 1e9 / (double)w->n_reqs;
}

/* Weighted pick over the workload's real weight lists (lib/select.c, the
 * function the table calls), ns per pick. */
static double
bench_pick(const wl_workload *w, int rounds)
{
    if (w->n_cum == 0)
        return 0;
    const size_t iters = 1u << 20;
    double v[64];
    for (int r = 0; r < rounds; r++) {
        uint64_t s = 42, acc = 0;
        size_t k = 0;
        double t0 = now_s();
        for (size_t i = 0; i < iters; i++) {
            acc += gwr_select__weighted(wl_next(&s), 0x5a17u,
                                        w->cum + w->cum_off[k], w->cum_n[k]);
            if (++k == w->n_cum)
                k = 0;
        }
        double dt = now_s() - t0;
        g_sink += acc;
        v[r] = dt * 1e9 / (double)iters;
    }
    return median(v, rounds);
}

/* Cost of the splitmix64 seed stream alone, subtracted from nothing but
 * printed so the reader can. */
static double
bench_seed_only(int rounds)
{
    const size_t iters = 1u << 20;
    double v[64];
    for (int r = 0; r < rounds; r++) {
        uint64_t s = 42, acc = 0;
        double t0 = now_s();
        for (size_t i = 0; i < iters; i++)
            acc += wl_next(&s);
        double dt = now_s() - t0;
        g_sink += acc;
        v[r] = dt * 1e9 / (double)iters;
    }
    return median(v, rounds);
}

/* Mirror sampling through the public gwr_sample_fraction(). */
static double
bench_sample(const wl_workload *w, int rounds)
{
    static const uint32_t dflt_num[1] = { 10 }, dflt_den[1] = { 100 };
    const uint32_t *num = w->n_mir ? w->mir_num : dflt_num;
    const uint32_t *den = w->n_mir ? w->mir_den : dflt_den;
    size_t n = w->n_mir ? w->n_mir : 1;
    const size_t iters = 1u << 20;
    double v[64];
    for (int r = 0; r < rounds; r++) {
        uint64_t s = 7, acc = 0;
        size_t k = 0;
        double t0 = now_s();
        for (size_t i = 0; i < iters; i++) {
            acc += (uint64_t)gwr_sample_fraction(wl_next(&s), 0x3117u, num[k],
                                                 den[k]);
            if (++k == n)
                k = 0;
        }
        double dt = now_s() - t0;
        g_sink += acc;
        v[r] = dt * 1e9 / (double)iters;
    }
    return median(v, rounds);
}

/* ---- the reference matcher -------------------------------------------------- */

/* The reference's timed loop, for callgrind as gwbench_match_loop. */
__attribute__((noinline)) uint64_t gwbench_ref_loop(
    const gwr_refmatch *rm, const gwr_request *reqs, size_t n_reqs,
    gwr_decision *d, size_t count);

__attribute__((noinline)) uint64_t
gwbench_ref_loop(const gwr_refmatch *rm, const gwr_request *reqs,
                 size_t n_reqs, gwr_decision *d, size_t count)
{
    uint64_t acc = 0;
    size_t j = 0;
    for (size_t i = 0; i < count; i++) {
        if (gwr_refmatch__match(rm, &reqs[j], d) != GWR_OK)
            return UINT64_MAX;
        acc += gwr_decision_result(d);
        if (++j == n_reqs)
            j = 0;
    }
    return acc;
}

static int
str_eq(gwr_str a, gwr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Same route, rule, result, status and backend (and the same mirrors
 * sampled, which follows from the rule and the seed). */
static int
same_decision(const gwr_decision *a, const gwr_decision *b)
{
    if (gwr_decision_result(a) != gwr_decision_result(b) ||
        gwr_decision_status(a) != gwr_decision_status(b) ||
        gwr_decision_rule_index(a) != gwr_decision_rule_index(b) ||
        !str_eq(gwr_decision_route_kind(a), gwr_decision_route_kind(b)) ||
        !str_eq(gwr_decision_route_namespace(a),
                gwr_decision_route_namespace(b)) ||
        !str_eq(gwr_decision_route_name(a), gwr_decision_route_name(b)))
        return 0;
    const gwr_backend *x = gwr_decision_backend(a), *y = gwr_decision_backend(b);
    if ((x == NULL) != (y == NULL))
        return 0;
    if (x != NULL &&
        (!str_eq(gwr_backend_namespace(x), gwr_backend_namespace(y)) ||
         !str_eq(gwr_backend_name(x), gwr_backend_name(y)) ||
         !str_eq(gwr_backend_kind(x), gwr_backend_kind(y)) ||
         gwr_backend_port(x) != gwr_backend_port(y)))
        return 0;
    size_t nm = gwr_decision_mirror_count(a);
    if (nm != gwr_decision_mirror_count(b))
        return 0;
    for (size_t i = 0; i < nm; i++) {
        int sa = 0, sb = 0;
        gwr_decision_mirror(a, i, &sa);
        gwr_decision_mirror(b, i, &sb);
        if (sa != sb)
            return 0;
    }
    return 1;
}

static void
print_decision(const char *who, const gwr_decision *d)
{
    gwr_str ns = gwr_decision_route_namespace(d);
    gwr_str nm = gwr_decision_route_name(d);
    const gwr_backend *b = gwr_decision_backend(d);
    gwr_str bns = b ? gwr_backend_namespace(b) : (gwr_str){ "", 0 };
    gwr_str bnm = b ? gwr_backend_name(b) : (gwr_str){ "", 0 };
    fprintf(stderr,
            "    %-9s result %u status %d route %.*s/%.*s rule %d backend "
            "%.*s/%.*s:%u mirrors %zu\n",
            who, gwr_decision_result(d), gwr_decision_status(d),
            (int)ns.len, ns.ptr ? ns.ptr : "", (int)nm.len,
            nm.ptr ? nm.ptr : "", gwr_decision_rule_index(d), (int)bns.len,
            bns.ptr ? bns.ptr : "", (int)bnm.len, bnm.ptr ? bnm.ptr : "",
            b ? gwr_backend_port(b) : 0u, gwr_decision_mirror_count(d));
}

static void
print_request(size_t i, const gwr_request *r)
{
    fprintf(stderr, "  request #%zu: %.*s http://%.*s%.*s seed 0x%016llx\n",
            i, (int)r->method.len, r->method.ptr, (int)r->host.len,
            r->host.ptr, (int)r->path.len, r->path.ptr,
            (unsigned long long)r->seed);
    for (size_t k = 0; k < r->n_headers; k++)
        fprintf(stderr, "    %.*s: %.*s\n", (int)r->headers[k].name.len,
                r->headers[k].name.ptr, (int)r->headers[k].value.len,
                r->headers[k].value.ptr);
}

/*
 * Time the reference on the stream (or on an evenly spaced sample of it
 * when the full stream would take longer than --ref-budget per round) and
 * verify that both matchers answer every request of the verification set
 * (the whole stream, or a sample when it would take longer than
 * --verify-budget) identically. Returns 0, or 2 on a setup error;
 * disagreements are counted in res.
 */
static int
run_reference(const bench_opts *o, const wl_workload *w, gwr_ctx *ctx,
              const gwr_config *cfg, const gwr_table *t, gwr_decision *d,
              case_result *res)
{
    gwr_refmatch *rm = NULL;
    gwr_decision *rd = NULL;
    gwr_request *sample = NULL;
    int status = 2;
    int rc = gwr_refmatch__new(&rm, cfg, NULL);
    if (rc != GWR_OK) {
        fprintf(stderr, "gwbench: reference matcher: %s\n", gwr_strerror(rc));
        goto out;
    }
    if (gwr_decision_new(&rd, ctx) != GWR_OK)
        goto out;

    /* Estimate the reference's cost per request on 64 spread requests. */
    size_t probe = w->n_reqs < 64 ? w->n_reqs : 64;
    size_t pstride = w->n_reqs / probe;
    gwr_refmatch__match(rm, &w->reqs[0], rd);    /* first-touch warm-up */
    double t0 = now_s();
    for (size_t i = 0; i < probe; i++)
        if (gwr_refmatch__match(rm, &w->reqs[i * pstride], rd) != GWR_OK)
            goto out;
    double est = (now_s() - t0) / (double)probe;
    if (est <= 0)
        est = 1e-9;

    /* Timing set. */
    size_t ref_n = (size_t)(o->ref_budget / est);
    size_t floor_n = w->n_reqs < 256 ? w->n_reqs : 256;
    if (ref_n < floor_n)
        ref_n = floor_n;
    if (ref_n > w->n_reqs)
        ref_n = w->n_reqs;
    size_t stride = w->n_reqs / ref_n;
    sample = malloc(sizeof(gwr_request) * ref_n);
    if (sample == NULL)
        goto out;
    for (size_t i = 0; i < ref_n; i++)
        sample[i] = w->reqs[i * stride];
    res->ref_n = ref_n;
    double v[64], cv[64], ratio[64];
    /* One untimed pass first, as for the compiled table. */
    if (gwbench_ref_loop(rm, sample, ref_n, rd, ref_n) == UINT64_MAX)
        goto out;
    for (int r = 0; r < o->rounds; r++) {
        /* A compiled round right before each reference round: the ratio
         * of the pair is taken under the same machine conditions. An
         * untimed compiled pass first brings the table back into the
         * caches the previous reference round filled with its own data,
         * as in the compiled table's own rounds. */
        double ccpu;
        if (gwbench_match_loop(t, w->reqs, w->n_reqs, d, w->n_reqs) == UINT64_MAX)
            goto out;
        double cns = time_match_round(t, w, d, &ccpu);
        double c0 = cpu_s(), s0 = now_s();
        uint64_t acc = gwbench_ref_loop(rm, sample, ref_n, rd, ref_n);
        double dt = now_s() - s0, dc = cpu_s() - c0;
        if (acc == UINT64_MAX || cns <= 0)
            goto out;
        g_sink += acc;
        v[r] = dt * 1e9 / (double)ref_n;
        cv[r] = dc * 1e9 / (double)ref_n;
        ratio[r] = v[r] / cns;
    }
    res->ref_ns = median(v, o->rounds);
    res->ref_cpu_ns = median(cv, o->rounds);
    res->ref_ratio = median(ratio, o->rounds);

    /* Verification set. */
    est = res->ref_ns * 1e-9;
    size_t ver_n = (size_t)(o->verify_budget / est);
    if (ver_n < ref_n)
        ver_n = ref_n;
    if (ver_n > w->n_reqs)
        ver_n = w->n_reqs;
    size_t vstride = w->n_reqs / ver_n;
    for (size_t k = 0; k < ver_n; k++) {
        size_t i = k * vstride;
        const gwr_request *q = &w->reqs[i];
        int a = gwr_table_match(t, q, d);
        int b = gwr_refmatch__match(rm, q, rd);
        res->verified++;
        if (a != b || !same_decision(d, rd)) {
            res->disagreements++;
            if (res->disagreements <= 10) {
                fprintf(stderr, "gwbench: DISAGREEMENT at %zu rules:\n",
                        res->rules);
                print_request(i, q);
                fprintf(stderr, "    return codes: compiled %d, reference %d\n",
                        a, b);
                print_decision("compiled", d);
                print_decision("reference", rd);
            }
        }
    }
    status = 0;
out:
    free(sample);
    gwr_decision_free(rd);
    gwr_refmatch__free(rm);
    return status;
}

/* callgrind mode, reference side. */
static uint64_t
callgrind_ref(const bench_opts *o, const wl_workload *w, gwr_ctx *ctx,
              const gwr_config *cfg)
{
    gwr_refmatch *rm = NULL;
    gwr_decision *rd = NULL;
    uint64_t acc = UINT64_MAX;
    if (gwr_refmatch__new(&rm, cfg, NULL) == GWR_OK &&
        gwr_decision_new(&rd, ctx) == GWR_OK) {
        size_t warm = w->n_reqs < 256 ? w->n_reqs : 256;
        for (size_t i = 0; i < warm; i++)
            gwr_refmatch__match(rm, &w->reqs[i], rd);
        acc = gwbench_ref_loop(rm, w->reqs, w->n_reqs, rd, o->callgrind);
    }
    gwr_decision_free(rd);
    gwr_refmatch__free(rm);
    return acc;
}

static void
print_workload(const wl_workload *w)
{
    const wl_stats *s = &w->st;
    printf("workload:  %s, %zu rules in %zu HTTPRoutes (%zu namespaces, "
           "%zu Services)\n", wl_profile_name(w->opts.profile), s->rules,
           s->routes, s->namespaces, s->services);
    printf("           %zu hostnames (%zu wildcard); %zu matches: %zu Exact, "
           "%zu PathPrefix, %zu regex path; %zu with headers (%zu "
           "predicates), %zu with method, %zu with query\n",
           s->hostnames, s->wild_hostnames, s->matches, s->m_exact,
           s->m_prefix, s->m_regex, s->m_header, s->n_header_preds,
           s->m_method, s->m_query);
    printf("           rules: %zu with 2 matches, %zu with none, %zu "
           "weighted, %zu mirror, %zu header modifier\n",
           s->r_multi_match, s->r_no_match, s->r_weighted, s->r_mirror,
           s->r_hdrmod);
    printf("yaml:      %zu texts, %zu documents, %.1f MiB\n", w->n_texts,
           s->documents, (double)s->yaml_bytes / 1048576.0);
    printf("requests:  %zu (Zipf s=%.2f over routes; %zu aimed at a rule, "
           "%zu unknown host, %zu unknown path; %.1f header fields each)\n",
           w->n_reqs, w->opts.zipf_s, s->req_hit, s->req_miss_host,
           s->req_miss_path, (double)s->req_headers / (double)w->n_reqs);
}

static int
run_case(const bench_opts *o, size_t rules, int profile, case_result *res)
{
    memset(res, 0, sizeof(*res));
    wl_opts wo = { rules, profile, o->seed, o->n_requests, 0.10, 1.0, 0 };
    wl_workload w;
    double t0 = now_s();
    if (wl_build(&wo, &w) != 0) {
        fprintf(stderr, "gwbench: out of memory generating the workload\n");
        return 2;
    }
    res->gen_s = now_s() - t0;
    res->rules = w.st.rules;
    res->routes = w.st.routes;
    res->yaml_bytes = w.st.yaml_bytes;
    res->n_texts = w.n_texts;
    res->n_reqs = w.n_reqs;
    print_workload(&w);

    int status = 2;
    test_alloc ta;
    test_alloc_init(&ta);
    gwr_ctx *ctx = NULL;
    gwr_config *cfg = NULL;
    gwr_table *table = NULL;
    gwr_decision *d = NULL;
    double v[64], cv[64];
    if (gwr_ctx_new(&ctx, &ta.hooks, NULL, NULL) != GWR_OK)
        goto out;

    /* Load: YAML text -> gwr_config, every text, fresh config per round. */
    int load_rounds = rules > 50000 ? 3 : 5;
    if (o->quick)
        load_rounds = 3;
    for (int r = 0; r < load_rounds; r++) {
        gwr_config_free(cfg);
        cfg = NULL;
        size_t before = ta.live_bytes;
        if (load_all(ctx, &w, &cfg, &v[r], &cv[r]) != 0)
            goto out;
        res->cfg_bytes = ta.live_bytes - before;
    }
    res->load_s = median(v, load_rounds);
    res->load_cpu_s = median(cv, load_rounds);

    /* Compile; memory = live bytes the table keeps, and the peak. */
    int comp_rounds = load_rounds;
    for (int r = 0; r < comp_rounds; r++) {
        gwr_table_unref(table);
        table = NULL;
        size_t before = ta.live_bytes;
        ta.peak_bytes = ta.live_bytes;
        gwr_compile_opts co = GWR_COMPILE_OPTS_INIT;
        char err[256] = "";
        co.errbuf = err;
        co.errbuf_size = sizeof(err);
        double c0 = cpu_s(), s0 = now_s();
        int rc = gwr_table_compile(&table, cfg, &co);
        v[r] = now_s() - s0;
        cv[r] = cpu_s() - c0;
        if (rc != GWR_OK) {
            fprintf(stderr, "gwbench: compile: %s: %s\n", gwr_strerror(rc),
                    err);
            goto out;
        }
        res->table_bytes = ta.live_bytes - before;
        res->compile_peak = ta.peak_bytes - before;
    }
    res->compile_s = median(v, comp_rounds);
    res->compile_cpu_s = median(cv, comp_rounds);
    res->entries = gwr_table_entry_count(table);
    res->arena_used = table->arena.used;

    /* Match: warm-up pass (the decision's buffers reach their steady
     * size), outcome census, then the timed rounds with allocation
     * counting. */
    if (gwr_decision_new(&d, ctx) != GWR_OK)
        goto out;
    for (size_t i = 0; i < w.n_reqs; i++) {
        if (gwr_table_match(table, &w.reqs[i], d) != GWR_OK) {
            fprintf(stderr, "gwbench: match %zu failed\n", i);
            goto out;
        }
        uint32_t r = gwr_decision_result(d);
        if (r == GWR_RESULT_FORWARD)
            res->n_forward++;
        else if (r == GWR_RESULT_NO_ROUTE)
            res->n_noroute++;
        else
            res->n_other++;
    }
    /* Each round times the stream as is, then with GWR_REQ_NO_COPY (the
     * requests outlive the decision here, as in a host that keeps the
     * parsed request while it forwards; the decision views them instead
     * of copying): alternating, so that a slow phase of this shared
     * machine hits both columns alike. */
    size_t a0 = ta.allocs + ta.reallocs;
    double vn[64], cvn[64];
    for (int r = 0; r < o->rounds; r++) {
        v[r] = time_match_round(table, &w, d, &cv[r]);
        set_no_copy(&w, 1);
        vn[r] = time_match_round(table, &w, d, &cvn[r]);
        set_no_copy(&w, 0);
        if (v[r] < 0 || vn[r] < 0)
            goto out;
    }
    res->match_cpu_ns = median(cv, o->rounds);
    res->allocs_total = ta.allocs + ta.reallocs - a0;
    res->allocs_per_match =
        (double)res->allocs_total / (2.0 * (double)o->rounds * (double)w.n_reqs);
    res->match_ns = median(v, o->rounds);
    res->match_min_ns = v[0];
    res->match_max_ns = v[o->rounds - 1];
    res->nocopy_ns = median(vn, o->rounds);
    res->nocopy_cpu_ns = median(cvn, o->rounds);

    /* Hot requests (see time_hot), default and no-copy. */
    {
        hot_req *hr = calloc(2, sizeof(*hr));
        if (hr == NULL)
            goto out;
        res->hot_ns = time_hot(table, &w, d, hr, o->rounds, &res->parse_ns);
        set_no_copy(&w, 1);
        double pn = 0;
        res->hot_nocopy_ns = time_hot(table, &w, d, hr, o->rounds, &pn);
        set_no_copy(&w, 0);
        free(hr);
        if (res->hot_ns < -1e8 || res->hot_nocopy_ns < -1e8) {
            fprintf(stderr, "gwbench: a request does not fit the hot buffer\n");
            goto out;
        }
    }

    status = run_reference(o, &w, ctx, cfg, table, d, res);
    if (status == 2)
        goto out;

    res->pick_ns = bench_pick(&w, o->rounds);
    res->sample_ns = bench_sample(&w, o->rounds);

    printf("load:      %.1f ms (median of %d; CPU time %.1f ms; %.0f ns per "
           "rule; config holds %.1f MiB)\n", res->load_s * 1e3, load_rounds,
           res->load_cpu_s * 1e3, res->load_s * 1e9 / (double)res->rules,
           (double)res->cfg_bytes / 1048576.0);
    printf("compile:   %.2f ms (median of %d; CPU time %.2f ms); %zu entries; "
           "table %zu bytes "
           "live (%.0f B/rule, %.0f B/entry; arena objects %zu bytes), "
           "compile peak +%zu bytes\n",
           res->compile_s * 1e3, comp_rounds, res->compile_cpu_s * 1e3,
           res->entries, res->table_bytes,
           (double)res->table_bytes / (double)res->rules,
           (double)res->table_bytes / (double)res->entries, res->arena_used,
           res->compile_peak);
    printf("outcomes:  %zu FORWARD, %zu NO_ROUTE (404), %zu other\n",
           res->n_forward, res->n_noroute, res->n_other);
    printf("match:     %.1f ns median (min %.1f, max %.1f over %d rounds of "
           "%zu; thread CPU time %.1f ns); %zu allocations in steady state "
           "= %.3g per match\n",
           res->match_ns, res->match_min_ns, res->match_max_ns, o->rounds,
           w.n_reqs, res->match_cpu_ns, res->allocs_total,
           res->allocs_per_match);
    printf("no-copy:   %.1f ns median with GWR_REQ_NO_COPY (thread CPU time "
           "%.1f ns)\n", res->nocopy_ns, res->nocopy_cpu_ns);
    printf("hot:       %.1f ns median for a request just parsed (%.1f with "
           "GWR_REQ_NO_COPY; the parse copy itself, %.1f ns, subtracted)\n",
           res->hot_ns, res->hot_nocopy_ns, res->parse_ns);
    printf("reference: %.1f ns median (thread CPU time %.1f ns) over %zu "
           "requests%s; compiled is %.1fx faster (median of the ratios of "
           "paired rounds)\n", res->ref_ns,
           res->ref_cpu_ns, res->ref_n,
           res->ref_n < w.n_reqs ? " (a sample of the stream: every k-th "
                                   "request, see --ref-budget)" : "",
           res->ref_ratio);
    printf("verify:    %zu of %zu requests answered identically by both "
           "matchers%s; %zu disagreements\n", res->verified - res->disagreements,
           res->verified, res->verified < w.n_reqs ? " (sampled)" : "",
           res->disagreements);
    printf("select:    weighted pick %.1f ns, mirror sampling %.1f ns "
           "(seed generation alone %.1f ns)\n", res->pick_ns,
           res->sample_ns, bench_seed_only(o->rounds));
    char la[128];
    loadavg(la, sizeof(la));
    printf("machine:   /proc/loadavg after the case: %s\n\n", la);
    fflush(stdout);
    if (res->allocs_total != 0)
        fprintf(stderr, "gwbench: %zu allocations while matching in steady "
                "state at %zu rules (must be 0)\n", res->allocs_total, rules);
    status = res->disagreements || res->allocs_total ? 1 : 0;

out:
    gwr_decision_free(d);
    gwr_table_unref(table);
    gwr_config_free(cfg);
    gwr_ctx_free(ctx);
    if (status == 2)
        fprintf(stderr, "gwbench: setup failed for %zu rules\n", rules);
    else if (ta.live != 0)
        fprintf(stderr, "gwbench: warning: %zu blocks still live\n", ta.live);
    wl_free(&w);
    return status;
}

/* ---- report --------------------------------------------------------------- */

static void
print_summary(const case_result *r, size_t n)
{
    printf("| rules | routes | YAML MiB | load ms | compile ms | table B | "
           "B/rule | match ns | (cpu ns) | no-copy ns | ref ns | ref/match | "
           "pick ns | sample ns | allocs/match |\n");
    printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
           "---:|---:|\n");
    for (size_t i = 0; i < n; i++)
        printf("| %zu | %zu | %.1f | %.1f | %.2f | %zu | %.0f | %.1f | "
               "(%.1f) | %.1f | %.0f%s | %.0fx | %.1f | %.1f | %.3g |\n",
               r[i].rules, r[i].routes, (double)r[i].yaml_bytes / 1048576.0,
               r[i].load_s * 1e3, r[i].compile_s * 1e3, r[i].table_bytes,
               (double)r[i].table_bytes / (double)r[i].rules, r[i].match_ns,
               r[i].match_cpu_ns, r[i].nocopy_ns, r[i].ref_ns, r[i].ref_n < r[i].n_reqs ? "*" : "",
               r[i].ref_ratio, r[i].pick_ns, r[i].sample_ns,
               r[i].allocs_per_match);
    printf("\nmatch ns: wall clock (CLOCK_MONOTONIC), median of the rounds; "
           "(cpu ns): thread CPU time of the same rounds, for information; "
           "no-copy ns: the same stream with GWR_REQ_NO_COPY, its rounds "
           "alternating with the default ones; ref/match: median of the "
           "ratios of paired rounds (each reference round right after a "
           "compiled one).\n"
           "* reference timed on a sample of the request stream.\n\n");
    printf("Thread CPU time of the same runs (information: on a loaded "
           "machine the wall clock also counts time the thread waited for "
           "a CPU):\n\n");
    printf("| rules | load ms | compile ms | match ns | ref ns | ref/match |\n");
    printf("|---:|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < n; i++)
        printf("| %zu | %.1f | %.2f | %.1f | %.0f | %.0fx |\n", r[i].rules,
               r[i].load_cpu_s * 1e3, r[i].compile_cpu_s * 1e3,
               r[i].match_cpu_ns, r[i].ref_cpu_ns,
               r[i].ref_cpu_ns / r[i].match_cpu_ns);
    printf("\n");
}

static void
target(const char *what, double measured, double limit, const char *unit,
       int higher_is_better)
{
    int ok = higher_is_better ? measured >= limit : measured <= limit;
    if (ok)
        printf("- %-44s %10.3g %-3s target %s %g: met\n", what, measured,
               unit, higher_is_better ? ">=" : "<=", limit);
    else
        printf("- %-44s %10.3g %-3s target %s %g: MISSED by %.2fx\n", what,
               measured, unit, higher_is_better ? ">=" : "<=", limit,
               higher_is_better ? limit / measured : measured / limit);
}

static const case_result *
find_case(const case_result *r, size_t n, size_t rules)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].rules == rules)
            return &r[i];
    return NULL;
}

static void
print_targets(const case_result *r, size_t n, const case_result *paths,
              const case_result *hdrs)
{
    char what[96];
    printf("## Targets\n\n");
    const case_result *lo = &r[0], *hi = &r[n - 1];
    if (n > 1) {
        snprintf(what, sizeof(what), "match ns at %zu / at %zu rules",
                 hi->rules, lo->rules);
        target(what, hi->match_ns / lo->match_ns, 1.5, "x", 0);
    }
    const case_result *c10 = find_case(r, n, 10000);
    if (c10 != NULL)
        target("reference / compiled at 10000 rules",
               c10->ref_ratio, 100, "x", 1);
    if (paths != NULL) {
        snprintf(what, sizeof(what), "Exact/PathPrefix match at %zu rules",
                 paths->rules);
        target(what, paths->match_ns, 100, "ns", 0);
        snprintf(what, sizeof(what), "... with GWR_REQ_NO_COPY");
        target(what, paths->nocopy_ns, 100, "ns", 0);
    }
    if (hdrs != NULL) {
        snprintf(what, sizeof(what), "with-headers match at %zu rules",
                 hdrs->rules);
        target(what, hdrs->match_ns, 250, "ns", 0);
        snprintf(what, sizeof(what), "... with GWR_REQ_NO_COPY");
        target(what, hdrs->nocopy_ns, 250, "ns", 0);
    }
    if (c10 != NULL)
        target("compile at 10000 rules", c10->compile_s * 1e3, 50, "ms", 0);
    const case_result *c100 = find_case(r, n, 100000);
    if (c100 != NULL)
        target("compile at 100000 rules", c100->compile_s * 1e3, 1000, "ms",
               0);
    for (size_t i = 0; i < n; i++) {
        snprintf(what, sizeof(what), "table bytes per rule at %zu rules",
                 r[i].rules);
        target(what, (double)r[i].table_bytes / (double)r[i].rules, 512, "B",
               0);
    }
    if (c10 != NULL)
        target("load YAML at 10000 rules", c10->load_s * 1e3, 500, "ms", 0);
    for (size_t i = 0; i < n; i++) {
        snprintf(what, sizeof(what), "allocations per match at %zu rules",
                 r[i].rules);
        target(what, r[i].allocs_per_match, 0, "", 0);
    }
    printf("\n");
}

/* ---- callgrind mode -------------------------------------------------------- */

static int
run_callgrind(const bench_opts *o)
{
    size_t rules = o->sizes[0];
    wl_opts wo = { rules, o->profile, o->seed, o->n_requests, 0.10, 1.0, 0 };
    wl_workload w;
    if (wl_build(&wo, &w) != 0)
        return 2;
    int status = 2;
    gwr_ctx *ctx = NULL;
    gwr_config *cfg = NULL;
    gwr_table *table = NULL;
    gwr_decision *d = NULL;
    double secs, cpu;
    if (gwr_ctx_new(&ctx, NULL, NULL, NULL) != GWR_OK ||
        load_all(ctx, &w, &cfg, &secs, &cpu) != 0 ||
        gwr_table_compile(&table, cfg, NULL) != GWR_OK ||
        gwr_decision_new(&d, ctx) != GWR_OK)
        goto out;
    set_no_copy(&w, o->no_copy);
    /* Warm-up outside the collected function. */
    for (size_t i = 0; i < w.n_reqs; i++)
        gwr_table_match(table, &w.reqs[i], d);
    uint64_t acc;
    if (o->callgrind_ref)
        acc = callgrind_ref(o, &w, ctx, cfg);
    else
        acc = gwbench_match_loop(table, w.reqs, w.n_reqs, d, o->callgrind);
    g_sink += acc;
    printf("callgrind: %zu %s matches at %zu rules done (function %s).\n"
           "Instructions per match = Ir of that function (inclusive) / %zu:\n"
           "  valgrind --tool=callgrind --toggle-collect=%s "
           "--callgrind-out-file=cg.out gwbench --callgrind %zu --rules %zu "
           "--profile %s%s\n"
           "  callgrind_annotate --inclusive=yes cg.out | head -30\n",
           o->callgrind, o->callgrind_ref ? "reference" : "compiled-table",
           rules, o->callgrind_ref ? "gwbench_ref_loop" : "gwbench_match_loop",
           o->callgrind,
           o->callgrind_ref ? "gwbench_ref_loop" : "gwbench_match_loop",
           o->callgrind, rules,
           o->profile == WL_PATHS     ? "paths"
           : o->profile == WL_HEADERS ? "headers"
                                      : "mixed",
           o->callgrind_ref ? " --callgrind-ref" : "");
    status = acc == UINT64_MAX ? 2 : 0;
out:
    gwr_decision_free(d);
    gwr_table_unref(table);
    gwr_config_free(cfg);
    gwr_ctx_free(ctx);
    wl_free(&w);
    return status;
}

/* ---- main ----------------------------------------------------------------- */

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: gwbench [--rules N[,N...]] [--quick] [--requests N] "
        "[--rounds R]\n"
        "               [--seed S] [--profile mixed|paths|headers]\n"
        "               [--ref-budget SEC] [--verify-budget SEC]\n"
        "               [--no-sub] [--sub-rules N]\n"
        "               [--callgrind MATCHES [--callgrind-ref] [--no-copy]]\n"
        "defaults: --rules 1000,10000,100000 --requests 65536 --rounds 7\n"
        "          --ref-budget 2 --verify-budget 60 --sub-rules 10000\n"
        "--quick:  --rules 1000,5000 --requests 8192 --rounds 5 "
        "--sub-rules 5000\n"
        "          --ref-budget 0.25 --verify-budget 5\n");
}

static int
parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || (*end != '\0' && *end != ',') || v == 0 ||
        v > 10000000ULL)
        return -1;
    *out = (size_t)v;
    return 0;
}

int
main(int argc, char **argv)
{
    bench_opts o;
    memset(&o, 0, sizeof(o));
    o.sizes[0] = 1000;
    o.sizes[1] = 10000;
    o.sizes[2] = 100000;
    o.n_sizes = 3;
    o.n_requests = 65536;
    o.rounds = 7;
    o.seed = UINT64_C(0x6777726f75746521);
    o.ref_budget = 2.0;
    o.verify_budget = 60.0;
    o.sub = 1;
    o.sub_rules = 10000;
    int set_sizes = 0, set_req = 0, set_rounds = 0, set_ref = 0, set_ver = 0,
        set_sub = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) {
            o.quick = 1;
        } else if (strcmp(a, "--no-sub") == 0) {
            o.sub = 0;
        } else if (strcmp(a, "--callgrind-ref") == 0) {
            o.callgrind_ref = 1;
        } else if (strcmp(a, "--no-copy") == 0) {
            o.no_copy = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (val == NULL) {
            usage(stderr);
            return 2;
        } else if (strcmp(a, "--rules") == 0) {
            o.n_sizes = 0;
            const char *p = val;
            while (*p) {
                if (o.n_sizes == MAX_SIZES ||
                    parse_size(p, &o.sizes[o.n_sizes]) != 0) {
                    fprintf(stderr, "gwbench: bad --rules %s\n", val);
                    return 2;
                }
                o.n_sizes++;
                p += strcspn(p, ",");
                if (*p == ',')
                    p++;
            }
            if (o.n_sizes == 0) {
                fprintf(stderr, "gwbench: bad --rules %s\n", val);
                return 2;
            }
            set_sizes = 1;
            i++;
        } else if (strcmp(a, "--requests") == 0) {
            if (parse_size(val, &o.n_requests) != 0) {
                fprintf(stderr, "gwbench: bad --requests %s\n", val);
                return 2;
            }
            set_req = 1;
            i++;
        } else if (strcmp(a, "--sub-rules") == 0) {
            if (parse_size(val, &o.sub_rules) != 0) {
                fprintf(stderr, "gwbench: bad --sub-rules %s\n", val);
                return 2;
            }
            set_sub = 1;
            i++;
        } else if (strcmp(a, "--callgrind") == 0) {
            if (parse_size(val, &o.callgrind) != 0) {
                fprintf(stderr, "gwbench: bad --callgrind %s\n", val);
                return 2;
            }
            i++;
        } else if (strcmp(a, "--rounds") == 0) {
            o.rounds = atoi(val);
            if (o.rounds < 5 || o.rounds > 64) {
                fprintf(stderr, "gwbench: --rounds must be 5..64\n");
                return 2;
            }
            set_rounds = 1;
            i++;
        } else if (strcmp(a, "--profile") == 0) {
            if (strcmp(val, "mixed") == 0)
                o.profile = WL_MIXED;
            else if (strcmp(val, "paths") == 0)
                o.profile = WL_PATHS;
            else if (strcmp(val, "headers") == 0)
                o.profile = WL_HEADERS;
            else {
                fprintf(stderr, "gwbench: bad --profile %s\n", val);
                return 2;
            }
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            o.seed = strtoull(val, NULL, 0);
            i++;
        } else if (strcmp(a, "--ref-budget") == 0) {
            o.ref_budget = atof(val);
            set_ref = 1;
            i++;
        } else if (strcmp(a, "--verify-budget") == 0) {
            o.verify_budget = atof(val);
            set_ver = 1;
            i++;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (o.quick) {
        if (!set_sizes) {
            o.sizes[0] = 1000;
            o.sizes[1] = 5000;
            o.n_sizes = 2;
        }
        if (!set_req)
            o.n_requests = 8192;
        if (!set_rounds)
            o.rounds = 5;
        if (!set_sub)
            o.sub_rules = 5000;
        if (!set_ref)
            o.ref_budget = 0.25;
        if (!set_ver)
            o.verify_budget = 5;
    }
    if (o.ref_budget <= 0 || o.verify_budget <= 0) {
        fprintf(stderr, "gwbench: budgets must be positive\n");
        return 2;
    }

    print_env(&o);
    if (o.callgrind)
        return run_callgrind(&o);

    case_result res[MAX_SIZES];
    int worst = 0;
    for (size_t i = 0; i < o.n_sizes; i++) {
        printf("## %zu rules, %s workload\n\n", o.sizes[i],
               wl_profile_name(o.profile));
        int st = run_case(&o, o.sizes[i], o.profile, &res[i]);
        if (st == 2)
            return 2;
        if (st > worst)
            worst = st;
    }
    printf("## Summary (%s workload)\n\n", wl_profile_name(o.profile));
    print_summary(res, o.n_sizes);

    case_result sub[2];
    if (o.sub) {
        printf("## Sub-benchmark at %zu rules: Exact/PathPrefix only vs "
               "with header matches\n\n", o.sub_rules);
        for (int k = 0; k < 2; k++) {
            int st = run_case(&o, o.sub_rules, k == 0 ? WL_PATHS : WL_HEADERS,
                              &sub[k]);
            if (st == 2)
                return 2;
            if (st > worst)
                worst = st;
        }
        printf("| workload | rules | match ns | (cpu ns) | no-copy ns | ref ns "
               "| ref/match | compile ms | B/rule | allocs/match |\n");
        printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int k = 0; k < 2; k++)
            printf("| %s | %zu | %.1f | (%.1f) | %.1f | %.0f%s | %.0fx | %.2f "
                   "| %.0f | %.3g |\n",
                   k == 0 ? "Exact/PathPrefix only" : "with 1-2 header matches",
                   sub[k].rules, sub[k].match_ns, sub[k].match_cpu_ns,
                   sub[k].nocopy_ns, sub[k].ref_ns,
                   sub[k].ref_n < sub[k].n_reqs ? "*" : "",
                   sub[k].ref_ratio, sub[k].compile_s * 1e3,
                   (double)sub[k].table_bytes / (double)sub[k].rules,
                   sub[k].allocs_per_match);
        printf("\n");
    }
    print_targets(res, o.n_sizes, o.sub ? &sub[0] : NULL,
                  o.sub ? &sub[1] : NULL);
    if (worst == 1)
        printf("RESULT: FAILED: the compiled table and the reference matcher "
               "disagree, or matching allocated in steady state (see "
               "above)\n");
    else
        printf("RESULT: ok: both matchers agreed on every verified request; "
               "no allocation while matching\n");
    return worst;
}
