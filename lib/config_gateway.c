/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Public accessors of loaded Gateways (gwroute/config.h): infrastructure
 * and the backend client certificate, which have no routing effect but
 * which hosts propagate to what they provision.
 */
#include "config_int.h"

size_t
gwr_config_gateway_count(const gwr_config *cfg)
{
    return cfg != NULL ? cfg->model.n_gateways : 0;
}

const gwr_gateway *
gwr_config_gateway(const gwr_config *cfg, size_t i)
{
    if (cfg == NULL || i >= cfg->model.n_gateways)
        return NULL;
    return cfg->model.gateways[i];
}

static const gwr_str empty = { "", 0 };

gwr_str
gwr_gateway_namespace(const gwr_gateway *g)
{
    return g != NULL ? g->meta.ns : empty;
}

gwr_str
gwr_gateway_name(const gwr_gateway *g)
{
    return g != NULL ? g->meta.name : empty;
}

gwr_str
gwr_gateway_class_name(const gwr_gateway *g)
{
    return g != NULL ? g->class_name : empty;
}

static int
kv_at(const gwr_kvs *kvs, size_t i, gwr_str *key, gwr_str *value)
{
    if (i >= kvs->n)
        return GWR_E_RANGE;
    if (key != NULL)
        *key = kvs->items[i].key;
    if (value != NULL)
        *value = kvs->items[i].value;
    return GWR_OK;
}

size_t
gwr_gateway_infra_label_count(const gwr_gateway *g)
{
    return g != NULL ? g->infra_labels.n : 0;
}

int
gwr_gateway_infra_label(const gwr_gateway *g, size_t i, gwr_str *key,
                        gwr_str *value)
{
    if (g == NULL)
        return GWR_E_INVAL;
    return kv_at(&g->infra_labels, i, key, value);
}

size_t
gwr_gateway_infra_annotation_count(const gwr_gateway *g)
{
    return g != NULL ? g->infra_annotations.n : 0;
}

int
gwr_gateway_infra_annotation(const gwr_gateway *g, size_t i, gwr_str *key,
                             gwr_str *value)
{
    if (g == NULL)
        return GWR_E_INVAL;
    return kv_at(&g->infra_annotations, i, key, value);
}

int
gwr_gateway_infra_params(const gwr_gateway *g, gwr_str *group, gwr_str *kind,
                         gwr_str *name)
{
    if (g == NULL || !g->has_infra_params)
        return 0;
    if (group != NULL)
        *group = g->infra_params.group;
    if (kind != NULL)
        *kind = g->infra_params.kind;
    if (name != NULL)
        *name = g->infra_params.name;
    return 1;
}

int
gwr_gateway_backend_client_cert(const gwr_gateway *g, gwr_str *group,
                                gwr_str *kind, gwr_str *ns, gwr_str *name)
{
    if (g == NULL || !g->has_backend_client_cert)
        return 0;
    const gwr_secret_ref *r = &g->backend_client_cert;
    if (group != NULL)
        *group = r->group;
    if (kind != NULL)
        *kind = r->kind;
    if (ns != NULL)
        *ns = r->ns;
    if (name != NULL)
        *name = r->name;
    return 1;
}

size_t
gwr_gateway_listener_count(const gwr_gateway *g)
{
    return g != NULL ? g->n_listeners : 0;
}

int
gwr_gateway_listener(const gwr_gateway *g, size_t i, gwr_str *name,
                     gwr_str *protocol, uint32_t *port, gwr_str *hostname)
{
    if (g == NULL)
        return GWR_E_INVAL;
    if (i >= g->n_listeners)
        return GWR_E_RANGE;
    const gwr_listener *l = &g->listeners[i];
    if (name != NULL)
        *name = l->name;
    if (protocol != NULL)
        *protocol = l->protocol;
    if (port != NULL)
        *port = l->port;
    if (hostname != NULL)
        *hostname = l->hostname;
    return GWR_OK;
}
