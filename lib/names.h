/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * Validators for the Gateway API scalar types of spec §7.1 (and the
 * Kubernetes label / annotation keys of §7.4), written by hand so that no
 * regex engine is needed. Each returns NULL when the value is valid, or a
 * static message naming the first rule it breaks: the length rule
 * ("must be 1 to 253 characters") or the CRD pattern
 * ("must match ^...$", the pattern exactly as in the CRD).
 */
#ifndef GWR_NAMES_H
#define GWR_NAMES_H

#include "gwr_private.h"

/* SectionName (listener, rule and section names): 1..253, DNS subdomain. */
const char *
gwr_names__check_section_name(gwr_str v);

/* Namespace: 1..63, DNS-1123 label. */
const char *
gwr_names__check_namespace(gwr_str v);

/* Group: 0..253, empty (core) or DNS subdomain. */
const char *
gwr_names__check_group(gwr_str v);

/* Kind: 1..63, ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$. */
const char *
gwr_names__check_kind(gwr_str v);

/* ObjectName: 1..253, no pattern. */
const char *
gwr_names__check_object_name(gwr_str v);

/* HeaderName / HTTPHeaderName: 1..256, RFC 7230 token (no ':'). */
const char *
gwr_names__check_header_name(gwr_str v);

/* Header value (match and filter values): 1..4096 bytes. */
const char *
gwr_names__check_header_value(gwr_str v);

/*
 * The experimental (>= v1.5) header value pattern ^[!-~]+([\t ]?[!-~]+)*$
 * only: visible ASCII, single spaces or tabs between visible characters,
 * none at the ends. Apply after gwr_names__check_header_value when the
 * experimental rules are wanted.
 */
const char *
gwr_names__check_header_value_pattern(gwr_str v);

/* Label key (Gateway infrastructure labels, CEL): 1..253, optional
 * lowercase DNS-subdomain prefix and '/', then a 1..63 name. */
const char *
gwr_names__check_label_key(gwr_str v);

/* LabelValue: 0..63, ^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$. */
const char *
gwr_names__check_label_value(gwr_str v);

/* AnnotationKey (TLS options keys): 1..253,
 * ^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]/?)*$. */
const char *
gwr_names__check_annotation_key(gwr_str v);

/* GatewayController (controllerName): 1..253, domain-prefixed path. */
const char *
gwr_names__check_gateway_controller(gwr_str v);

/* ProtocolType: 1..255; the CRD pattern's second alternative is not
 * anchored at the start, which is reproduced exactly. */
const char *
gwr_names__check_protocol_type(gwr_str v);

/* HTTPMethod: GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH. */
const char *
gwr_names__check_http_method(gwr_str v);

#endif /* GWR_NAMES_H */
