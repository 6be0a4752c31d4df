/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Internals of the document parser (lib/node.c): the tree builder that
 * both readers feed (lib/node_tree.c), YAML core-schema scalar resolution
 * (lib/node_scalar.c) and the two readers (lib/load_yaml.c,
 * lib/load_json.c). Never installed.
 */
#ifndef GWR_NODE_LOAD_H
#define GWR_NODE_LOAD_H

#include "node.h"

/* Semantic errors (duplicate keys, ...) do not stop parsing so that one
 * pass reports them all; past this many the parser gives up. */
#define GWR_NODE_MAX_ERRORS 100u

/* The limits of node.h as values, so tests and fuzzers can lower them.
 * depth is capped at GWR_MAX_DEPTH (the builder's stack is fixed). */
typedef struct gwr_node_limits {
    size_t text_bytes;
    size_t depth;
    size_t nodes;
    size_t scalar_bytes;
    size_t documents;
    size_t alias_expansion;
    size_t errors;
} gwr_node_limits;

extern const gwr_node_limits gwr_node__default_limits;

/* gwr_node__parse with explicit limits. */
int gwr_node__parse_limits(gwr_arena *arena, gwr_diag_list *diags,
                           gwr_str source, gwr_str text, uint32_t format,
                           const gwr_node_limits *lim, gwr_docs *out);

/* ---- text positions (lib/node.c) -------------------------------------- */

/* Turns byte offsets into line:column (1-based; columns count code points,
 * as libyaml does; CR LF, LF and CR each end a line). Offsets must not
 * decrease between calls, so a whole text costs O(len). */
typedef struct gwr_textpos {
    const char *text;
    size_t len;
    size_t off;          /* position of line:col below */
    uint32_t line, col;
} gwr_textpos;

void gwr_node__pos_init(gwr_textpos *p, const char *text, size_t len);
void gwr_node__pos_seek(gwr_textpos *p, size_t off);

/* ---- tree builder (lib/node_tree.c) ----------------------------------- */

typedef struct gwr_tree_frame {
    gwr_node *node;      /* MAP or SEQ being filled */
    size_t start;        /* first scratch slot of this container */
    size_t logical;      /* nodes below, aliases counted expanded */
    int have_key;        /* MAP: a key waits for its value */
} gwr_tree_frame;

/*
 * Builds documents from value events. Every function returns GWR_OK to go
 * on, or a negative status meaning "stop reading": GWR_E_NOMEM, GWR_E_LIMIT
 * or GWR_E_PARSE (a syntax error or too many errors). Semantic errors
 * return GWR_OK and only mark the text as refused.
 */
typedef struct gwr_tree {
    gwr_arena *arena;
    gwr_ctx *ctx;
    gwr_diag_list *diags;
    gwr_str source;
    const gwr_node_limits *lim;
    gwr_tree_frame frames[GWR_MAX_DEPTH];
    size_t depth;
    gwr_node_pair *scratch;  /* children of the open containers (temp) */
    size_t nscratch, capscratch;
    gwr_node **docs;         /* finished documents (temp) */
    size_t ndocs, capdocs;
    int in_doc;
    gwr_node *root;          /* current document's top node */
    size_t nodes;            /* nodes made, aliases counted expanded */
    size_t aliased;          /* nodes reached through aliases */
    size_t errors;
    int nomem, limit;        /* sticky outcome */
    gwr_buf tmp;             /* field paths for diagnostics */
} gwr_tree;

void gwr_tree__init(gwr_tree *t, gwr_arena *arena, gwr_diag_list *diags,
                    gwr_str source, const gwr_node_limits *lim);
/* Release the temporaries (not the arena). */
void gwr_tree__free(gwr_tree *t);
/* The parse status: GWR_OK, GWR_E_NOMEM, GWR_E_LIMIT or GWR_E_PARSE. */
int gwr_tree__status(const gwr_tree *t);
/* On GWR_OK, the documents (arena copy); otherwise out is left empty. */
int gwr_tree__finish(gwr_tree *t, gwr_docs *out);

int gwr_tree__doc_begin(gwr_tree *t, uint32_t line, uint32_t col);
/* A document without a value gets a NULL node at line:col. */
int gwr_tree__doc_end(gwr_tree *t, uint32_t line, uint32_t col);

/* Top of the stack: GWR_NODE_MAP, GWR_NODE_SEQ or GWR_NODE_NULL (none). */
uint32_t gwr_tree__open_type(const gwr_tree *t);
/* Is the open container a map waiting for a key? */
int gwr_tree__wants_key(const gwr_tree *t);

int gwr_tree__begin(gwr_tree *t, uint32_t type, uint32_t line, uint32_t col);
/* Close the open container; *node and *logical (may be NULL) get it. */
int gwr_tree__end(gwr_tree *t, gwr_node **node, size_t *logical);
/* A key (copied) for the open map. text.ptr == NULL: a placeholder for a
 * key already reported as invalid. */
int gwr_tree__key(gwr_tree *t, gwr_str text, uint32_t line, uint32_t col);
/* A scalar node (text copied), not yet attached. */
int gwr_tree__new_scalar(gwr_tree *t, uint32_t type, gwr_str text,
                         uint32_t line, uint32_t col, gwr_node **out);
/* Attach a finished node as the next value; logical is its size with
 * aliases expanded. */
int gwr_tree__attach(gwr_tree *t, gwr_node *node, size_t logical);
/* Attach a node again (an alias); refused past the alias budget. */
int gwr_tree__alias(gwr_tree *t, gwr_node *node, size_t logical,
                    uint32_t line, uint32_t col);
/* Charge an alias used as a key against the budget. */
int gwr_tree__alias_key(gwr_tree *t, uint32_t line, uint32_t col);
/* Nesting check for containers a reader skips without building. */
int gwr_tree__check_depth(gwr_tree *t, size_t extra, uint32_t line,
                          uint32_t col);

/* Diagnostics at line:col, with the field path of the current position. */
int gwr_tree__error(gwr_tree *t, uint32_t line, uint32_t col,
                    const char *fmt, ...) GWR_PRINTF(4, 5);
int gwr_tree__warning(gwr_tree *t, uint32_t line, uint32_t col,
                      const char *fmt, ...) GWR_PRINTF(4, 5);
/* Fatal: stops reading (GWR_E_PARSE). */
int gwr_tree__syntax(gwr_tree *t, uint32_t line, uint32_t col,
                     const char *fmt, ...) GWR_PRINTF(4, 5);

/* ---- scalars (lib/node_scalar.c) -------------------------------------- */

enum {
    GWR_SCALAR_NO = 0,      /* not of that kind */
    GWR_SCALAR_YES = 1,
    GWR_SCALAR_RANGE = 2    /* an integer that does not fit int64 */
};

int gwr_scalar__is_null(gwr_str s);
int gwr_scalar__is_bool(gwr_str s, int *val);
/* YAML 1.2 core integers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. */
int gwr_scalar__is_int(gwr_str s, int64_t *val);
int gwr_scalar__is_float(gwr_str s);
/* Core-schema type of a plain scalar (INT may come with RANGE). */
uint32_t gwr_scalar__resolve(gwr_str s, int64_t *ival, int *bval,
                             int *range);

/* ---- readers ---------------------------------------------------------- */

/* text is valid UTF-8 without NUL bytes (checked by lib/node.c). */
void gwr_yaml__load(gwr_tree *t, const char *text, size_t len);
void gwr_json__load(gwr_tree *t, const char *text, size_t len);

#endif /* GWR_NODE_LOAD_H */
