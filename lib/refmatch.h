/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The reference matcher (internal, not exported): a deliberately simple,
 * spec-literal, O(rules) implementation of request matching (spec §3.1 -
 * §3.9). It walks every attachment, rule and match of the chosen
 * listener straight from the config's model and resolved view, evaluates
 * every predicate directly with the same low-level helpers the core uses
 * (lib/path.h, lib/hostname.h, lib/regex.h), collects every candidate and
 * keeps the best by one comparator written from the §3.8 list. It never
 * looks at the compiled index (lib/match.c); it only differs from the core
 * in how the winner is SELECTED.
 *
 * The winner is then turned into a decision by the core's own code: the
 * request intake (gwr_dec__intake) and lib/filters.c (gwr_filters__apply),
 * on a table the reference compiles for itself with the same options, used
 * only as the store of rules, backends and filters. So a decision from
 * gwr_refmatch__match() can be compared field by field with one from
 * gwr_table_match() on the core's table.
 *
 * Users: tests/test-differential.c, tests/bench/gwbench.c (the linear
 * baseline) and `gwroute match --explain`.
 */
#ifndef GWR_REFMATCH_H
#define GWR_REFMATCH_H

#include "gwroute/config.h"
#include "gwroute/decision.h"
#include "gwroute/table.h"
#include "gwr_private.h"

typedef struct gwr_refmatch gwr_refmatch;

/*
 * Prepare the reference matcher for the Gateway that gwr_table_compile()
 * would pick with the same opts (NULL = defaults): compiles its own table
 * (decision material), its own regexes, and the per-listener attachment
 * lists. cfg is BORROWED: it must stay alive and unchanged until
 * gwr_refmatch__free(). Returns what gwr_table_compile() returns for the
 * same arguments (GWR_OK, GWR_E_INVAL, GWR_E_NOT_FOUND, GWR_E_CONFIG,
 * GWR_E_NOMEM, GWR_E_ABI); GWR_E_CONFIG also when a rule of an attached
 * route is missing from the compiled table (model and table disagree).
 */
int gwr_refmatch__new(gwr_refmatch **out, const gwr_config *cfg,
                      const gwr_compile_opts *opts);
void gwr_refmatch__free(gwr_refmatch *rm);

/*
 * Route one request, exactly like gwr_table_match() (same return codes,
 * same decision object, same 400 / 404 outcomes), but selecting the
 * winner by the reference algorithm. Read the result with the public
 * gwr_decision_* accessors. Thread-safe: rm is only read.
 */
int gwr_refmatch__match(const gwr_refmatch *rm, const gwr_request *req,
                        gwr_decision *d);

/* The precedence key (§3.8) that decided between two candidates. */
typedef enum gwr_refkey {
    GWR_REFKEY_NONE = 0,      /* the winner / identical keys */
    GWR_REFKEY_HOSTNAME,      /* rule 1: hostname specificity */
    GWR_REFKEY_KIND,          /* equal hostname: GRPCRoute before HTTPRoute
                                 (implicit listener only) */
    GWR_REFKEY_GRPC_SERVICE,  /* §3.9: the service side (rank, characters) */
    GWR_REFKEY_GRPC_METHOD,   /* §3.9: the method side (rank, characters) */
    GWR_REFKEY_PATH_TYPE,     /* rule 2: Exact > RegularExpression > PathPrefix */
    GWR_REFKEY_PATH_LENGTH,   /* rule 3: more characters in the path value */
    GWR_REFKEY_METHOD,        /* rule 4 */
    GWR_REFKEY_HEADERS,       /* rule 5 */
    GWR_REFKEY_QUERY,         /* rule 6 */
    GWR_REFKEY_CREATION,      /* rule 7: older creationTimestamp */
    GWR_REFKEY_NAME,          /* rule 8: "{namespace}/{name}" */
    GWR_REFKEY_RULE,          /* rule 9: rule order */
    GWR_REFKEY_MATCH          /* then match order */
} gwr_refkey;

/* A short English name of a key ("longer PathPrefix", ...); "" for NONE. */
const char *gwr_refkey__name(int key);

/* One candidate (route, rule, match) whose predicates all held. */
typedef struct gwr_refcand {
    gwr_str kind, ns, name;   /* the route */
    int rule;                 /* index in spec.rules */
    int match;                /* index in rules[].matches (0 for a
                                 GRPCRoute rule without matches) */
    gwr_str hostname;         /* the effective hostname that ranked it;
                                 "" = every host */
    uint32_t path_type;       /* gwr_match_type ranked by rule 2 (gRPC:
                                 of the path equivalent, GEP-1016, shown
                                 only: GRPCRoutes rank by §3.9) */
    gwr_str path;             /* the value ranked by rule 3 (gRPC: the
                                 path equivalent "/svc/method", "/svc/",
                                 "/" or with "*" for an absent side;
                                 regexes are shown as written) */
    int lost_on;              /* gwr_refkey: why it lost to the winner */
} gwr_refcand;

typedef struct gwr_refexplain {
    int has_listener;         /* a listener was selected (§3.1) */
    gwr_str listener;         /* its name ("" = the implicit listener) */
    const gwr_refcand *cands; /* winner first, then in precedence order */
    size_t n_cands;
} gwr_refexplain;

/*
 * gwr_refmatch__match() that also reports every candidate considered.
 * out views memory owned by rm, valid until the next call on rm; so,
 * unlike gwr_refmatch__match(), not for concurrent use.
 */
int gwr_refmatch__explain(gwr_refmatch *rm, const gwr_request *req,
                          gwr_decision *d, gwr_refexplain *out);

#endif /* GWR_REFMATCH_H */
