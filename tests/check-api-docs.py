#!/usr/bin/env python3
# libgwroute - SPDX-License-Identifier: MIT
#
# API reference check: every GWR_API declaration in the public headers has a
# Doxygen block (/** ... */ or ///) right before it that documents what it
# returns or how it fails:
#   * a function returning a value: "@return" / "\return" / "@retval", a
#     status code (GWR_OK, GWR_E_...), or what it returns when there is
#     nothing to return (NULL, empty, 0, -1 "when"/"for"/"if"/"on" ...,
#     "out of range", "never NULL", "unset");
#   * a void function: "@return"-free is fine, but the block must say what
#     happens with NULL or that it cannot fail ("NULL", "no-op", "cannot
#     fail", or a status code).
# Usage: check-api-docs.py INCLUDE_DIR   (exit 1 and a list on failure)
import re
import sys
from pathlib import Path

DECL = re.compile(r'GWR_API\s*\n(?P<decl>[^;{]*?\b(?P<name>gwr_\w+)\s*\()',
                  re.S)
RETURN_DOC = re.compile(
    r'[@\\](return|retval)\b|\bGWR_(OK|E_[A-Z_]+)\b|'
    r'\b(NULL|empty|0|-1)\b[^.]{0,40}\b(when|for|if|on|unless|past)\b|'
    r'out of range|never NULL|\bunset\b', re.S)
VOID_DOC = re.compile(r'\bNULL\b|no-op|cannot fail|[@\\]return|'
                      r'\bGWR_(OK|E_[A-Z_]+)\b')


def doc_block(text, pos):
    """The comment that ends right before pos (only whitespace between)."""
    before = text[:pos].rstrip()
    if before.endswith('*/'):
        start = before.rfind('/*')
        if start < 0:
            return None, None
        return before[start:], before[start:start + 3] == '/**' and \
            before[start:start + 4] != '/***'
    lines = before.split('\n')
    block = []
    while lines and lines[-1].lstrip().startswith('//'):
        block.insert(0, lines.pop())
    if block:
        return '\n'.join(block), all(l.lstrip().startswith('///')
                                     for l in block)
    return None, None


def check_header(path):
    text = path.read_text()
    problems, count = [], 0
    for m in DECL.finditer(text):
        count += 1
        name = m.group('name')
        line = text.count('\n', 0, m.start()) + 1
        block, doxy = doc_block(text, m.start())
        ret = m.group('decl')[:m.group('decl').rfind(name)].strip()
        where = '%s:%d: %s' % (path, line, name)
        if block is None:
            problems.append(where + ': no comment block')
        elif not doxy:
            problems.append(where + ': comment is not a Doxygen block (/**)')
        elif ret == 'void':
            if not VOID_DOC.search(block):
                problems.append(where + ': void function: say what NULL does '
                                'or that it cannot fail')
        elif not RETURN_DOC.search(block):
            problems.append(where + ': no @return (or status code) '
                            'documented')
    return count, problems


def main():
    root = Path(sys.argv[1])
    headers = sorted([root / 'gwroute.h'] +
                     list((root / 'gwroute').glob('*.h')))
    total, problems = 0, []
    for h in headers:
        if h.exists():
            n, p = check_header(h)
            total += n
            problems += p
    for p in problems:
        print(p)
    print('%d public functions, %d documented, %d not' %
          (total, total - len(problems), len(problems)))
    if total == 0:
        print('no GWR_API declaration found: wrong include directory?')
        return 1
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
