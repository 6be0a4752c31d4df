/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The object-model builders (lib/build*.c): a small toolkit that walks a
 * document tree (lib/node.h) with field-path tracking, reads typed fields,
 * applies the CRD defaults and reports every problem as a diagnostic that
 * names the source, line:col, object and field path (docs/CONFIG.md).
 *
 * Conventions of the getters: they take the parent map and a key, push
 * the key onto the path while they work, and return 1 when the field is
 * present and valid (output written), 0 when it is absent, null or
 * invalid (an invalid one was reported). A YAML/JSON null counts as
 * absent, as the API server prunes nulls. Memory for the model comes from
 * the text's arena; an allocation failure sets b->nomem and the caller
 * gives up on the whole text.
 */
#ifndef GWR_BUILD_H
#define GWR_BUILD_H

#include "gwr_private.h"
#include "diag.h"
#include "model.h"
#include "node.h"

#define GWR_BUILD_PATH_MAX 512u

typedef struct gwr_build {
    gwr_ctx *ctx;
    gwr_arena *arena;         /* model memory (the text's arena) */
    gwr_diag_list *diags;
    gwr_str source;
    uint32_t kind;            /* gwr_kind of the object being built */
    gwr_str kind_name;        /* for diagnostics */
    gwr_str ns, name;         /* known as soon as metadata was read */
    gwr_str api_version;
    char path[GWR_BUILD_PATH_MAX];
    size_t plen;
    size_t errors;            /* ERROR diagnostics of this object */
    int nomem;                /* sticky allocation failure */
} gwr_build;

/* ---- path --------------------------------------------------------------- */

/* Append ".key" (or "key" at the root) / "[i]"; return the previous
 * length for gwr_build__pop. Paths longer than GWR_BUILD_PATH_MAX - 1
 * are cut, never overflowed. */
size_t gwr_build__push(gwr_build *b, const char *key);
size_t gwr_build__push_index(gwr_build *b, size_t i);
void gwr_build__pop(gwr_build *b, size_t mark);

/* ---- diagnostics -------------------------------------------------------- */

/* At the current path, positioned at node `at` (may be NULL: unknown). */
void gwr_build__error(gwr_build *b, const gwr_node *at, const char *fmt, ...)
    GWR_PRINTF(3, 4);
void gwr_build__warn(gwr_build *b, const gwr_node *at, const char *fmt, ...)
    GWR_PRINTF(3, 4);
void gwr_build__note(gwr_build *b, const gwr_node *at, const char *fmt, ...)
    GWR_PRINTF(3, 4);
/* The same for child field `key` of map: positioned at its value when
 * present, else at the map. */
void gwr_build__error_key(gwr_build *b, const gwr_node *map, const char *key,
                          const char *fmt, ...) GWR_PRINTF(4, 5);
void gwr_build__warn_key(gwr_build *b, const gwr_node *map, const char *key,
                         const char *fmt, ...) GWR_PRINTF(4, 5);

/* ---- memory ------------------------------------------------------------- */

/* Zeroed array of n items from the arena; NULL for n == 0 (not an error)
 * or on failure (b->nomem set). */
void *gwr_build__alloc(gwr_build *b, size_t n, size_t size);
/* Arena copy of s, NUL-terminated; the empty view on failure (nomem). */
gwr_str gwr_build__copy(gwr_build *b, gwr_str s);
gwr_str gwr_build__lit(const char *s);
gwr_pos gwr_build__pos(const gwr_build *b, const gwr_node *n);

/* ---- typed fields ------------------------------------------------------- */

/* The value of map[key] when present, not null and of type want (reports
 * a wrong type); reports "is required" when required and absent. */
const gwr_node *gwr_build__get(gwr_build *b, const gwr_node *map,
                               const char *key, uint32_t want, int required);
/* 1 when node has type want, else reports at the current path. */
int gwr_build__is(gwr_build *b, const gwr_node *n, uint32_t want);

/* A string of min..max bytes (max 0 = no limit). */
int gwr_build__str(gwr_build *b, const gwr_node *map, const char *key,
                   int required, size_t min, size_t max, gwr_str *out);
/* A string checked by a validator returning NULL or a static message. */
typedef const char *(*gwr_build_check_fn)(gwr_str s);
int gwr_build__str_check(gwr_build *b, const gwr_node *map, const char *key,
                         int required, gwr_build_check_fn check,
                         gwr_str *out);
int gwr_build__int(gwr_build *b, const gwr_node *map, const char *key,
                   int required, int64_t min, int64_t max, int64_t *out);
int gwr_build__bool(gwr_build *b, const gwr_node *map, const char *key,
                    int required, int *out);
/* One of the NULL-terminated vals; *idx is its index. */
int gwr_build__enum(gwr_build *b, const gwr_node *map, const char *key,
                    int required, const char *const *vals, gwr_str *out,
                    size_t *idx);
/* A list of min..max items (max 0 = no limit): the SEQ node, also when
 * the count is out of range (reported) so that items are still checked. */
const gwr_node *gwr_build__list(gwr_build *b, const gwr_node *map,
                                const char *key, int required, size_t min,
                                size_t max);
/* A map of string values with at most max entries (0 = no limit). */
int gwr_build__strmap(gwr_build *b, const gwr_node *map, const char *key,
                      size_t max, gwr_kvs *out);
/* A list of strings, each min..max bytes, at most max_items. */
int gwr_build__strs(gwr_build *b, const gwr_node *map, const char *key,
                    size_t max_items, size_t min, size_t max, gwr_strs *out);
/* Warn about every key of map not in the NULL-terminated known list. */
void gwr_build__fields(gwr_build *b, const gwr_node *map,
                       const char *const *known);

/* 1 when map[key] is present and not null. */
int gwr_build__has(const gwr_node *map, const char *key);
/* Enum lookup without diagnostics: index in vals or -1. */
int gwr_build__find(const char *const *vals, gwr_str s);
/* "A, B, C" of a NULL-terminated list, into buf. */
const char *gwr_build__join(const char *const *vals, char *buf, size_t len);

/* ---- shared parts ------------------------------------------------------- */

/* metadata: name, namespace (defaulted to "default" when namespaced),
 * creationTimestamp, generation, labels, annotations. Sets b->ns/name.
 * Returns 1 when the name was read. */
int gwr_build__meta(gwr_build *b, const gwr_node *obj, int namespaced,
                    gwr_meta *meta);
/* RFC 3339 date-time -> Unix ms; GWR_OK or GWR_E_INVAL. */
int gwr_build__rfc3339(gwr_str s, int64_t *ms);
/* The validators of lib/names.h as gwr_build_check_fn, plus a few of our
 * own for metadata (lib/build.c). */
const char *gwr_build__check_dns_subdomain(gwr_str s);
const char *gwr_build__check_dns_label(gwr_str s);

/* References (lib/build_ref.c). `route_ns` resolves unset namespaces. */
int gwr_build__parent_ref(gwr_build *b, const gwr_node *n, gwr_str route_ns,
                          gwr_parent_ref *out);
int gwr_build__backend_obj_ref(gwr_build *b, const gwr_node *n,
                               gwr_str route_ns, gwr_backend_ref *out);
int gwr_build__local_ref(gwr_build *b, const gwr_node *n, gwr_local_ref *out);
int gwr_build__secret_ref(gwr_build *b, const gwr_node *n, gwr_str own_ns,
                          gwr_secret_ref *out);

/* Mark a rule invalid (a problem the CRD accepts but a controller
 * rejects, docs/CONFIG.md): a warning at the current path, positioned at
 * `at`, and the rule's invalid flag, reason UnsupportedValue and message
 * (the first one wins). */
void gwr_build__rule_invalid(gwr_build *b, gwr_rule *rule, const gwr_node *at,
                             const char *fmt, ...) GWR_PRINTF(4, 5);

/* The filters list map[key] of a rule or backendRef (lib/build_filter.c).
 * grpc selects the GRPCRoute filter set. */
void gwr_build__filters(gwr_build *b, const gwr_node *map, int grpc,
                        gwr_str route_ns, gwr_rule *rule, gwr_filter **out,
                        size_t *n_out);

/* rules[].matches of a rule node (lib/build_match.c), with the HTTPRoute
 * default; and the default match alone. */
void gwr_build__matches(gwr_build *b, const gwr_node *rule_node, int grpc,
                        gwr_rule *rule);
void gwr_build__default_match(gwr_build *b, gwr_rule *rule);

/* ---- object builders ---------------------------------------------------- */

/* Each fills a new object from document `obj`, whose metadata was read
 * into meta. Problems are reported; b->errors > 0 means "reject". */
void *gwr_build__gateway_class(gwr_build *b, const gwr_node *obj,
                               const gwr_meta *meta);
void *gwr_build__gateway(gwr_build *b, const gwr_node *obj,
                         const gwr_meta *meta);
void *gwr_build__route(gwr_build *b, const gwr_node *obj,
                       const gwr_meta *meta);
void *gwr_build__service(gwr_build *b, const gwr_node *obj,
                         const gwr_meta *meta);
void *gwr_build__endpoint_slice(gwr_build *b, const gwr_node *obj,
                                const gwr_meta *meta);
void *gwr_build__namespace(gwr_build *b, const gwr_node *obj,
                           const gwr_meta *meta);
void *gwr_build__reference_grant(gwr_build *b, const gwr_node *obj,
                                 const gwr_meta *meta);
void *gwr_build__backend_tls_policy(gwr_build *b, const gwr_node *obj,
                                    const gwr_meta *meta);

#endif /* GWR_BUILD_H */
