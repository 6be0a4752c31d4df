/*
 * libgwroute benchmark - SPDX-License-Identifier: MIT
 *
 * Deterministic workload generator: Gateway API YAML text (as kubectl
 * would apply it) for N HTTPRoute rules, plus a skewed request stream.
 * Everything depends only on the options (fixed-seed splitmix64), so two
 * runs with the same options produce byte-identical texts and requests.
 */
#ifndef GWBENCH_WORKLOAD_H
#define GWBENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "gwroute.h"

/* Workload profiles. */
enum {
    WL_MIXED = 0,   /* Exact/PathPrefix + header/method/query + ~0.5% regex */
    WL_PATHS = 1,   /* Exact/PathPrefix only */
    WL_HEADERS = 2  /* Exact/PathPrefix, every match with 1-2 Exact headers */
};

typedef struct wl_opts {
    size_t rules;           /* HTTPRoute rules to generate */
    int profile;            /* WL_* */
    uint64_t seed;
    size_t n_requests;      /* request stream length */
    double miss_rate;       /* fraction of requests built to miss (0.10) */
    double zipf_s;          /* Zipf exponent over routes (1.0) */
    size_t routes_per_text; /* routes per YAML text ("file"); 0 = 2500 */
} wl_opts;

typedef struct wl_text {
    char *ptr;
    size_t len;
    char name[48];          /* "infra.yaml", "routes-000.yaml" */
} wl_text;

typedef struct wl_stats {
    size_t routes, rules, matches;
    size_t hostnames, wild_hostnames;
    size_t namespaces, services;
    size_t m_exact, m_prefix, m_regex;     /* path types */
    size_t m_header, m_method, m_query;    /* matches carrying them */
    size_t n_header_preds;                 /* header predicates in total */
    size_t r_multi_match, r_no_match, r_weighted, r_mirror, r_hdrmod;
    size_t yaml_bytes, documents;
    size_t req_hit, req_miss_host, req_miss_path;
    size_t req_headers;                    /* header fields in all requests */
} wl_stats;

typedef struct wl_arena_blk wl_arena_blk;

typedef struct wl_workload {
    wl_opts opts;
    wl_text *texts;
    size_t n_texts;
    gwr_request *reqs;      /* seeded (GWR_REQ_SEEDED), port 80, http */
    size_t n_reqs;
    /* Cumulative weights of every multi-backend rule, for the weighted
     * pick micro-benchmark: cum[cum_off[i] .. cum_off[i] + cum_n[i]). */
    uint32_t *cum;
    size_t *cum_off, *cum_n;
    size_t n_cum;
    /* Mirror fractions (num/den) as configured, for the sampling bench. */
    uint32_t *mir_num, *mir_den;
    size_t n_mir;
    wl_stats st;
    wl_arena_blk *arena;    /* request strings and header arrays */
} wl_workload;

/* Build a workload; 0 on success, -1 on allocation failure. */
int wl_build(const wl_opts *o, wl_workload *w);
void wl_free(wl_workload *w);
const char *wl_profile_name(int profile);

/* splitmix64, also used by the harness. */
static inline uint64_t
wl_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

#endif /* GWBENCH_WORKLOAD_H */
