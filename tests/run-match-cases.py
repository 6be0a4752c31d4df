#!/usr/bin/env python3
# libgwroute - SPDX-License-Identifier: MIT
#
# Data-driven `gwroute match` cases (tests/data/match/):
#   <case>.yaml            the config (a copy of the conformance manifests)
#   <case>.jsonl           batch requests, fed on standard input
#   <case>.args            optional: extra arguments, one per line
#   <case>.expected.jsonl  the exact expected standard output
#   <case>.exit            optional: expected exit status (default 0)
# Usage: run-match-cases.py GWROUTE DATA_DIR [--update]
# --update rewrites the .expected.jsonl files (review the diff!).
import subprocess
import sys
from pathlib import Path


def main():
    exe, data = sys.argv[1], Path(sys.argv[2])
    update = '--update' in sys.argv[3:]
    cases = sorted(p.stem for p in data.glob('*.jsonl')
                   if not p.name.endswith('.expected.jsonl'))
    failed = 0
    for case in cases:
        args = []
        a = data / (case + '.args')
        if a.exists():
            args = [l for l in a.read_text().splitlines() if l]
        cmd = [exe, 'match'] + args + [str(data / (case + '.yaml'))]
        stdin = (data / (case + '.jsonl')).read_bytes()
        r = subprocess.run(cmd, input=stdin, capture_output=True)
        want_exit = 0
        e = data / (case + '.exit')
        if e.exists():
            want_exit = int(e.read_text().strip())
        exp = data / (case + '.expected.jsonl')
        if update:
            exp.write_bytes(r.stdout)
        ok = r.returncode == want_exit and exp.exists() and \
            exp.read_bytes() == r.stdout
        print('%s %s' % ('ok' if ok else 'FAIL', case))
        if not ok:
            failed += 1
            print('  exit %d (want %d)' % (r.returncode, want_exit))
            got = r.stdout.decode(errors='replace').splitlines()
            want = exp.read_text().splitlines() if exp.exists() else []
            for i in range(max(len(got), len(want))):
                g = got[i] if i < len(got) else '<missing>'
                w = want[i] if i < len(want) else '<missing>'
                if g != w:
                    print('  line %d\n    got:  %s\n    want: %s' % (i + 1, g, w))
            err = r.stderr.decode(errors='replace').splitlines()
            print('  stderr (last lines): ' + ' | '.join(err[-3:]))
    print('%d cases, %d failed' % (len(cases), failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
