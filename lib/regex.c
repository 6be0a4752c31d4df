/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * PCRE2 wrapper: every allocation PCRE2 makes goes through the context
 * allocator via a general context.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include "regex.h"

struct gwr_regex {
    gwr_ctx *ctx;
    pcre2_general_context *gctx;
    pcre2_match_context *mctx;
    pcre2_code *code;
    int jit;
};

struct gwr_regex_scratch {
    gwr_ctx *ctx;
    pcre2_general_context *gctx;
    pcre2_match_data *md;
};

static void *
pcre_alloc(PCRE2_SIZE n, void *ud)
{
    return gwr__alloc(ud, n);
}

static void
pcre_free(void *p, void *ud)
{
    gwr__free(ud, p);
}

void
gwr_regex__free(gwr_regex *re)
{
    if (re == NULL)
        return;
    pcre2_code_free(re->code);
    pcre2_match_context_free(re->mctx);
    pcre2_general_context_free(re->gctx);
    gwr_ctx *ctx = re->ctx;
    gwr__free(ctx, re);
    gwr_ctx__unref(ctx);
}

int
gwr_regex__compile(gwr_ctx *ctx, gwr_str pattern, gwr_regex **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (pattern.len > GWR_REGEX_MAX_PATTERN) {
        if (err != NULL)
            snprintf(err, errlen, "pattern longer than %u bytes",
                     GWR_REGEX_MAX_PATTERN);
        return GWR_E_LIMIT;
    }
    gwr_regex *re = gwr__calloc(ctx, 1, sizeof(*re));
    if (re == NULL)
        return GWR_E_NOMEM;
    re->ctx = gwr_ctx__ref(ctx);
    re->gctx = pcre2_general_context_create(pcre_alloc, pcre_free, ctx);
    if (re->gctx == NULL)
        goto nomem;
    re->mctx = pcre2_match_context_create(re->gctx);
    pcre2_compile_context *cctx = pcre2_compile_context_create(re->gctx);
    if (re->mctx == NULL || cctx == NULL) {
        pcre2_compile_context_free(cctx);
        goto nomem;
    }
    pcre2_set_match_limit(re->mctx, GWR_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(re->mctx, GWR_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(re->mctx, GWR_REGEX_HEAP_LIMIT_KIB);
    /* Nesting of parentheses bounded too, so compiling is bounded. */
    pcre2_set_parens_nest_limit(cctx, 64);

    int ec = 0;
    PCRE2_SIZE eoff = 0;
    /* Full-string match; \C would break byte/UTF invariants. */
    uint32_t opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED |
                    PCRE2_NEVER_BACKSLASH_C | PCRE2_DOLLAR_ENDONLY;
    re->code = pcre2_compile((PCRE2_SPTR)(pattern.len ? pattern.ptr : ""),
                             pattern.len, opts, &ec, &eoff, cctx);
    pcre2_compile_context_free(cctx);
    if (re->code == NULL) {
        if (ec == PCRE2_ERROR_NOMEMORY || ec == PCRE2_ERROR_HEAP_FAILED)
            goto nomem;
        if (err != NULL) {
            PCRE2_UCHAR msg[256];
            if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
                snprintf((char *)msg, sizeof(msg), "error %d", ec);
            snprintf(err, errlen, "%s at offset %zu", (const char *)msg,
                     (size_t)eoff);
        }
        gwr_regex__free(re);
        return GWR_E_INVAL;
    }
    /* JIT is an optimisation: without it (not built, no executable
     * memory) the interpreter gives the same answers under the same
     * limits. */
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    *out = re;
    return GWR_OK;
nomem:
    gwr_regex__free(re);
    return GWR_E_NOMEM;
}

int
gwr_regex__scratch_new(gwr_ctx *ctx, gwr_regex_scratch **out)
{
    *out = NULL;
    gwr_regex_scratch *s = gwr__calloc(ctx, 1, sizeof(*s));
    if (s == NULL)
        return GWR_E_NOMEM;
    s->ctx = gwr_ctx__ref(ctx);
    s->gctx = pcre2_general_context_create(pcre_alloc, pcre_free, ctx);
    /* One ovector pair is enough: we only ask whether it matched. */
    s->md = s->gctx ? pcre2_match_data_create(1, s->gctx) : NULL;
    if (s->md == NULL) {
        gwr_regex__scratch_free(s);
        return GWR_E_NOMEM;
    }
    *out = s;
    return GWR_OK;
}

void
gwr_regex__scratch_free(gwr_regex_scratch *s)
{
    if (s == NULL)
        return;
    pcre2_match_data_free(s->md);
    pcre2_general_context_free(s->gctx);
    gwr_ctx *ctx = s->ctx;
    gwr__free(ctx, s);
    gwr_ctx__unref(ctx);
}

int
gwr_regex__match(const gwr_regex *re, gwr_str subject,
                 gwr_regex_scratch *scratch)
{
    PCRE2_SPTR p = (PCRE2_SPTR)(subject.len ? subject.ptr : "");
    int rc;
    if (re->jit)
        rc = pcre2_jit_match(re->code, p, subject.len, 0, 0, scratch->md,
                             re->mctx);
    else
        rc = pcre2_match(re->code, p, subject.len, 0, 0, scratch->md,
                         re->mctx);
    if (rc >= 0)
        return 1; /* 0 means the ovector was too small: still a match */
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return GWR_E_LIMIT;
}
