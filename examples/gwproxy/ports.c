/*
 * gwproxy - which ports to listen on. SPDX-License-Identifier: MIT
 *
 * The routing table knows the Gateway's listeners, but libgwroute 1.0 has
 * no public accessor for a listener's port and protocol. gwproxy therefore
 * reads them from the same texts with libyaml (which also reads JSON):
 * spec.listeners[].port of every listener whose protocol is HTTP, in every
 * Gateway document (also inside a `kind: List`). The texts were accepted
 * by gwr_config_add_text() first, so they are well-formed and validated.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "gwproxy.h"

static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE &&
            k->data.scalar.length == strlen(key) &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

static int
scalar_is(yaml_node_t *n, const char *v)
{
    return n != NULL && n->type == YAML_SCALAR_NODE &&
           n->data.scalar.length == strlen(v) &&
           memcmp(n->data.scalar.value, v, n->data.scalar.length) == 0;
}

static int
add_port(uint32_t **ports, size_t *n, uint32_t port)
{
    for (size_t i = 0; i < *n; i++)
        if ((*ports)[i] == port)
            return 0;
    uint32_t *p = realloc(*ports, (*n + 1) * sizeof(**ports));
    if (p == NULL)
        return -1;
    p[(*n)++] = port;
    *ports = p;
    return 0;
}

static int
object(yaml_document_t *doc, yaml_node_t *obj, uint32_t **ports, size_t *n)
{
    yaml_node_t *kind = map_get(doc, obj, "kind");
    if (scalar_is(kind, "List")) {
        yaml_node_t *items = map_get(doc, obj, "items");
        if (items == NULL || items->type != YAML_SEQUENCE_NODE)
            return 0;
        for (yaml_node_item_t *it = items->data.sequence.items.start;
             it < items->data.sequence.items.top; it++)
            if (object(doc, yaml_document_get_node(doc, *it), ports, n) != 0)
                return -1;
        return 0;
    }
    if (!scalar_is(kind, "Gateway"))
        return 0;
    yaml_node_t *ls = map_get(doc, map_get(doc, obj, "spec"), "listeners");
    if (ls == NULL || ls->type != YAML_SEQUENCE_NODE)
        return 0;
    for (yaml_node_item_t *it = ls->data.sequence.items.start;
         it < ls->data.sequence.items.top; it++) {
        yaml_node_t *l = yaml_document_get_node(doc, *it);
        yaml_node_t *port = map_get(doc, l, "port");
        if (!scalar_is(map_get(doc, l, "protocol"), "HTTP") || port == NULL ||
            port->type != YAML_SCALAR_NODE)
            continue;
        char buf[16];
        size_t len = port->data.scalar.length;
        if (len == 0 || len >= sizeof(buf))
            continue;
        memcpy(buf, port->data.scalar.value, len);
        buf[len] = '\0';
        char *end;
        unsigned long v = strtoul(buf, &end, 10);
        if (*end == '\0' && v > 0 && v <= 65535 &&
            add_port(ports, n, (uint32_t)v) != 0)
            return -1;
    }
    return 0;
}

int gwp_scan_listener_ports(const char *text, size_t len, uint32_t **ports,
                            size_t *n);

int
gwp_scan_listener_ports(const char *text, size_t len, uint32_t **ports,
                        size_t *n)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return -1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = 0;
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            rc = -1;
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root == NULL) {
            yaml_document_delete(&doc);
            break;
        }
        if (root->type == YAML_SEQUENCE_NODE) {
            for (yaml_node_item_t *it = root->data.sequence.items.start;
                 it < root->data.sequence.items.top && rc == 0; it++)
                rc = object(&doc, yaml_document_get_node(&doc, *it), ports, n);
        } else {
            rc = object(&doc, root, ports, n);
        }
        yaml_document_delete(&doc);
        if (rc != 0)
            break;
    }
    yaml_parser_delete(&parser);
    return rc;
}
