#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The metrics scenario's Prometheus text reader, run in the guest (python3
# is in the image, curl is not).
#
#   prom.py scrape URL OUT         fetch URL into OUT (exit 1 on failure)
#   prom.py get FILE SERIES        print SERIES' value ("name" or
#                                  'name{a="x",b="y"}', labels in any order)
#   prom.py names FILE PREFIX      the sample names starting with PREFIX, sorted
#
# Values are printed as integers when they are (node_exporter writes 67584
# but 1.7e+09), so that the shell compares them with sysctl's.
import re
import sys
import urllib.request

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def key(name, labels):
    pairs = sorted(LABEL.findall(labels or ''))
    return name + '{' + ','.join('%s="%s"' % p for p in pairs) + '}'


def samples(path):
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('#'):
                continue
            m = SAMPLE.match(line)
            if m:
                yield m.group(1), m.group(2), m.group(3)


def number(text):
    v = float(text)
    return str(int(v)) if v == int(v) else repr(v)


def main(argv):
    if argv[1] == 'scrape':
        with urllib.request.urlopen(argv[2], timeout=30) as r, open(argv[3], 'wb') as out:
            out.write(r.read())
        return 0
    if argv[1] == 'get':
        m = SAMPLE.match(argv[3] + ' 0')
        want = key(m.group(1), m.group(2))
        for name, labels, value in samples(argv[2]):
            if key(name, labels) == want:
                print(number(value))
                return 0
        return 1
    if argv[1] == 'names':
        print('\n'.join(sorted({n for n, _, _ in samples(argv[2]) if n.startswith(argv[3])})))
        return 0
    return 2


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError) as e:
        print('prom.py: %s' % e, file=sys.stderr)
        sys.exit(1)
