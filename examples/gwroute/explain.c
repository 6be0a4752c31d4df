/*
 * gwroute match --explain: the candidates the reference matcher
 * (lib/refmatch.h) considered for a request, winner first, each runner-up
 * with the precedence key (spec §3.8) it lost on. The only part of the
 * tool that uses library internals; docs/CLI.md describes the field.
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"
#include "refmatch.h"

struct cli_explain {
    gwr_refmatch *rm;
    gwr_decision *d;
};

int
cli_explain_new(cli_explain **out, gwr_ctx *ctx, const gwr_config *cfg,
                const gwr_compile_opts *co)
{
    *out = NULL;
    cli_explain *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return GWR_E_NOMEM;
    int rc = gwr_refmatch__new(&x->rm, cfg, co);
    if (rc == GWR_OK)
        rc = gwr_decision_new(&x->d, ctx);
    if (rc != GWR_OK) {
        cli_explain_free(x);
        return rc;
    }
    *out = x;
    return GWR_OK;
}

void
cli_explain_free(cli_explain *x)
{
    if (x == NULL)
        return;
    gwr_decision_free(x->d);
    gwr_refmatch__free(x->rm);
    free(x);
}

static void
jstr(FILE *o, gwr_str s)
{
    fputc('"', o);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\')
            fprintf(o, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(o, "\\u%04x", c);
        else
            fputc(c, o);
    }
    fputc('"', o);
}

static const char *
type_name(uint32_t t)
{
    return t == GWR_MATCH_EXACT ? "Exact"
           : t == GWR_MATCH_REGEX ? "RegularExpression" : "PathPrefix";
}

static int
same_str(gwr_str a, gwr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* The reference and the compiled table chose the same outcome. */
static int
agrees(const gwr_decision *a, const gwr_decision *b)
{
    const gwr_backend *ba = gwr_decision_backend(a), *bb = gwr_decision_backend(b);
    return gwr_decision_result(a) == gwr_decision_result(b) &&
           gwr_decision_status(a) == gwr_decision_status(b) &&
           same_str(gwr_decision_route_kind(a), gwr_decision_route_kind(b)) &&
           same_str(gwr_decision_route_namespace(a),
                    gwr_decision_route_namespace(b)) &&
           same_str(gwr_decision_route_name(a), gwr_decision_route_name(b)) &&
           gwr_decision_rule_index(a) == gwr_decision_rule_index(b) &&
           same_str(gwr_backend_namespace(ba), gwr_backend_namespace(bb)) &&
           same_str(gwr_backend_name(ba), gwr_backend_name(bb)) &&
           gwr_backend_port(ba) == gwr_backend_port(bb) &&
           same_str(gwr_decision_upstream_path(a), gwr_decision_upstream_path(b)) &&
           same_str(gwr_decision_location(a), gwr_decision_location(b));
}

int
cli_explain_print(FILE *o, cli_explain *x, const gwr_request *r,
                  const gwr_decision *core)
{
    gwr_refexplain ex;
    int rc = gwr_refmatch__explain(x->rm, r, x->d, &ex);
    if (rc != GWR_OK)
        return rc;
    fputs(",\"explain\":{\"listener\":", o);
    if (ex.has_listener)
        jstr(o, ex.listener);
    else
        fputs("null", o);
    fputs(",\"candidates\":[", o);
    for (size_t i = 0; i < ex.n_cands; i++) {
        const gwr_refcand *c = &ex.cands[i];
        fputs(i ? ",{\"route\":{\"kind\":" : "{\"route\":{\"kind\":", o);
        jstr(o, c->kind);
        fputs(",\"namespace\":", o);
        jstr(o, c->ns);
        fputs(",\"name\":", o);
        jstr(o, c->name);
        fprintf(o, "},\"rule\":%d,\"match\":%d,\"hostname\":", c->rule, c->match);
        if (c->hostname.len)
            jstr(o, c->hostname);
        else
            fputs("null", o);
        fprintf(o, ",\"path\":{\"type\":\"%s\",\"value\":", type_name(c->path_type));
        jstr(o, c->path);
        fputs("},\"lost_on\":", o);
        if (i == 0) {
            fputs("null", o);
        } else {
            const char *k = gwr_refkey__name(c->lost_on);
            jstr(o, (gwr_str){ k, strlen(k) });
        }
        fputc('}', o);
    }
    fprintf(o, "],\"agrees\":%s}", agrees(core, x->d) ? "true" : "false");
    return GWR_OK;
}
