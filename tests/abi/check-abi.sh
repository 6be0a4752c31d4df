#!/bin/sh
# libgwroute - SPDX-License-Identifier: MIT
#
# ABI check (docs/ABI.md).
#   check-abi.sh BASELINE HEADERS_DIR LIB [PROBE_LIB]
# 1. abidiff BASELINE against the built LIB: an incompatible change (exit
#    bit 8) or a removed symbol fails; a compatible change (bit 4, e.g. an
#    added function) passes with a note.
# 2. Negative control: PROBE_LIB is the same objects linked with one public
#    function made local. abidiff must call that incompatible, proving the
#    check can fail.
set -u
baseline=$1 headers=$2 lib=$3 probe=${4:-}
supp=$(dirname "$0")/suppressions.abignore

abidiff --headers-dir2 "$headers" --suppressions "$supp" "$baseline" "$lib"
rc=$?
if [ $((rc & 1)) -ne 0 ]; then
    echo "abidiff itself failed (exit $rc)"; exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
    echo "FAIL: incompatible ABI change against $baseline (exit $rc)"; exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
    echo "note: compatible ABI change (exit $rc); refresh the baseline at release"
fi

if [ -n "$probe" ]; then
    abidiff --suppressions "$supp" "$baseline" "$probe" >/dev/null
    prc=$?
    if [ $((prc & 8)) -eq 0 ]; then
        echo "FAIL: removing an exported function was not detected (exit $prc)"
        exit 1
    fi
    echo "negative control: a removed function is reported as incompatible (exit $prc)"
fi
echo "ABI compatible with $baseline"
exit 0
