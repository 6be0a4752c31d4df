/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * GRPCRoute (spec §3.9, §5.1, §5.2): one test per precedence row (hostname,
 * service, method, header matches, age, namespace/name, rule and match
 * order), the match shapes (service + method, service only, method only,
 * RegularExpression sides), the recognition of a gRPC call, the gRPC
 * answers (UNIMPLEMENTED, UNAVAILABLE), the GRPCRoute/HTTPRoute order on
 * the implicit listener and the zero-allocation steady state. Every
 * request is routed by the compiled table AND by the reference matcher
 * (lib/refmatch.c); the two must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "refmatch.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static gwr_str
S(const char *s)
{
    gwr_str r = { s, strlen(s) };
    return r;
}

typedef struct fx {
    gwr_ctx *ctx;
    gwr_config *cfg;
    gwr_table *t;
    gwr_refmatch *rm;
    gwr_decision *d, *dr;
    char out[160];
} fx;

static void
fx_load_ctx(fx *f, gwr_ctx *ctx, const char *yaml)
{
    memset(f, 0, sizeof(*f));
    f->ctx = ctx;
    assert_int_equal(gwr_config_new(&f->cfg, ctx), GWR_OK);
    int rc = gwr_config_add_text(f->cfg, GWR_FORMAT_YAML, S(yaml), S("t.yaml"));
    if (rc != GWR_OK) {
        char line[512];
        for (size_t i = 0; i < gwr_config_diag_count(f->cfg); i++) {
            gwr_diag_format(gwr_config_diag(f->cfg, i), line, sizeof(line));
            fprintf(stderr, "# %s\n", line);
        }
    }
    assert_int_equal(rc, GWR_OK);
    assert_int_equal(gwr_table_compile(&f->t, f->cfg, NULL), GWR_OK);
    assert_int_equal(gwr_refmatch__new(&f->rm, f->cfg, NULL), GWR_OK);
    assert_int_equal(gwr_decision_new(&f->d, ctx), GWR_OK);
    assert_int_equal(gwr_decision_new(&f->dr, ctx), GWR_OK);
}

static void
fx_load(fx *f, const char *yaml)
{
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, NULL, NULL, NULL), GWR_OK);
    fx_load_ctx(f, ctx, yaml);
}

static void
fx_free(fx *f)
{
    gwr_decision_free(f->d);
    gwr_decision_free(f->dr);
    gwr_refmatch__free(f->rm);
    gwr_table_unref(f->t);
    gwr_config_free(f->cfg);
    gwr_ctx_free(f->ctx);
}

/* "Name: value|Name: value" into hs. */
static size_t
parse_headers(const char *spec, gwr_header *hs, size_t max, char *buf, size_t cap)
{
    size_t n = 0;
    if (spec == NULL || *spec == '\0')
        return 0;
    snprintf(buf, cap, "%s", spec);
    for (char *p = buf; p != NULL && n < max;) {
        char *bar = strchr(p, '|');
        if (bar != NULL)
            *bar = '\0';
        char *colon = strchr(p, ':');
        assert_non_null(colon);
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        hs[n].name = S(p);
        hs[n].value = S(v);
        n++;
        p = bar ? bar + 1 : NULL;
    }
    return n;
}

static int
same_str(gwr_str a, gwr_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Route one request through both matchers; they must agree. Returns
 * "ns/name#rule" for a matched rule (with " 500" when the gateway answers
 * itself), "404", or "400". */
static const char *
route_hdrs(fx *f, const char *method, const char *host, const char *path,
           const char *headers)
{
    gwr_header hs[8];
    char buf[512];
    size_t nh = parse_headers(headers, hs, N_ELEMS(hs), buf, sizeof(buf));
    gwr_request r = GWR_REQUEST_INIT;
    r.method = S(method);
    r.host = S(host);
    r.path = S(path);
    r.headers = hs;
    r.n_headers = nh;
    r.flags = GWR_REQ_SEEDED;
    r.seed = 7;
    assert_int_equal(gwr_table_match(f->t, &r, f->d), GWR_OK);
    assert_int_equal(gwr_refmatch__match(f->rm, &r, f->dr), GWR_OK);
    const gwr_decision *a = f->d, *b = f->dr;
    if (gwr_decision_result(a) != gwr_decision_result(b) ||
        gwr_decision_status(a) != gwr_decision_status(b) ||
        gwr_decision_rule_index(a) != gwr_decision_rule_index(b) ||
        !same_str(gwr_decision_route_name(a), gwr_decision_route_name(b)) ||
        !same_str(gwr_decision_route_namespace(a),
                  gwr_decision_route_namespace(b)) ||
        gwr_decision_grpc(a) != gwr_decision_grpc(b) ||
        gwr_decision_grpc_status(a) != gwr_decision_grpc_status(b))
        fail_msg("core and reference disagree on %s %s %s", method, host, path);
    if (gwr_decision_rule_index(a) < 0) {
        snprintf(f->out, sizeof(f->out), "%d", gwr_decision_status(a));
        return f->out;
    }
    gwr_str ns = gwr_decision_route_namespace(a), n = gwr_decision_route_name(a);
    snprintf(f->out, sizeof(f->out), "%.*s/%.*s#%d%s", (int)ns.len, ns.ptr,
             (int)n.len, n.ptr, gwr_decision_rule_index(a),
             gwr_decision_status(a) == 500 ? " 500" : "");
    return f->out;
}

/* A gRPC call: POST, content-type application/grpc. */
static const char *
call(fx *f, const char *host, const char *path)
{
    return route_hdrs(f, "POST", host, path, "content-type: application/grpc");
}

static const char *
call_h(fx *f, const char *host, const char *path, const char *extra)
{
    char h[256];
    snprintf(h, sizeof(h), "content-type: application/grpc|%s", extra);
    return route_hdrs(f, "POST", host, path, h);
}

#define ROUTE(name, meta, spec) \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\n" \
    "metadata: {name: " name ", namespace: ns" meta "}\nspec:\n" spec
#define HTTPROUTE(name, meta, spec) \
    "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n" \
    "metadata: {name: " name ", namespace: ns" meta "}\nspec:\n" spec
#define OLD ", creationTimestamp: '2020-01-01T00:00:00Z'"
#define NEW ", creationTimestamp: '2021-01-01T00:00:00Z'"
#define BE "    backendRefs: [{name: s, port: 80}]\n"

/* ---- precedence, one row each (§3.9) ------------------------------------ */

static void
test_prec_hostname(void **state)
{
    (void)state;
    /* Characters in a matching non-wildcard hostname, then in a matching
     * hostname, come before anything about the method: an exact host with
     * a match-all rule beats a wildcard with the full method. */
    fx f;
    fx_load(&f,
        ROUTE("exact", OLD, "  hostnames: [a.example.com]\n  rules:\n  - " BE)
        ROUTE("wild", OLD, "  hostnames: ['*.example.com']\n  rules:\n"
              "  - matches: [{method: {service: pkg.Svc, method: Get}}]\n" BE)
        ROUTE("longwild", NEW, "  hostnames: ['*.a.example.com']\n  rules:\n  - " BE)
        ROUTE("all", OLD, "  rules:\n"
              "  - matches: [{method: {service: pkg.Svc, method: Get},"
              " headers: [{name: x, value: y}]}]\n" BE));
    assert_string_equal(call(&f, "a.example.com", "/pkg.Svc/Get"), "ns/exact#0");
    assert_string_equal(call(&f, "b.example.com", "/pkg.Svc/Get"), "ns/wild#0");
    assert_string_equal(call(&f, "x.a.example.com", "/pkg.Svc/Get"),
                        "ns/longwild#0");
    assert_string_equal(call(&f, "b.example.com", "/pkg.Svc/List"), "404");
    assert_string_equal(call_h(&f, "other.org", "/pkg.Svc/Get", "x: y"), "ns/all#0");
    fx_free(&f);
}

static void
test_prec_service(void **state)
{
    (void)state;
    /* Characters in the matching service come before the method and the
     * headers: a newer service-only match beats an older method-only one
     * with headers; Exact service beats a RegularExpression service; of
     * two regexes the longer pattern wins. */
    fx f;
    fx_load(&f,
        ROUTE("meth", OLD, "  rules:\n"
              "  - matches: [{method: {method: Get}, headers: [{name: x, value: y}]}]\n" BE)
        ROUTE("svc", NEW, "  rules:\n"
              "  - matches: [{method: {service: pkg.Exact}}]\n" BE)
        ROUTE("re-svc", OLD, "  rules:\n"
              "  - matches: [{method: {type: RegularExpression, service: 'pkg[.]Svc',"
              " method: 'Get'}}]\n" BE
              "  - matches: [{method: {type: RegularExpression, service: 'pkg[.].+'}}]\n" BE
              "  - matches: [{method: {type: RegularExpression, service: '.+'}}]\n" BE));
    assert_string_equal(call_h(&f, "", "/pkg.Exact/Get", "x: y"), "ns/svc#0");
    /* Two regex services: 'pkg[.]Svc' (9 characters) > 'pkg[.].+' (8). */
    assert_string_equal(call_h(&f, "", "/pkg.Svc/Get", "x: y"), "ns/re-svc#0");
    assert_string_equal(call_h(&f, "", "/pkg.Svc/List", "x: y"), "ns/re-svc#1");
    /* Any service regex still ranks above a method-only Exact match. */
    assert_string_equal(call_h(&f, "", "/other.X/Get", "x: y"), "ns/re-svc#2");
    fx_free(&f);
}

static void
test_prec_method(void **state)
{
    (void)state;
    /* Same service: characters in the matching method decide; Exact
     * method > RegularExpression method > none; of two method regexes
     * the longer pattern wins. */
    fx f;
    fx_load(&f,
        ROUTE("a", OLD, "  rules:\n"
              "  - matches: [{method: {service: pkg.Svc}}]\n" BE
              "  - matches: [{method: {service: pkg.Svc, method: Get}}]\n" BE)
        ROUTE("b", OLD, "  rules:\n"
              "  - matches: [{method: {method: Get}}]\n" BE
              "  - matches: [{method: {type: RegularExpression, method: 'G.*'}}]\n" BE
              "  - matches: [{method: {type: RegularExpression, method: 'Gx?et'}}]\n" BE
              "  - " BE));
    assert_string_equal(call(&f, "", "/pkg.Svc/Get"), "ns/a#1");
    assert_string_equal(call(&f, "", "/pkg.Svc/List"), "ns/a#0");
    assert_string_equal(call(&f, "", "/q.Svc/Get"), "ns/b#0");
    assert_string_equal(call(&f, "", "/q.Svc/Gxet"), "ns/b#2");
    assert_string_equal(call(&f, "", "/q.Svc/Gone"), "ns/b#1");
    assert_string_equal(call(&f, "", "/q.Svc/List"), "ns/b#3");
    fx_free(&f);
}

static void
test_prec_headers(void **state)
{
    (void)state;
    /* Same service and method: more header matches win, across routes
     * and regardless of age. */
    fx f;
    fx_load(&f,
        ROUTE("one", OLD, "  rules:\n"
              "  - matches: [{method: {service: pkg.Svc, method: Get},"
              " headers: [{name: a, value: '1'}]}]\n" BE)
        ROUTE("two", NEW, "  rules:\n"
              "  - matches: [{method: {service: pkg.Svc, method: Get},"
              " headers: [{name: a, value: '1'}, {name: b, value: '2'}]}]\n" BE));
    assert_string_equal(call_h(&f, "", "/pkg.Svc/Get", "a: 1|B: 2"), "ns/two#0");
    assert_string_equal(call_h(&f, "", "/pkg.Svc/Get", "a: 1"), "ns/one#0");
    assert_string_equal(call_h(&f, "", "/pkg.Svc/Get", "b: 2"), "404");
    fx_free(&f);
}

static void
test_prec_age_and_name(void **state)
{
    (void)state;
    /* Equal matches: the older route; no creationTimestamp is newer than
     * any; equal ages: "{namespace}/{name}" alphabetically. */
    fx f;
    fx_load(&f,
        ROUTE("b-old", OLD, "  rules:\n"
              "  - matches: [{method: {service: pkg.Svc, method: Get}}]\n" BE)
        ROUTE("a-new", NEW, "  rules:\n"
              "  - matches: [{method: {service: pkg.Svc, method: Get}}]\n" BE)
        ROUTE("z-none", "", "  rules:\n"
              "  - matches: [{method: {service: pkg.Svc}}]\n" BE)
        ROUTE("y-none", "", "  rules:\n"
              "  - matches: [{method: {service: pkg.Svc}}]\n" BE)
        ROUTE("x-dated", NEW, "  rules:\n"
              "  - matches: [{method: {method: List}}]\n" BE)
        ROUTE("w-undated", "", "  rules:\n"
              "  - matches: [{method: {method: List}}]\n" BE));
    assert_string_equal(call(&f, "", "/pkg.Svc/Get"), "ns/b-old#0");
    assert_string_equal(call(&f, "", "/pkg.Svc/Other"), "ns/y-none#0");
    assert_string_equal(call(&f, "", "/q.R/List"), "ns/x-dated#0");
    fx_free(&f);
}

static void
test_prec_rule_and_match_order(void **state)
{
    (void)state;
    /* Everything equal within one route: the first rule in list order,
     * then the first match of that rule. */
    fx f;
    fx_load(&f,
        ROUTE("r", OLD, "  rules:\n"
              "  - matches: [{method: {method: List}}]\n" BE
              "  - matches: [{method: {service: pkg.Svc}, headers: [{name: h, value: v}]},"
              " {method: {service: pkg.Svc}}]\n" BE
              "  - matches: [{method: {service: pkg.Svc}}]\n" BE));
    assert_string_equal(call(&f, "", "/pkg.Svc/Get"), "ns/r#1");
    gwr_request r = GWR_REQUEST_INIT;
    gwr_header ct = { S("content-type"), S("application/grpc") };
    r.method = S("POST");
    r.path = S("/pkg.Svc/Get");
    r.headers = &ct;
    r.n_headers = 1;
    gwr_refexplain ex;
    assert_int_equal(gwr_refmatch__explain(f.rm, &r, f.dr, &ex), GWR_OK);
    assert_int_equal(ex.n_cands, 2);
    assert_int_equal(ex.cands[0].rule, 1);
    assert_int_equal(ex.cands[0].match, 1);
    assert_int_equal(ex.cands[1].rule, 2);
    assert_int_equal(ex.cands[1].lost_on, GWR_REFKEY_RULE);
    /* With the header, match 0 of rule 1 (one header) beats rule 1's
     * match 1 and rule 2, and the service-only rules beat method-only. */
    assert_string_equal(call_h(&f, "", "/pkg.Svc/List", "h: v"), "ns/r#1");
    gwr_header hs[2] = { ct, { S("h"), S("v") } };
    r.path = S("/pkg.Svc/List");
    r.headers = hs;
    r.n_headers = 2;
    assert_int_equal(gwr_refmatch__explain(f.rm, &r, f.dr, &ex), GWR_OK);
    assert_int_equal(ex.n_cands, 4);
    assert_int_equal(ex.cands[0].match, 0);
    assert_int_equal(ex.cands[1].lost_on, GWR_REFKEY_HEADERS);
    assert_int_equal(ex.cands[3].rule, 0);
    assert_int_equal(ex.cands[3].lost_on, GWR_REFKEY_GRPC_SERVICE);
    assert_string_equal(gwr_refkey__name(GWR_REFKEY_GRPC_METHOD),
                        "gRPC method match");
    fx_free(&f);
}

/* ---- match shapes ---------------------------------------------------------- */

static void
test_shapes(void **state)
{
    (void)state;
    fx f;
    fx_load(&f,
        ROUTE("full", OLD, "  hostnames: [full.test]\n  rules:\n"
              "  - matches: [{method: {service: pkg.Svc, method: Get}}]\n" BE)
        ROUTE("svc", OLD, "  hostnames: [svc.test]\n  rules:\n"
              "  - matches: [{method: {type: Exact, service: pkg.Svc}}]\n" BE)
        ROUTE("meth", OLD, "  hostnames: [meth.test]\n  rules:\n"
              "  - matches: [{method: {method: Get}}]\n" BE)
        ROUTE("re", OLD, "  hostnames: [re.test]\n  rules:\n"
              "  - matches: [{method: {type: RegularExpression, service: 'pkg'}}]\n" BE
              "  - matches: [{method: {type: RegularExpression, service: 'p.*',"
              " method: ''}}]\n" BE)
        ROUTE("any", OLD, "  hostnames: [any.test]\n  rules:\n  - " BE));
    /* Exact service + method: the whole path, case-sensitive. */
    assert_string_equal(call(&f, "full.test", "/pkg.Svc/Get"), "ns/full#0");
    assert_string_equal(call(&f, "full.test", "/pkg.Svc/get"), "404");
    assert_string_equal(call(&f, "full.test", "/pkg.svc/Get"), "404");
    /* Service only: any method of that service, not a longer service. */
    assert_string_equal(call(&f, "svc.test", "/pkg.Svc/Anything"), "ns/svc#0");
    assert_string_equal(call(&f, "svc.test", "/pkg.SvcX/Get"), "404");
    assert_string_equal(call(&f, "svc.test", "/pkg.Svc"), "404");
    /* Method only (implementation-specific): any service, that method. */
    assert_string_equal(call(&f, "meth.test", "/a.B/Get"), "ns/meth#0");
    assert_string_equal(call(&f, "meth.test", "/x/Get"), "ns/meth#0");
    assert_string_equal(call(&f, "meth.test", "/a.B/GetX"), "404");
    assert_string_equal(call(&f, "meth.test", "/Get"), "404");
    /* Regex sides full-match their own component; a missing (or empty)
     * side takes any method. */
    assert_string_equal(call(&f, "re.test", "/pkg/Get"), "ns/re#0");
    assert_string_equal(call(&f, "re.test", "/pkg.Svc/Get"), "ns/re#1");
    assert_string_equal(call(&f, "re.test", "/apkg/Get"), "404");
    assert_string_equal(call(&f, "re.test", "/pkg/a/b"), "404");
    /* No method match: every gRPC call, and nothing else. */
    assert_string_equal(call(&f, "any.test", "/x.Y/Z"), "ns/any#0");
    assert_string_equal(route_hdrs(&f, "POST", "any.test", "/x.Y/Z", ""), "404");
    fx_free(&f);
}

/* ---- recognition -------------------------------------------------------------- */

static void
test_recognition(void **state)
{
    (void)state;
    static const struct {
        const char *method, *headers, *path;
        int grpc;
    } cases[] = {
        { "POST", "content-type: application/grpc", "/a.B/C", 1 },
        { "POST", "Content-Type: application/grpc+proto", "/a.B/C", 1 },
        { "POST", "content-type: application/grpc+json; charset=utf-8", "/a.B/C", 1 },
        { "POST", "content-type: application/grpc;x=y", "/a.B/C", 1 },
        { "POST", "CONTENT-TYPE: Application/GRPC", "/a.B/C", 1 },
        { "POST", "content-type: application/grpc", "/a.B/C?x=1", 1 },
        { "POST", "content-type: application/grpc", "/a.B/./C", 1 },
        { "POST", "x: y|content-type: application/grpc", "/a.B/C", 1 },
        { "POST", "content-type: application/grpc+", "/a.B/C", 0 },
        { "POST", "content-type: application/grpc-web", "/a.B/C", 0 },
        { "POST", "content-type: application/grpc-web+proto", "/a.B/C", 0 },
        { "POST", "content-type: application/grpcx", "/a.B/C", 0 },
        { "POST", "content-type: application/json", "/a.B/C", 0 },
        { "POST", "content-type: application/grpc+pro to", "/a.B/C", 0 },
        { "POST", "", "/a.B/C", 0 },
        { "POST", "content-type: application/grpc|content-type: application/grpc",
          "/a.B/C", 0 },
        { "GET", "content-type: application/grpc", "/a.B/C", 0 },
        { "post", "content-type: application/grpc", "/a.B/C", 0 },
        { "PUT", "content-type: application/grpc", "/a.B/C", 0 },
        { "POST", "content-type: application/grpc", "/a.B", 0 },
        { "POST", "content-type: application/grpc", "/a.B/", 0 },
        { "POST", "content-type: application/grpc", "/a/b/c", 0 },
        { "POST", "content-type: application/grpc", "/", 0 },
        { "POST", "content-type: application/grpc", "//C", 0 },
        { "POST", "content-type: application/grpc", "/a%zz/C", 0 },
    };
    fx f;
    fx_load(&f, ROUTE("any", OLD, "  rules:\n  - " BE));
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        const char *got = route_hdrs(&f, cases[i].method, "h", cases[i].path,
                                     cases[i].headers);
        if (gwr_decision_grpc(f.d) != cases[i].grpc)
            fail_msg("case %zu (%s %s %s): grpc %d", i, cases[i].method,
                     cases[i].path, cases[i].headers, gwr_decision_grpc(f.d));
        if (cases[i].grpc)
            assert_string_equal(got, "ns/any#0");
        else
            assert_true(strcmp(got, "404") == 0 || strcmp(got, "400") == 0);
    }
    assert_int_equal(gwr_decision_grpc(NULL), 0);
    fx_free(&f);
}

/* ---- the answers of a gRPC call ------------------------------------------------- */

static void
test_grpc_status(void **state)
{
    (void)state;
    fx f;
    fx_load(&f,
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\n"
        "spec: {ports: [{port: 80, appProtocol: kubernetes.io/h2c}]}\n"
        ROUTE("r", OLD, "  hostnames: [g.test]\n  rules:\n"
              "  - matches: [{method: {method: Ok}}]\n" BE
              "  - matches: [{method: {method: Empty}}]\n"
              "  - matches: [{method: {method: Missing}}]\n"
              "    backendRefs: [{name: nope, port: 80}]\n"
              "  - matches: [{method: {method: Zero}}]\n"
              "    backendRefs: [{name: s, port: 80, weight: 0}]\n"
              "  - matches: [{method: {method: Kind}}]\n"
              "    backendRefs: [{group: example.com, kind: Thing, name: s}]\n")
        HTTPROUTE("h", OLD, "  hostnames: [h.test]\n  rules:\n"
                  "  - matches: [{path: {type: PathPrefix, value: /}}]\n"));
    assert_string_equal(call(&f, "g.test", "/a.B/Ok"), "ns/r#0");
    assert_int_equal(gwr_decision_grpc(f.d), 1);
    assert_int_equal(gwr_decision_grpc_status(f.d), GWR_GRPC_NONE);
    /* No route: HTTP 404, gRPC UNIMPLEMENTED. */
    assert_string_equal(call(&f, "g.test", "/a.B/Nothing"), "404");
    assert_int_equal(gwr_decision_result(f.d), GWR_RESULT_NO_ROUTE);
    assert_int_equal(gwr_decision_grpc_status(f.d), GWR_GRPC_UNIMPLEMENTED);
    assert_string_equal(call(&f, "nowhere.test", "/a.B/Ok"), "404");
    assert_int_equal(gwr_decision_grpc_status(f.d), 12);
    /* No usable backend: HTTP 500, gRPC UNAVAILABLE (§5.1, §5.2). */
    static const char *const empty[] = { "/a.B/Empty", "/a.B/Missing",
                                         "/a.B/Zero", "/a.B/Kind" };
    for (size_t i = 0; i < N_ELEMS(empty); i++) {
        const char *got = call(&f, "g.test", empty[i]);
        assert_non_null(strstr(got, " 500"));
        assert_int_equal(gwr_decision_result(f.d), GWR_RESULT_RESPOND);
        assert_int_equal(gwr_decision_grpc_status(f.d), GWR_GRPC_UNAVAILABLE);
    }
    /* A gRPC call on an HTTPRoute without backends is still a gRPC call. */
    assert_string_equal(call(&f, "h.test", "/a.B/C"), "ns/h#0 500");
    assert_int_equal(gwr_decision_grpc_status(f.d), 14);
    /* Not a gRPC call: plain HTTP answers, no gRPC status. */
    assert_string_equal(route_hdrs(&f, "POST", "g.test", "/a.B/Nothing", ""), "404");
    assert_int_equal(gwr_decision_grpc_status(f.d), 0);
    assert_string_equal(route_hdrs(&f, "GET", "h.test", "/a.B/C", ""), "ns/h#0 500");
    assert_int_equal(gwr_decision_grpc_status(f.d), 0);
    /* 400 (a rejected Host): not recognised, no gRPC status. */
    assert_string_equal(call(&f, "bad host", "/a.B/Ok"), "400");
    assert_int_equal(gwr_decision_grpc(f.d), 0);
    assert_int_equal(gwr_decision_grpc_status(f.d), 0);
    assert_int_equal(gwr_decision_grpc_status(NULL), 0);
    fx_free(&f);
}

/* ---- GRPCRoute and HTTPRoute on one listener ------------------------------------ */

static void
test_kinds_implicit_listener(void **state)
{
    (void)state;
    /* No Gateway: no §2.3 conflict rule. Hostname specificity first; at
     * equal hostname a GRPCRoute candidate goes before an HTTPRoute one. */
    fx f;
    fx_load(&f,
        HTTPROUTE("http", OLD, "  hostnames: [a.test]\n  rules:\n"
                  "  - matches: [{path: {type: Exact, value: /pkg.Svc/Get}}]\n" BE)
        ROUTE("grpc", NEW, "  hostnames: [a.test, '*.test']\n  rules:\n  - " BE)
        HTTPROUTE("http-exact-host", OLD, "  hostnames: [b.test]\n  rules:\n  - " BE));
    assert_string_equal(call(&f, "a.test", "/pkg.Svc/Get"), "ns/grpc#0");
    assert_string_equal(route_hdrs(&f, "POST", "a.test", "/pkg.Svc/Get", ""),
                        "ns/http#0");
    assert_string_equal(call(&f, "b.test", "/pkg.Svc/Get"), "ns/http-exact-host#0");
    assert_string_equal(call(&f, "c.test", "/pkg.Svc/Get"), "ns/grpc#0");
    fx_free(&f);
}

static void
test_gateway_conflict_keeps_kinds_apart(void **state)
{
    (void)state;
    /* On a real listener the older route of the two kinds wins the
     * hostname and the other is not attached (§2.3). */
    fx f;
    fx_load(&f,
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
        "metadata: {name: gw, namespace: ns}\nspec:\n  gatewayClassName: c\n"
        "  listeners:\n  - {name: l, port: 80, protocol: HTTP}\n"
        ROUTE("grpc", NEW, "  parentRefs: [{name: gw}]\n  hostnames: [a.test]\n"
              "  rules:\n  - " BE)
        HTTPROUTE("http", OLD, "  parentRefs: [{name: gw}]\n  hostnames: [a.test]\n"
                  "  rules:\n  - " BE)
        ROUTE("grpc-b", NEW, "  parentRefs: [{name: gw}]\n  hostnames: [b.test]\n"
              "  rules:\n  - " BE));
    assert_string_equal(call(&f, "a.test", "/pkg.Svc/Get"), "ns/http#0");
    assert_string_equal(call(&f, "b.test", "/pkg.Svc/Get"), "ns/grpc-b#0");
    fx_free(&f);
}

/* ---- steady state ---------------------------------------------------------------- */

static void
test_no_allocation(void **state)
{
    (void)state;
    test_alloc ta;
    test_alloc_init(&ta);
    gwr_ctx *ctx = NULL;
    assert_int_equal(gwr_ctx_new(&ctx, &ta.hooks, NULL, NULL), GWR_OK);
    fx f;
    fx_load_ctx(&f, ctx,
        ROUTE("r", OLD, "  rules:\n"
              "  - matches: [{method: {service: pkg.Svc, method: Get}}]\n" BE
              "  - matches: [{method: {type: RegularExpression, service: 'p.*',"
              " method: 'L.+'}, headers: [{name: x, value: y}]}]\n" BE
              "  - matches: [{method: {method: Put}}]\n" BE
              "  - matches: [{method: {service: pkg.Svc}}]\n"));
    static const char *const paths[] = { "/pkg.Svc/Get", "/pkg.Svc/List",
                                         "/q.R/Put", "/pkg.Svc/Del", "/x/y" };
    for (int round = 0; round < 2; round++) {
        size_t before = ta.calls;
        for (size_t i = 0; i < N_ELEMS(paths); i++)
            call_h(&f, "h.test", paths[i], "x: y");
        if (round == 1 && ta.calls != before)
            fail_msg("steady-state gRPC matches allocated %zu times",
                     ta.calls - before);
    }
    fx_free(&f);
    assert_int_equal(ta.live, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prec_hostname),
        cmocka_unit_test(test_prec_service),
        cmocka_unit_test(test_prec_method),
        cmocka_unit_test(test_prec_headers),
        cmocka_unit_test(test_prec_age_and_name),
        cmocka_unit_test(test_prec_rule_and_match_order),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_recognition),
        cmocka_unit_test(test_grpc_status),
        cmocka_unit_test(test_kinds_implicit_listener),
        cmocka_unit_test(test_gateway_conflict_keeps_kinds_apart),
        cmocka_unit_test(test_no_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
