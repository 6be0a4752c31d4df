/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * gwroute/config.h: load Gateway API objects from YAML or JSON text and
 * read the diagnostics.
 *
 * A config collects objects from any number of texts (multi-document YAML,
 * JSON, `kind: List` as kubectl prints it). Each object is defaulted and
 * validated as the API server's CRD schema and CEL rules, plus the checks
 * a conformant controller makes (docs/CONFIG.md). An invalid object is
 * rejected whole with one diagnostic per problem; the others load. A text
 * that is not well-formed loads nothing.
 *
 * Thread-safety: a gwr_config may be used by one thread at a time.
 */
#ifndef GWROUTE_CONFIG_H
#define GWROUTE_CONFIG_H

#include "gwroute/common.h"
#include "gwroute/context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gwr_config gwr_config;
typedef struct gwr_diag gwr_diag;

/** Text formats for gwr_config_add_text(). */
typedef enum gwr_format {
    GWR_FORMAT_AUTO = 0,  /**< JSON if it starts with { or [, else YAML */
    GWR_FORMAT_YAML = 1,
    GWR_FORMAT_JSON = 2
} gwr_format;

/** Diagnostic severities. */
typedef enum gwr_severity {
    GWR_SEVERITY_ERROR = 0,   /**< the object (or the text) was rejected */
    GWR_SEVERITY_WARNING = 1, /**< loaded, but probably not what was meant */
    GWR_SEVERITY_NOTE = 2     /**< informational, e.g. an unknown kind skipped */
} gwr_severity;

/**
 * Create an empty config.
 * @param[out] out receives the config (NULL on failure).
 * @param[in]  ctx context; the config holds a reference to it.
 * @return GWR_OK, GWR_E_INVAL, GWR_E_NOMEM.
 * @since 1.0
 */
GWR_API
int gwr_config_new(gwr_config **out, gwr_ctx *ctx);

/** Free a config and everything borrowed from it. NULL is a no-op. @since 1.0 */
GWR_API
void gwr_config_free(gwr_config *cfg);

/**
 * Load every document of one text.
 *
 * @param cfg    the config.
 * @param format a gwr_format value.
 * @param text   the bytes (not NUL-terminated); copied, need not outlive
 *               the call.
 * @param source a name for diagnostics (file name, "-" for stdin); copied.
 * @return GWR_OK when every object loaded; GWR_E_CONFIG when one or more
 *         objects were rejected (the others loaded; see the diagnostics);
 *         GWR_E_PARSE or GWR_E_LIMIT when the text is malformed or too
 *         large, and GWR_E_NOMEM: then nothing from this text was loaded
 *         and the config is exactly as before (diagnostics aside).
 *         GWR_E_INVAL for a NULL config or unknown format.
 * @since 1.0
 */
GWR_API
int gwr_config_add_text(gwr_config *cfg, uint32_t format, gwr_str text,
                        gwr_str source);

/** Number of diagnostics collected so far (all texts).
 *  @return the count; 0 for a NULL config. @since 1.0 */
GWR_API
size_t gwr_config_diag_count(const gwr_config *cfg);

/** Number of error diagnostics collected so far.
 *  @return the count; 0 for a NULL config. @since 1.0 */
GWR_API
size_t gwr_config_error_count(const gwr_config *cfg);

/**
 * The i-th diagnostic, borrowed from the config (valid until it is freed),
 * or NULL when i is out of range.
 * @since 1.0
 */
GWR_API
const gwr_diag *gwr_config_diag(const gwr_config *cfg, size_t i);

/** Severity of a diagnostic.
 *
 *  The gwr_diag_*() views are borrowed like the diagnostic (from its
 *  config; see gwr_config_diag() and gwr_config_status_diag()).
 *  @return a gwr_severity; GWR_SEVERITY_ERROR for a NULL diagnostic.
 *  @since 1.0 */
GWR_API
uint32_t gwr_diag_severity(const gwr_diag *d);
/** Source name given to gwr_config_add_text().
 *  @return the name; an empty view for a NULL diagnostic. @since 1.0 */
GWR_API
gwr_str gwr_diag_source(const gwr_diag *d);
/** 1-based line (0 when unknown). @since 1.0 */
GWR_API
uint32_t gwr_diag_line(const gwr_diag *d);
/** 1-based column (0 when unknown). @since 1.0 */
GWR_API
uint32_t gwr_diag_column(const gwr_diag *d);
/** Object kind ("HTTPRoute"), empty when not known. @since 1.0 */
GWR_API
gwr_str gwr_diag_kind(const gwr_diag *d);
/** Object namespace, empty for cluster-scoped kinds. @since 1.0 */
GWR_API
gwr_str gwr_diag_namespace(const gwr_diag *d);
/** Object name, empty when not known. @since 1.0 */
GWR_API
gwr_str gwr_diag_name(const gwr_diag *d);
/** Field path, e.g. "spec.rules[0].matches[1].path.value".
 *  @return the path; an empty view when not known or for a NULL
 *          diagnostic. @since 1.0 */
GWR_API
gwr_str gwr_diag_field(const gwr_diag *d);
/** What is wrong.
 *  @return the message; an empty view for a NULL diagnostic. @since 1.0 */
GWR_API
gwr_str gwr_diag_message(const gwr_diag *d);

/**
 * Format a diagnostic as one line,
 * "SOURCE:LINE:COL: KIND NAMESPACE/NAME: FIELD.PATH: message" (unknown
 * parts print as "-"), snprintf-style.
 * @return the length of the full line (excluding the NUL), which may be
 *         larger than @p size - 1 when the line was cut; negative on
 *         GWR_E_INVAL.
 * @since 1.0
 */
GWR_API
int gwr_diag_format(const gwr_diag *d, char *buf, size_t size);

/* ---- Gateways ------------------------------------------------------------ */

/**
 * A loaded Gateway (opaque). Borrowed from its config and valid until
 * gwr_config_free(); every view it returns lives as long. A Gateway
 * replaced by a later one of the same namespace/name stays readable but
 * is no longer counted by gwr_config_gateway_count(), and indexes shift
 * after every gwr_config_add_text() that loads something.
 * Thread-safety: read-only; as the config (one thread at a time).
 */
typedef struct gwr_gateway gwr_gateway;

/**
 * Number of Gateways loaded (accepted) so far.
 * @param[in] cfg the config.
 * @return the count; 0 for a NULL config.
 * @since 1.0
 */
GWR_API
size_t gwr_config_gateway_count(const gwr_config *cfg);

/**
 * The i-th loaded Gateway, in load order.
 * @param[in] cfg the config.
 * @param[in] i   0 .. gwr_config_gateway_count() - 1.
 * @return a borrowed Gateway (see gwr_gateway), or NULL when cfg is NULL
 *         or i is out of range.
 * @since 1.0
 */
GWR_API
const gwr_gateway *gwr_config_gateway(const gwr_config *cfg, size_t i);

/**
 * metadata.namespace of a Gateway ("default" when the document omitted
 * it). The view is borrowed from the config and NUL-terminated; empty for
 * a NULL Gateway.
 * @since 1.0
 */
GWR_API
gwr_str gwr_gateway_namespace(const gwr_gateway *g);

/** metadata.name of a Gateway.
 *  @return the name (borrowed from the config, NUL-terminated); an empty
 *          view for a NULL Gateway. @since 1.0 */
GWR_API
gwr_str gwr_gateway_name(const gwr_gateway *g);

/** spec.gatewayClassName of a Gateway.
 *  @return the class name (borrowed from the config, NUL-terminated); an
 *          empty view for a NULL Gateway. @since 1.0 */
GWR_API
gwr_str gwr_gateway_class_name(const gwr_gateway *g);

/**
 * Number of spec.infrastructure.labels entries (0 for NULL).
 * @since 1.0
 */
GWR_API
size_t gwr_gateway_infra_label_count(const gwr_gateway *g);

/**
 * The i-th spec.infrastructure.labels entry, in document order.
 * @param[in]  g     the Gateway.
 * @param[in]  i     0 .. gwr_gateway_infra_label_count() - 1.
 * @param[out] key   receives the key (borrowed, NUL-terminated); may be NULL.
 * @param[out] value receives the value (borrowed, NUL-terminated); may be
 *                   NULL.
 * @return GWR_OK, GWR_E_INVAL (g is NULL) or GWR_E_RANGE (i out of range;
 *         the outputs are left untouched).
 * @since 1.0
 */
GWR_API
int gwr_gateway_infra_label(const gwr_gateway *g, size_t i, gwr_str *key,
                            gwr_str *value);

/** Number of spec.infrastructure.annotations entries (0 for NULL).
 * @since 1.0 */
GWR_API
size_t gwr_gateway_infra_annotation_count(const gwr_gateway *g);

/**
 * The i-th spec.infrastructure.annotations entry; same contract as
 * gwr_gateway_infra_label().
 * @return GWR_OK, GWR_E_INVAL or GWR_E_RANGE.
 * @since 1.0
 */
GWR_API
int gwr_gateway_infra_annotation(const gwr_gateway *g, size_t i,
                                 gwr_str *key, gwr_str *value);

/**
 * spec.infrastructure.parametersRef.
 * @param[in]  g the Gateway.
 * @param[out] group, kind, name receive the reference (borrowed,
 *             NUL-terminated; group may be empty = core); each may be NULL.
 * @return 1 when the Gateway has a parametersRef (outputs written), 0 when
 *         it has none or g is NULL (outputs untouched).
 * @since 1.0
 */
GWR_API
int gwr_gateway_infra_params(const gwr_gateway *g, gwr_str *group,
                             gwr_str *kind, gwr_str *name);

/**
 * Number of listeners of a Gateway (spec.listeners).
 * @return the count; 0 for NULL.
 * @since 1.0
 */
GWR_API
size_t gwr_gateway_listener_count(const gwr_gateway *g);

/**
 * The i-th listener of a Gateway, as loaded (defaults applied). Hosts use it
 * to open the sockets the Gateway describes.
 * @param[in]  g the Gateway.
 * @param[in]  i 0-based index, in spec.listeners order.
 * @param[out] name, protocol, hostname receive borrowed NUL-terminated
 *             views (hostname empty when unset = every host); port the
 *             listener port. Each may be NULL.
 * @return GWR_OK; GWR_E_RANGE when i is out of range, GWR_E_INVAL when g
 *         is NULL (outputs untouched either way).
 * @since 1.0
 */
GWR_API
int gwr_gateway_listener(const gwr_gateway *g, size_t i, gwr_str *name,
                         gwr_str *protocol, uint32_t *port,
                         gwr_str *hostname);

/**
 * The client certificate the Gateway presents to TLS backends:
 * spec.tls.backend.clientCertificateRef (Gateway API >= v1.4) or
 * spec.backendTLS.clientCertificateRef (v1.2 experimental), with the
 * SecretObjectReference defaults applied (group "", kind Secret, namespace
 * = the Gateway's).
 * @param[in]  g the Gateway.
 * @param[out] group, kind, ns, name receive the reference (borrowed,
 *             NUL-terminated); each may be NULL.
 * @return 1 when set (outputs written), 0 when not set or g is NULL.
 * @since 1.0
 */
GWR_API
int gwr_gateway_backend_client_cert(const gwr_gateway *g, gwr_str *group,
                                    gwr_str *kind, gwr_str *ns,
                                    gwr_str *name);

#ifdef __cplusplus
}
#endif

#endif /* GWROUTE_CONFIG_H */
