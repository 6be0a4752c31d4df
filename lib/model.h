/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The object model: Gateway API and core objects as loaded, after the CRD
 * defaults were applied (spec §1.8) and after validation accepted them.
 * An object that failed validation never appears here. Everything lives in
 * the arena of the text it was loaded from and is read-only afterwards.
 *
 * Conventions: an unset optional string is the empty view (ptr may be "");
 * unset optional numbers use the documented sentinel; `pos` is where the
 * object or item starts in its source text.
 */
#ifndef GWR_MODEL_H
#define GWR_MODEL_H

#include "gwr_private.h"

typedef struct gwr_pos {
    gwr_str source;
    uint32_t line, col;
} gwr_pos;

typedef struct gwr_kv {
    gwr_str key, value;
} gwr_kv;

typedef struct gwr_kvs {
    gwr_kv *items;
    size_t n;
} gwr_kvs;

typedef struct gwr_strs {
    gwr_str *items;
    size_t n;
} gwr_strs;

/* Object kinds the loader reads. */
typedef enum gwr_kind {
    GWR_KIND_GATEWAY_CLASS = 0,
    GWR_KIND_GATEWAY,
    GWR_KIND_HTTP_ROUTE,
    GWR_KIND_GRPC_ROUTE,
    GWR_KIND_REFERENCE_GRANT,
    GWR_KIND_SERVICE,
    GWR_KIND_ENDPOINT_SLICE,
    GWR_KIND_NAMESPACE,
    GWR_KIND_BACKEND_TLS_POLICY,
    GWR_KIND__COUNT
} gwr_kind;

#define GWR_GROUP_GATEWAY "gateway.networking.k8s.io"

/* metadata, common to every object. */
typedef struct gwr_meta {
    uint32_t kind;            /* gwr_kind */
    gwr_str api_version;      /* as written, e.g. gateway.networking.k8s.io/v1 */
    gwr_str ns;               /* empty for cluster-scoped kinds; "default"
                                 when a namespaced object omits it */
    gwr_str name;
    int has_creation;         /* creationTimestamp present */
    int64_t creation_ms;      /* Unix ms, when has_creation */
    uint64_t load_seq;        /* 0-based order of loading, over all texts */
    int64_t generation;       /* metadata.generation, 0 when absent */
    gwr_kvs labels;
    gwr_kvs annotations;
    gwr_pos pos;              /* the document's top-level mapping */
} gwr_meta;

/* ---- references -------------------------------------------------------- */

typedef struct gwr_parent_ref {
    gwr_str group;            /* default gateway.networking.k8s.io */
    gwr_str kind;             /* default Gateway */
    gwr_str ns;               /* resolved: the route's namespace if unset */
    int ns_set;               /* namespace was written */
    gwr_str name;
    gwr_str section_name;     /* empty = unset */
    uint32_t port;            /* 0 = unset */
    gwr_pos pos;
} gwr_parent_ref;

/* A backendRef, a mirror's backendRef, or any BackendObjectReference. */
typedef struct gwr_filter gwr_filter;
typedef struct gwr_backend_ref {
    gwr_str group;            /* default "" (core) */
    gwr_str kind;             /* default Service */
    gwr_str ns;               /* resolved: the route's namespace if unset */
    int ns_set;
    gwr_str name;
    uint32_t port;            /* 0 = unset (allowed only for non-Service) */
    uint32_t weight;          /* default 1; unused for mirrors */
    gwr_filter *filters;      /* backendRef-level filters (HTTP/GRPC) */
    size_t n_filters;
    gwr_pos pos;
} gwr_backend_ref;

typedef struct gwr_local_ref {   /* LocalObjectReference */
    gwr_str group, kind, name;
    gwr_pos pos;
} gwr_local_ref;

typedef struct gwr_secret_ref {  /* SecretObjectReference */
    gwr_str group;            /* default "" */
    gwr_str kind;             /* default Secret */
    gwr_str ns;               /* resolved: the referrer's namespace if unset */
    int ns_set;
    gwr_str name;
    gwr_pos pos;
} gwr_secret_ref;

/* ---- filters ----------------------------------------------------------- */

typedef enum gwr_filter_type {
    GWR_FILTER_REQUEST_HEADER = 0,   /* RequestHeaderModifier */
    GWR_FILTER_RESPONSE_HEADER,      /* ResponseHeaderModifier */
    GWR_FILTER_MIRROR,               /* RequestMirror */
    GWR_FILTER_REDIRECT,             /* RequestRedirect (HTTPRoute) */
    GWR_FILTER_URL_REWRITE,          /* URLRewrite (HTTPRoute) */
    GWR_FILTER_EXTENSION_REF,        /* ExtensionRef */
    GWR_FILTER_CORS                  /* CORS (HTTPRoute, >= v1.3) */
} gwr_filter_type;

typedef struct gwr_header_mod {
    gwr_kvs set;              /* case-insensitive duplicates: first kept */
    gwr_kvs add;
    gwr_strs remove;
} gwr_header_mod;

typedef enum gwr_path_mod_type {
    GWR_PATH_MOD_NONE = 0,
    GWR_PATH_MOD_FULL,        /* ReplaceFullPath */
    GWR_PATH_MOD_PREFIX       /* ReplacePrefixMatch */
} gwr_path_mod_type;

typedef struct gwr_path_mod {
    uint32_t type;            /* gwr_path_mod_type */
    gwr_str value;            /* may be empty for PREFIX */
} gwr_path_mod;

typedef struct gwr_redirect {
    gwr_str scheme;           /* "http" / "https"; empty = unset */
    gwr_str hostname;         /* empty = unset */
    uint32_t port;            /* 0 = unset */
    gwr_path_mod path;
    uint32_t status;          /* default 302 */
} gwr_redirect;

typedef struct gwr_rewrite {
    gwr_str hostname;         /* empty = unset */
    gwr_path_mod path;
} gwr_rewrite;

typedef struct gwr_mirror {
    gwr_backend_ref backend;  /* weight and filters unused */
    uint32_t num, den;        /* sampling fraction; percent p -> p/100;
                                 neither set -> 100/100 */
} gwr_mirror;

typedef struct gwr_cors {
    gwr_strs allow_origins, allow_methods, allow_headers, expose_headers;
    int allow_credentials;
    int64_t max_age_s;        /* default 5 */
} gwr_cors;

struct gwr_filter {
    uint32_t type;            /* gwr_filter_type */
    gwr_header_mod headers;   /* REQUEST_HEADER / RESPONSE_HEADER */
    gwr_redirect redirect;    /* REDIRECT */
    gwr_rewrite rewrite;      /* URL_REWRITE */
    gwr_mirror mirror;        /* MIRROR */
    gwr_local_ref ext;        /* EXTENSION_REF */
    gwr_cors cors;            /* CORS */
    gwr_pos pos;
};

/* ---- routes -------------------------------------------------------------- */

typedef enum gwr_match_type {
    GWR_MATCH_EXACT = 0,
    GWR_MATCH_PREFIX,         /* PathPrefix (paths only) */
    GWR_MATCH_REGEX           /* RegularExpression */
} gwr_match_type;

typedef struct gwr_value_match {  /* header, query param */
    uint32_t type;            /* EXACT or REGEX */
    gwr_str name;             /* headers: as written (compare
                                 case-insensitively); query: exact */
    gwr_str value;
    gwr_pos pos;
} gwr_value_match;

/* One entry of rules[].matches for either route kind. */
typedef struct gwr_route_match {
    /* HTTPRoute */
    uint32_t path_type;       /* gwr_match_type; default PREFIX */
    gwr_str path;             /* default "/" */
    gwr_str method;           /* empty = any */
    gwr_value_match *query;   /* first of case-sensitive duplicates kept */
    size_t n_query;
    /* GRPCRoute */
    int has_grpc_method;      /* the method object was present */
    uint32_t grpc_type;       /* EXACT or REGEX */
    gwr_str grpc_service;     /* empty = any */
    gwr_str grpc_method;      /* empty = any */
    /* both */
    gwr_value_match *headers; /* first of case-insensitive duplicates kept */
    size_t n_headers;
    gwr_pos pos;
} gwr_route_match;

typedef struct gwr_retry_cfg {
    int set;                  /* the retry stanza is present */
    uint16_t *codes;
    size_t n_codes;
    int64_t attempts;         /* -1 = unset */
    int64_t backoff_ms;       /* -1 = unset */
} gwr_retry_cfg;

/* rules[].sessionPersistence (experimental, HTTPRoute and GRPCRoute).
 * Validated and stored; nothing acts on it yet (docs/CONFIG.md). Both
 * schema shapes land here: v1.2 {sessionName, absoluteTimeout,
 * idleTimeout, type, cookieConfig.lifetimeType} and the later one {type,
 * absoluteTimeout, cookie{name, path, lifetimeType}, header{name}}. */
typedef enum gwr_session_shape {
    GWR_SESSION_SHAPE_V1_2 = 0,   /* sessionName / idleTimeout / cookieConfig */
    GWR_SESSION_SHAPE_HEAD        /* cookie / header */
} gwr_session_shape;

typedef enum gwr_session_type {
    GWR_SESSION_COOKIE = 0,       /* default */
    GWR_SESSION_HEADER
} gwr_session_type;

typedef enum gwr_cookie_lifetime {
    GWR_COOKIE_LIFETIME_SESSION = 0,  /* default */
    GWR_COOKIE_LIFETIME_PERMANENT
} gwr_cookie_lifetime;

typedef struct gwr_session_persistence {
    int set;                  /* the stanza is present (and valid) */
    uint32_t shape;           /* gwr_session_shape */
    uint32_t type;            /* gwr_session_type; default COOKIE */
    gwr_str name;             /* v1.2 sessionName, or cookie.name /
                                 header.name; empty = unset */
    gwr_str cookie_path;      /* HEAD cookie.path, default "/" when cookie
                                 is present; empty otherwise */
    uint32_t lifetime;        /* gwr_cookie_lifetime; default SESSION */
    int64_t absolute_timeout_ms;  /* -1 = unset */
    int64_t idle_timeout_ms;      /* -1 = unset (v1.2 shape only) */
} gwr_session_persistence;

typedef struct gwr_rule {
    gwr_str name;             /* empty = unset (never synthesized) */
    gwr_route_match *matches; /* HTTPRoute: never empty after defaulting;
                                 GRPCRoute: empty = match every request */
    size_t n_matches;
    gwr_filter *filters;
    size_t n_filters;
    gwr_backend_ref *backends;
    size_t n_backends;
    int64_t timeout_request_ms;   /* -1 = unset, 0 = disabled */
    int64_t timeout_backend_ms;   /* -1 = unset, 0 = disabled */
    gwr_retry_cfg retry;
    int invalid;              /* semantic check dropped this rule (see
                                 invalid_reason); the route may still be
                                 Accepted with PartiallyInvalid */
    const char *invalid_reason;   /* e.g. "UnsupportedValue" */
    gwr_str invalid_message;
    gwr_pos pos;
    gwr_session_persistence session;  /* set = 0 when absent */
} gwr_rule;

typedef struct gwr_route {
    gwr_meta meta;            /* kind HTTP_ROUTE or GRPC_ROUTE */
    gwr_parent_ref *parents;
    size_t n_parents;
    gwr_strs hostnames;
    gwr_rule *rules;          /* HTTPRoute: never empty after defaulting */
    size_t n_rules;
} gwr_route;

/* ---- gateways ------------------------------------------------------------ */

typedef struct gwr_label_expr {
    gwr_str key;
    gwr_str op;               /* In, NotIn, Exists, DoesNotExist */
    gwr_strs values;
} gwr_label_expr;

typedef struct gwr_label_selector {
    gwr_kvs match_labels;
    gwr_label_expr *exprs;
    size_t n_exprs;
} gwr_label_selector;

typedef enum gwr_from {
    GWR_FROM_SAME = 0,
    GWR_FROM_ALL,
    GWR_FROM_SELECTOR
} gwr_from;

typedef struct gwr_route_kind_ref {
    gwr_str group;            /* default gateway.networking.k8s.io */
    gwr_str kind;
} gwr_route_kind_ref;

typedef struct gwr_listener {
    gwr_str name;
    gwr_str hostname;         /* empty = unset (matches every host) */
    uint32_t port;
    gwr_str protocol;         /* HTTP, HTTPS, TLS, TCP, UDP or domain/x */
    int has_tls;
    gwr_str tls_mode;         /* default Terminate when tls is present */
    gwr_secret_ref *cert_refs;
    size_t n_cert_refs;
    gwr_kvs tls_options;
    uint32_t from;            /* gwr_from; default SAME */
    int has_selector;
    gwr_label_selector selector;
    gwr_route_kind_ref *kinds;    /* explicit allowedRoutes.kinds */
    size_t n_kinds;
    int has_kinds;            /* kinds was written (even if empty) */
    gwr_pos pos;
} gwr_listener;

typedef struct gwr_gateway {
    gwr_meta meta;
    gwr_str class_name;
    gwr_listener *listeners;
    size_t n_listeners;
    /* spec.infrastructure */
    gwr_kvs infra_labels;
    gwr_kvs infra_annotations;
    int has_infra_params;
    gwr_local_ref infra_params;
    /* Backend client certificate: spec.backendTLS.clientCertificateRef
     * (v1.2 experimental) or spec.tls.backend.clientCertificateRef
     * (>= v1.4); either fills this. */
    int has_backend_client_cert;
    gwr_secret_ref backend_client_cert;
} gwr_gateway;

typedef struct gwr_gateway_class {
    gwr_meta meta;
    gwr_str controller_name;
    gwr_str description;
} gwr_gateway_class;

/* ---- grants, services, endpoints, namespaces, policies ------------------- */

typedef struct gwr_grant_from {
    gwr_str group, kind, ns;
} gwr_grant_from;

typedef struct gwr_grant_to {
    gwr_str group, kind;
    gwr_str name;             /* empty = every object of that kind */
} gwr_grant_to;

typedef struct gwr_reference_grant {
    gwr_meta meta;
    gwr_grant_from *from;
    size_t n_from;
    gwr_grant_to *to;
    size_t n_to;
} gwr_reference_grant;

typedef struct gwr_service_port {
    gwr_str name;             /* empty = unnamed */
    uint32_t port;
    gwr_str protocol;         /* default TCP */
    gwr_str app_protocol;     /* empty = unset */
    gwr_str target_port;      /* as written (number or name); empty = port */
} gwr_service_port;

typedef struct gwr_service {
    gwr_meta meta;
    gwr_str type;             /* default ClusterIP */
    gwr_str cluster_ip;       /* "None" = headless; empty = unset */
    gwr_str external_name;
    gwr_service_port *ports;
    size_t n_ports;
} gwr_service;

typedef struct gwr_endpoint {
    gwr_strs addresses;
    int ready;                /* conditions.ready; unset counts as ready */
    int serving;              /* unset = ready */
    int terminating;          /* unset = false */
} gwr_endpoint;

typedef struct gwr_endpoint_port {
    gwr_str name;
    uint32_t port;            /* 0 = unset */
    gwr_str protocol;
    gwr_str app_protocol;
} gwr_endpoint_port;

typedef struct gwr_endpoint_slice {
    gwr_meta meta;            /* labels carry kubernetes.io/service-name */
    gwr_str service_name;     /* that label's value; empty if absent */
    gwr_str address_type;     /* IPv4, IPv6, FQDN */
    gwr_endpoint *endpoints;
    size_t n_endpoints;
    gwr_endpoint_port *ports;
    size_t n_ports;
} gwr_endpoint_slice;

typedef struct gwr_namespace {
    gwr_meta meta;            /* labels; kubernetes.io/metadata.name is
                                 added when missing */
} gwr_namespace;

typedef struct gwr_san {
    gwr_str type;             /* Hostname or URI */
    gwr_str value;
} gwr_san;

typedef struct gwr_policy_target {
    gwr_str group, kind, name;
    gwr_str section_name;     /* empty = whole Service */
} gwr_policy_target;

typedef struct gwr_backend_tls_policy {
    gwr_meta meta;
    gwr_policy_target *targets;
    size_t n_targets;
    gwr_str hostname;         /* SNI */
    gwr_san *sans;
    size_t n_sans;
    gwr_local_ref *ca_refs;
    size_t n_ca_refs;
    gwr_str well_known;       /* "System" or an implementation value;
                                 empty = unset */
    gwr_kvs options;
} gwr_backend_tls_policy;

/* ---- the loaded set ------------------------------------------------------ */

/*
 * Every accepted object, by kind, in load order. A later object with the
 * same kind, namespace and name replaces the earlier one (with a warning),
 * as `kubectl apply` of both files would.
 */
typedef struct gwr_model {
    gwr_gateway_class **classes;      size_t n_classes;
    gwr_gateway **gateways;           size_t n_gateways;
    gwr_route **routes;               size_t n_routes;   /* HTTP and GRPC */
    gwr_reference_grant **grants;     size_t n_grants;
    gwr_service **services;           size_t n_services;
    gwr_endpoint_slice **slices;      size_t n_slices;
    gwr_namespace **namespaces;       size_t n_namespaces;
    gwr_backend_tls_policy **policies; size_t n_policies;
    uint64_t next_seq;                /* load_seq of the next object */
} gwr_model;

const char *gwr_kind__name(uint32_t kind);   /* "HTTPRoute", ... */

#endif /* GWR_MODEL_H */
