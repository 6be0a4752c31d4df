/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * ReferenceGrant and BackendTLSPolicy (spec §1.5, §1.7, §7.5).
 */
#include <string.h>

#include "build.h"
#include "hostname.h"
#include "names.h"

/* ---- ReferenceGrant -------------------------------------------------------- */

void *
gwr_build__reference_grant(gwr_build *b, const gwr_node *obj,
                           const gwr_meta *meta)
{
    static const char *const known[] = { "from", "to", NULL };
    static const char *const from_known[] = {
        "group", "kind", "namespace", NULL
    };
    static const char *const to_known[] = { "group", "kind", "name", NULL };
    gwr_reference_grant *g = gwr_build__alloc(b, 1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->meta = *meta;
    const gwr_node *spec = gwr_build__get(b, obj, "spec", GWR_NODE_MAP, 1);
    if (spec == NULL)
        return g;
    size_t mk = gwr_build__push(b, "spec");
    const gwr_node *fl = gwr_build__list(b, spec, "from", 1, 1, 16);
    if (fl != NULL) {
        size_t mf = gwr_build__push(b, "from");
        g->from = gwr_build__alloc(b, fl->n, sizeof(*g->from));
        for (size_t i = 0; i < fl->n && g->from != NULL; i++) {
            size_t mi = gwr_build__push_index(b, i);
            const gwr_node *f = fl->items[i];
            if (gwr_build__is(b, f, GWR_NODE_MAP)) {
                gwr_grant_from *x = &g->from[g->n_from++];
                gwr_build__str_check(b, f, "group", 1, gwr_names__check_group,
                                     &x->group);
                gwr_build__str_check(b, f, "kind", 1, gwr_names__check_kind,
                                     &x->kind);
                gwr_build__str_check(b, f, "namespace", 1,
                                     gwr_names__check_namespace, &x->ns);
                gwr_build__fields(b, f, from_known);
            }
            gwr_build__pop(b, mi);
        }
        gwr_build__pop(b, mf);
    }
    const gwr_node *tl = gwr_build__list(b, spec, "to", 1, 1, 16);
    if (tl != NULL) {
        size_t mt = gwr_build__push(b, "to");
        g->to = gwr_build__alloc(b, tl->n, sizeof(*g->to));
        for (size_t i = 0; i < tl->n && g->to != NULL; i++) {
            size_t mi = gwr_build__push_index(b, i);
            const gwr_node *t = tl->items[i];
            if (gwr_build__is(b, t, GWR_NODE_MAP)) {
                gwr_grant_to *x = &g->to[g->n_to++];
                gwr_build__str_check(b, t, "group", 1, gwr_names__check_group,
                                     &x->group);
                gwr_build__str_check(b, t, "kind", 1, gwr_names__check_kind,
                                     &x->kind);
                gwr_build__str_check(b, t, "name", 0,
                                     gwr_names__check_object_name, &x->name);
                gwr_build__fields(b, t, to_known);
            }
            gwr_build__pop(b, mi);
        }
        gwr_build__pop(b, mt);
    }
    gwr_build__fields(b, spec, known);
    gwr_build__pop(b, mk);
    return g;
}

/* ---- BackendTLSPolicy ------------------------------------------------------ */

static void
targets(gwr_build *b, const gwr_node *spec, gwr_backend_tls_policy *p)
{
    static const char *const known[] = {
        "group", "kind", "name", "sectionName", NULL
    };
    const gwr_node *l = gwr_build__list(b, spec, "targetRefs", 1, 1, 16);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "targetRefs");
    p->targets = gwr_build__alloc(b, l->n, sizeof(*p->targets));
    for (size_t i = 0; i < l->n && p->targets != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *t = l->items[i];
        if (gwr_build__is(b, t, GWR_NODE_MAP)) {
            gwr_policy_target *x = &p->targets[p->n_targets++];
            gwr_build__str_check(b, t, "group", 1, gwr_names__check_group,
                                 &x->group);
            gwr_build__str_check(b, t, "kind", 1, gwr_names__check_kind,
                                 &x->kind);
            gwr_build__str_check(b, t, "name", 1,
                                 gwr_names__check_object_name, &x->name);
            gwr_build__str_check(b, t, "sectionName", 0,
                                 gwr_names__check_section_name,
                                 &x->section_name);
            gwr_build__fields(b, t, known);
            /* >= v1.3 CEL: several refs to one target need distinct,
             * non-empty sectionNames. */
            for (size_t j = 0; j + 1 < p->n_targets; j++) {
                const gwr_policy_target *o = &p->targets[j];
                if (!gwr_str__eq(o->group, x->group) ||
                    !gwr_str__eq(o->kind, x->kind) ||
                    !gwr_str__eq(o->name, x->name))
                    continue;
                if (o->section_name.len == 0 || x->section_name.len == 0)
                    gwr_build__error(b, t, "sectionName must be specified "
                                     "when targetRefs includes 2 or more "
                                     "references to the same target");
                else if (gwr_str__eq(o->section_name, x->section_name))
                    gwr_build__error(b, t, "sectionName must be unique when "
                                     "targetRefs includes 2 or more "
                                     "references to the same target");
                else
                    continue;
                break;
            }
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

/* AbsoluteURI: ^(([^:/?#]+):)(//([^/?#]*))([^?#]*)(\?([^#]*))?(#(.*))? */
static const char *
check_uri(gwr_str v)
{
    if (v.len < 1 || v.len > 253)
        return "must be 1 to 253 characters";
    size_t i = 0;
    while (i < v.len && v.ptr[i] != ':' && v.ptr[i] != '/' &&
           v.ptr[i] != '?' && v.ptr[i] != '#')
        i++;
    if (i == 0 || i + 2 >= v.len + 0 || v.ptr[i] != ':' ||
        v.ptr[i + 1] != '/' || i + 2 >= v.len || v.ptr[i + 2] != '/')
        return "must match ^(([^:/?#]+):)(//([^/?#]*))([^?#]*)"
               "(\\?([^#]*))?(#(.*))?";
    return NULL;
}

static const char *
check_hostname(gwr_str h)
{
    return gwr_hostname__check(h, 1);
}

static void
sans(gwr_build *b, const gwr_node *v, gwr_backend_tls_policy *p)
{
    static const char *const known[] = { "type", "hostname", "uri", NULL };
    static const char *const types[] = { "Hostname", "URI", NULL };
    const gwr_node *l = gwr_build__list(b, v, "subjectAltNames", 0, 0, 5);
    if (l == NULL)
        return;
    size_t mk = gwr_build__push(b, "subjectAltNames");
    p->sans = gwr_build__alloc(b, l->n, sizeof(*p->sans));
    for (size_t i = 0; i < l->n && p->sans != NULL; i++) {
        size_t mi = gwr_build__push_index(b, i);
        const gwr_node *s = l->items[i];
        if (gwr_build__is(b, s, GWR_NODE_MAP)) {
            gwr_san *x = &p->sans[p->n_sans++];
            size_t t = 0;
            int ht = gwr_build__enum(b, s, "type", 1, types, &x->type, &t);
            gwr_str h = { "", 0 }, u = { "", 0 };
            gwr_build__str_check(b, s, "hostname", 0, check_hostname, &h);
            gwr_build__str_check(b, s, "uri", 0, check_uri, &u);
            gwr_build__fields(b, s, known);
            int has_h = gwr_build__has(s, "hostname");
            int has_u = gwr_build__has(s, "uri");
            if (ht && t == 0 && !has_h)
                gwr_build__error(b, s, "SubjectAltName element must contain "
                                 "Hostname, if Type is set to Hostname");
            if (ht && t != 0 && has_h)
                gwr_build__error(b, s, "SubjectAltName element must not "
                                 "contain Hostname, if Type is not set to "
                                 "Hostname");
            if (ht && t == 1 && !has_u)
                gwr_build__error(b, s, "SubjectAltName element must contain "
                                 "URI, if Type is set to URI");
            if (ht && t != 1 && has_u)
                gwr_build__error(b, s, "SubjectAltName element must not "
                                 "contain URI, if Type is not set to URI");
            x->value = t == 0 ? h : u;
        }
        gwr_build__pop(b, mi);
    }
    gwr_build__pop(b, mk);
}

static const char *
check_well_known(gwr_str v)
{
    /* v1.2: System; >= v1.5 also a domain-prefixed implementation value. */
    if (v.len < 1 || v.len > 253)
        return "must be 1 to 253 characters";
    if (gwr_str__eq_cstr(v, "System"))
        return NULL;
    int slash = memchr(v.ptr, '/', v.len) != NULL;
    if (!slash || gwr_names__check_label_key(v) != NULL)
        return "must be System or a domain-prefixed name such as "
               "example.com/bundle";
    return NULL;
}

static const char *
check_precise(gwr_str h)
{
    return gwr_hostname__check(h, 0);
}

static void
validation(gwr_build *b, const gwr_node *spec, gwr_backend_tls_policy *p)
{
    static const char *const known[] = {
        "hostname", "subjectAltNames", "caCertificateRefs",
        "wellKnownCACertificates", NULL
    };
    const gwr_node *v = gwr_build__get(b, spec, "validation", GWR_NODE_MAP,
                                       1);
    if (v == NULL)
        return;
    size_t mk = gwr_build__push(b, "validation");
    gwr_build__str_check(b, v, "hostname", 1, check_precise,
                         &p->hostname);
    sans(b, v, p);
    const gwr_node *l = gwr_build__list(b, v, "caCertificateRefs", 0, 0, 8);
    if (l != NULL) {
        size_t mc = gwr_build__push(b, "caCertificateRefs");
        p->ca_refs = gwr_build__alloc(b, l->n, sizeof(*p->ca_refs));
        for (size_t i = 0; i < l->n && p->ca_refs != NULL; i++) {
            size_t mi = gwr_build__push_index(b, i);
            if (gwr_build__local_ref(b, l->items[i],
                                     &p->ca_refs[p->n_ca_refs]))
                p->n_ca_refs++;
            gwr_build__pop(b, mi);
        }
        gwr_build__pop(b, mc);
    }
    gwr_build__str_check(b, v, "wellKnownCACertificates", 0, check_well_known,
                         &p->well_known);
    gwr_build__fields(b, v, known);
    int has_ca = l != NULL && l->n > 0;
    int has_wk = gwr_build__has(v, "wellKnownCACertificates") &&
                 gwr_node__get(v, "wellKnownCACertificates")->text.len > 0;
    if (has_ca && has_wk)
        gwr_build__error(b, v, "must not contain both CACertificateRefs and "
                         "WellKnownCACertificates");
    else if (!has_ca && !has_wk)
        gwr_build__error(b, v, "must specify either CACertificateRefs or "
                         "WellKnownCACertificates");
    gwr_build__pop(b, mk);
}

void *
gwr_build__backend_tls_policy(gwr_build *b, const gwr_node *obj,
                              const gwr_meta *meta)
{
    static const char *const known[] = {
        "targetRefs", "validation", "options", NULL
    };
    gwr_backend_tls_policy *p = gwr_build__alloc(b, 1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->meta = *meta;
    const gwr_node *spec = gwr_build__get(b, obj, "spec", GWR_NODE_MAP, 1);
    if (spec == NULL)
        return p;
    size_t mk = gwr_build__push(b, "spec");
    targets(b, spec, p);
    validation(b, spec, p);
    gwr_build__strmap(b, spec, "options", 16, &p->options);
    for (size_t i = 0; i < p->options.n; i++) {
        const char *msg = gwr_names__check_annotation_key(p->options.items[i]
                                                              .key);
        if (msg != NULL) {
            size_t mo = gwr_build__push(b, "options");
            gwr_build__error_key(b, gwr_node__get(spec, "options"),
                                 p->options.items[i].key.ptr, "key %s", msg);
            gwr_build__pop(b, mo);
        }
    }
    gwr_build__fields(b, spec, known);
    gwr_build__pop(b, mk);
    return p;
}
