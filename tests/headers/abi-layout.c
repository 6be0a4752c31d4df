/*
 * libgwroute tests - SPDX-License-Identifier: MIT
 *
 * The v1 layout of every size-versioned public struct is frozen: these
 * offsets may never change (docs/ABI.md). Checked on LP64 targets.
 */
#include <stddef.h>
#include "gwroute.h"

#if defined(__LP64__)
_Static_assert(offsetof(gwr_allocator, size) == 0, "allocator.size");
_Static_assert(offsetof(gwr_allocator, alloc) == 8, "allocator.alloc");
_Static_assert(offsetof(gwr_allocator, realloc) == 16, "allocator.realloc");
_Static_assert(offsetof(gwr_allocator, free) == 24, "allocator.free");
_Static_assert(offsetof(gwr_allocator, ud) == 32, "allocator.ud");
_Static_assert(sizeof(gwr_allocator) >= 40, "allocator v1 size");
_Static_assert(offsetof(gwr_io, size) == 0, "io.size");
_Static_assert(offsetof(gwr_io, now_ms) == 8, "io.now_ms");
_Static_assert(offsetof(gwr_io, random) == 16, "io.random");
_Static_assert(offsetof(gwr_io, log) == 24, "io.log");
_Static_assert(sizeof(gwr_io) >= 32, "io v1 size");
/* Engine members, appended after the v1 layout (docs/ABI.md). */
_Static_assert(offsetof(gwr_io, set_timer) == 32, "io.set_timer");
_Static_assert(offsetof(gwr_io, connect) == 40, "io.connect");
_Static_assert(offsetof(gwr_io, send_request) == 48, "io.send_request");
_Static_assert(offsetof(gwr_io, send_mirror) == 56, "io.send_mirror");
_Static_assert(offsetof(gwr_io, respond) == 64, "io.respond");
_Static_assert(offsetof(gwr_io, cancel) == 72, "io.cancel");
_Static_assert(sizeof(gwr_io) >= 80, "io engine size");
_Static_assert(sizeof(gwr_str) == 16, "str");
#endif

int main(void) { return 0; }
