/*
 * gwroute match - route requests with the public API and print one JSON
 * object per request (../shared/cli-contract.md, docs/CLI.md).
 * SPDX-License-Identifier: MIT
 *
 * Seeds: a request's id seeds the weighted backend choice and mirror
 * sampling through the 64-bit FNV-1a hash of the id bytes; a request
 * without an id gets the FNV-1a hash of "#N", N its 0-based position in
 * the run, so that such requests get distinct but reproducible seeds.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonl.h"

typedef struct mopts {
    const char *gateway;
    long port;
    const char *scheme;
    const char *method, *host, *path, *id;
    const char *sni;          /* --sni: default TLS server name */
    const char *hdr[JREQ_MAX_HEADERS];
    size_t n_hdr;
    cli_explain *explain;     /* --explain */
} mopts;

static uint64_t
fnv1a(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* ---- JSON output ---------------------------------------------------------- */

static void
jstr(FILE *o, const char *s, size_t n)
{
    fputc('"', o);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(o, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", o);
        else if (c == '\r')
            fputs("\\r", o);
        else if (c == '\t')
            fputs("\\t", o);
        else if (c < 0x20 || c == 0x7f)
            fprintf(o, "\\u%04x", c);
        else
            fputc(c, o);
    }
    fputc('"', o);
}

static void
jgs(FILE *o, gwr_str s)
{
    jstr(o, s.ptr ? s.ptr : "", s.len);
}

static const char *
proto_name(uint32_t p)
{
    switch (p) {
    case GWR_BACKEND_H2C: return "h2c";
    case GWR_BACKEND_WS: return "ws";
    case GWR_BACKEND_WSS: return "wss";
    default: return "http";
    }
}

static void
jbackend(FILE *o, const gwr_backend *b)
{
    fputs("{\"kind\":", o);
    jgs(o, gwr_backend_kind(b));
    fputs(",\"namespace\":", o);
    jgs(o, gwr_backend_namespace(b));
    fputs(",\"name\":", o);
    jgs(o, gwr_backend_name(b));
    fprintf(o, ",\"port\":%u,\"protocol\":\"%s\"}", (unsigned)gwr_backend_port(b),
            proto_name(gwr_backend_protocol(b)));
}

static void
jpairs(FILE *o, const gwr_decision *d, uint32_t list)
{
    fputc('[', o);
    size_t n = gwr_decision_response_header_count(d, list);
    for (size_t i = 0; i < n; i++) {
        const gwr_header *h = gwr_decision_response_header(d, list, i);
        if (i)
            fputc(',', o);
        if (list == GWR_HEADERS_REMOVE) {
            jgs(o, h->name);
            continue;
        }
        fputc('[', o);
        jgs(o, h->name);
        fputc(',', o);
        jgs(o, h->value);
        fputc(']', o);
    }
    fputc(']', o);
}

static void
jint64(FILE *o, int64_t v)
{
    if (v < 0)
        fputs("null", o);
    else
        fprintf(o, "%lld", (long long)v);
}

static const char *const result_names[] = { "no_route", "forward", "redirect",
                                            "respond" };

static void
print_decision(FILE *o, const gwr_decision *d, const char *id, size_t id_len)
{
    fputc('{', o);
    if (id != NULL) {
        fputs("\"id\":", o);
        jstr(o, id, id_len);
        fputc(',', o);
    }
    uint32_t res = gwr_decision_result(d);
    fprintf(o, "\"result\":\"%s\",\"status\":%d,", result_names[res & 3],
            gwr_decision_status(d));
    /* Extension: a gRPC call the gateway answers itself gets its
     * grpc-status (docs/CLI.md); absent otherwise. */
    int gs = gwr_decision_grpc_status(d);
    if (gs != 0)
        fprintf(o, "\"grpc_status\":%d,", gs);
    fputs("\"route\":", o);
    if (gwr_decision_rule_index(d) >= 0) {
        fputs("{\"kind\":", o);
        jgs(o, gwr_decision_route_kind(d));
        fputs(",\"namespace\":", o);
        jgs(o, gwr_decision_route_namespace(d));
        fputs(",\"name\":", o);
        jgs(o, gwr_decision_route_name(d));
        fprintf(o, "},\"rule\":{\"index\":%d,\"name\":", gwr_decision_rule_index(d));
        gwr_str rn = gwr_decision_rule_name(d);
        if (rn.len)
            jgs(o, rn);
        else
            fputs("null", o);
        fputs("},", o);
    } else {
        fputs("null,\"rule\":null,", o);
    }
    fputs("\"backend\":", o);
    const gwr_backend *b = gwr_decision_backend(d);
    if (b != NULL)
        jbackend(o, b);
    else
        fputs("null", o);
    fputs(",\"upstream\":", o);
    if (res == GWR_RESULT_FORWARD) {
        fputs("{\"method\":", o);
        jgs(o, gwr_decision_upstream_method(d));
        fputs(",\"scheme\":", o);
        jgs(o, gwr_decision_upstream_scheme(d));
        fputs(",\"host\":", o);
        jgs(o, gwr_decision_upstream_host(d));
        fputs(",\"path\":", o);
        jgs(o, gwr_decision_upstream_path(d));
        fputs(",\"headers\":[", o);
        size_t n = gwr_decision_upstream_header_count(d);
        for (size_t i = 0; i < n; i++) {
            const gwr_header *h = gwr_decision_upstream_header(d, i);
            fputs(i ? ",[" : "[", o);
            jgs(o, h->name);
            fputc(',', o);
            jgs(o, h->value);
            fputc(']', o);
        }
        fputs("]}", o);
    } else {
        fputs("null", o);
    }
    if (res == GWR_RESULT_REDIRECT) {
        fputs(",\"location\":", o);
        jgs(o, gwr_decision_location(d));
    }
    fputs(",\"response_headers\":{\"set\":", o);
    jpairs(o, d, GWR_HEADERS_SET);
    fputs(",\"add\":", o);
    jpairs(o, d, GWR_HEADERS_ADD);
    fputs(",\"remove\":", o);
    jpairs(o, d, GWR_HEADERS_REMOVE);
    fputs("},\"mirrors\":[", o);
    size_t nm = gwr_decision_mirror_count(d);
    for (size_t i = 0; i < nm; i++) {
        int sampled = 0;
        const gwr_backend *mb = gwr_decision_mirror(d, i, &sampled);
        fputs(i ? ",{\"backend\":" : "{\"backend\":", o);
        jbackend(o, mb);
        fprintf(o, ",\"sampled\":%s}", sampled ? "true" : "false");
    }
    fputs("],\"timeouts\":{\"request_ms\":", o);
    jint64(o, gwr_decision_timeout_ms(d));
    fputs(",\"backend_request_ms\":", o);
    jint64(o, gwr_decision_backend_timeout_ms(d));
    fputs("},\"retry\":", o);
    if (gwr_decision_has_retry(d)) {
        fputs("{\"attempts\":", o);
        jint64(o, gwr_decision_retry_attempts(d));
        fputs(",\"codes\":[", o);
        const uint16_t *codes = NULL;
        size_t nc = gwr_decision_retry_codes(d, &codes);
        for (size_t i = 0; i < nc; i++)
            fprintf(o, i ? ",%u" : "%u", (unsigned)codes[i]);
        fputs("],\"backoff_ms\":", o);
        jint64(o, gwr_decision_retry_backoff_ms(d));
        fputc('}', o);
    } else {
        fputs("null", o);
    }
}

/* ---- one request ---------------------------------------------------------- */

static int
route_one(const gwr_table *t, gwr_decision *d, const mopts *mo, size_t seq,
          const jreq *jr)
{
    gwr_header hs[JREQ_MAX_HEADERS];
    gwr_request r = GWR_REQUEST_INIT;
    r.method.ptr = jr->method ? jr->method : "GET";
    r.method.len = jr->method ? jr->method_len : 3;
    r.host.ptr = jr->host ? jr->host : "";
    r.host.len = jr->host ? jr->host_len : 0;
    r.path.ptr = jr->path;
    r.path.len = jr->path_len;
    r.scheme.ptr = jr->scheme ? jr->scheme : mo->scheme;
    r.scheme.len = jr->scheme ? jr->scheme_len : strlen(mo->scheme);
    r.port = (uint32_t)(jr->port > 0 ? jr->port : mo->port);
    if (jr->sni != NULL) {
        r.sni.ptr = jr->sni;
        r.sni.len = jr->sni_len;
    } else if (mo->sni != NULL) {
        r.sni.ptr = mo->sni;
        r.sni.len = strlen(mo->sni);
    }
    for (size_t i = 0; i < jr->n_headers; i++) {
        hs[i].name.ptr = jr->hname[i];
        hs[i].name.len = jr->hlen[i][0];
        hs[i].value.ptr = jr->hvalue[i];
        hs[i].value.len = jr->hlen[i][1];
    }
    r.headers = hs;
    r.n_headers = jr->n_headers;
    r.flags = GWR_REQ_SEEDED;
    if (jr->id != NULL) {
        r.seed = fnv1a(jr->id, jr->id_len);
    } else {
        char tmp[32];
        int n = snprintf(tmp, sizeof(tmp), "#%zu", seq);
        r.seed = fnv1a(tmp, (size_t)n);
    }
    int rc = gwr_table_match(t, &r, d);
    if (rc != GWR_OK) {
        fprintf(stdout, "{\"error\":");
        jstr(stdout, gwr_strerror(rc), strlen(gwr_strerror(rc)));
        fputs("}\n", stdout);
        return rc == GWR_E_NOMEM ? -1 : 0;
    }
    print_decision(stdout, d, jr->id, jr->id_len);
    if (mo->explain != NULL) {
        rc = cli_explain_print(stdout, mo->explain, &r, d);
        if (rc != GWR_OK)
            fputs(",\"explain\":null", stdout);
    }
    fputs("}\n", stdout);
    return rc == GWR_E_NOMEM ? -1 : 0;
}

static int
dup_into(char **dst, size_t *len, const char *s)
{
    if (s == NULL)
        return 0;
    *len = strlen(s);
    *dst = malloc(*len + 1);
    if (*dst == NULL)
        return -1;
    memcpy(*dst, s, *len + 1);
    return 0;
}

static int
single(const gwr_table *t, gwr_decision *d, const mopts *mo)
{
    jreq jr;
    memset(&jr, 0, sizeof(jr));
    jr.port = -1;
    int rc = 0;
    if (dup_into(&jr.method, &jr.method_len, mo->method) != 0 ||
        dup_into(&jr.host, &jr.host_len, mo->host) != 0 ||
        dup_into(&jr.path, &jr.path_len, mo->path) != 0 ||
        dup_into(&jr.id, &jr.id_len, mo->id) != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < mo->n_hdr; i++) {
        const char *h = mo->hdr[i], *colon = strchr(h, ':');
        if (colon == NULL || colon == h) {
            fprintf(stderr, "gwroute match: -H '%s': expected 'Name: value'\n", h);
            jreq_free(&jr);
            return CLI_EXIT_USAGE;
        }
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            vl--;
        jr.hname[i] = malloc((size_t)(colon - h) + 1);
        jr.hvalue[i] = malloc(vl + 1);
        jr.n_headers = i + 1;
        if (jr.hname[i] == NULL || jr.hvalue[i] == NULL) {
            rc = -1;
            break;
        }
        memcpy(jr.hname[i], h, (size_t)(colon - h));
        jr.hname[i][colon - h] = '\0';
        jr.hlen[i][0] = (size_t)(colon - h);
        memcpy(jr.hvalue[i], v, vl);
        jr.hvalue[i][vl] = '\0';
        jr.hlen[i][1] = vl;
    }
    if (rc == 0)
        rc = route_one(t, d, mo, 0, &jr);
    jreq_free(&jr);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

static int
batch(const gwr_table *t, gwr_decision *d, const mopts *mo)
{
    size_t cap = 0, seq = 0;
    char *line = NULL;
    ssize_t n;
    int status = CLI_EXIT_OK;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len)
            continue;         /* blank lines are not requests */
        jreq jr;
        const char *err = NULL;
        if (jreq_parse(line, len, &jr, &err) != 0) {
            fputs("{\"error\":", stdout);
            jstr(stdout, err, strlen(err));
            fputs("}\n", stdout);
            seq++;
            continue;
        }
        if (route_one(t, d, mo, seq++, &jr) != 0)
            status = CLI_EXIT_USAGE;
        jreq_free(&jr);
    }
    if (ferror(stdin))
        status = CLI_EXIT_USAGE;
    free(line);
    return status;
}

/* ---- options -------------------------------------------------------------- */

static int
usage_err(const char *msg, const char *arg)
{
    fprintf(stderr, "gwroute match: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fputs("usage: gwroute match [--gateway NS/NAME] [--port N] [--scheme http|https]\n"
          "                     [--sni NAME] [--explain]\n"
          "                     [-X METHOD --host HOST --path 'PATH[?QUERY]'\n"
          "                      [-H 'Name: value']... [--id ID]] FILE...\n", stderr);
    return CLI_EXIT_USAGE;
}

int
cli_match(int argc, char **argv)
{
    mopts mo;
    memset(&mo, 0, sizeof(mo));
    mo.port = 80;
    mo.scheme = "http";
    char **files = calloc((size_t)argc + 1, sizeof(char *));
    if (files == NULL)
        return CLI_EXIT_USAGE;
    int nfiles = 0, explain = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "--explain") == 0) {
            explain = 1;
            continue;
        }
        if (strcmp(a, "--gateway") == 0)
            slot = &mo.gateway;
        else if (strcmp(a, "--scheme") == 0)
            slot = &mo.scheme;
        else if (strcmp(a, "--sni") == 0)
            slot = &mo.sni;
        else if (strcmp(a, "-X") == 0 || strcmp(a, "--method") == 0)
            slot = &mo.method;
        else if (strcmp(a, "--host") == 0)
            slot = &mo.host;
        else if (strcmp(a, "--path") == 0)
            slot = &mo.path;
        else if (strcmp(a, "--id") == 0)
            slot = &mo.id;
        else if (strcmp(a, "--port") == 0 || strcmp(a, "-H") == 0 ||
                 strcmp(a, "--header") == 0) {
            if (i + 1 >= argc) {
                free(files);
                return usage_err("missing value for", a);
            }
            const char *v = argv[++i];
            if (a[1] == 'H' || strcmp(a, "--header") == 0) {
                if (mo.n_hdr == JREQ_MAX_HEADERS) {
                    free(files);
                    return usage_err("too many -H options", NULL);
                }
                mo.hdr[mo.n_hdr++] = v;
                continue;
            }
            char *end = NULL;
            long p = strtol(v, &end, 10);
            if (end == v || *end != '\0' || p < 1 || p > 65535) {
                free(files);
                return usage_err("--port needs 1..65535", v);
            }
            mo.port = p;
            continue;
        } else if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++)
                files[nfiles++] = argv[i];
            break;
        } else if (a[0] == '-' && a[1] != '\0') {
            free(files);
            return usage_err("unknown option", a);
        } else {
            files[nfiles++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            free(files);
            return usage_err("missing value for", a);
        }
        *slot = argv[++i];
    }
    if (nfiles == 0) {
        free(files);
        return usage_err("no FILE given", NULL);
    }
    if (strcmp(mo.scheme, "http") != 0 && strcmp(mo.scheme, "https") != 0) {
        free(files);
        return usage_err("--scheme must be http or https", mo.scheme);
    }
    gwr_compile_opts co = GWR_COMPILE_OPTS_INIT;
    char errbuf[512] = "";
    co.errbuf = errbuf;
    co.errbuf_size = sizeof(errbuf);
    if (mo.gateway != NULL) {
        const char *slash = strchr(mo.gateway, '/');
        if (slash == NULL || slash == mo.gateway || slash[1] == '\0') {
            free(files);
            return usage_err("--gateway needs NS/NAME", mo.gateway);
        }
        co.gateway_ns.ptr = mo.gateway;
        co.gateway_ns.len = (size_t)(slash - mo.gateway);
        co.gateway_name.ptr = slash + 1;
        co.gateway_name.len = strlen(slash + 1);
    }

    gwr_ctx *ctx = NULL;
    gwr_config *cfg = NULL;
    gwr_table *table = NULL;
    gwr_decision *d = NULL;
    int status = CLI_EXIT_USAGE;
    if (gwr_ctx_new(&ctx, NULL, NULL, NULL) != GWR_OK ||
        gwr_config_new(&cfg, ctx) != GWR_OK)
        goto out;
    int load = cli_load_files(cfg, nfiles, files);
    if (load == CLI_EXIT_USAGE)
        goto out;
    int rc = gwr_table_compile(&table, cfg, &co);
    /* The table is self-contained: the config can go right away, unless
     * --explain's reference matcher needs it (it reads the model). */
    if (rc == GWR_OK && explain)
        rc = cli_explain_new(&mo.explain, ctx, cfg, &co);
    if (!explain) {
        gwr_config_free(cfg);
        cfg = NULL;
    }
    if (rc != GWR_OK) {
        fprintf(stderr, "gwroute match: %s%s%s\n", gwr_strerror(rc),
                errbuf[0] ? ": " : "", errbuf);
        status = rc == GWR_E_NOMEM ? CLI_EXIT_USAGE : CLI_EXIT_REJECTED;
        goto out;
    }
    if (gwr_decision_new(&d, ctx) != GWR_OK)
        goto out;
    status = mo.path != NULL ? single(table, d, &mo) : batch(table, d, &mo);
    /* Rejected objects (reported on stderr) make the config bad even
     * though every request was answered with what did load. */
    if (status == CLI_EXIT_OK && load == CLI_EXIT_REJECTED)
        status = CLI_EXIT_REJECTED;
out:
    fflush(stdout);
    cli_explain_free(mo.explain);
    gwr_decision_free(d);
    gwr_table_unref(table);
    gwr_config_free(cfg);
    gwr_ctx_free(ctx);
    free(files);
    return status;
}
