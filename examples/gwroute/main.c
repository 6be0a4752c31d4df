/*
 * gwroute - the command-line face of libgwroute.
 * SPDX-License-Identifier: MIT
 *
 *   gwroute check [--json] FILE...
 *   gwroute match [options] FILE...
 *   gwroute --version
 */
#include <string.h>

#include "cli.h"

static int
usage(FILE *out)
{
    fputs("usage: gwroute check [--json] FILE...\n"
          "       gwroute match [--gateway NS/NAME] [--port N] [--scheme S]\n"
          "                     [--sni NAME] [--explain]\n"
          "                     [-X METHOD --host HOST --path PATH [-H 'N: v']...\n"
          "                      [--id ID]] FILE...\n"
          "       gwroute --version\n"
          "See docs/CLI.md.\n", out);
    return CLI_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("gwroute %s (libgwroute %s)\n", GWR_VERSION_STR,
               gwr_version_str());
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "check") == 0)
        return cli_check(argc - 1, argv + 1);
    if (strcmp(cmd, "match") == 0)
        return cli_match(argc - 1, argv + 1);
    fprintf(stderr, "gwroute: unknown command '%s'\n", cmd);
    return usage(stderr);
}
