/*
 * gwproxy - options, signals, start and graceful stop (docs/CLI.md).
 * SPDX-License-Identifier: MIT
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwproxy.h"

static void
usage(FILE *f)
{
    fputs("usage: gwproxy [--bind ADDR] [--port-offset N] "
          "[--backend NS/NAME:PORT=HOST:PORT]...\n"
          "               [--listen PORT]... [--verbose] FILE...\n"
          "Serve every HTTP listener of the Gateway in FILE... on ADDR\n"
          "(default 127.0.0.1) at listener port + N. SIGHUP reloads the files;\n"
          "SIGTERM/SIGINT stop after the requests in flight.\n",
          f);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    gwp_config_reload(arg);
}

static void
on_exit_deadline(evutil_socket_t fd, short what, void *arg)
{
    gwp_proxy *px = arg;
    (void)fd;
    (void)what;
    size_t nc = 0, nx = 0, nk = 0, nt = 0;
    gwp_server_count(px, &nc, &nx, &nk, &nt);
    fprintf(stderr, "gwproxy: still busy after 10 s (%zu connections, %zu "
            "exchanges, %zu upstream connections, %zu tunnels); exiting\n",
            nc, nx, nk, nt);
    event_base_loopbreak(px->base);
}

static void
on_term(evutil_socket_t sig, short what, void *arg)
{
    gwp_proxy *px = arg;
    (void)what;
    if (px->stopping) {
        event_base_loopbreak(px->base);
        return;
    }
    fprintf(stderr, "gwproxy: signal %d: stopping\n", (int)sig);
    px->stopping = 1;
    gwp_server_stop_listening(px);
    gwp_server_close_idle(px);
    gwp_tunnel_close_all(px);
    /* Mirrors are fire-and-forget: drop them. */
    gwp_conn *k = px->conns, *next;
    for (; k != NULL; k = next) {
        next = k->next;
        if (k->mirror)
            gwp_conn_free(k);
    }
    struct timeval tv = { 10, 0 };
    evtimer_add(px->ev_exit, &tv);
    gwp_maybe_exit(px);
}

static int
parse_port(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "bind", required_argument, NULL, 'b' },
        { "port-offset", required_argument, NULL, 'o' },
        { "backend", required_argument, NULL, 'B' },
        { "listen", required_argument, NULL, 'l' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    gwp_proxy px;
    memset(&px, 0, sizeof(px));
    px.bind_addr = "127.0.0.1";
    int opt, status = 2;
    long v;
    while ((opt = getopt_long(argc, argv, "b:o:B:l:vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b':
            px.bind_addr = optarg;
            break;
        case 'o':
            if (parse_port(optarg, -65535, 65535, &v) != 0) {
                fprintf(stderr, "gwproxy: bad --port-offset %s\n", optarg);
                goto out;
            }
            px.port_offset = (int)v;
            break;
        case 'B': {
            gwp_override *o = realloc(px.overrides,
                                      (px.n_overrides + 1) * sizeof(*o));
            if (o == NULL)
                goto out;
            px.overrides = o;
            if (gwp_parse_override(optarg, &o[px.n_overrides]) != 0) {
                fprintf(stderr, "gwproxy: bad --backend %s "
                        "(want NS/NAME:PORT=HOST:PORT)\n", optarg);
                px.n_overrides++;
                goto out;
            }
            px.n_overrides++;
            break;
        }
        case 'l': {
            if (parse_port(optarg, 1, 65535, &v) != 0) {
                fprintf(stderr, "gwproxy: bad --listen %s\n", optarg);
                goto out;
            }
            uint32_t *p = realloc(px.extra_ports,
                                  (px.n_extra_ports + 1) * sizeof(*p));
            if (p == NULL)
                goto out;
            px.extra_ports = p;
            p[px.n_extra_ports++] = (uint32_t)v;
            break;
        }
        case 'v':
            px.verbose = 1;
            break;
        case 'h':
            usage(stdout);
            status = 0;
            goto out;
        case 'V':
            printf("gwproxy (libgwroute %s)\n", gwr_version_str());
            status = 0;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        goto out;
    }
    px.files = argv + optind;
    px.nfiles = argc - optind;

    signal(SIGPIPE, SIG_IGN);
    px.base = event_base_new();
    if (px.base == NULL || gwp_shim_init(&px) != 0)
        goto out;
    uint32_t *ports = NULL;
    size_t n_ports = 0;
    if (gwp_config_load(&px, &px.table, &ports, &n_ports) != 0) {
        status = 1;
        goto out;
    }
    px.generation = 1;
    int ok = 1;
    for (size_t i = 0; i < n_ports && ok; i++)
        ok = gwp_listen(&px, ports[i]) == 0;
    for (size_t i = 0; i < px.n_extra_ports && ok; i++)
        ok = gwp_listen(&px, px.extra_ports[i]) == 0;
    free(ports);
    if (!ok)
        goto out;
    if (px.listeners == NULL) {
        fprintf(stderr, "gwproxy: no HTTP listener to serve "
                "(no Gateway with an HTTP listener; use --listen PORT)\n");
        goto out;
    }
    px.ev_hup = evsignal_new(px.base, SIGHUP, on_hup, &px);
    px.ev_term = evsignal_new(px.base, SIGTERM, on_term, &px);
    px.ev_int = evsignal_new(px.base, SIGINT, on_term, &px);
    px.ev_exit = evtimer_new(px.base, on_exit_deadline, &px);
    if (px.ev_hup == NULL || px.ev_term == NULL || px.ev_int == NULL ||
        px.ev_exit == NULL || evsignal_add(px.ev_hup, NULL) != 0 ||
        evsignal_add(px.ev_term, NULL) != 0 || evsignal_add(px.ev_int, NULL) != 0)
        goto out;
    fprintf(stderr, "gwproxy: ready: %zu table entries\n",
            gwr_table_entry_count(px.table));
    event_base_dispatch(px.base);
    status = 0;
    fprintf(stderr, "gwproxy: stopped\n");
out:
    /* Stopping anyway: a late signal must not kill the cleanup. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    gwp_server_stop_listening(&px);
    gwp_tunnel_close_all(&px);
    /* Clients first (they may point at exchanges), then the engine and
     * the connections it was driving. */
    px.stopping = 0;
    gwp_exchange_close_all(&px);
    gwp_server_close_all(&px);
    if (px.base != NULL)
        gwp_shim_free(&px);
    if (px.ev_hup)
        event_free(px.ev_hup);
    if (px.ev_term)
        event_free(px.ev_term);
    if (px.ev_int)
        event_free(px.ev_int);
    if (px.ev_exit)
        event_free(px.ev_exit);
    if (px.base)
        event_base_free(px.base);
    for (size_t i = 0; i < px.n_overrides; i++) {
        free(px.overrides[i].ns);
        free(px.overrides[i].name);
        free(px.overrides[i].host);
        free(px.overrides[i].host_port);
    }
    free(px.overrides);
    free(px.extra_ports);
    return status;
}
