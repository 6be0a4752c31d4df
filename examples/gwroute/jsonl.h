/*
 * gwroute - a small strict JSON reader for the request objects of
 * `gwroute match` batch mode (one object a line). SPDX-License-Identifier: MIT
 */
#ifndef GWROUTE_JSONL_H
#define GWROUTE_JSONL_H

#include <stddef.h>

#define JREQ_MAX_HEADERS 256

typedef struct jreq {
    /* Decoded strings, NUL-terminated, owned by the jreq (free with
     * jreq_free). NULL = absent. */
    char *method, *host, *path, *scheme, *id, *sni;
    char *hname[JREQ_MAX_HEADERS], *hvalue[JREQ_MAX_HEADERS];
    size_t hlen[JREQ_MAX_HEADERS][2];
    size_t n_headers;
    size_t method_len, host_len, path_len, scheme_len, id_len, sni_len;
    long port;                /* -1 = absent */
} jreq;

/*
 * Parse one line: a JSON object with the members of cli-contract.md
 * (method, host, path, headers [[name, value]...], port, scheme, id) and
 * our extension sni (docs/CLI.md).
 * Unknown members are skipped (forward compatible); anything that is not
 * well-formed JSON, or a member of the wrong type, is an error.
 * Returns 0 or -1 with a static message in *err.
 */
int jreq_parse(const char *line, size_t len, jreq *out, const char **err);
void jreq_free(jreq *r);

#endif
