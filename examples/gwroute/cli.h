/*
 * gwroute - the command-line face of libgwroute (docs/CLI.md,
 * ../shared/cli-contract.md). SPDX-License-Identifier: MIT
 */
#ifndef GWROUTE_CLI_H
#define GWROUTE_CLI_H

#include <stdio.h>

#include "gwroute.h"

/* Exit codes fixed by the CLI contract. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_REJECTED = 1,   /* check: an object rejected; match: bad config */
    CLI_EXIT_USAGE = 2       /* usage or I/O error */
};

/*
 * Load every FILE ("-" = standard input) into cfg, printing every
 * diagnostic to stderr as "FILE:LINE:COL: KIND NS/NAME: FIELD: message".
 * Returns CLI_EXIT_OK when everything loaded, CLI_EXIT_REJECTED when an
 * object or a text was rejected, CLI_EXIT_USAGE on I/O errors.
 */
int cli_load_files(gwr_config *cfg, int nfiles, char **files);

/* Print diagnostics from index `from` on to stderr. */
void cli_print_diags(const gwr_config *cfg, size_t from);

/* Read a whole file ("-" = stdin) into a malloc'd buffer. 0 or -1. */
int cli_read_file(const char *path, char **buf, size_t *len);

int cli_check(int argc, char **argv);
int cli_match(int argc, char **argv);

#endif
