/*
 * libgwroute fuzz target - SPDX-License-Identifier: MIT
 *
 * gwr_table_match on hostile requests: the boundary every client byte
 * crosses. A fixed set of tables is compiled once from the configs
 * embedded below (every match type, filter, backend feature and
 * listener kind, under several compile options); the input bytes build
 * the request, llhttp style:
 *
 *   byte 0   table selector
 *   byte 1   flags: 0x01 seeded, 0x02 headers through the callback,
 *            0x04 the callback fails after the last header, 0x08 empty
 *            fields as NULL views, 0x10 match twice (decision reuse and
 *            determinism), 0x20 unknown tail in gwr_request.size
 *            (GWR_E_ABI), 0x40 '\0' instead of '\n' as separator,
 *            0x80 a TLS server name follows the target
 *   byte 2   listener port selector (80, 8080, 443, 0 or a raw value)
 *   byte 3   seed byte
 *   then     method SEP scheme SEP host SEP target SEP [sni SEP] then
 *            header fields "name:value" SEP ... (every field fuzzed; no
 *            ':' = no value)
 *
 * Every accessor of the decision is read and every byte of every view
 * touched (ASan sees stale or foreign memory); the documented invariants
 * of each result are checked (a 421 only for an https request with a
 * server name); a seeded request must give the same decision twice.
 */
#include "fuzz-common.h"
#include "fuzz-decision.h"

#define FZ_MAX_HEADERS 64

/* ---- the configs (YAML, one string a document) ------------------------ */

static const char *const config_shop[] = {
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: Gateway\n"
    "metadata:\n"
    "  name: edge\n"
    "  namespace: infra\n"
    "spec:\n"
    "  gatewayClassName: gwroute\n"
    "  listeners:\n"
    "  - name: web\n"
    "    port: 80\n"
    "    protocol: HTTP\n"
    "    hostname: '*.example.com'\n"
    "    allowedRoutes:\n"
    "      namespaces:\n"
    "        from: All\n"
    "  - name: any\n"
    "    port: 8080\n"
    "    protocol: HTTP\n"
    "    allowedRoutes:\n"
    "      namespaces:\n"
    "        from: All\n"
    "  - name: tls\n"
    "    port: 443\n"
    "    protocol: HTTPS\n"
    "    hostname: secure.example.org\n"
    "    allowedRoutes:\n"
    "      namespaces:\n"
    "        from: All\n"
    "    tls:\n"
    "      certificateRefs:\n"
    "      - name: cert\n"
    "  - name: tls-any\n"
    "    port: 443\n"
    "    protocol: HTTPS\n"
    "    allowedRoutes:\n"
    "      namespaces:\n"
    "        from: All\n"
    "    tls:\n"
    "      certificateRefs:\n"
    "      - name: cert\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: api\n"
    "  namespace: shop\n"
    "spec:\n"
    "  ports:\n"
    "  - name: http\n"
    "    port: 8080\n"
    "    appProtocol: kubernetes.io/h2c\n"
    "  - name: ws\n"
    "    port: 9090\n"
    "    appProtocol: kubernetes.io/ws\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: web\n"
    "  namespace: shop\n"
    "spec:\n"
    "  ports:\n"
    "  - port: 80\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: shadow\n"
    "  namespace: shop\n"
    "spec:\n"
    "  ports:\n"
    "  - port: 80\n",
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata:\n"
    "  name: api-1\n"
    "  namespace: shop\n"
    "  labels:\n"
    "    kubernetes.io/service-name: api\n"
    "addressType: IPv4\n"
    "ports:\n"
    "- name: http\n"
    "  port: 18080\n"
    "- name: ws\n"
    "  port: 19090\n"
    "endpoints:\n"
    "- addresses:\n"
    "  - 10.0.0.1\n"
    "  conditions:\n"
    "    ready: true\n"
    "- addresses:\n"
    "  - 10.0.0.2\n"
    "  conditions:\n"
    "    ready: false\n"
    "- addresses:\n"
    "  - 10.0.0.3\n",
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: BackendTLSPolicy\n"
    "metadata:\n"
    "  name: api-tls\n"
    "  namespace: shop\n"
    "spec:\n"
    "  targetRefs:\n"
    "  - group: ''\n"
    "    kind: Service\n"
    "    name: api\n"
    "  validation:\n"
    "    hostname: api.internal\n"
    "    wellKnownCACertificates: System\n"
    "    subjectAltNames:\n"
    "    - type: Hostname\n"
    "      hostname: api.internal\n"
    "    - type: URI\n"
    "      uri: spiffe://cluster/api\n",
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata:\n"
    "  name: shop\n"
    "  namespace: shop\n"
    "  creationTimestamp: '2026-01-10T09:00:00Z'\n"
    "spec:\n"
    "  parentRefs:\n"
    "  - name: edge\n"
    "    namespace: infra\n"
    "  hostnames:\n"
    "  - shop.example.com\n"
    "  - '*.shop.example.com'\n"
    "  - secure.example.org\n"
    "  rules:\n"
    "  - name: cart\n"
    "    matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /cart\n"
    "    - path:\n"
    "        type: Exact\n"
    "        value: /cart/checkout\n"
    "      method: POST\n"
    "      headers:\n"
    "      - name: x-user\n"
    "        value: vip\n"
    "      - type: RegularExpression\n"
    "        name: x-trace\n"
    "        value: '[0-9a-f]{8,32}'\n"
    "      queryParams:\n"
    "      - name: step\n"
    "        value: '2'\n"
    "      - type: RegularExpression\n"
    "        name: promo\n"
    "        value: (A|B)+[0-9]*\n"
    "    filters:\n"
    "    - type: RequestHeaderModifier\n"
    "      requestHeaderModifier:\n"
    "        set:\n"
    "        - name: x-shop\n"
    "          value: cart\n"
    "        - name: Host-Note\n"
    "          value: a,b\n"
    "        add:\n"
    "        - name: x-tier\n"
    "          value: gold\n"
    "        - name: accept\n"
    "          value: '*/*'\n"
    "        remove:\n"
    "        - x-remove-me\n"
    "        - cookie\n"
    "    - type: ResponseHeaderModifier\n"
    "      responseHeaderModifier:\n"
    "        set:\n"
    "        - name: cache-control\n"
    "          value: no-store\n"
    "        add:\n"
    "        - name: x-served-by\n"
    "          value: gwroute\n"
    "        remove:\n"
    "        - server\n"
    "    - type: RequestMirror\n"
    "      requestMirror:\n"
    "        backendRef:\n"
    "          name: shadow\n"
    "          port: 80\n"
    "        percent: 50\n"
    "    - type: RequestMirror\n"
    "      requestMirror:\n"
    "        backendRef:\n"
    "          name: missing\n"
    "          port: 80\n"
    "        fraction:\n"
    "          numerator: 1\n"
    "          denominator: 3\n"
    "    - type: ExtensionRef\n"
    "      extensionRef:\n"
    "        group: example.com\n"
    "        kind: Auth\n"
    "        name: jwt\n"
    "    backendRefs:\n"
    "    - name: api\n"
    "      port: 8080\n"
    "      weight: 3\n"
    "    - name: web\n"
    "      port: 80\n"
    "      weight: 1\n"
    "      filters:\n"
    "      - type: RequestHeaderModifier\n"
    "        requestHeaderModifier:\n"
    "          set:\n"
    "          - name: x-backend\n"
    "            value: web\n"
    "      - type: ResponseHeaderModifier\n"
    "        responseHeaderModifier:\n"
    "          add:\n"
    "          - name: x-backend\n"
    "            value: web\n"
    "    - name: api\n"
    "      port: 9090\n"
    "      weight: 0\n"
    "    timeouts:\n"
    "      request: 10s\n"
    "      backendRequest: 2s500ms\n"
    "    retry:\n"
    "      attempts: 3\n"
    "      backoff: 100ms\n"
    "      codes:\n"
    "      - 500\n"
    "      - 502\n"
    "      - 503\n"
    "  - name: rewrite\n"
    "    matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /api/v1/\n"
    "    filters:\n"
    "    - type: URLRewrite\n"
    "      urlRewrite:\n"
    "        hostname: api.internal\n"
    "        path:\n"
    "          type: ReplacePrefixMatch\n"
    "          replacePrefixMatch: /v1\n"
    "    backendRefs:\n"
    "    - name: api\n"
    "      port: 8080\n"
    "  - name: versioned\n"
    "    matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /api/v2\n"
    "      headers:\n"
    "      - name: x-version\n"
    "        value: '2'\n"
    "    backendRefs:\n"
    "    - name: api\n"
    "      port: 9090\n"
    "  - name: full\n"
    "    matches:\n"
    "    - path:\n"
    "        type: RegularExpression\n"
    "        value: /files/[^/]+\\.(png|jpg)\n"
    "    filters:\n"
    "    - type: URLRewrite\n"
    "      urlRewrite:\n"
    "        path:\n"
    "          type: ReplaceFullPath\n"
    "          replaceFullPath: /static/image\n"
    "    backendRefs:\n"
    "    - name: web\n"
    "      port: 80\n"
    "  - name: moved\n"
    "    matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /old\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect:\n"
    "        scheme: https\n"
    "        hostname: new.example.com\n"
    "        port: 8443\n"
    "        statusCode: 301\n"
    "        path:\n"
    "          type: ReplacePrefixMatch\n"
    "          replacePrefixMatch: /new\n"
    "  - name: moved-full\n"
    "    matches:\n"
    "    - path:\n"
    "        type: Exact\n"
    "        value: /legacy\n"
    "    - queryParams:\n"
    "      - name: legacy\n"
    "        value: '1'\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect:\n"
    "        path:\n"
    "          type: ReplaceFullPath\n"
    "          replaceFullPath: /modern\n"
    "  - name: broken\n"
    "    matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /broken\n"
    "    backendRefs:\n"
    "    - name: nowhere\n"
    "      port: 80\n"
    "  - name: empty\n"
    "    matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /empty\n",
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata:\n"
    "  name: catchall\n"
    "  namespace: other\n"
    "spec:\n"
    "  parentRefs:\n"
    "  - name: edge\n"
    "    namespace: infra\n"
    "    sectionName: any\n"
    "  rules:\n"
    "  - matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /\n"
    "    - method: DELETE\n"
    "    - headers:\n"
    "      - name: x-any\n"
    "        value: '1'\n"
    "    filters:\n"
    "    - type: CORS\n"
    "      cors:\n"
    "        allowOrigins: ['https://shop.example.com', 'https://*.example.com',"
    " 'http://*:8080']\n"
    "        allowMethods: [GET, POST]\n"
    "        allowHeaders: ['*']\n"
    "        exposeHeaders: [x-served-by]\n"
    "        allowCredentials: true\n"
    "    backendRefs:\n"
    "    - name: web\n"
    "      namespace: shop\n"
    "      port: 80\n"
    "  - matches:\n"
    "    - path:\n"
    "        type: RegularExpression\n"
    "        value: (/[a-z]+)*/(.*)+x\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect:\n"
    "        scheme: http\n"
    "        statusCode: 302\n",
    "apiVersion: gateway.networking.k8s.io/v1beta1\n"
    "kind: ReferenceGrant\n"
    "metadata:\n"
    "  name: allow-other\n"
    "  namespace: shop\n"
    "spec:\n"
    "  from:\n"
    "  - group: gateway.networking.k8s.io\n"
    "    kind: HTTPRoute\n"
    "    namespace: other\n"
    "  to:\n"
    "  - group: ''\n"
    "    kind: Service\n",
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: GRPCRoute\n"
    "metadata:\n"
    "  name: rpc\n"
    "  namespace: shop\n"
    "spec:\n"
    "  parentRefs:\n"
    "  - name: edge\n"
    "    namespace: infra\n"
    "  hostnames:\n"
    "  - rpc.example.com\n"
    "  rules:\n"
    "  - matches:\n"
    "    - method:\n"
    "        service: pkg.Echo\n"
    "        method: Say\n"
    "    - method:\n"
    "        type: RegularExpression\n"
    "        service: pkg\\.(Foo|Bar)\n"
    "        method: Get.*\n"
    "      headers:\n"
    "      - name: x-grpc\n"
    "        value: '1'\n"
    "    - method:\n"
    "        method: Ping\n"
    "    backendRefs:\n"
    "    - name: api\n"
    "      port: 8080\n"
    "  - matches:\n"
    "    - method:\n"
    "        service: pkg.Other\n"
    "    backendRefs:\n"
    "    - name: web\n"
    "      port: 80\n",
    NULL
};

static const char *const config_implicit[] = {
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata:\n"
    "  name: hosts\n"
    "  namespace: default\n"
    "spec:\n"
    "  hostnames:\n"
    "  - a.example.com\n"
    "  - '*.example.com'\n"
    "  - '*.b.example.com'\n"
    "  - xn--bcher-kva.example\n"
    "  - localhost\n"
    "  rules:\n"
    "  - matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /a/\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /a/b\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /%41%2e\n"
    "    - path:\n"
    "        type: Exact\n"
    "        value: /a/b/c\n"
    "    - path:\n"
    "        type: Exact\n"
    "        value: /x:y@z!$&'()*+,;=\n"
    "    - path:\n"
    "        type: RegularExpression\n"
    "        value: /re/(a|aa)*b\n"
    "    - path:\n"
    "        type: RegularExpression\n"
    "        value: /deep/((((((((x))))))))+\n"
    "    backendRefs:\n"
    "    - name: svc-a\n"
    "      port: 80\n"
    "  - matches:\n"
    "    - headers:\n"
    "      - name: X-Multi\n"
    "        value: a,b\n"
    "      - name: x-case\n"
    "        value: MiXeD\n"
    "    - headers:\n"
    "      - type: RegularExpression\n"
    "        name: user-agent\n"
    "        value: (?i).*bot.*\n"
    "    - queryParams:\n"
    "      - name: q\n"
    "        value: wh ale\n"
    "      - name: Empty\n"
    "        value: e\n"
    "    - queryParams:\n"
    "      - type: RegularExpression\n"
    "        name: id\n"
    "        value: '[0-9]{1,6}'\n"
    "    - method: HEAD\n"
    "    - method: PATCH\n"
    "      path:\n"
    "        type: Exact\n"
    "        value: /patch\n"
    "    backendRefs:\n"
    "    - name: svc-a\n"
    "      port: 80\n"
    "      weight: 1\n"
    "    - name: svc-b\n"
    "      port: 80\n"
    "      weight: 1\n"
    "    - name: svc-c\n"
    "      port: 80\n"
    "      weight: 1000000\n"
    "    filters:\n"
    "    - type: RequestHeaderModifier\n"
    "      requestHeaderModifier:\n"
    "        set:\n"
    "        - name: X-Multi\n"
    "          value: replaced\n"
    "        add:\n"
    "        - name: x-case\n"
    "          value: added\n"
    "        remove:\n"
    "        - user-agent\n",
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata:\n"
    "  name: redirects\n"
    "  namespace: default\n"
    "spec:\n"
    "  rules:\n"
    "  - matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /r/prefix\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect:\n"
    "        path:\n"
    "          type: ReplacePrefixMatch\n"
    "          replacePrefixMatch: /\n"
    "        statusCode: 308\n"
    "  - matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /r/port\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect:\n"
    "        port: 65535\n"
    "        scheme: https\n"
    "  - matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /r/host\n"
    "    filters:\n"
    "    - type: RequestRedirect\n"
    "      requestRedirect:\n"
    "        hostname: redirect.example.net\n"
    "        statusCode: 303\n"
    "  - matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /w/\n"
    "    filters:\n"
    "    - type: URLRewrite\n"
    "      urlRewrite:\n"
    "        path:\n"
    "          type: ReplacePrefixMatch\n"
    "          replacePrefixMatch: /\n"
    "    backendRefs:\n"
    "    - name: svc-b\n"
    "      port: 80\n"
    "  - matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /w/deeper/\n"
    "    filters:\n"
    "    - type: URLRewrite\n"
    "      urlRewrite:\n"
    "        path:\n"
    "          type: ReplacePrefixMatch\n"
    "          replacePrefixMatch: /much/longer/replacement/prefix/\n"
    "    backendRefs:\n"
    "    - name: svc-b\n"
    "      port: 80\n"
    "      filters:\n"
    "      - type: RequestRedirect\n"
    "        requestRedirect:\n"
    "          statusCode: 307\n"
    "    - name: svc-a\n"
    "      port: 80\n",
    "apiVersion: gateway.networking.k8s.io/v1\n"
    "kind: HTTPRoute\n"
    "metadata:\n"
    "  name: zero\n"
    "  namespace: default\n"
    "spec:\n"
    "  hostnames:\n"
    "  - zero.example.com\n"
    "  rules:\n"
    "  - backendRefs:\n"
    "    - name: svc-a\n"
    "      port: 80\n"
    "      weight: 0\n"
    "  - matches:\n"
    "    - path:\n"
    "        type: PathPrefix\n"
    "        value: /mirror\n"
    "    filters:\n"
    "    - type: RequestMirror\n"
    "      requestMirror:\n"
    "        backendRef:\n"
    "          name: svc-b\n"
    "          port: 80\n"
    "    - type: RequestMirror\n"
    "      requestMirror:\n"
    "        backendRef:\n"
    "          name: svc-c\n"
    "          port: 80\n"
    "        fraction:\n"
    "          numerator: 0\n"
    "          denominator: 100\n"
    "    backendRefs:\n"
    "    - name: svc-a\n"
    "      port: 80\n"
    "    timeouts:\n"
    "      request: 0s\n"
    "    retry:\n"
    "      attempts: 0\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: svc-a\n"
    "  namespace: default\n"
    "spec:\n"
    "  ports:\n"
    "  - port: 80\n"
    "    appProtocol: kubernetes.io/ws\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: svc-b\n"
    "  namespace: default\n"
    "spec:\n"
    "  ports:\n"
    "  - port: 80\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: svc-c\n"
    "  namespace: default\n"
    "spec:\n"
    "  ports:\n"
    "  - port: 80\n",
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata:\n"
    "  name: svc-a-v6\n"
    "  namespace: default\n"
    "  labels:\n"
    "    kubernetes.io/service-name: svc-a\n"
    "addressType: IPv6\n"
    "ports:\n"
    "- port: 8443\n"
    "endpoints:\n"
    "- addresses:\n"
    "  - fd00::1\n"
    "  - fd00::2\n",
    NULL
};

/* ---- tables ------------------------------------------------------------ */

typedef struct fz_table_def {
    const char *const *config;   /* NULL: an empty config */
    uint32_t flags;              /* gwr_compile_opts.flags */
    uint32_t path_flags;
} fz_table_def;

static const fz_table_def fz_defs[] = {
    { config_shop, 0, 0 },
    { config_shop, GWR_COMPILE_NO_NORMALIZATION, 0 },
    { config_shop, GWR_COMPILE_PATH_FLAGS,
      GWR_PATH_DECODE_UNRESERVED | GWR_PATH_DECODE_ENCODED_SLASH |
      GWR_PATH_REMOVE_DOT_SEGMENTS },
    { config_implicit, 0, 0 },
    { config_implicit, GWR_COMPILE_PATH_FLAGS, 0 },
    { config_implicit, GWR_COMPILE_NO_NORMALIZATION, 0 },
    { NULL, 0, 0 },
};
#define FZ_NTABLES (sizeof(fz_defs) / sizeof(fz_defs[0]))

static gwr_ctx *fz_ctx;
static gwr_table *fz_tables[FZ_NTABLES];
static gwr_decision *fz_reused;   /* one decision kept across inputs */
static uint64_t fz_rng;

/* Deterministic "random" source, so that crashes reproduce. */
static void
fz_random(uint8_t *buf, size_t len, void *ud)
{
    (void)ud;
    for (size_t i = 0; i < len; i++) {
        fz_rng = fz_rng * 6364136223846793005u + 1442695040888963407u;
        buf[i] = (uint8_t)(fz_rng >> 56);
    }
}

static gwr_table *
compile_def(const fz_table_def *def)
{
    gwr_config *cfg = NULL;
    gwr_table *t = NULL;
    if (gwr_config_new(&cfg, fz_ctx) != GWR_OK)
        abort();
    for (size_t i = 0; def->config != NULL && def->config[i] != NULL; i++) {
        gwr_str text = { def->config[i], strlen(def->config[i]) };
        int rc = gwr_config_add_text(cfg, GWR_FORMAT_YAML, text,
                                     (gwr_str)GWR_STR_LIT("fuzz-match"));
        if (rc != GWR_OK && rc != GWR_E_CONFIG) {
            fprintf(stderr, "fuzz-match: config document %zu: %s\n", i,
                    gwr_strerror(rc));
            abort();
        }
    }
    gwr_compile_opts opts = GWR_COMPILE_OPTS_INIT;
    char err[256] = "";
    opts.flags = def->flags;
    opts.path_flags = def->path_flags;
    opts.errbuf = err;
    opts.errbuf_size = sizeof(err);
    if (gwr_table_compile(&t, cfg, &opts) != GWR_OK) {
        fprintf(stderr, "fuzz-match: compile: %s\n", err);
        abort();
    }
    gwr_config_free(cfg);
    return t;
}

static void
setup(void)
{
    if (fz_ctx != NULL)
        return;
    gwr_io io = GWR_IO_INIT;
    io.random = fz_random;
    if (gwr_ctx_new(&fz_ctx, NULL, &io, NULL) != GWR_OK)
        abort();
    for (size_t i = 0; i < FZ_NTABLES; i++)
        fz_tables[i] = compile_def(&fz_defs[i]);
    if (gwr_decision_new(&fz_reused, fz_ctx) != GWR_OK)
        abort();
}

/* ---- the request ------------------------------------------------------- */

typedef struct fz_req {
    gwr_header headers[FZ_MAX_HEADERS];
    size_t n;
    int fail;
} fz_req;

static int
header_cb(size_t index, gwr_header *out, void *ud)
{
    fz_req *r = ud;
    if (index < r->n) {
        *out = r->headers[index];
        return 1;
    }
    return r->fail ? -1 : 0;
}

static gwr_str
field(fuzz_in *in, uint8_t sep, int null_empty)
{
    const char *p;
    size_t n;
    fuzz_field(in, sep, &p, &n);
    if (n == 0 && null_empty)
        p = NULL;
    return (gwr_str){ p, n };
}

static int
match(const gwr_table *t, const gwr_request *rq, gwr_decision *d,
      int want, int normalized, fz_digest *dg)
{
    int rc = gwr_table_match(t, rq, d);
    FUZZ_CHECK(rc == want);
    *dg = read_decision(d, normalized);
    if (rc != GWR_OK) /* "on error d reads as never matched" */
        FUZZ_CHECK(dg->result == GWR_RESULT_NO_ROUTE && dg->status == 0);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > 65536)
        return 0;
    setup();
    fuzz_in in = { data, size };
    size_t ti = fuzz_u8(&in) % FZ_NTABLES;
    uint8_t flags = fuzz_u8(&in);
    uint8_t port_sel = fuzz_u8(&in);
    uint8_t seed = fuzz_u8(&in);
    uint8_t sep = (flags & 0x40) ? '\0' : '\n';
    int null_empty = (flags & 0x08) != 0;
    static const uint32_t ports[] = { 80, 8080, 443, 0 };

    /* Copy the rest so the request views end exactly where the input's
     * bytes do (ASan catches a read past a field at the buffer end). */
    char *copy = fuzz_dup((const char *)in.p, in.n);
    fuzz_in rest = { (const uint8_t *)copy, copy != NULL ? in.n : 0 };

    gwr_request rq = GWR_REQUEST_INIT;
    rq.method = field(&rest, sep, null_empty);
    rq.scheme = field(&rest, sep, null_empty);
    rq.host = field(&rest, sep, null_empty);
    rq.path = field(&rest, sep, null_empty);
    if (flags & 0x80)
        rq.sni = field(&rest, sep, null_empty);
    rq.port = port_sel < 4 ? ports[port_sel] : (uint32_t)port_sel * 263u;
    static fz_req hdrs;
    hdrs.n = 0;
    hdrs.fail = (flags & 0x04) != 0;
    while (rest.n > 0 && hdrs.n < FZ_MAX_HEADERS) {
        gwr_str line = field(&rest, sep, 0);
        const char *colon = line.len ? memchr(line.ptr, ':', line.len) : NULL;
        gwr_header *h = &hdrs.headers[hdrs.n++];
        if (colon == NULL) {
            h->name = line;
            h->value = (gwr_str){ null_empty ? NULL : line.ptr + line.len, 0 };
        } else {
            h->name = (gwr_str){ line.ptr, (size_t)(colon - line.ptr) };
            h->value = (gwr_str){ colon + 1,
                                  line.len - (size_t)(colon - line.ptr) - 1 };
        }
        if (null_empty && h->name.len == 0)
            h->name.ptr = NULL;
        if (null_empty && h->value.len == 0)
            h->value.ptr = NULL;
    }
    if (flags & 0x02) {
        rq.header_fn = header_cb;
        rq.header_ud = &hdrs;
    } else {
        rq.headers = hdrs.headers;
        rq.n_headers = hdrs.n;
    }
    if (flags & 0x01) {
        rq.flags = GWR_REQ_SEEDED;
        rq.seed = seed * UINT64_C(0x9E3779B97F4A7C15);
    }
    int want = GWR_OK;
    if ((flags & 0x04) && (flags & 0x02))
        want = GWR_E_CALLBACK;
    gwr_request big[2];
    const gwr_request *rqp = &rq;
    if (flags & 0x20) {
        /* a newer caller's struct with a non-zero unknown tail */
        memset(big, 0, sizeof(big));
        big[0] = rq;
        big[0].size = sizeof(rq) + 8;
        memset((char *)&big[0] + sizeof(rq), 0xff, 8);
        rqp = &big[0];
        want = GWR_E_ABI;
    }

    const gwr_table *t = fz_tables[ti];
    int normalized = !(fz_defs[ti].flags & GWR_COMPILE_NO_NORMALIZATION);
    fz_digest a, b;
    match(t, rqp, fz_reused, want, normalized, &a);
    if (a.status == 421)      /* misdirected: only for a server name over TLS */
        FUZZ_CHECK(rq.sni.len > 0 && rq.scheme.len == 5 &&
                   memcmp(rq.scheme.ptr, "https", 5) == 0);
    if (flags & 0x10) {
        /* a fresh decision, then the reused one again: a seeded request
         * decides the same every time */
        gwr_decision *d = NULL;
        if (gwr_decision_new(&d, fz_ctx) != GWR_OK)
            abort();
        match(t, rqp, d, want, normalized, &b);
        if (rq.flags & GWR_REQ_SEEDED)
            FUZZ_CHECK(a.result == b.result && a.status == b.status &&
                       a.seed == b.seed && a.hash == b.hash);
        gwr_decision_free(d);
        match(fz_tables[(ti + 1) % FZ_NTABLES], rqp, fz_reused, want,
              !(fz_defs[(ti + 1) % FZ_NTABLES].flags &
                GWR_COMPILE_NO_NORMALIZATION), &b);
        match(t, rqp, fz_reused, want, normalized, &b);
        if (rq.flags & GWR_REQ_SEEDED)
            FUZZ_CHECK(a.result == b.result && a.status == b.status &&
                       a.seed == b.seed && a.hash == b.hash);
    }
    free(copy);
    return 0;
}
