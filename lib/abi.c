/*
 * libgwroute - SPDX-License-Identifier: MIT
 *
 * The one place that validates size-versioned structs (docs/ABI.md):
 * older callers are upgraded with zeroes, newer callers may only pass
 * fields we do not know about if they are zero.
 */
#include <string.h>

#include "gwr_private.h"

int
gwr_abi__check(const void *caller, size_t min_size, size_t lib_size)
{
    if (caller == NULL)
        return GWR_E_INVAL;
    size_t size;
    memcpy(&size, caller, sizeof(size));
    if (size < min_size)
        return GWR_E_ABI;
    const unsigned char *p = caller;
    for (size_t i = lib_size; i < size; i++) {
        if (p[i] != 0)
            return GWR_E_ABI;
    }
    return GWR_OK;
}

void
gwr_abi__copy(void *dst, size_t lib_size, const void *caller)
{
    size_t size;
    memcpy(&size, caller, sizeof(size));
    size_t n = size < lib_size ? size : lib_size;
    memset(dst, 0, lib_size);
    memcpy(dst, caller, n);
    memcpy(dst, &lib_size, sizeof(lib_size));
}
