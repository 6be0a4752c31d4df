/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Core objects (spec §1.6): Service, EndpointSlice and Namespace. Only the
 * fields routing needs are read; the others are recognised so that they
 * do not warn, but are not validated (the API server owns them).
 */
#include <string.h>

#include "build.h"
#include "names.h"

/* ---- Service --------------------------------------------------------------- */

static void
service_ports(gwr_build *b, const gwr_node *spec, gwr_service *s)
{
    static const char *const known[] = {
        "name", "port", "protocol", "appProtocol", "targetPort", "nodePort",
        NULL
    };
    static const char *const protos[] = { "TCP", "UDP", "SCTP", NULL };
    const gwr_node *l = gwr_build__list(b, spec, "ports", 0, 0, 0);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "ports");
    s->ports = gwr_build__alloc(b, l->n, sizeof(*s->ports));
    for (size_t i = 0; i < l->n && s->ports != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *pn = l->items[i];
        if (gwr_build__is(b, pn, GWR_NODE_MAP)) {
            gwr_service_port *p = &s->ports[s->n_ports++];
            int64_t v = 0;
            gwr_build__str_check(b, pn, "name", 0,
                                 gwr_build__check_dns_label, &p->name);
            if (gwr_build__int(b, pn, "port", 1, 1, 65535, &v))
                p->port = (uint32_t)v;
            p->protocol = gwr_build__lit("TCP");
            gwr_build__enum(b, pn, "protocol", 0, protos, &p->protocol, NULL);
            gwr_build__str(b, pn, "appProtocol", 0, 1, 0, &p->app_protocol);
            /* targetPort is an int-or-string. */
            const gwr_node *tp = gwr_node__get(pn, "targetPort");
            if (tp != NULL && (tp->type == GWR_NODE_INT ||
                               tp->type == GWR_NODE_STRING))
                p->target_port = gwr_build__copy(b, tp->text);
            else if (tp != NULL && tp->type != GWR_NODE_NULL)
                gwr_build__error_key(b, pn, "targetPort", "must be an integer "
                                     "or a string, got %s",
                                     gwr_node__type_name(tp->type));
            gwr_build__int(b, pn, "nodePort", 0, 0, 65535, &v);
            gwr_build__fields(b, pn, known);
            for (size_t j = 0; j + 1 < s->n_ports; j++) {
                const gwr_service_port *o = &s->ports[j];
                if (p->name.len > 0 && gwr_str__eq(o->name, p->name)) {
                    gwr_build__error_key(b, pn, "name", "duplicate port name "
                                         "\"%s\"", p->name.ptr);
                    break;
                }
                if (p->port != 0 && o->port == p->port &&
                    gwr_str__eq(o->protocol, p->protocol)) {
                    gwr_build__error_key(b, pn, "port", "duplicate port %u/%s",
                                         (unsigned)p->port,
                                         p->protocol.ptr);
                    break;
                }
            }
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

void *
gwr_build__service(gwr_build *b, const gwr_node *obj, const gwr_meta *meta)
{
    static const char *const known[] = {
        "ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs",
        "sessionAffinity", "loadBalancerIP", "loadBalancerSourceRanges",
        "externalName", "externalTrafficPolicy", "healthCheckNodePort",
        "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies",
        "ipFamilyPolicy", "allocateLoadBalancerNodePorts",
        "loadBalancerClass", "internalTrafficPolicy", "trafficDistribution",
        NULL
    };
    static const char *const types[] = {
        "ClusterIP", "NodePort", "LoadBalancer", "ExternalName", NULL
    };
    gwr_service *s = gwr_build__alloc(b, 1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->meta = *meta;
    s->type = gwr_build__lit("ClusterIP");
    const gwr_node *spec = gwr_build__get(b, obj, "spec", GWR_NODE_MAP, 0);
    if (spec == NULL)
        return s;
    size_t mk = gwr_build__push(b, "spec");
    gwr_build__enum(b, spec, "type", 0, types, &s->type, NULL);
    gwr_build__str(b, spec, "clusterIP", 0, 0, 0, &s->cluster_ip);
    gwr_build__str(b, spec, "externalName", 0, 0, 0, &s->external_name);
    service_ports(b, spec, s);
    gwr_build__fields(b, spec, known);
    gwr_build__pop(b, mk);
    return s;
}

/* ---- EndpointSlice ------------------------------------------------------- */

/*
 * The Kubernetes API validation of discovery/v1 (not a CRD schema:
 * k8s.io/kubernetes pkg/apis/discovery/validation/validation.go,
 * validateEndpoints / validatePorts / validateAddressType):
 *   - addressType required, one of IPv4, IPv6, FQDN;
 *   - endpoints <= 1000 (maxEndpoints); each endpoint's addresses 1..100
 *     (Required "must contain at least 1 address", maxAddresses = 100);
 *   - ports <= 20000 (maxPorts; the type's doc comment says 100, the
 *     validation enforces 20000); a non-empty port name is a DNS-1123
 *     label and names are unique; protocol TCP | UDP | SCTP (defaulted
 *     to TCP); the port number is an optional int32 with NO range check.
 * The address strings themselves (IP / FQDN syntax per addressType) are
 * not checked here (docs/CONFIG.md).
 */
static void
endpoint_addresses(gwr_build *b, const gwr_node *en, gwr_endpoint *e)
{
    const gwr_node *l = gwr_build__list(b, en, "addresses", 1, 1, 100);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "addresses");
    e->addresses.items = gwr_build__alloc(b, l->n, sizeof(gwr_str));
    for (size_t i = 0; i < l->n; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *it = l->items[i];
        if (gwr_build__is(b, it, GWR_NODE_STRING) &&
            e->addresses.items != NULL)
            e->addresses.items[e->addresses.n++] = gwr_build__copy(b,
                                                                   it->text);
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

static void
endpoints(gwr_build *b, const gwr_node *obj, gwr_endpoint_slice *es)
{
    static const char *const known[] = {
        "addresses", "conditions", "hostname", "nodeName", "zone",
        "targetRef", "hints", "deprecatedTopology", NULL
    };
    static const char *const cond_known[] = {
        "ready", "serving", "terminating", NULL
    };
    const gwr_node *l = gwr_build__list(b, obj, "endpoints", 0, 0, 1000);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "endpoints");
    es->endpoints = gwr_build__alloc(b, l->n, sizeof(*es->endpoints));
    for (size_t i = 0; i < l->n && es->endpoints != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *en = l->items[i];
        if (gwr_build__is(b, en, GWR_NODE_MAP)) {
            gwr_endpoint *e = &es->endpoints[es->n_endpoints++];
            endpoint_addresses(b, en, e);
            e->ready = 1;
            int have_serving = 0;
            const gwr_node *c = gwr_build__get(b, en, "conditions",
                                               GWR_NODE_MAP, 0);
            if (c != NULL) {
                size_t mc = gwr_build__push(b, "conditions");
                gwr_build__bool(b, c, "ready", 0, &e->ready);
                have_serving = gwr_build__bool(b, c, "serving", 0,
                                               &e->serving);
                gwr_build__bool(b, c, "terminating", 0, &e->terminating);
                gwr_build__fields(b, c, cond_known);
                gwr_build__pop(b, mc);
            }
            if (!have_serving)
                e->serving = e->ready;
            gwr_build__fields(b, en, known);
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

/* Open-addressing set of port indexes keyed by port name: adds ports[i]
 * and returns 1, or returns 0 when an earlier port has the same name. */
static int
name_set_add(size_t *set, size_t mask, const gwr_endpoint_port *ports,
             size_t i)
{
    gwr_str name = ports[i].name;
    uint64_t h = 1469598103934665603ULL;
    for (size_t k = 0; k < name.len; k++)
        h = (h ^ (unsigned char)name.ptr[k]) * 1099511628211ULL;
    for (size_t at = (size_t)h & mask;; at = (at + 1) & mask) {
        if (set[at] == SIZE_MAX) {
            set[at] = i;
            return 1;
        }
        if (gwr_str__eq(ports[set[at]].name, name))
            return 0;
    }
}

static void
slice_ports(gwr_build *b, const gwr_node *obj, gwr_endpoint_slice *es)
{
    static const char *const known[] = {
        "name", "port", "protocol", "appProtocol", NULL
    };
    static const char *const protos[] = { "TCP", "UDP", "SCTP", NULL };
    const gwr_node *l = gwr_build__list(b, obj, "ports", 0, 0, 20000);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "ports");
    es->ports = gwr_build__alloc(b, l->n, sizeof(*es->ports));
    size_t slots = 8;
    while (slots < 2 * l->n)
        slots *= 2;
    size_t mask = slots - 1;
    size_t *seen = gwr_build__alloc(b, slots, sizeof(*seen));
    for (size_t i = 0; seen != NULL && i < slots; i++)
        seen[i] = SIZE_MAX;
    for (size_t i = 0; i < l->n && es->ports != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *pn = l->items[i];
        if (gwr_build__is(b, pn, GWR_NODE_MAP)) {
            gwr_endpoint_port *p = &es->ports[es->n_ports++];
            int64_t v;
            const gwr_node *nn = gwr_node__get(pn, "name");
            int name_ok = 1;
            p->name = gwr_build__lit("");       /* unset = "" = unnamed */
            if (gwr_build__has(pn, "name") &&
                !(nn->type == GWR_NODE_STRING && nn->text.len == 0))
                name_ok = gwr_build__str_check(b, pn, "name", 0,
                                               gwr_build__check_dns_label,
                                               &p->name);
            /* Unset and "" are the same name (defaulted to ""), so two
             * unnamed ports are duplicates too. A hash set keeps this
             * linear: up to 20000 ports would make pairwise checks a
             * hostile-input cost. */
            if (name_ok && seen != NULL &&
                !name_set_add(seen, mask, es->ports, es->n_ports - 1))
                gwr_build__error_key(b, pn, "name", "duplicate port name "
                                     "\"%.*s\"", (int)p->name.len,
                                     p->name.ptr);
            /* int32, no range check in the API; only 1..65535 can be a
             * port, anything else is kept as unset (0) with a warning. */
            if (gwr_build__int(b, pn, "port", 0, INT32_MIN, INT32_MAX, &v)) {
                if (v >= 1 && v <= 65535)
                    p->port = (uint32_t)v;
                else
                    gwr_build__warn_key(b, pn, "port", "%lld is not a usable "
                                        "port number (1 to 65535); treated "
                                        "as unset", (long long)v);
            }
            p->protocol = gwr_build__lit("TCP");
            gwr_build__enum(b, pn, "protocol", 0, protos, &p->protocol, NULL);
            gwr_build__str(b, pn, "appProtocol", 0, 1, 0, &p->app_protocol);
            gwr_build__fields(b, pn, known);
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

void *
gwr_build__endpoint_slice(gwr_build *b, const gwr_node *obj,
                          const gwr_meta *meta)
{
    static const char *const types[] = { "IPv4", "IPv6", "FQDN", NULL };
    gwr_endpoint_slice *es = gwr_build__alloc(b, 1, sizeof(*es));
    if (es == NULL)
        return NULL;
    es->meta = *meta;
    /* EndpointSlice has no spec: its fields are at the top level. */
    gwr_build__enum(b, obj, "addressType", 1, types, &es->address_type, NULL);
    endpoints(b, obj, es);
    slice_ports(b, obj, es);
    for (size_t i = 0; i < meta->labels.n; i++)
        if (gwr_str__eq_cstr(meta->labels.items[i].key,
                             "kubernetes.io/service-name"))
            es->service_name = meta->labels.items[i].value;
    return es;
}

/* ---- Namespace ----------------------------------------------------------- */

void *
gwr_build__namespace(gwr_build *b, const gwr_node *obj, const gwr_meta *meta)
{
    static const char *const label = "kubernetes.io/metadata.name";
    gwr_namespace *ns = gwr_build__alloc(b, 1, sizeof(*ns));
    if (ns == NULL)
        return NULL;
    ns->meta = *meta;
    /* Every Namespace carries this immutable label; selectors use it. */
    for (size_t i = 0; i < meta->labels.n; i++)
        if (gwr_str__eq_cstr(meta->labels.items[i].key, label)) {
            if (!gwr_str__eq(meta->labels.items[i].value, meta->name)) {
                size_t mk = gwr_build__push(b, "metadata");
                size_t ml = gwr_build__push(b, "labels");
                gwr_build__warn_key(b,
                                    gwr_node__get(gwr_node__get(obj,
                                                                "metadata"),
                                                  "labels"),
                                    label, "is \"%s\" but the API server "
                                    "always sets it to the name \"%s\"",
                                    meta->labels.items[i].value.ptr,
                                    meta->name.ptr);
                gwr_build__pop(b, ml);
                gwr_build__pop(b, mk);
            }
            return ns;
        }
    gwr_kv *kv = gwr_build__alloc(b, meta->labels.n + 1, sizeof(*kv));
    if (kv == NULL)
        return ns;
    if (meta->labels.n > 0)
        memcpy(kv, meta->labels.items, meta->labels.n * sizeof(*kv));
    kv[meta->labels.n].key = gwr_build__lit(label);
    kv[meta->labels.n].value = meta->name;
    ns->meta.labels.items = kv;
    ns->meta.labels.n = meta->labels.n + 1;
    return ns;
}
