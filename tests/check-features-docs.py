#!/usr/bin/env python3
# libgwroute - SPDX-License-Identifier: MIT
#
# supportedFeatures check: the names the library claims (as `gwroute check`
# prints them under a GatewayClass, from gwr_config_supported_features())
# are exactly the names docs/STATUS.md lists, and docs/CONFORMANCE.md gives
# each claimed name a "yes" verdict and no unclaimed name one. Keeps the
# three from drifting apart.
# Usage: check-features-docs.py GWROUTE DOCS_DIR   (exit 1 and a list)
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIG = """apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: c
  listeners: [{name: http, port: 80, protocol: HTTP}]
"""


def claimed(gwroute):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(CONFIG)
        f.flush()
        out = subprocess.run([gwroute, "check", "--json", f.name],
                             capture_output=True, text=True).stdout
    doc = json.loads(out)
    items = doc.get("items", doc if isinstance(doc, list) else [])
    for item in items:
        if item.get("kind") == "GatewayClass":
            return [x["name"] for x in item["status"]["supportedFeatures"]]
    raise SystemExit("no GatewayClass item in `gwroute check --json` output")


def main():
    gwroute, docs = sys.argv[1], Path(sys.argv[2])
    names = claimed(gwroute)
    errors = []
    if names != sorted(names):
        errors.append("supportedFeatures are not sorted")
    status = (docs / "STATUS.md").read_text()
    section = status.split("## Supported features", 1)[1].split("\n## ", 1)[0]
    listed = section.split("alphabetically:", 1)[1].split("\n\n", 2)[1]
    in_status = re.findall(r"`([A-Za-z0-9]+)`", listed)
    if in_status != names:
        errors.append("docs/STATUS.md lists %s, the library claims %s"
                      % (in_status, names))
    verdict = {}
    for line in (docs / "CONFORMANCE.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3:
            continue
        for n in re.findall(r"`([A-Za-z0-9]+)`", cells[0]):
            verdict[n] = cells[2]
    for n in names:
        v = verdict.get(n)
        if v is None:
            errors.append("docs/CONFORMANCE.md has no row for claimed " + n)
        elif not v.startswith("yes"):
            errors.append("docs/CONFORMANCE.md says %r for claimed %s" % (v, n))
    for n, v in verdict.items():
        if v.startswith("yes") and n not in names and re.match(
                r"^(Gateway|HTTPRoute|GRPCRoute|ReferenceGrant)[A-Z0-9]", n):
            errors.append("docs/CONFORMANCE.md says yes for unclaimed " + n)
    for e in errors:
        print(e)
    print("%d claimed features checked against docs/STATUS.md and "
          "docs/CONFORMANCE.md: %s" % (len(names), "FAIL" if errors else "ok"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
