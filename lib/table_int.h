/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The compiled routing table (lib/compile.c builds it, lib/table.c owns
 * its lifetime and lookup structures, lib/match.c walks it, lib/filters.c
 * turns the winning rule into a decision, lib/decision.c is the decision
 * object). Everything here lives in the table's arena and is never
 * written after gwr_table_compile() returned, except the refcount.
 *
 * Index (docs/MATCHING.md "Index"): per listener, the routes' effective
 * hostnames are split into buckets: one per exact hostname (hash map),
 * one per wildcard suffix (hash map keyed by the part after "*."), and a
 * catch-all. A request host visits at most: its exact bucket, one bucket
 * per label suffix (longest first), the catch-all; that is the order of
 * precedence rule 1, so the first bucket with a winner decides. Inside a
 * bucket the (rule, match) entries are pre-sorted by the rest of the
 * precedence order and split by path type: one path hash map holding, per
 * key, the Exact entries of that path and the PathPrefix entries of that
 * prefix (without its trailing '/'), probed from the whole request path
 * down to "/"; and the regex list.
 * GRPCRoute entries (§3.9) have their own structures in the bucket, one
 * per TBL_C_G_* class, searched first and only for gRPC calls.
 */
#ifndef GWR_TABLE_INT_H
#define GWR_TABLE_INT_H

#include <string.h>

#include "gwroute/decision.h"
#include "gwroute/table.h"
#include "gwr_private.h"
#include "cors.h"
#include "model.h"
#include "regex.h"
#include "scan.h"
#include "swar.h"

/* ---- string-keyed hash map (open addressing, built once) -------------- */

/* A map value is a struct whose first member is its key (gwr_str), with
 * the key bytes stored next to it where that matters (tbl_paths,
 * tbl_bucket): a lookup that finds its slot then reads one place for
 * the key comparison and the value. */
typedef struct gwr_smap_slot {
    const void *value;        /* NULL = empty slot; starts with its key */
    uint32_t klen;
    uint32_t khash;           /* high half of the key's hash: most misses
                                 are rejected without touching the key */
} gwr_smap_slot;

typedef struct gwr_smap {
    gwr_smap_slot *slots;
    size_t mask;              /* capacity - 1 (power of two); 0 = empty map */
} gwr_smap;

/* The key of a map value. */
static inline gwr_str
gwr_smap__key(const void *value)
{
    return *(const gwr_str *)value;
}

/* FNV-1a of s: identifiers only (backendRef identity, rule salts of the
 * weighted choice, which must stay the same across versions so a
 * reload or an upgrade keeps choosing the same backends). The maps use
 * the word-wise key hash of lib/swar.h. */
uint64_t gwr_table__hash(gwr_str s);
/* The map key hash (lib/swar.h) of s, forward and from the right: the
 * listener host maps (exact and wildcard) use the reverse one, because a
 * request host read from the right yields its own hash and every label
 * suffix's in one pass. */
uint64_t gwr_table__key_hash(gwr_str s);
uint64_t gwr_table__key_hash_rev(gwr_str s);
/* Build a map of n values with distinct keys (each value's first
 * member) in the arena, hashed with gwr_table__key_hash
 * (gwr_table__key_hash_rev when rev). GWR_OK / GWR_E_NOMEM. */
int gwr_smap__build(gwr_arena *a, gwr_smap *m, void *const *values, size_t n,
                    int rev);
/* Look key up with its hash h already computed (the map's hash function).
 * Inline: the index walk probes several times per request. */
static inline void *
gwr_smap__get_h(const gwr_smap *m, gwr_str key, uint64_t h)
{
    if (m->slots == NULL)
        return NULL;
    size_t j = (size_t)h & m->mask;
    uint32_t hh = (uint32_t)(h >> 32);
    const gwr_smap_slot *s;
    while ((s = &m->slots[j])->value != NULL) {
        if (s->khash == hh && s->klen == key.len) {
            /* A value and its key bytes (tbl_paths: then its entries)
             * mostly span two lines: ask for the second one now, in
             * parallel with the first, rather than after it. */
            gwr_swar__prefetch((const char *)s->value + 64);
            if (gwr_swar__memeq(gwr_smap__key(s->value).ptr, key.ptr, key.len))
                return (void *)s->value;
        }
        j = (j + 1) & m->mask;
    }
    return NULL;
}
static inline void *
gwr_smap__get(const gwr_smap *m, gwr_str key)
{
    return m->slots ? gwr_smap__get_h(m, key, gwr_table__key_hash(key)) : NULL;
}

/* ---- backends and filters ---------------------------------------------- */

struct gwr_backend {
    gwr_str group, kind, ns, name;
    uint32_t port;
    uint32_t proto;           /* gwr_backend_proto_kind */
    int valid;
    gwr_str *ep_addr;         /* ready endpoints */
    uint32_t *ep_port;
    size_t n_ep;
    int tls;
    gwr_str tls_host, tls_well_known;
    gwr_str *san_type, *san_value;
    size_t n_san;
    gwr_str *ca_group, *ca_kind, *ca_name;
    size_t n_ca;
};

typedef struct tbl_hdrmod {
    gwr_header *set;
    size_t n_set;
    gwr_header *add;
    size_t n_add;
    gwr_header *remove;       /* values empty */
    size_t n_remove;
} tbl_hdrmod;

typedef struct tbl_filter {
    uint32_t type;            /* gwr_filter_type */
    tbl_hdrmod hm;            /* REQUEST_HEADER / RESPONSE_HEADER */
    gwr_str scheme;           /* REDIRECT */
    gwr_str hostname;         /* REDIRECT, URL_REWRITE */
    uint32_t port;            /* REDIRECT */
    uint32_t status;          /* REDIRECT */
    uint32_t path_type;       /* gwr_path_mod_type */
    gwr_str path_value;
    const gwr_backend *mirror;    /* MIRROR; NULL = invalid, dropped */
    uint32_t num, den;
    uint64_t salt;            /* MIRROR sampling salt */
    gwr_str ext_group, ext_kind, ext_name;   /* EXTENSION_REF */
    const struct gwr_cors__policy *cors;     /* CORS */
} tbl_filter;

typedef struct tbl_bref {
    const gwr_backend *be;    /* shared by the rules naming the same
                                 backend; distinct within one rule */
    tbl_filter *filters;
    uint32_t weight;
    uint32_t n_filters;
} tbl_bref;

typedef struct tbl_route {
    uint32_t kind;            /* GWR_KIND_HTTP_ROUTE / GRPC_ROUTE */
    gwr_str kind_name, ns, name;
    int has_creation;
    int64_t creation_ms;
} tbl_route;

/* HTTPRoute retry (GEP-1731), apart from tbl_rule: few rules have one. */
typedef struct tbl_retry {
    uint16_t *codes;
    size_t n_codes;
    int64_t attempts, backoff_ms;
} tbl_retry;

typedef struct tbl_rule {
    /* What every forwarded match reads, first: the counts and, for the
     * common single backendRef without filters, that backendRef itself,
     * in the first 32 bytes (one line unless the rule starts in the last
     * 16 bytes of one); then what rules with filters or several
     * backendRefs read. So a rule costs one line, rarely two adjacent
     * ones, and no further dependent load before the backend. */
    uint32_t n_filters;
    uint32_t n_brefs;
    tbl_bref bref0;           /* the only backendRef, inline; unused when
                                 the rule has several */
    tbl_filter *filters;
    tbl_bref *brefs;          /* &bref0 when the rule has one */
    const uint32_t *cum;      /* running sums of the weights (one:
                                 &bref0.weight) */
    uint64_t salt;            /* weighted choice salt */
    const tbl_route *route;
    gwr_str name;
    int64_t timeout_request_ms, timeout_backend_ms;
    const tbl_retry *retry;   /* NULL: no retry */
    int index;
} tbl_rule;

/* A header or query param predicate, 24 bytes (was 48: two gwr_str, a
 * regex pointer and the type), because a workload matching headers on
 * every match carries one or two per match (docs/PERFORMANCE.md, bytes
 * per rule). Names are at most 256 bytes and values 4096 (CRD limits,
 * enforced by the loader), so 16- and 32-bit lengths hold them; compile
 * refuses anything longer with GWR_E_LIMIT. */
typedef struct tbl_vmatch {
    const char *name;
    union {
        const char *value;    /* GWR_MATCH_EXACT */
        const gwr_regex *re;  /* GWR_MATCH_REGEX */
    } u;
    uint32_t value_len;
    uint16_t name_len;
    uint8_t type;             /* GWR_MATCH_EXACT / GWR_MATCH_REGEX */
} tbl_vmatch;

static inline gwr_str
tbl_vmatch__name(const tbl_vmatch *v)
{
    return (gwr_str){ v->name, v->name_len };
}

/* Index classes of a (rule, match) inside a bucket. HTTPRoute matches by
 * path type; GRPCRoute matches (§3.9) by which sides of the method match
 * are given and how: the GRPC classes are listed in precedence order
 * (service Exact > RegularExpression > absent, then the same for the
 * method), so a gRPC request walks them in this order and the first class
 * that yields a candidate decides. */
enum {
    TBL_C_EXACT = 0,          /* HTTP Exact: path -> list */
    TBL_C_REGEX,              /* HTTP RegularExpression: one list */
    TBL_C_PREFIX,             /* HTTP PathPrefix: key -> list */
    TBL_C_G_FULL,             /* gRPC Exact service + method: "/s/m" -> list */
    TBL_C_G_SVC,              /* gRPC Exact service only: "s" -> list */
    TBL_C_G_RE_SVC,           /* gRPC RegularExpression with a service */
    TBL_C_G_METH,             /* gRPC Exact method only: "m" -> list */
    TBL_C_G_RE_METH,          /* gRPC RegularExpression, method only */
    TBL_C_G_ANY,              /* gRPC without a method match */
    TBL_C_COUNT
};

/* gRPC side ranks (§3.9 "characters in the matching service / method"):
 * an Exact side beats a RegularExpression side beats an absent one
 * (docs/DECISIONS.md). */
enum { TBL_GSIDE_NONE = 0, TBL_GSIDE_REGEX = 1, TBL_GSIDE_EXACT = 2 };

/* The method match of a GRPCRoute match, apart from tbl_match so that
 * HTTPRoute matches (nearly all) do not carry it. */
typedef struct tbl_gmatch {
    gwr_str svc, meth;        /* as written; empty when absent */
    const gwr_regex *svc_re, *meth_re;        /* RegularExpression sides */
} tbl_gmatch;

/* Laid out by size, with narrow counters and enums, to keep the table
 * small (docs/PERFORMANCE.md: bytes per rule). */
typedef struct tbl_match {
    /* What the walk reads for every candidate (the rule and the
     * predicate counts) comes first, so most candidates cost one line.
     * 80 bytes: the loader caps matches per rule at 64 and header and
     * query matches at 16 each (docs/LIMITS.md), so 16-bit counts and
     * index hold them with room to spare. */
    const tbl_rule *rule;
    gwr_str method;           /* empty = any */
    uint16_t n_headers;
    uint16_t n_query;
    uint16_t index;           /* in rules[].matches */
    uint8_t cls;              /* TBL_C_* */
    uint8_t path_type;        /* gwr_match_type (gRPC: of the path
                                 equivalent, GEP-1016; display only) */
    uint8_t grpc;             /* a GRPCRoute match: only gRPC requests */
    uint8_t svc_rank, meth_rank;      /* TBL_GSIDE_* */
    tbl_vmatch *headers;
    tbl_vmatch *query;
    union {                   /* a match is an HTTPRoute or a GRPCRoute one */
        const gwr_regex *re;  /* HTTPRoute, cls TBL_C_REGEX */
        const tbl_gmatch *g;  /* GRPCRoute (grpc set): its method match,
                                 never NULL; read only when grpc is set */
    };
    gwr_str path;             /* as written (gRPC: the equivalent path) */
} tbl_match;

/* ---- index ------------------------------------------------------------- */

typedef struct tbl_list {
    const tbl_match *const *items;  /* in precedence order */
    size_t n;
} tbl_list;

/* An entry of a path-map value: the match, tagged in its low bits, and
 * its rule or, for a simple forward, its backend.
 * - TBL_ENTRY_PLAIN: no predicate beyond the path (no method, header or
 *   query match), so the entry wins as soon as it is reached, without a
 *   read of its tbl_match.
 * - TBL_ENTRY_SIMPLE: the rule has no filters and one backendRef of
 *   weight > 0 without filters, to a valid backend, so the decision is
 *   that backend and nothing in the rule or the backend needs reading at
 *   match time: `be` is that backend and the rule is found later,
 *   through the match, by what asks for it (gwr_dec__rule()).
 * Each saves a dependent cache miss on a large table. The tag bits are
 * free: the arena aligns every object to alignof(max_align_t). */
typedef struct tbl_entry {
    uintptr_t mtag;
    union {
        const tbl_rule *rule;         /* not simple */
        const gwr_backend *be;        /* simple */
    } u;
} tbl_entry;

#define TBL_ENTRY_PLAIN  ((uintptr_t)1)
#define TBL_ENTRY_SIMPLE ((uintptr_t)2)
#define TBL_ENTRY_TAGS   ((uintptr_t)3)

static inline const tbl_match *
tbl_entry__match(const tbl_entry *e)
{
    return (const tbl_match *)(e->mtag & ~TBL_ENTRY_TAGS);
}

static inline int
tbl_entry__plain(const tbl_entry *e)
{
    return (e->mtag & TBL_ENTRY_PLAIN) != 0;
}

static inline int
tbl_entry__simple(const tbl_entry *e)
{
    return (e->mtag & TBL_ENTRY_SIMPLE) != 0;
}

/* A rule the walk may forward to without reading it or its backend
 * (TBL_ENTRY_SIMPLE). An invalid backend answers 500: that rule takes
 * the general way, which checks. */
static inline int
tbl_rule__simple(const tbl_rule *r)
{
    return r->n_filters == 0 && r->n_brefs == 1 && r->bref0.weight > 0 &&
           r->bref0.n_filters == 0 && r->bref0.be != NULL && r->bref0.be->valid;
}

/* The Exact and the PathPrefix entries of one path key, so one hash
 * probe of the whole request path finds both: items[0, n_exact) are the
 * Exact entries for that path, items[n_exact, n_exact + n_prefix) the
 * PathPrefix entries whose prefix (without a trailing '/') is that key,
 * each part in precedence order. One allocation: the struct, the items,
 * then the key bytes, so a hit touches one place. */
typedef struct tbl_paths {
    gwr_str key;              /* the map key (first member, gwr_smap) */
    uint32_t n_exact, n_prefix;
    tbl_entry items[];
} tbl_paths;

/* A gRPC map value ("/s/m", "s" or "m" -> entries). */
typedef struct tbl_glist {
    gwr_str key;              /* the map key (first member, gwr_smap) */
    tbl_list l;
} tbl_glist;

/* The GRPCRoute entries of a bucket, one structure per TBL_C_G_* class. */
typedef struct tbl_gbucket {
    gwr_smap g_full;          /* "/service/method" -> tbl_glist */
    gwr_smap g_svc;           /* "service" -> tbl_glist */
    tbl_list g_re_svc;
    gwr_smap g_meth;          /* "method" -> tbl_glist */
    tbl_list g_re_meth;
    tbl_list g_any;
} tbl_gbucket;

/* 72 bytes and then the key bytes, so a probe that finds a bucket reads
 * two adjacent lines at most (the gRPC part, which few buckets have, is
 * behind a pointer). */
typedef struct tbl_bucket {
    gwr_str key;              /* the listener map key (first member,
                                 gwr_smap): the host, or the suffix after
                                 "*."; its bytes follow the bucket */
    gwr_smap paths;           /* path or prefix key -> tbl_paths */
    tbl_list regex;
    const tbl_gbucket *grpc;  /* NULL: no GRPCRoute entries */
    gwr_str host;             /* effective hostname ("" = catch-all) */
} tbl_bucket;

enum { TBL_PROTO_ANY = 0, TBL_PROTO_HTTP, TBL_PROTO_HTTPS };

typedef struct tbl_listener {
    gwr_str name;
    uint32_t port;            /* 0 = every port (implicit listener) */
    uint32_t proto;           /* TBL_PROTO_* */
    gwr_str hostname;         /* "" = every host */
    gwr_smap hosts;           /* exact host -> tbl_bucket */
    gwr_smap wild;            /* suffix after "*." -> tbl_bucket */
    tbl_bucket *all;          /* NULL when empty */
} tbl_listener;

struct gwr_table {
    atomic_size_t refs;
    gwr_ctx *ctx;
    gwr_arena arena;
    uint32_t flags;           /* GWR_COMPILE_* */
    uint32_t path_flags;      /* internal GWR_PATH__* */
    int header_lookups;       /* some entry matches on a header field, or
                                 a CORS filter reads one: the intake sizes
                                 the joined-value buffer */
    tbl_listener *listeners;
    size_t n_listeners;
    size_t n_entries;
    gwr_regex **regexes;      /* owned; freed with the table */
    size_t n_regexes;
};

/* Precedence order below hostname specificity (§3.8 rules 2-9 plus the
 * match index): < 0 when a wins. */
int gwr_table__cmp_match(const tbl_match *a, const tbl_match *b);
/* The GRPCRoute order below hostname specificity (§3.9): service (rank,
 * then characters as written), method (same), more header matches, older
 * route, "{namespace}/{name}", rule order, match order. < 0 when a wins. */
int gwr_table__cmp_grpc(const tbl_match *a, const tbl_match *b);

/* ---- the decision ------------------------------------------------------- */

typedef struct dec_hdr {
    gwr_header h;             /* first: the accessor returns &h */
    size_t voff;              /* value lives in hdrbuf at voff */
    int in_buf;
} dec_hdr;

typedef struct dec_mirror {
    const gwr_backend *be;
    int sampled;
} dec_mirror;

typedef struct dec_ext {
    gwr_str group, kind, name;
} dec_ext;

/* A growable array owned by the decision: reaches its steady size and
 * then never allocates again. */
typedef struct dec_vec {
    void *items;
    size_t n, cap;
} dec_vec;

struct gwr_decision {
    gwr_ctx *ctx;
    const gwr_table *table;   /* referenced */
    gwr_regex_scratch *scratch;
    uint32_t result;
    int status;
    uint64_t seed;
    const tbl_rule *rule;     /* NULL with a match: a simple forward,
                                 read it with gwr_dec__rule() */
    const tbl_match *match;
    const gwr_backend *backend;
    const tbl_listener *listener;
    /* The request, as seen by the matcher: views into the caller's
     * request (valid for the whole gwr_table_match() call), into pathbuf /
     * hostbuf when normalization changed them, or into string literals
     * for the defaults. Nothing of the request outlives the call except
     * what gwr_filters__apply() copies into reqbuf for the upstream
     * request, so intake copies nothing. */
    gwr_str method, scheme, host_raw, host, path, query;
    int has_query;
    /* The TLS server name of an https request, normalized like the Host
     * (gwr_dec__intake): DEC_SNI_NONE (none given, or not https),
     * DEC_SNI_NAME (sni views it) or DEC_SNI_BAD (not a host name: it
     * selects no listener). */
    int sni_state;
    gwr_str sni;
    int no_copy;              /* GWR_REQ_NO_COPY: the request outlives
                                 the decision's use of it */
    int grpc;                 /* recognised as gRPC (gwr_dec__intake) */
    gwr_str grpc_svc, grpc_meth;      /* its "/service/method" parts */
    gwr_path_keys pkeys;      /* the probe keys of path and host */
    gwr_host_keys hkeys;
    uint32_t port;
    const gwr_header *rh;     /* request header fields: the caller's array,
                                 or req_headers.items (header_fn) */
    size_t n_rh;
    size_t rh_values;         /* sum of the value lengths + 1 each */
    size_t rh_names;          /* sum of the name lengths + 1 each (only
                                 when rh_values is summed) */
    dec_vec req_headers;      /* gwr_header, filled from header_fn */
    /* Upstream request. */
    gwr_str up_method, up_scheme, up_host, up_path;
    dec_vec up_headers;       /* dec_hdr */
    int up_headers_view;      /* GWR_REQ_NO_COPY and no header edit: the
                                 upstream fields are rh itself, not built */
    /* Response edits, location, mirrors, extensions. */
    dec_vec resp[3];          /* const gwr_header * */
    gwr_str location;
    dec_vec mirrors;          /* dec_mirror */
    dec_vec exts;             /* dec_ext */
    /* Scratch buffers. */
    gwr_buf reqbuf;           /* upstream copy of the request strings */
    gwr_buf pathbuf;          /* normalized path */
    gwr_buf hostbuf;          /* normalized host */
    gwr_buf joinbuf;          /* comma-joined header values */
    gwr_buf qbuf;             /* decoded query names / values */
    gwr_buf hdrbuf;           /* header values built by filters */
    gwr_buf upbuf;            /* upstream path */
    gwr_buf locbuf;           /* Location */
    gwr_buf corsbuf;          /* the request values a CORS answer echoes */
    /* A CORS answer's response fields (resp[GWR_HEADERS_SET] points at
     * them): lib/cors.h. */
    gwr_header cors_fields[GWR_CORS__MAX_FIELDS];
};

/* The matched rule (NULL: none, or a NULL decision). The walk leaves
 * d->rule NULL for a simple forward (TBL_ENTRY_SIMPLE), whose rule it
 * never read; everything after the walk asks here. */
static inline const tbl_rule *
gwr_dec__rule(const gwr_decision *d)
{
    if (d == NULL)
        return NULL;
    return d->rule != NULL ? d->rule : d->match != NULL ? d->match->rule : NULL;
}

/* The slow halves of the two reserves below (they allocate). */
int gwr_dec__grow(gwr_decision *d, dec_vec *v, size_t need, size_t elem);
int gwr_dec__buf_grow(gwr_buf *b, size_t need);

/* Make v hold at least need items of elem bytes. GWR_OK / GWR_E_NOMEM.
 * Inline: in the steady state every reserve of a match is a compare. */
static inline int
gwr_dec__reserve(gwr_decision *d, dec_vec *v, size_t need, size_t elem)
{
    return need <= v->cap ? GWR_OK : gwr_dec__grow(d, v, need, elem);
}

/* Make b's capacity at least need bytes (contents kept). */
static inline int
gwr_dec__buf_reserve(gwr_buf *b, size_t need)
{
    return need <= b->cap && b->ptr != NULL ? GWR_OK : gwr_dec__buf_grow(b, need);
}
/* Forget the last match's content and table reference. */
void gwr_dec__reset(gwr_decision *d);
/* Request intake (lib/decision.c), on a decision just cleared
 * (gwr_dec__reset() or the steady-state clear of gwr_table_match()):
 * view the request from d (no copy), normalize Host and path with t's
 * flags, detect gRPC. GWR_OK, GWR_E_INVAL (the request answers 400),
 * GWR_E_CALLBACK, GWR_E_NOMEM. Shared by gwr_table_match() and the
 * reference matcher (lib/refmatch.c). */
int gwr_dec__intake(const gwr_table *t, const gwr_request *r, gwr_decision *d);

/* gwr_decision.sni_state. */
enum { DEC_SNI_NONE = 0, DEC_SNI_NAME, DEC_SNI_BAD };

/* The request came over TLS (scheme "https"): HTTPS listeners only. */
static inline int
gwr_dec__is_https(gwr_str scheme)
{
    return scheme.len == 5 && memcmp(scheme.ptr, "https", 5) == 0;
}

/* Only a POST can be a gRPC call: the intake's inline pre-test and the
 * recognizer's first condition. */
static inline int
gwr_dec__is_post(gwr_str method)
{
    return method.len == 4 && memcmp(method.ptr, "POST", 4) == 0;
}

/* §3.9 recognition: 1 when (method, headers, normalized path) is a gRPC
 * call (POST, one Content-Type application/grpc[+subtype][;params],
 * path "/service/method" with both parts non-empty and no other '/');
 * then *svc and *meth view the two parts of path. Shared with the
 * reference matcher. */
/* "/{service}/{method}", both non-empty, no other '/': 1 and the parts,
 * else 0. */
int gwr_dec__grpc_split(gwr_str path, gwr_str *svc, gwr_str *meth);
int gwr_dec__grpc_request(gwr_str method, const gwr_header *h, size_t nh,
                          gwr_str path, gwr_str *svc, gwr_str *meth);

/* Request header lookup for predicates: the value of `name`, repeated
 * fields comma-joined (","). 1 found, 0 absent, GWR_E_NOMEM. */
int gwr_match__header(gwr_decision *d, gwr_str name, gwr_str *value);

/* Find the winning (rule, match) for d's request on the table; sets
 * d->listener, d->rule, d->match (NULL when nothing matched). Returns
 * GWR_OK or GWR_E_NOMEM. */
int gwr_match__find(const gwr_table *t, gwr_decision *d);
/* Evaluate every predicate of one entry except hostname and path. */
int gwr_match__predicates(gwr_decision *d, const tbl_match *m, int *ok);

/* Build the decision content for d->rule (lib/filters.c); copies into d
 * the request strings the upstream request keeps. */
int gwr_filters__apply(gwr_decision *d);

#endif /* GWR_TABLE_INT_H */
