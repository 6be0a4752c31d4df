/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * gwroute/decision.h: match a request against a table and read what the
 * gateway should do with it.
 *
 * A decision is a reusable, caller-owned scratch object, one per thread
 * (like a PCRE2 match data). gwr_table_match() fills it; once its buffers
 * have grown to the size the traffic needs, matching allocates nothing.
 * A decision holds a reference on the table it was last matched against,
 * released by the next match or by gwr_decision_free(), so every view read
 * from it stays valid until then even if the host swapped and unref'd the
 * table meanwhile.
 *
 * Everything returned by an accessor is borrowed from the decision and
 * valid until the decision is matched again or freed. Accessors accept a
 * decision that was never matched (they report GWR_RESULT_NO_ROUTE with
 * status 0 and empty values).
 *
 * Thread-safety: a gwr_decision may be used by one thread at a time; the
 * table it matches against may be shared (gwroute/table.h).
 */
#ifndef GWROUTE_DECISION_H
#define GWROUTE_DECISION_H

#include "gwroute/common.h"
#include "gwroute/context.h"
#include "gwroute/request.h"
#include "gwroute/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The decision (opaque). */
typedef struct gwr_decision gwr_decision;
/** A backend of a decision (the chosen one, or a mirror); borrowed. */
typedef struct gwr_backend gwr_backend;

/** What the gateway does with the request. */
typedef enum gwr_result {
    GWR_RESULT_NO_ROUTE = 0, /**< nothing matched: answer 404 */
    GWR_RESULT_FORWARD = 1,  /**< send the upstream request to the backend */
    GWR_RESULT_REDIRECT = 2, /**< answer status + Location */
    GWR_RESULT_RESPOND = 3   /**< answer status (204, 400, 421, 500) without
                                  a body, with the response edits */
} gwr_result;

/** Backend protocol, from the Service port's appProtocol (GEP-1911). */
typedef enum gwr_backend_proto_kind {
    GWR_BACKEND_HTTP = 0,    /**< HTTP/1.1 (or whatever the host prefers) */
    GWR_BACKEND_H2C = 1,     /**< kubernetes.io/h2c: HTTP/2 prior knowledge */
    GWR_BACKEND_WS = 2,      /**< kubernetes.io/ws: WebSocket */
    GWR_BACKEND_WSS = 3      /**< kubernetes.io/wss: WebSocket over TLS */
} gwr_backend_proto_kind;

/** Lists of response header edits (gwr_decision_response_header()). */
typedef enum gwr_header_list {
    GWR_HEADERS_SET = 0,
    GWR_HEADERS_ADD = 1,
    GWR_HEADERS_REMOVE = 2   /**< names only; values are empty */
} gwr_header_list;

/**
 * Create a decision.
 * @param[out] out receives the decision (NULL on failure).
 * @param[in]  ctx the context whose allocator (and, for unseeded requests,
 *                 random source) the decision uses; referenced.
 * @return GWR_OK, GWR_E_INVAL, GWR_E_NOMEM.
 * @since 1.0
 */
GWR_API
int gwr_decision_new(gwr_decision **out, gwr_ctx *ctx);

/** Free a decision and drop its table reference. NULL is a no-op. @since 1.0 */
GWR_API
void gwr_decision_free(gwr_decision *d);

/**
 * Forget the last match: the decision reads as never matched and drops its
 * table reference, keeping its buffers for the next match. Useful when a
 * host swaps tables and wants the old one released before the next
 * request on this thread arrives. NULL is a no-op.
 * @since 1.0
 */
GWR_API
void gwr_decision_reset(gwr_decision *d);

/**
 * Route one request.
 *
 * Selects the listener (port, scheme, Host), the winning route rule by the
 * Gateway API precedence, picks the backend by weight, applies the rule's
 * and then the chosen backendRef's filters, and fills @p d. Allocates only
 * while the decision's buffers grow.
 *
 * @param[in]  table the table (any thread).
 * @param[in]  req   the request; borrowed for the call only.
 * @param[out] d     the decision to fill (its previous content is gone).
 * @return GWR_OK (every outcome, no_route included, is GWR_OK);
 *         GWR_E_INVAL (NULL argument); GWR_E_ABI (bad @c req->size);
 *         GWR_E_CALLBACK (the header callback failed); GWR_E_NOMEM.
 *         On error @p d reads as never matched.
 * @since 1.0
 */
GWR_API
int gwr_table_match(const gwr_table *table, const gwr_request *req,
                    gwr_decision *d);

/** gwr_result of the last match.
 *  @return a GWR_RESULT_* value; GWR_RESULT_NO_ROUTE for a NULL or
 *          never-matched decision. @since 1.0 */
GWR_API
uint32_t gwr_decision_result(const gwr_decision *d);

/** HTTP status the gateway answers itself: 0 for FORWARD, 404 NO_ROUTE,
 *  204 for a CORS preflight (its fields are in the response edits), 400
 *  for a rejected path or Host, 421 for a Host on another listener than
 *  the TLS server name's (gwr_request.sni), 500 for a missing or invalid
 *  backend, the redirect code for REDIRECT. @since 1.0 */
GWR_API
int gwr_decision_status(const gwr_decision *d);

/** gRPC status codes the gateway answers with itself
 *  (gwr_decision_grpc_status(), and the trailers-only answers the exchange
 *  engine generates, gwroute/engine.h); the numbers are gRPC's own. */
typedef enum gwr_grpc_code {
    GWR_GRPC_NONE = 0,           /**< not a gRPC answer (OK is also 0) */
    GWR_GRPC_UNIMPLEMENTED = 12, /**< no route took the call */
    /** the rule has no usable backend; from the engine also: the
     *  upstream failed or could not be reached (its HTTP 502 / 503) */
    GWR_GRPC_UNAVAILABLE = 14,
    /** only from the engine: its request or backend request timeout
     *  expired (its HTTP 504) */
    GWR_GRPC_DEADLINE_EXCEEDED = 4
} gwr_grpc_code;

/**
 * Whether the request was recognised as a gRPC call (spec §3.9): method
 * @c POST, exactly one @c Content-Type field whose media type is
 * @c application/grpc or @c application/grpc+SUBTYPE (case-insensitive,
 * parameters after @c ; allowed; @c application/grpc-web is not gRPC), and
 * a normalized path @c /SERVICE/METHOD with both parts non-empty and no
 * further @c / . Only such requests can match a GRPCRoute. The HTTP
 * version is not looked at (the host owns the transport).
 * @param[in] d the decision; may be NULL.
 * @return 1 when the last matched request was a gRPC call; 0 otherwise,
 *         also for a NULL or never-matched decision and for a request
 *         answered 400 (a rejected Host or path).
 * @since 1.0
 */
GWR_API
int gwr_decision_grpc(const gwr_decision *d);

/**
 * The gRPC status the gateway answers a gRPC call with when it answers
 * itself (docs/MATCHING.md "GRPCRoute"): the host should then send a
 * trailers-only response, HTTP status 200, @c content-type
 * @c application/grpc and @c grpc-status set to this code, instead of
 * gwr_decision_status(). gwr_engine_submit() does exactly that (with a
 * @c grpc-message), so a host using the engine has nothing to do.
 * @param[in] d the decision; may be NULL.
 * @return GWR_GRPC_UNIMPLEMENTED (12) for a gRPC call that matched no
 *         route (status 404); GWR_GRPC_UNAVAILABLE (14) for one whose rule
 *         has no usable backend (status 500: no backendRefs, every weight
 *         0, or the chosen backendRef invalid); 0 (GWR_GRPC_NONE) when
 *         forwarding, for a redirect, for a request that is not a gRPC
 *         call (gwr_decision_grpc() is 0), and for a NULL or never-matched
 *         decision.
 * @since 1.0
 */
GWR_API
int gwr_decision_grpc_status(const gwr_decision *d);

/** The seed the weighted choice and mirror sampling used.
 *  @return the request's seed (GWR_REQ_SEEDED) or the random one drawn;
 *          0 for a NULL or never-matched decision. Kept after a failed
 *          match. @since 1.0 */
GWR_API
uint64_t gwr_decision_seed(const gwr_decision *d);

/** Kind of the matched route ("HTTPRoute", "GRPCRoute"); empty when no
 *  route matched. @since 1.0 */
GWR_API
gwr_str gwr_decision_route_kind(const gwr_decision *d);
/** Namespace of the matched route; empty when none. @since 1.0 */
GWR_API
gwr_str gwr_decision_route_namespace(const gwr_decision *d);
/** Name of the matched route; empty when none. @since 1.0 */
GWR_API
gwr_str gwr_decision_route_name(const gwr_decision *d);
/** 0-based index of the matched rule in its route.
 *  @return the index; -1 when no rule matched or @p d is NULL.
 *  @since 1.0 */
GWR_API
int gwr_decision_rule_index(const gwr_decision *d);
/** Name of the matched rule; empty when unnamed or none. @since 1.0 */
GWR_API
gwr_str gwr_decision_rule_name(const gwr_decision *d);

/** The chosen backend.
 *  @return the backend, borrowed from the decision (valid until the next
 *          gwr_table_match() on it or gwr_decision_free()); NULL unless
 *          the result is FORWARD, or when @p d is NULL. @since 1.0 */
GWR_API
const gwr_backend *gwr_decision_backend(const gwr_decision *d);

/**
 * Backend kind ("Service").
 *
 * The gwr_backend_*() accessors all return data borrowed from @p b, valid
 * as long as @p b is (a decision backend: until the next gwr_table_match()
 * on the decision or gwr_decision_free(); one passed to a gwr_io callback:
 * until the callback returns). Views are NUL-terminated.
 * @return the kind; an empty view for a NULL backend.
 * @since 1.0
 */
GWR_API
gwr_str gwr_backend_kind(const gwr_backend *b);
/** Backend group.
 *  @return the group, empty for core (and for a NULL backend).
 *  @since 1.0 */
GWR_API
gwr_str gwr_backend_group(const gwr_backend *b);
/** Backend namespace.
 *  @return the namespace; an empty view for a NULL backend. @since 1.0 */
GWR_API
gwr_str gwr_backend_namespace(const gwr_backend *b);
/** Backend name.
 *  @return the name; an empty view for a NULL backend. @since 1.0 */
GWR_API
gwr_str gwr_backend_name(const gwr_backend *b);
/** The Service port of the backendRef (0 when unset). @since 1.0 */
GWR_API
uint32_t gwr_backend_port(const gwr_backend *b);
/** Protocol to speak to the backend.
 *  @return a gwr_backend_proto_kind (GWR_BACKEND_*); GWR_BACKEND_HTTP (0)
 *          for a NULL backend. @since 1.0 */
GWR_API
uint32_t gwr_backend_protocol(const gwr_backend *b);

/** Number of ready endpoints from the Service's EndpointSlices (0 when
 *  none are loaded: the host resolves the Service itself). @since 1.0 */
GWR_API
size_t gwr_backend_endpoint_count(const gwr_backend *b);
/**
 * The i-th ready endpoint: its address (IPv4, IPv6 or FQDN as in the
 * slice) and the port to connect to.
 * @return GWR_OK or GWR_E_RANGE.
 * @since 1.0
 */
GWR_API
int gwr_backend_endpoint(const gwr_backend *b, size_t i, gwr_str *address,
                         uint32_t *port);

/** Whether to connect with TLS.
 *  @return 1 when a BackendTLSPolicy applies; 0 when none does or for a
 *          NULL backend. @since 1.0 */
GWR_API
int gwr_backend_tls(const gwr_backend *b);
/** BackendTLSPolicy validation.hostname: the SNI (empty when no policy).
 *  @since 1.0 */
GWR_API
gwr_str gwr_backend_tls_hostname(const gwr_backend *b);
/** BackendTLSPolicy wellKnownCACertificates ("System"), empty if unset.
 *  @since 1.0 */
GWR_API
gwr_str gwr_backend_tls_well_known(const gwr_backend *b);
/** Number of BackendTLSPolicy subjectAltNames.
 *  @return the count; 0 when there is none, no policy, or for a NULL
 *          backend. @since 1.0 */
GWR_API
size_t gwr_backend_tls_san_count(const gwr_backend *b);
/** The i-th SAN: type "Hostname" or "URI" and its value (each output
 *  may be NULL; borrowed like @p b).
 *  @return GWR_OK; GWR_E_RANGE when i is out of range or @p b is NULL
 *          (outputs untouched). @since 1.0 */
GWR_API
int gwr_backend_tls_san(const gwr_backend *b, size_t i, gwr_str *type,
                        gwr_str *value);
/** Number of BackendTLSPolicy caCertificateRefs.
 *  @return the count; 0 when there is none, no policy, or for a NULL
 *          backend. @since 1.0 */
GWR_API
size_t gwr_backend_tls_ca_ref_count(const gwr_backend *b);
/** The i-th caCertificateRef (in the Service's namespace); each output
 *  may be NULL; borrowed like @p b.
 *  @return GWR_OK; GWR_E_RANGE when i is out of range or @p b is NULL
 *          (outputs untouched). @since 1.0 */
GWR_API
int gwr_backend_tls_ca_ref(const gwr_backend *b, size_t i, gwr_str *group,
                           gwr_str *kind, gwr_str *name);

/** Upstream request method ("GET" when the request gave none).
 *
 *  The gwr_decision_upstream_*() views are borrowed from the decision,
 *  valid until the next gwr_table_match() on it or gwr_decision_free().
 *  @return the method; an empty view unless the result is FORWARD, or
 *          when @p d is NULL. @since 1.0 */
GWR_API
gwr_str gwr_decision_upstream_method(const gwr_decision *d);
/** Upstream scheme: the request's ("http" when it gave none).
 *  @return the scheme; an empty view unless the result is FORWARD, or
 *          when @p d is NULL. @since 1.0 */
GWR_API
gwr_str gwr_decision_upstream_scheme(const gwr_decision *d);
/** Upstream Host: the request's as received (port included) unless a
 *  URLRewrite replaced it.
 *  @return the host; an empty view unless the result is FORWARD, or when
 *          @p d is NULL. @since 1.0 */
GWR_API
gwr_str gwr_decision_upstream_host(const gwr_decision *d);
/** Upstream path and query ("/after/rewrite?query").
 *  @return the path; an empty view unless the result is FORWARD, or when
 *          @p d is NULL. @since 1.0 */
GWR_API
gwr_str gwr_decision_upstream_path(const gwr_decision *d);
/** Number of upstream header fields after every request filter.
 *  @return the count; 0 unless the result is FORWARD, or when @p d is
 *          NULL. @since 1.0 */
GWR_API
size_t gwr_decision_upstream_header_count(const gwr_decision *d);
/** The i-th upstream header field, borrowed from the decision (valid
 *  until the next gwr_table_match() on it or gwr_decision_free()); NULL
 *  when out of range, unless FORWARD, or for a NULL decision. @since 1.0 */
GWR_API
const gwr_header *gwr_decision_upstream_header(const gwr_decision *d,
                                               size_t i);

/** The Location value of a REDIRECT.
 *  @return the value, borrowed from the decision (valid until the next
 *          gwr_table_match() on it or gwr_decision_free()); an empty view
 *          unless the result is REDIRECT, or when @p d is NULL.
 *  @since 1.0 */
GWR_API
gwr_str gwr_decision_location(const gwr_decision *d);

/** Number of entries in one response header list (gwr_header_list):
 *  rule-level ResponseHeaderModifier entries, then the chosen backendRef's.
 *  @return the count; 0 for an unknown @p list or a NULL decision.
 *  @since 1.0 */
GWR_API
size_t gwr_decision_response_header_count(const gwr_decision *d,
                                          uint32_t list);
/** The i-th entry of a response header list, borrowed from the decision
 *  (valid until the next gwr_table_match() on it or gwr_decision_free());
 *  NULL when i is out of range, for an unknown @p list or a NULL decision.
 *  @since 1.0 */
GWR_API
const gwr_header *gwr_decision_response_header(const gwr_decision *d,
                                               uint32_t list, size_t i);

/** Number of mirrors with a valid backend (invalid ones are dropped).
 *  @return the count; 0 when there is none or @p d is NULL. @since 1.0 */
GWR_API
size_t gwr_decision_mirror_count(const gwr_decision *d);
/** The i-th mirror backend, borrowed from the decision (valid until the
 *  next gwr_table_match() on it or gwr_decision_free()); *sampled (may be
 *  NULL) is set to 1 when this request is to be mirrored there. NULL when
 *  out of range or @p d is NULL (*sampled untouched). @since 1.0 */
GWR_API
const gwr_backend *gwr_decision_mirror(const gwr_decision *d, size_t i,
                                       int *sampled);

/** timeouts.request in ms, -1 when unset (0 = disabled). @since 1.0 */
GWR_API
int64_t gwr_decision_timeout_ms(const gwr_decision *d);
/** timeouts.backendRequest in ms, -1 when unset. @since 1.0 */
GWR_API
int64_t gwr_decision_backend_timeout_ms(const gwr_decision *d);

/** Whether the matched rule has a retry stanza.
 *  @return 1 when it has; 0 when it has none, no rule matched, or @p d is
 *          NULL. @since 1.0 */
GWR_API
int gwr_decision_has_retry(const gwr_decision *d);
/** retry.attempts, -1 when unset (or no retry). @since 1.0 */
GWR_API
int64_t gwr_decision_retry_attempts(const gwr_decision *d);
/** retry.backoff in ms, -1 when unset. @since 1.0 */
GWR_API
int64_t gwr_decision_retry_backoff_ms(const gwr_decision *d);
/** retry.codes: sets *codes (may be NULL) to the array, borrowed from
 *  the decision (valid until the next gwr_table_match() on it or
 *  gwr_decision_free()).
 *  @return the number of codes; 0 (and *codes = NULL) when the rule has no
 *          retry stanza, no rule matched, or @p d is NULL. @since 1.0 */
GWR_API
size_t gwr_decision_retry_codes(const gwr_decision *d, const uint16_t **codes);

/** gwr_decision_rule_backend() flag: the backendRef is invalid (500
 *  share, spec §5.3); traffic never goes there. */
#define GWR_RULE_BACKEND_INVALID UINT32_C(0x01)
/** gwr_decision_rule_backend() flag: the backendRef has its own filters,
 *  so its upstream request and response edits differ from the decision's
 *  unless it is the chosen one. */
#define GWR_RULE_BACKEND_FILTERED UINT32_C(0x02)
/** gwr_decision_rule_backend() flag: this is gwr_decision_backend(). */
#define GWR_RULE_BACKEND_CHOSEN UINT32_C(0x04)

/** Number of backendRefs of the matched rule, in rule order (0 when no
 *  rule matched). Lets a host (or the engine) retry on a sibling backend.
 *  @since 1.0 */
GWR_API
size_t gwr_decision_rule_backend_count(const gwr_decision *d);
/**
 * The i-th backendRef of the matched rule.
 * @param[out] weight receives its weight (may be NULL).
 * @param[out] flags  receives GWR_RULE_BACKEND_* bits (may be NULL).
 * @return the backend (borrowed like every decision view), NULL when out
 *         of range.
 * @since 1.0
 */
GWR_API
const gwr_backend *gwr_decision_rule_backend(const gwr_decision *d, size_t i,
                                             uint32_t *weight,
                                             uint32_t *flags);

/** Number of ExtensionRef filters on the path taken (rule-level, then the
 *  chosen backendRef's), in order, for the host to run.
 *  @return the count; 0 when there is none or @p d is NULL. @since 1.0 */
GWR_API
size_t gwr_decision_extension_count(const gwr_decision *d);
/** The i-th ExtensionRef; each output may be NULL; views borrowed from
 *  the decision (valid until the next gwr_table_match() on it or
 *  gwr_decision_free()).
 *  @return GWR_OK; GWR_E_RANGE when i is out of range or @p d is NULL
 *          (outputs untouched). @since 1.0 */
GWR_API
int gwr_decision_extension(const gwr_decision *d, size_t i, gwr_str *group,
                           gwr_str *kind, gwr_str *name);

#ifdef __cplusplus
}
#endif

#endif /* GWROUTE_DECISION_H */
