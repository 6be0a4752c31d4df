/*
 * libgwroute - Kubernetes Gateway API routing as an embeddable C library.
 * SPDX-License-Identifier: MIT
 *
 * Umbrella header: includes every public header of the stable API.
 * See docs/ for the guides and docs/ABI.md for the stability promise.
 */
#ifndef GWROUTE_H
#define GWROUTE_H

#include "gwroute/version.h"
#include "gwroute/common.h"
#include "gwroute/context.h"
#include "gwroute/config.h"
#include "gwroute/table.h"
#include "gwroute/request.h"
#include "gwroute/decision.h"
#include "gwroute/engine.h"
#include "gwroute/status.h"

#endif /* GWROUTE_H */
