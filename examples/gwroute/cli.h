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

/*
 * gwroute match --explain (explain.c): the reference matcher's candidates.
 * cli_explain_new borrows cfg until cli_explain_free. cli_explain_print
 * routes r again through the reference matcher and writes
 * `,"explain":{...}` (leading comma, no newline); core is the decision
 * the compiled table gave, for the "agrees" member. GWR_OK or an error.
 */
typedef struct cli_explain cli_explain;
int cli_explain_new(cli_explain **out, gwr_ctx *ctx, const gwr_config *cfg,
                    const gwr_compile_opts *co);
void cli_explain_free(cli_explain *x);
int cli_explain_print(FILE *o, cli_explain *x, const gwr_request *r,
                      const gwr_decision *core);

int cli_check(int argc, char **argv);
int cli_match(int argc, char **argv);

#endif
