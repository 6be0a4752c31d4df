/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The document tree: what the YAML and JSON readers produce and the
 * object-model builder consumes. Every node remembers where it came from
 * (line:column, 1-based) so diagnostics can point at it. A tree lives in
 * one arena and dies with it.
 */
#ifndef GWR_NODE_H
#define GWR_NODE_H

#include "gwr_private.h"
#include "diag.h"

typedef enum gwr_node_type {
    GWR_NODE_NULL = 0,   /* null, ~, empty plain scalar, JSON null */
    GWR_NODE_BOOL,       /* true / false */
    GWR_NODE_INT,        /* integer that fits int64 */
    GWR_NODE_FLOAT,      /* any other number (kept as text) */
    GWR_NODE_STRING,     /* every other scalar, and every quoted scalar */
    GWR_NODE_MAP,
    GWR_NODE_SEQ
} gwr_node_type;

typedef struct gwr_node gwr_node;

typedef struct gwr_node_pair {
    gwr_str key;         /* keys are always strings (others are rejected) */
    uint32_t key_line, key_col;
    gwr_node *value;
} gwr_node_pair;

struct gwr_node {
    uint32_t type;       /* gwr_node_type */
    uint32_t line, col;
    gwr_str text;        /* scalar as written (decoded escapes), NUL-terminated;
                            empty for MAP/SEQ */
    int64_t ival;        /* GWR_NODE_INT */
    int bval;            /* GWR_NODE_BOOL */
    size_t n;            /* number of pairs (MAP) or items (SEQ) */
    gwr_node_pair *pairs;/* MAP, in document order; duplicate keys rejected */
    gwr_node **items;    /* SEQ */
};

/* Limits on hostile input (docs/LIMITS.md). Exceeding one is an error
 * diagnostic and the whole text is refused (GWR_E_LIMIT). */
#define GWR_MAX_TEXT_BYTES (64u * 1024u * 1024u) /* one add_text call */
#define GWR_MAX_DEPTH 64u                         /* nesting of maps/seqs */
#define GWR_MAX_NODES 4000000u                    /* nodes in one text */
#define GWR_MAX_SCALAR_BYTES (1024u * 1024u)      /* one scalar */
#define GWR_MAX_DOCUMENTS 100000u                 /* documents in one text */
#define GWR_MAX_ALIAS_EXPANSION 10000u            /* nodes copied by aliases */

typedef enum gwr_text_format {
    GWR_TEXT_AUTO = 0,   /* JSON if the first non-space byte is { or [ */
    GWR_TEXT_YAML = 1,
    GWR_TEXT_JSON = 2
} gwr_text_format;

/* The documents of one text. */
typedef struct gwr_docs {
    gwr_node **docs;     /* top-level node of each document (never NULL;
                            an empty document is a NULL node) */
    size_t n;
} gwr_docs;

/*
 * Parse text into documents. Multi-document YAML ("---"), a single JSON
 * value, or JSON values one after another (JSON Lines / concatenated) all
 * give one document each. All memory comes from arena.
 *
 * Problems (syntax errors, invalid UTF-8, NUL bytes, duplicate keys,
 * non-string keys, integers too large, limits) are reported into diags
 * with source and line:col. On any error the whole text is refused:
 * returns GWR_E_PARSE (malformed), GWR_E_LIMIT (a limit) or GWR_E_NOMEM,
 * and *out is left empty. Never aborts, never reads past len.
 */
int gwr_node__parse(gwr_arena *arena, gwr_diag_list *diags, gwr_str source,
                    gwr_str text, uint32_t format, gwr_docs *out);

/* Convenience lookups for the model builder. */
const gwr_node *gwr_node__get(const gwr_node *map, const char *key);
const gwr_node_pair *gwr_node__get_pair(const gwr_node *map, const char *key);
int gwr_node__is_scalar(const gwr_node *n);
const char *gwr_node__type_name(uint32_t type); /* "string", "map", ... */

#endif /* GWR_NODE_H */
