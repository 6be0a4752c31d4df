/*
 * gwroute - loading files into a config. SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return -1;
    size_t cap = 65536, n = 0;
    char *p = malloc(cap);
    if (p == NULL)
        goto fail;
    for (;;) {
        if (n == cap) {
            char *q = realloc(p, cap * 2);
            if (q == NULL)
                goto fail;
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                goto fail;
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    *buf = p;
    *len = n;
    return 0;
fail:
    free(p);
    if (f != stdin)
        fclose(f);
    return -1;
}

void
cli_print_diags(const gwr_config *cfg, size_t from)
{
    char line[2048];
    size_t n = gwr_config_diag_count(cfg);
    for (size_t i = from; i < n; i++) {
        const gwr_diag *d = gwr_config_diag(cfg, i);
        int len = gwr_diag_format(d, line, sizeof(line));
        if (len < 0)
            continue;
        fprintf(stderr, "%s\n", line);
    }
}

int
cli_load_files(gwr_config *cfg, int nfiles, char **files)
{
    int result = CLI_EXIT_OK;
    for (int i = 0; i < nfiles; i++) {
        char *text = NULL;
        size_t len = 0;
        if (cli_read_file(files[i], &text, &len) != 0) {
            fprintf(stderr, "gwroute: %s: %s\n", files[i], strerror(errno));
            return CLI_EXIT_USAGE;
        }
        size_t before = gwr_config_diag_count(cfg);
        gwr_str body = { text, len };
        gwr_str source = { files[i], strlen(files[i]) };
        int rc = gwr_config_add_text(cfg, GWR_FORMAT_AUTO, body, source);
        free(text);
        cli_print_diags(cfg, before);
        if (rc == GWR_E_NOMEM) {
            fprintf(stderr, "gwroute: %s: %s\n", files[i], gwr_strerror(rc));
            return CLI_EXIT_USAGE;
        }
        if (rc != GWR_OK)
            result = CLI_EXIT_REJECTED;
    }
    return result;
}
