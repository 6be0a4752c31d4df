/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * GatewayClass and Gateway (spec §1.2, §7.4): listeners with their TLS and
 * allowedRoutes, the listener CEL rules, addresses, infrastructure, the
 * backend client certificate (v1.2 experimental spec.backendTLS or
 * >= v1.4 spec.tls.backend), and the later fields spec.tls.frontend,
 * spec.allowedListeners and spec.defaultScope (validated only).
 */
#include <string.h>

#include "build.h"
#include "hostname.h"
#include "names.h"

/* ---- GatewayClass ------------------------------------------------------------ */

void *
gwr_build__gateway_class(gwr_build *b, const gwr_node *obj,
                         const gwr_meta *meta)
{
    static const char *const known[] = {
        "controllerName", "parametersRef", "description", NULL
    };
    static const char *const pref_known[] = {
        "group", "kind", "name", "namespace", NULL
    };
    gwr_gateway_class *c = gwr_build__alloc(b, 1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->meta = *meta;
    const gwr_node *spec = gwr_build__get(b, obj, "spec", GWR_NODE_MAP, 1);
    if (spec == NULL)
        return c;
    size_t mk = gwr_build__push(b, "spec");
    gwr_build__str_check(b, spec, "controllerName", 1,
                         gwr_names__check_gateway_controller,
                         &c->controller_name);
    gwr_build__str(b, spec, "description", 0, 0, 64, &c->description);
    const gwr_node *p = gwr_build__get(b, spec, "parametersRef", GWR_NODE_MAP,
                                       0);
    if (p != NULL) {
        size_t mp = gwr_build__push(b, "parametersRef");
        gwr_str s;
        gwr_build__str_check(b, p, "group", 1, gwr_names__check_group, &s);
        gwr_build__str_check(b, p, "kind", 1, gwr_names__check_kind, &s);
        gwr_build__str(b, p, "name", 1, 1, 253, &s);
        gwr_build__str_check(b, p, "namespace", 0,
                             gwr_names__check_namespace, &s);
        gwr_build__fields(b, p, pref_known);
        gwr_build__pop(b, mp);
    }
    gwr_build__fields(b, spec, known);
    gwr_build__pop(b, mk);
    return c;
}

/* ---- listeners ------------------------------------------------------------- */

static void
label_selector(gwr_build *b, const gwr_node *sel, gwr_label_selector *out)
{
    static const char *const known[] = {
        "matchLabels", "matchExpressions", NULL
    };
    static const char *const expr_known[] = {
        "key", "operator", "values", NULL
    };
    static const char *const ops[] = {
        "In", "NotIn", "Exists", "DoesNotExist", NULL
    };
    gwr_build__strmap(b, sel, "matchLabels", 0, &out->match_labels);
    for (size_t i = 0; i < out->match_labels.n; i++) {
        const gwr_kv *kv = &out->match_labels.items[i];
        const char *msg = gwr_names__check_label_key(kv->key);
        const char *vmsg = gwr_names__check_label_value(kv->value);
        if (msg != NULL || vmsg != NULL) {
            size_t mk = gwr_build__push(b, "matchLabels");
            gwr_build__error_key(b, gwr_node__get(sel, "matchLabels"),
                                 kv->key.ptr, "%s %s",
                                 msg != NULL ? "key" : "value",
                                 msg != NULL ? msg : vmsg);
            gwr_build__pop(b, mk);
        }
    }
    const gwr_node *l = gwr_build__list(b, sel, "matchExpressions", 0, 0, 0);
    if (l != NULL) {
        size_t mk = gwr_build__push(b, "matchExpressions");
        out->exprs = gwr_build__alloc(b, l->n, sizeof(*out->exprs));
        for (size_t i = 0; i < l->n && out->exprs != NULL; i++) {
            size_t mi = gwr_build__push_index(b, i);
            const gwr_node *e = l->items[i];
            if (gwr_build__is(b, e, GWR_NODE_MAP)) {
                gwr_label_expr *x = &out->exprs[out->n_exprs++];
                size_t op = 0;
                gwr_build__str_check(b, e, "key", 1,
                                     gwr_names__check_label_key, &x->key);
                int hop = gwr_build__enum(b, e, "operator", 1, ops, &x->op,
                                          &op);
                gwr_build__strs(b, e, "values", 0, 0, 63, &x->values);
                gwr_build__fields(b, e, expr_known);
                if (hop && op <= 1 && x->values.n == 0)
                    gwr_build__error_key(b, e, "values", "must be non-empty "
                                         "when operator is In or NotIn");
                if (hop && op >= 2 && gwr_build__has(e, "values") &&
                    gwr_node__get(e, "values")->n > 0)
                    gwr_build__error_key(b, e, "values", "must be empty when "
                                         "operator is Exists or "
                                         "DoesNotExist");
            }
            gwr_build__pop(b, mi);
        }
        gwr_build__pop(b, mk);
    }
    gwr_build__fields(b, sel, known);
}

static void
allowed_routes(gwr_build *b, const gwr_node *ln, gwr_listener *out)
{
    static const char *const known[] = { "namespaces", "kinds", NULL };
    static const char *const ns_known[] = { "from", "selector", NULL };
    static const char *const kind_known[] = { "group", "kind", NULL };
    static const char *const froms[] = { "All", "Selector", "Same", NULL };
    static const uint32_t from_ids[] = {
        GWR_FROM_ALL, GWR_FROM_SELECTOR, GWR_FROM_SAME
    };
    out->from = GWR_FROM_SAME;
    const gwr_node *ar = gwr_build__get(b, ln, "allowedRoutes", GWR_NODE_MAP,
                                        0);
    if (ar == NULL)
        return;
    size_t mk = gwr_build__push(b, "allowedRoutes");
    const gwr_node *ns = gwr_build__get(b, ar, "namespaces", GWR_NODE_MAP, 0);
    if (ns != NULL) {
        size_t mn = gwr_build__push(b, "namespaces");
        size_t f;
        if (gwr_build__enum(b, ns, "from", 0, froms, NULL, &f))
            out->from = from_ids[f];
        const gwr_node *sel = gwr_build__get(b, ns, "selector", GWR_NODE_MAP,
                                             0);
        if (sel != NULL) {
            size_t ms = gwr_build__push(b, "selector");
            out->has_selector = 1;
            label_selector(b, sel, &out->selector);
            gwr_build__pop(b, ms);
        }
        if (out->from == GWR_FROM_SELECTOR && sel == NULL)
            gwr_build__warn(b, ns, "from: Selector without a selector "
                            "selects no namespace");
        gwr_build__fields(b, ns, ns_known);
        gwr_build__pop(b, mn);
    }
    const gwr_node *kl = gwr_build__list(b, ar, "kinds", 0, 0, 8);
    if (kl != NULL) {
        size_t mkl = gwr_build__push(b, "kinds");
        out->has_kinds = 1;
        out->kinds = gwr_build__alloc(b, kl->n, sizeof(*out->kinds));
        for (size_t i = 0; i < kl->n && out->kinds != NULL; i++) {
            size_t mi = gwr_build__push_index(b, i);
            const gwr_node *k = kl->items[i];
            if (gwr_build__is(b, k, GWR_NODE_MAP)) {
                gwr_route_kind_ref *x = &out->kinds[out->n_kinds++];
                if (!gwr_build__str_check(b, k, "group", 0,
                                          gwr_names__check_group, &x->group) &&
                    !gwr_build__has(k, "group"))
                    x->group = gwr_build__lit(GWR_GROUP_GATEWAY);
                gwr_build__str_check(b, k, "kind", 1, gwr_names__check_kind,
                                     &x->kind);
                gwr_build__fields(b, k, kind_known);
            }
            gwr_build__pop(b, mi);
        }
        gwr_build__pop(b, mkl);
    }
    gwr_build__fields(b, ar, known);
    gwr_build__pop(b, mk);
}

static void
object_refs(gwr_build *b, const gwr_node *map, const char *key, int required,
            size_t min, size_t max)
{
    /* Frontend CA certificate refs (listener tls.frontendValidation and
     * spec.tls.frontend): ObjectReference, read for validation only (the
     * model does not carry them). */
    static const char *const known[] = {
        "group", "kind", "name", "namespace", NULL
    };
    const gwr_node *l = gwr_build__list(b, map, key, required, min, max);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, key);
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *r = l->items[i];
        if (gwr_build__is(b, r, GWR_NODE_MAP)) {
            gwr_str s;
            gwr_build__str_check(b, r, "group", 1, gwr_names__check_group, &s);
            gwr_build__str_check(b, r, "kind", 1, gwr_names__check_kind, &s);
            gwr_build__str_check(b, r, "name", 1,
                                 gwr_names__check_object_name, &s);
            gwr_build__str_check(b, r, "namespace", 0,
                                 gwr_names__check_namespace, &s);
            gwr_build__fields(b, r, known);
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

static void
listener_tls(gwr_build *b, const gwr_node *t, gwr_str ns, gwr_listener *out)
{
    static const char *const known[] = {
        "mode", "certificateRefs", "options", "frontendValidation", NULL
    };
    static const char *const modes[] = { "Terminate", "Passthrough", NULL };
    static const char *const fv_known[] = { "caCertificateRefs", NULL };
    out->has_tls = 1;
    out->tls_mode = gwr_build__lit("Terminate");
    gwr_build__enum(b, t, "mode", 0, modes, &out->tls_mode, NULL);
    const gwr_node *cl = gwr_build__list(b, t, "certificateRefs", 0, 0, 64);
    if (cl != NULL) {
        size_t mk = gwr_build__push(b, "certificateRefs");
        out->cert_refs = gwr_build__alloc(b, cl->n, sizeof(*out->cert_refs));
        for (size_t i = 0; i < cl->n && out->cert_refs != NULL; i++) {
            size_t mi = gwr_build__push_index(b, i);
            if (gwr_build__secret_ref(b, cl->items[i], ns,
                                      &out->cert_refs[out->n_cert_refs]))
                out->n_cert_refs++;
            gwr_build__pop(b, mi);
        }
        gwr_build__pop(b, mk);
    }
    gwr_build__strmap(b, t, "options", 16, &out->tls_options);
    for (size_t i = 0; i < out->tls_options.n; i++) {
        const gwr_kv *kv = &out->tls_options.items[i];
        const char *msg = gwr_names__check_annotation_key(kv->key);
        size_t mk = gwr_build__push(b, "options");
        if (msg != NULL)
            gwr_build__error_key(b, gwr_node__get(t, "options"), kv->key.ptr,
                                 "key %s", msg);
        else if (kv->value.len > 4096)
            gwr_build__error_key(b, gwr_node__get(t, "options"), kv->key.ptr,
                                 "must be at most 4096 characters, got %zu",
                                 kv->value.len);
        gwr_build__pop(b, mk);
    }
    const gwr_node *fv = gwr_build__get(b, t, "frontendValidation",
                                        GWR_NODE_MAP, 0);
    if (fv != NULL) {
        size_t mk = gwr_build__push(b, "frontendValidation");
        object_refs(b, fv, "caCertificateRefs", 0, 1, 8);
        gwr_build__fields(b, fv, fv_known);
        gwr_build__pop(b, mk);
    }
    gwr_build__fields(b, t, known);
    if (gwr_str__eq_cstr(out->tls_mode, "Terminate") &&
        out->n_cert_refs == 0 && out->tls_options.n == 0 &&
        !gwr_build__has(t, "certificateRefs"))
        gwr_build__error(b, t, "certificateRefs or options must be specified "
                         "when mode is Terminate");
}

static const char *
check_hostname(gwr_str h)
{
    return gwr_hostname__check(h, 1);
}

static int
is_proto(gwr_str p, const char *a, const char *c, const char *d)
{
    return gwr_str__eq_cstr(p, a) || (c != NULL && gwr_str__eq_cstr(p, c)) ||
           (d != NULL && gwr_str__eq_cstr(p, d));
}

static void
listener(gwr_build *b, const gwr_node *ln, gwr_str ns, gwr_listener *out)
{
    static const char *const known[] = {
        "name", "hostname", "port", "protocol", "tls", "allowedRoutes", NULL
    };
    out->pos = gwr_build__pos(b, ln);
    gwr_build__str_check(b, ln, "name", 1, gwr_names__check_section_name,
                         &out->name);
    gwr_build__str_check(b, ln, "hostname", 0, check_hostname,
                         &out->hostname);
    int64_t port;
    if (gwr_build__int(b, ln, "port", 1, 1, 65535, &port))
        out->port = (uint32_t)port;
    int hp = gwr_build__str_check(b, ln, "protocol", 1,
                                  gwr_names__check_protocol_type,
                                  &out->protocol);
    const gwr_node *t = gwr_build__get(b, ln, "tls", GWR_NODE_MAP, 0);
    if (t != NULL) {
        size_t mk = gwr_build__push(b, "tls");
        listener_tls(b, t, ns, out);
        gwr_build__pop(b, mk);
    }
    allowed_routes(b, ln, out);
    gwr_build__fields(b, ln, known);
    if (!hp)
        return;
    /* The listeners' CEL rules that concern one listener. */
    if (t != NULL && is_proto(out->protocol, "HTTP", "TCP", "UDP"))
        gwr_build__error(b, ln, "tls must not be specified for protocols "
                         "['HTTP', 'TCP', 'UDP']");
    if (t != NULL && gwr_str__eq_cstr(out->protocol, "HTTPS") &&
        !gwr_str__eq_cstr(out->tls_mode, "Terminate"))
        gwr_build__error(b, ln, "tls mode must be Terminate for protocol "
                         "HTTPS");
    if (out->hostname.len > 0 && is_proto(out->protocol, "TCP", "UDP", NULL))
        gwr_build__error(b, ln, "hostname must not be specified for protocols "
                         "['TCP', 'UDP']");
    if (t == NULL && gwr_str__eq_cstr(out->protocol, "HTTPS"))
        gwr_build__warn(b, ln, "an HTTPS listener needs tls with a "
                        "certificate; the listener will not be valid");
    if (gwr_str__eq_cstr(out->protocol, "TLS") &&
        (t == NULL || !gwr_build__has(t, "mode")))
        gwr_build__warn(b, ln, "tls mode must be set for protocol TLS (the "
                        "CRD requires it since v1.5)");
}

static void
listeners(gwr_build *b, const gwr_node *spec, gwr_gateway *g)
{
    const gwr_node *l = gwr_build__list(b, spec, "listeners", 1, 1, 64);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "listeners");
    g->listeners = gwr_build__alloc(b, l->n, sizeof(*g->listeners));
    for (size_t i = 0; i < l->n && g->listeners != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *ln = l->items[i];
        if (gwr_build__is(b, ln, GWR_NODE_MAP)) {
            gwr_listener *x = &g->listeners[g->n_listeners++];
            listener(b, ln, g->meta.ns, x);
            for (size_t j = 0; j + 1 < g->n_listeners; j++) {
                const gwr_listener *o = &g->listeners[j];
                if (x->name.len > 0 && gwr_str__eq(o->name, x->name)) {
                    gwr_build__error_key(b, ln, "name", "Listener name must "
                                         "be unique within the Gateway");
                    break;
                }
                if (x->port != 0 && o->port == x->port &&
                    x->protocol.len > 0 &&
                    gwr_str__eq(o->protocol, x->protocol) &&
                    gwr_str__eq(o->hostname, x->hostname)) {
                    gwr_build__error(b, ln, "Combination of port, protocol "
                                     "and hostname must be unique for each "
                                     "listener");
                    break;
                }
            }
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

/* ---- addresses, infrastructure, backend TLS ----------------------------- */

static void
addresses(gwr_build *b, const gwr_node *spec)
{
    static const char *const known[] = { "type", "value", NULL };
    const gwr_node *l = gwr_build__list(b, spec, "addresses", 0, 0, 16);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "addresses");
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *a = l->items[i];
        if (gwr_build__is(b, a, GWR_NODE_MAP)) {
            gwr_str type = gwr_build__lit("IPAddress"), value;
            gwr_build__str(b, a, "type", 0, 1, 253, &type);
            /* value is optional since v1.3 (the implementation picks). */
            if (gwr_build__str(b, a, "value", 0, 1, 253, &value)) {
                for (size_t j = 0; j < i; j++) {
                    const gwr_node *o = l->items[j];
                    const gwr_node *ov = gwr_node__get(o, "value");
                    const gwr_node *ot = gwr_node__get(o, "type");
                    gwr_str otype = ot != NULL && ot->type == GWR_NODE_STRING
                                        ? ot->text
                                        : gwr_build__lit("IPAddress");
                    if (ov != NULL && ov->type == GWR_NODE_STRING &&
                        gwr_str__eq(ov->text, value) &&
                        gwr_str__eq(otype, type) &&
                        (gwr_str__eq_cstr(type, "IPAddress") ||
                         gwr_str__eq_cstr(type, "Hostname"))) {
                        gwr_build__error_key(b, a, "value", "%s values must "
                                             "be unique", type.ptr);
                        break;
                    }
                }
            }
            gwr_build__fields(b, a, known);
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

static void
infra_map(gwr_build *b, const gwr_node *inf, const char *key, size_t max,
          int labels, gwr_kvs *out)
{
    gwr_build__strmap(b, inf, key, max, out);
    const gwr_node *m = gwr_node__get(inf, key);
    size_t mk = gwr_build__push(b, key);
    for (size_t i = 0; i < out->n; i++) {
        const gwr_kv *kv = &out->items[i];
        const char *msg = gwr_names__check_label_key(kv->key);
        if (msg != NULL) {
            gwr_build__error_key(b, m, kv->key.ptr, "key %s", msg);
            continue;
        }
        msg = labels ? gwr_names__check_label_value(kv->value)
                     : (kv->value.len > 4096 ? "must be at most 4096 "
                                               "characters"
                                             : NULL);
        if (msg != NULL)
            gwr_build__error_key(b, m, kv->key.ptr, "%s", msg);
    }
    gwr_build__pop(b, mk);
}

static void
infrastructure(gwr_build *b, const gwr_node *spec, gwr_gateway *g)
{
    static const char *const known[] = {
        "labels", "annotations", "parametersRef", NULL
    };
    const gwr_node *inf = gwr_build__get(b, spec, "infrastructure",
                                         GWR_NODE_MAP, 0);
    if (inf == NULL)
        return;
    size_t mk = gwr_build__push(b, "infrastructure");
    infra_map(b, inf, "labels", 8, 1, &g->infra_labels);
    /* 8 in v1.2, 16 since v1.6. */
    infra_map(b, inf, "annotations", 16, 0, &g->infra_annotations);
    const gwr_node *p = gwr_build__get(b, inf, "parametersRef", GWR_NODE_MAP,
                                       0);
    if (p != NULL) {
        size_t mp = gwr_build__push(b, "parametersRef");
        g->has_infra_params = gwr_build__local_ref(b, p, &g->infra_params);
        gwr_build__pop(b, mp);
    }
    gwr_build__fields(b, inf, known);
    gwr_build__pop(b, mk);
}

static void
client_cert(gwr_build *b, const gwr_node *holder, gwr_gateway *g)
{
    static const char *const known[] = { "clientCertificateRef", NULL };
    const gwr_node *r = gwr_build__get(b, holder, "clientCertificateRef",
                                       GWR_NODE_MAP, 0);
    if (r != NULL) {
        size_t mk = gwr_build__push(b, "clientCertificateRef");
        /* Both places at once only happens in hand-written YAML mixing
         * schema versions; the newer one (read second) wins. */
        if (g->has_backend_client_cert)
            gwr_build__warn(b, r, "overrides "
                            "spec.backendTLS.clientCertificateRef (the "
                            "v1.2 experimental field)");
        gwr_secret_ref ref;
        memset(&ref, 0, sizeof(ref));
        if (gwr_build__secret_ref(b, r, g->meta.ns, &ref)) {
            g->backend_client_cert = ref;
            g->has_backend_client_cert = 1;
        }
        gwr_build__pop(b, mk);
    }
    gwr_build__fields(b, holder, known);
}

/*
 * spec.tls.frontend (>= v1.5 standard; client certificate validation):
 * {default (required) TLSConfig, perPort[] (<= 64, list-map by port)
 * {port (required, 1..65535), tls (required) TLSConfig}}, TLSConfig =
 * {validation {caCertificateRefs (required, 1..16 ObjectReference), mode
 * AllowValidOnly | AllowInsecureFallback, default AllowValidOnly}}.
 * Sources: spec §1.2, §1.8, §7.4 (CA refs 1..16, unique port); required
 * markers, the enum and the CEL message from upstream apis/v1
 * gateway_types.go (FrontendTLSConfig, TLSPortConfig,
 * FrontendTLSValidation). The library terminates no TLS: validated, not
 * stored, no routing effect.
 */
static void
frontend_tls_config(gwr_build *b, const gwr_node *map, const char *key)
{
    static const char *const known[] = { "validation", NULL };
    static const char *const v_known[] = { "caCertificateRefs", "mode", NULL };
    static const char *const modes[] = {
        "AllowValidOnly", "AllowInsecureFallback", NULL
    };
    const gwr_node *c = gwr_build__get(b, map, key, GWR_NODE_MAP, 1);
    if (c == NULL)
        return;
    size_t mk = gwr_build__push(b, key);
    const gwr_node *v = gwr_build__get(b, c, "validation", GWR_NODE_MAP, 0);
    if (v != NULL) {
        size_t mv = gwr_build__push(b, "validation");
        object_refs(b, v, "caCertificateRefs", 1, 1, 16);
        gwr_build__enum(b, v, "mode", 0, modes, NULL, NULL);
        gwr_build__fields(b, v, v_known);
        gwr_build__pop(b, mv);
    }
    gwr_build__fields(b, c, known);
    gwr_build__pop(b, mk);
}

static void
frontend_tls(gwr_build *b, const gwr_node *t)
{
    static const char *const known[] = { "default", "perPort", NULL };
    static const char *const pp_known[] = { "port", "tls", NULL };
    const gwr_node *f = gwr_build__get(b, t, "frontend", GWR_NODE_MAP, 0);
    if (f == NULL)
        return;
    size_t mk = gwr_build__push(b, "frontend");
    frontend_tls_config(b, f, "default");
    const gwr_node *l = gwr_build__list(b, f, "perPort", 0, 0, 64);
    if (l != NULL) {
        size_t ml = gwr_build__push(b, "perPort");
        int dup = 0;
        for (size_t i = 0; i < l->n; i++) {
            size_t mi = gwr_build__push_index(b, i);
            const gwr_node *pp = l->items[i];
            if (gwr_build__is(b, pp, GWR_NODE_MAP)) {
                int64_t port;
                if (gwr_build__int(b, pp, "port", 1, 1, 65535, &port)) {
                    for (size_t j = 0; j < i; j++) {
                        const gwr_node *op = gwr_node__get(l->items[j],
                                                           "port");
                        dup |= op != NULL && op->type == GWR_NODE_INT &&
                               op->ival == port;
                    }
                }
                frontend_tls_config(b, pp, "tls");
                gwr_build__fields(b, pp, pp_known);
            }
            gwr_build__pop(b, mi);
        }
        gwr_build__pop(b, ml);
        /* One CEL rule over the whole list, reported once at it. */
        if (dup)
            gwr_build__error_key(b, f, "perPort", "Port for TLS configuration "
                                 "must be unique within the Gateway");
    }
    gwr_build__fields(b, f, known);
    gwr_build__pop(b, mk);
}

static void
gateway_tls(gwr_build *b, const gwr_node *spec, gwr_gateway *g)
{
    static const char *const known[] = { "backend", "frontend", NULL };
    const gwr_node *t = gwr_build__get(b, spec, "tls", GWR_NODE_MAP, 0);
    if (t == NULL)
        return;
    size_t mk = gwr_build__push(b, "tls");
    const gwr_node *be = gwr_build__get(b, t, "backend", GWR_NODE_MAP, 0);
    if (be != NULL) {
        size_t mb = gwr_build__push(b, "backend");
        client_cert(b, be, g);
        gwr_build__pop(b, mb);
    }
    frontend_tls(b, t);
    gwr_build__fields(b, t, known);
    gwr_build__pop(b, mk);
}

/*
 * spec.allowedListeners (ListenerSets; >= v1.5 standard): {namespaces
 * {from All | Selector | Same | None, default None; selector
 * LabelSelector}} (spec §1.2; upstream apis/v1 AllowedListeners /
 * ListenerNamespaces). As for allowedRoutes, `from: Selector` without a
 * selector selects nothing (warning). ListenerSets are not loaded:
 * validated, not stored, no routing effect.
 */
static void
allowed_listeners(gwr_build *b, const gwr_node *spec)
{
    static const char *const known[] = { "namespaces", NULL };
    static const char *const ns_known[] = { "from", "selector", NULL };
    static const char *const froms[] = {
        "All", "Selector", "Same", "None", NULL
    };
    const gwr_node *al = gwr_build__get(b, spec, "allowedListeners",
                                        GWR_NODE_MAP, 0);
    if (al == NULL)
        return;
    size_t mk = gwr_build__push(b, "allowedListeners");
    const gwr_node *ns = gwr_build__get(b, al, "namespaces", GWR_NODE_MAP, 0);
    if (ns != NULL) {
        size_t mn = gwr_build__push(b, "namespaces");
        size_t f = 3;
        gwr_build__enum(b, ns, "from", 0, froms, NULL, &f);
        const gwr_node *sel = gwr_build__get(b, ns, "selector", GWR_NODE_MAP,
                                             0);
        if (sel != NULL) {
            size_t ms = gwr_build__push(b, "selector");
            gwr_label_selector tmp;
            memset(&tmp, 0, sizeof(tmp));
            label_selector(b, sel, &tmp);
            gwr_build__pop(b, ms);
        }
        if (f == 1 && sel == NULL)
            gwr_build__warn(b, ns, "from: Selector without a selector "
                            "selects no namespace");
        gwr_build__fields(b, ns, ns_known);
        gwr_build__pop(b, mn);
    }
    gwr_build__fields(b, al, known);
    gwr_build__pop(b, mk);
}

void *
gwr_build__gateway(gwr_build *b, const gwr_node *obj, const gwr_meta *meta)
{
    static const char *const known[] = {
        "gatewayClassName", "listeners", "addresses", "infrastructure",
        "backendTLS", "tls", "allowedListeners", "defaultScope", NULL
    };
    static const char *const default_scopes[] = { "All", "None", NULL };
    gwr_gateway *g = gwr_build__alloc(b, 1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->meta = *meta;
    const gwr_node *spec = gwr_build__get(b, obj, "spec", GWR_NODE_MAP, 1);
    if (spec == NULL)
        return g;
    size_t mk = gwr_build__push(b, "spec");
    gwr_build__str(b, spec, "gatewayClassName", 1, 1, 253, &g->class_name);
    listeners(b, spec, g);
    addresses(b, spec);
    infrastructure(b, spec, g);
    const gwr_node *btls = gwr_build__get(b, spec, "backendTLS", GWR_NODE_MAP,
                                          0);
    if (btls != NULL) {
        size_t mb = gwr_build__push(b, "backendTLS");
        client_cert(b, btls, g);
        gwr_build__pop(b, mb);
    }
    gateway_tls(b, spec, g);
    allowed_listeners(b, spec);
    /* spec.defaultScope (>= v1.4 experimental, GEP-3793): the
     * GatewayDefaultScope enum All | None that the routes'
     * useDefaultGateways also uses (upstream apis/v1). libgwroute has no
     * default-Gateway attachment (docs/CONFIG.md), so the value is
     * validated and not stored. */
    gwr_build__enum(b, spec, "defaultScope", 0, default_scopes, NULL, NULL);
    gwr_build__fields(b, spec, known);
    gwr_build__pop(b, mk);
    return g;
}
