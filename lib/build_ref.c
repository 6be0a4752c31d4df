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
    if (!gwr_build__str_check(b, n, "group", 0, gwr_names__check_group,
                              &out->group) &&
        !gwr_build__has(n, "group"))
        out->group = gwr_build__lit(GWR_GROUP_GATEWAY);
    if (!gwr_build__str_check(b, n, "kind", 0, gwr_names__check_kind,
                              &out->kind) &&
        !gwr_build__has(n, "kind"))
        out->kind = gwr_build__lit("Gateway");
    /* Unset and "" are the same namespace (CEL); both mean the route's. */
    if (gwr_build__str_check(b, n, "namespace", 0, gwr_names__check_namespace,
                             &out->ns))
        out->ns_set = 1;
    else
        out->ns = route_ns;
    gwr_build__str_check(b, n, "name", 1, gwr_names__check_object_name,
                         &out->name);
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
    if (!gwr_build__str_check(b, n, "group", 0, gwr_names__check_group,
                              &out->group) &&
        !gwr_build__has(n, "group"))
        out->group = gwr_build__lit("");
    if (!gwr_build__str_check(b, n, "kind", 0, gwr_names__check_kind,
                              &out->kind) &&
        !gwr_build__has(n, "kind"))
        out->kind = gwr_build__lit("Service");
    if (gwr_build__str_check(b, n, "namespace", 0, gwr_names__check_namespace,
                             &out->ns))
        out->ns_set = 1;
    else
        out->ns = route_ns;
    gwr_build__str_check(b, n, "name", 1, gwr_names__check_object_name,
                         &out->name);
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
    if (!gwr_build__str_check(b, n, "group", 0, gwr_names__check_group,
                              &out->group) &&
        !gwr_build__has(n, "group"))
        out->group = gwr_build__lit("");
    if (!gwr_build__str_check(b, n, "kind", 0, gwr_names__check_kind,
                              &out->kind) &&
        !gwr_build__has(n, "kind"))
        out->kind = gwr_build__lit("Secret");
    if (gwr_build__str_check(b, n, "namespace", 0, gwr_names__check_namespace,
                             &out->ns))
        out->ns_set = 1;
    else
        out->ns = own_ns;
    gwr_build__str_check(b, n, "name", 1, gwr_names__check_object_name,
                         &out->name);
    gwr_build__fields(b, n, known);
    return b->errors == e0;
}
