#!/usr/bin/env python3
# libgwroute - SPDX-License-Identifier: MIT
#
# Symbol-leak test: the GWR_API declarations in include/, the names in the
# linker version script and the dynamic symbols the built library defines
# must be the same set, and every exported name must start with gwr_.
import re
import subprocess
import sys
from pathlib import Path

def declared(include_dir):
    names = set()
    for h in Path(include_dir).rglob('*.h'):
        text = re.sub(r'/\*.*?\*/', '', h.read_text(), flags=re.S)
        # GWR_API on its own line, then the declaration up to '('.
        for m in re.finditer(r'^GWR_API\s*\n([^;{(]*?)\b(\w+)\s*\(', text, re.M):
            names.add(m.group(2))
    return names

def in_map(map_path):
    text = re.sub(r'/\*.*?\*/', '', Path(map_path).read_text(), flags=re.S)
    names = set()
    for block in re.findall(r'global:(.*?)(?:local:|\})', text, re.S):
        names.update(n.strip() for n in block.split(';') if n.strip())
    return names

def exported(lib):
    out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] not in ('A',):
            names.add(parts[2].split('@')[0])
    return names

def main():
    include_dir, map_path, lib = sys.argv[1:4]
    d, m, e = declared(include_dir), in_map(map_path), exported(lib)
    ok = True
    def report(what, names):
        nonlocal ok
        if names:
            ok = False
            print(what + ': ' + ', '.join(sorted(names)))
    report('declared GWR_API but not in the map', d - m)
    report('in the map but not declared GWR_API', m - d)
    report('exported but not in the map (leak)', e - m)
    report('in the map but not exported', m - e)
    report('exported without the gwr_ prefix', {n for n in e if not n.startswith('gwr_')})
    if not d:
        ok = False
        print('no GWR_API declarations found: the parser is broken')
    print('%d symbols declared, %d in the map, %d exported' % (len(d), len(m), len(e)))
    return 0 if ok else 1

if __name__ == '__main__':
    sys.exit(main())
