/*
 * libgwroute - SPDX-License-Identifier: MIT
 */
#include "gwr_private.h"

const char *
gwr_strerror(int status)
{
    switch (status) {
    case GWR_OK: return "success";
    case GWR_E_NOMEM: return "out of memory";
    case GWR_E_INVAL: return "invalid argument";
    case GWR_E_PARSE: return "malformed YAML or JSON text";
    case GWR_E_CONFIG: return "configuration rejected (see diagnostics)";
    case GWR_E_ABI: return "struct size or unknown fields do not match this library version";
    case GWR_E_CALLBACK: return "a host callback failed";
    case GWR_E_STATE: return "call not allowed in the current state";
    case GWR_E_LIMIT: return "input exceeds a limit";
    case GWR_E_NOT_FOUND: return "not found";
    case GWR_E_RANGE: return "index or value out of range";
    }
    return "unknown error";
}
