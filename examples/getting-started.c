/* docs/GETTING-STARTED.md: load, compile, match. SPDX-License-Identifier: MIT
 * Usage: getting-started FILE.yaml   (built and run by `meson test`) */
#include <gwroute.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    static char text[1 << 20];
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
    size_t len = f ? fread(text, 1, sizeof(text), f) : 0;
    if (f == NULL || ferror(f)) return 2;
    fclose(f);

    gwr_ctx *ctx;                          /* 1. a context, default allocator */
    gwr_config *cfg;                       /* 2. load: YAML/JSON, diagnostics */
    if (gwr_ctx_new(&ctx, NULL, NULL, NULL) != GWR_OK) return 2;
    if (gwr_config_new(&cfg, ctx) != GWR_OK) return 2;
    gwr_str body = { text, len }, src = { argv[1], strlen(argv[1]) };
    int rc = gwr_config_add_text(cfg, GWR_FORMAT_AUTO, body, src);
    for (size_t i = 0; i < gwr_config_diag_count(cfg); i++) {
        char line[512];
        gwr_diag_format(gwr_config_diag(cfg, i), line, sizeof(line));
        fprintf(stderr, "%s\n", line);     /* FILE:LINE:COL: KIND NS/NAME: ... */
    }
    gwr_table *table;                      /* 3. compile the only Gateway */
    if (rc == GWR_E_PARSE || gwr_table_compile(&table, cfg, NULL) != GWR_OK) return 1;
    gwr_config_free(cfg);                  /* the table is a snapshot */

    gwr_decision *d;                       /* 4. match (reuse d per thread) */
    if (gwr_decision_new(&d, ctx) != GWR_OK) return 2;
    gwr_request req = GWR_REQUEST_INIT;
    req.method = (gwr_str)GWR_STR_LIT("GET");
    req.host = (gwr_str)GWR_STR_LIT("shop.example.com");
    req.path = (gwr_str)GWR_STR_LIT("/cart/items?id=7");
    req.flags = GWR_REQ_SEEDED;            /* reproducible weighted choice */
    req.seed = 7;
    if (gwr_table_match(table, &req, d) != GWR_OK) return 2;
    const gwr_backend *b = gwr_decision_backend(d);
    if (gwr_decision_result(d) == GWR_RESULT_FORWARD && b != NULL)
        printf("forward to %s/%s:%u as %s\n", gwr_backend_namespace(b).ptr,
               gwr_backend_name(b).ptr, (unsigned)gwr_backend_port(b),
               gwr_decision_upstream_path(d).ptr);
    else
        printf("answer %d\n", gwr_decision_status(d));

    gwr_decision_free(d);                  /* 5. release, in any order */
    gwr_table_unref(table);
    gwr_ctx_free(ctx);
    return 0;
}
