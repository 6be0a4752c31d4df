/*
 * gwproxy - loading the files, compiling the table, hot reload and backend
 * addresses. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "gwproxy.h"

static int
read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    size_t cap = 65536, n = 0;
    char *p = malloc(cap);
    while (p != NULL) {
        if (n == cap) {
            char *q = realloc(p, cap * 2);
            if (q == NULL)
                break;
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                break;
            fclose(f);
            *buf = p;
            *len = n;
            return 0;
        }
    }
    free(p);
    fclose(f);
    return -1;
}

static void
print_diags(const gwr_config *cfg, size_t from)
{
    char line[2048];
    size_t n = gwr_config_diag_count(cfg);
    for (size_t i = from; i < n; i++) {
        const gwr_diag *d = gwr_config_diag(cfg, i);
        if (gwr_diag_format(d, line, sizeof(line)) >= 0)
            fprintf(stderr, "gwproxy: %s\n", line);
    }
}

/* Listener ports to serve: every HTTP listener of the loaded Gateways
 * (gwr_gateway_listener). The table answers for each of them by port. */
static int
collect_ports(const gwr_config *cfg, uint32_t **ports, size_t *n)
{
    for (size_t g = 0; g < gwr_config_gateway_count(cfg); g++) {
        const gwr_gateway *gw = gwr_config_gateway(cfg, g);
        for (size_t i = 0; i < gwr_gateway_listener_count(gw); i++) {
            gwr_str proto;
            uint32_t port = 0;
            if (gwr_gateway_listener(gw, i, NULL, &proto, &port, NULL) !=
                    GWR_OK ||
                proto.len != 4 || memcmp(proto.ptr, "HTTP", 4) != 0)
                continue;
            size_t k = 0;
            while (k < *n && (*ports)[k] != port)
                k++;
            if (k < *n)
                continue;
            uint32_t *p = realloc(*ports, (*n + 1) * sizeof(**ports));
            if (p == NULL)
                return -1;
            p[(*n)++] = port;
            *ports = p;
        }
    }
    return 0;
}

int
gwp_config_load(gwp_proxy *px, gwr_table **out, uint32_t **ports,
                size_t *n_ports)
{
    gwr_config *cfg = NULL;
    int rc = gwr_config_new(&cfg, px->ctx);
    if (rc != GWR_OK) {
        fprintf(stderr, "gwproxy: %s\n", gwr_strerror(rc));
        return -1;
    }
    int bad = 0;
    *ports = NULL;
    *n_ports = 0;
    for (int i = 0; i < px->nfiles; i++) {
        char *text = NULL;
        size_t len = 0;
        if (read_file(px->files[i], &text, &len) != 0) {
            fprintf(stderr, "gwproxy: %s: %s\n", px->files[i], strerror(errno));
            bad = 1;
            break;
        }
        size_t before = gwr_config_diag_count(cfg);
        gwr_str body = { text, len };
        gwr_str src = { px->files[i], strlen(px->files[i]) };
        rc = gwr_config_add_text(cfg, GWR_FORMAT_AUTO, body, src);
        print_diags(cfg, before);
        if (rc != GWR_OK) {
            fprintf(stderr, "gwproxy: %s: %s\n", px->files[i], gwr_strerror(rc));
            bad = 1;
        }
        free(text);
    }
    if (!bad && collect_ports(cfg, ports, n_ports) != 0)
        bad = 1;
    gwr_table *t = NULL;
    if (!bad) {
        char err[512] = "";
        gwr_compile_opts opts = GWR_COMPILE_OPTS_INIT;
        opts.errbuf = err;
        opts.errbuf_size = sizeof(err);
        rc = gwr_table_compile(&t, cfg, &opts);
        if (rc != GWR_OK) {
            fprintf(stderr, "gwproxy: cannot compile the table: %s%s%s\n",
                    gwr_strerror(rc), err[0] ? ": " : "", err);
            bad = 1;
        }
    }
    gwr_config_free(cfg);
    if (bad) {
        free(*ports);
        *ports = NULL;
        *n_ports = 0;
        return -1;
    }
    *out = t;
    return 0;
}

void
gwp_config_reload(gwp_proxy *px)
{
    gwr_table *t = NULL;
    uint32_t *ports = NULL;
    size_t n = 0;
    fprintf(stderr, "gwproxy: SIGHUP: reloading %d file(s)\n", px->nfiles);
    if (gwp_config_load(px, &t, &ports, &n) != 0) {
        fprintf(stderr, "gwproxy: reload failed; still serving generation %u\n",
                px->generation);
        return;
    }
    /* Publish the new table; exchanges in flight keep their own reference
     * on the old one, which is freed when the last of them finishes. */
    gwr_table *old = px->table;
    px->table = t;
    gwr_table_unref(old);
    px->generation++;
    for (size_t i = 0; i < n; i++)
        gwp_listen(px, ports[i]);
    gwp_server_keep_only(px, ports, n);
    free(ports);
    fprintf(stderr, "gwproxy: reloaded: generation %u, %zu table entries\n",
            px->generation, gwr_table_entry_count(t));
}

int
gwp_parse_override(const char *arg, gwp_override *o)
{
    /* NS/NAME:PORT=HOST:PORT; HOST may be [v6]. */
    memset(o, 0, sizeof(*o));
    const char *slash = strchr(arg, '/');
    const char *eq = strchr(arg, '=');
    if (slash == NULL || eq == NULL || slash > eq)
        return -1;
    const char *colon = memchr(slash, ':', (size_t)(eq - slash));
    if (colon == NULL)
        return -1;
    const char *hp = eq + 1;
    const char *hcolon = strrchr(hp, ':');
    if (hcolon == NULL || hcolon == hp || slash == arg || colon == slash + 1)
        return -1;
    char *end;
    unsigned long sp = strtoul(colon + 1, &end, 10);
    if (end != eq || sp == 0 || sp > 65535)
        return -1;
    unsigned long hport = strtoul(hcolon + 1, &end, 10);
    if (*end != '\0' || hport == 0 || hport > 65535)
        return -1;
    o->ns = strndup(arg, (size_t)(slash - arg));
    o->name = strndup(slash + 1, (size_t)(colon - slash - 1));
    o->port = (uint32_t)sp;
    if (hp[0] == '[' && hcolon[-1] == ']')
        o->host = strndup(hp + 1, (size_t)(hcolon - hp - 2));
    else
        o->host = strndup(hp, (size_t)(hcolon - hp));
    o->host_port = strdup(hcolon + 1);
    if (o->ns == NULL || o->name == NULL || o->host == NULL ||
        o->host_port == NULL)
        return -1;
    return 0;
}

static int
str_is(gwr_str s, const char *z)
{
    return s.len == strlen(z) && memcmp(s.ptr, z, s.len) == 0;
}

static int
to_sockaddr(const char *host, const char *port, struct sockaddr_storage *ss,
            socklen_t *len)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    /* Endpoints are addresses in practice; a name (FQDN endpoint or
     * --backend localhost) is resolved synchronously, which is fine for an
     * example but would block the loop on a slow resolver. */
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int
gwp_resolve_backend(gwp_proxy *px, const gwr_backend *b,
                    struct sockaddr_storage *ss, socklen_t *len, char *label,
                    size_t label_size)
{
    gwr_str ns = gwr_backend_namespace(b), name = gwr_backend_name(b);
    uint32_t port = gwr_backend_port(b);
    for (size_t i = 0; i < px->n_overrides; i++) {
        const gwp_override *o = &px->overrides[i];
        if (o->port == port && str_is(ns, o->ns) && str_is(name, o->name)) {
            snprintf(label, label_size, "%s:%s", o->host, o->host_port);
            return to_sockaddr(o->host, o->host_port, ss, len);
        }
    }
    size_t n = gwr_backend_endpoint_count(b);
    for (size_t k = 0; k < n; k++) {
        gwr_str addr;
        uint32_t eport;
        size_t i = (size_t)((px->rr++ + k) % n);
        if (gwr_backend_endpoint(b, i, &addr, &eport) != GWR_OK)
            continue;
        char host[256], portz[16];
        if (addr.len >= sizeof(host))
            continue;
        memcpy(host, addr.ptr, addr.len);
        host[addr.len] = '\0';
        snprintf(portz, sizeof(portz), "%u", (unsigned)eport);
        snprintf(label, label_size, "%s%s%s:%s", strchr(host, ':') ? "[" : "",
                 host, strchr(host, ':') ? "]" : "", portz);
        if (to_sockaddr(host, portz, ss, len) == 0)
            return 0;
    }
    snprintf(label, label_size, "-");
    return -1;
}
