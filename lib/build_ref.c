/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Object references shared by several kinds (spec §1.1): ParentReference,
 * BackendObjectReference, LocalObjectReference, SecretObjectReference,
 * with their schema defaults.
 */
#include <string.h>

#include "build.h"
#include "names.h"

/* The fields every namespaced reference shares, with the schema defaults
 * of its type: group and kind when unset, namespace = the referrer's when
 * unset (unset and "" are the same namespace for the CEL rules). */
typedef struct ref_parts {
    gwr_str *group, *kind, *ns, *name;
    int *ns_set;
} ref_parts;

static void
ref_common(gwr_build *b, const gwr_node *n, const char *default_group,
           const char *default_kind, gwr_str own_ns, ref_parts o)
{
    if (!gwr_build__str_check(b, n, "group", 0, gwr_names__check_group,
                              o.group) &&
        !gwr_build__has(n, "group"))
        *o.group = gwr_build__lit(default_group);
    if (!gwr_build__str_check(b, n, "kind", 0, gwr_names__check_kind,
                              o.kind) &&
        !gwr_build__has(n, "kind"))
        *o.kind = gwr_build__lit(default_kind);
    if (gwr_build__str_check(b, n, "namespace", 0, gwr_names__check_namespace,
                             o.ns))
        *o.ns_set = 1;
    else
        *o.ns = own_ns;
    gwr_build__str_check(b, n, "name", 1, gwr_names__check_object_name,
                         o.name);
}

#define REF_PARTS(out) \
    ((ref_parts){ &(out)->group, &(out)->kind, &(out)->ns, &(out)->name, \
                  &(out)->ns_set })


int
gwr_build__parent_ref(gwr_build *b, const gwr_node *n, gwr_str route_ns,
                      gwr_parent_ref *out)
{
    static const char *const known[] = {
        "group", "kind", "namespace", "name", "sectionName", "port", NULL
    };
    if (!gwr_build__is(b, n, GWR_NODE_MAP))
        return 0;
    size_t e0 = b->errors;
    out->pos = gwr_build__pos(b, n);
    ref_common(b, n, GWR_GROUP_GATEWAY, "Gateway", route_ns, REF_PARTS(out));
    gwr_build__str_check(b, n, "sectionName", 0,
                         gwr_names__check_section_name, &out->section_name);
    int64_t port;
    if (gwr_build__int(b, n, "port", 0, 1, 65535, &port))
        out->port = (uint32_t)port;
    gwr_build__fields(b, n, known);
    return b->errors == e0;
}

int
gwr_build__backend_obj_ref(gwr_build *b, const gwr_node *n, gwr_str route_ns,
                           gwr_backend_ref *out)
{
    size_t e0 = b->errors;
    out->pos = gwr_build__pos(b, n);
    out->weight = 1;
    ref_common(b, n, "", "Service", route_ns, REF_PARTS(out));
    int64_t port;
    if (gwr_build__int(b, n, "port", 0, 1, 65535, &port))
        out->port = (uint32_t)port;
    else if (!gwr_build__has(n, "port") && b->errors == e0 &&
             out->group.len == 0 && gwr_str__eq_cstr(out->kind, "Service"))
        gwr_build__error(b, n, "port is required when referring to a Service "
                         "(group \"\", kind Service)");
    return b->errors == e0;
}

int
gwr_build__local_ref(gwr_build *b, const gwr_node *n, gwr_local_ref *out)
{
    static const char *const known[] = { "group", "kind", "name", NULL };
    if (!gwr_build__is(b, n, GWR_NODE_MAP))
        return 0;
    size_t e0 = b->errors;
    out->pos = gwr_build__pos(b, n);
    /* group is required but may be "" (the core group). */
    gwr_build__str_check(b, n, "group", 1, gwr_names__check_group,
                         &out->group);
    gwr_build__str_check(b, n, "kind", 1, gwr_names__check_kind, &out->kind);
    gwr_build__str_check(b, n, "name", 1, gwr_names__check_object_name,
                         &out->name);
    gwr_build__fields(b, n, known);
    return b->errors == e0;
}

int
gwr_build__secret_ref(gwr_build *b, const gwr_node *n, gwr_str own_ns,
                      gwr_secret_ref *out)
{
    static const char *const known[] = {
        "group", "kind", "namespace", "name", NULL
    };
    if (!gwr_build__is(b, n, GWR_NODE_MAP))
        return 0;
    size_t e0 = b->errors;
    out->pos = gwr_build__pos(b, n);
    ref_common(b, n, "", "Secret", own_ns, REF_PARTS(out));
    gwr_build__fields(b, n, known);
    return b->errors == e0;
}
