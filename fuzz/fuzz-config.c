/*
 * libgwroute fuzz target - SPDX-License-Identifier: MIT
 *
 * The config loader on hostile text: the first byte picks the format
 * (AUTO, YAML, JSON), the rest is the text. Every diagnostic is read and
 * formatted, so accessors are fuzzed too. Must never crash, hang or leak.
 */
#include <stdint.h>
#include <stddef.h>

#include "gwroute.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t format = data[0] % 3;
    gwr_str text = { (const char *)data + 1, size - 1 };
    gwr_str source = GWR_STR_LIT("fuzz");
    gwr_ctx *ctx = NULL;
    if (gwr_ctx_new(&ctx, NULL, NULL, NULL) != GWR_OK)
        return 0;
    gwr_config *cfg = NULL;
    if (gwr_config_new(&cfg, ctx) == GWR_OK) {
        (void)gwr_config_add_text(cfg, format, text, source);
        /* A second text on top exercises replacement and rollback. */
        (void)gwr_config_add_text(cfg, format, text, source);
        char line[512];
        for (size_t i = 0; i < gwr_config_diag_count(cfg); i++)
            (void)gwr_diag_format(gwr_config_diag(cfg, i), line, sizeof(line));
        gwr_config_free(cfg);
    }
    gwr_ctx_free(ctx);
    return 0;
}
