/*
 * libgwroute - SPDX-License-Identifier: MIT
 */
#include "gwr_private.h"

uint32_t
gwr_version_num(void)
{
    return (uint32_t)GWR_VERSION_NUM;
}

const char *
gwr_version_str(void)
{
    return GWR_VERSION_STR;
}
