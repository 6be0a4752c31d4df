#!/usr/bin/env python3
# libgwroute - SPDX-License-Identifier: MIT
#
# Data-driven test of `gwroute check` (docs/CLI.md). Every NAME.cmd in the
# data directory holds the arguments after `gwroute` on one line; the run
# happens in the data directory (so diagnostics name files relatively)
# and must produce exactly
#   NAME.status.yaml or NAME.status.json  on stdout (absent: empty),
#   NAME.stderr                           on stderr (absent: empty),
#   NAME.exit                             as exit code (absent: 0).
#
# usage: check-cli.py GWROUTE DATA_DIR [--update]
# --update rewrites the expected files from the current output; review the
# diff before committing it.
import shlex
import subprocess
import sys
from pathlib import Path


def read(path):
    return path.read_text() if path.exists() else ''


def write_or_remove(path, text, keep_empty=False):
    if text or keep_empty:
        path.write_text(text)
    elif path.exists():
        path.unlink()


def main():
    gwroute = str(Path(sys.argv[1]).resolve())
    data = Path(sys.argv[2])
    update = '--update' in sys.argv[3:]
    cases = sorted(data.glob('*.cmd'))
    if not cases:
        print('no cases in %s' % data)
        return 1
    failed = 0
    for cmd in cases:
        name = cmd.name[:-len('.cmd')]
        args = shlex.split(cmd.read_text())
        json = '--json' in args
        out_path = data / (name + ('.status.json' if json else '.status.yaml'))
        err_path = data / (name + '.stderr')
        exit_path = data / (name + '.exit')
        p = subprocess.run([gwroute] + args, cwd=data, capture_output=True,
                           text=True)
        if update:
            write_or_remove(out_path, p.stdout)
            write_or_remove(err_path, p.stderr)
            write_or_remove(exit_path,
                            '%d\n' % p.returncode if p.returncode else '')
            continue
        want_exit = int(read(exit_path).strip() or '0')
        problems = []
        if p.returncode != want_exit:
            problems.append('exit %d, want %d' % (p.returncode, want_exit))
        if p.stdout != read(out_path):
            problems.append('stdout differs from %s' % out_path.name)
        if p.stderr != read(err_path):
            problems.append('stderr differs from %s:\n%s' %
                            (err_path.name, p.stderr))
        if problems:
            failed += 1
            print('not ok %s: %s' % (name, '; '.join(problems)))
            if p.stdout != read(out_path):
                import difflib
                sys.stdout.writelines(difflib.unified_diff(
                    read(out_path).splitlines(True), p.stdout.splitlines(True),
                    'expected', 'actual', n=2))
        else:
            print('ok %s' % name)
    print('%d of %d cases failed' % (failed, len(cases)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
