#!/usr/bin/env python3
"""Check that testdata/golden/ is exactly what tools/golden/make_golden.py produces.

Usage (from anywhere): /usr/bin/python3 tools/golden/check_golden.py [--golden DIR]

Regenerates every fixture into a temporary directory with the same Python interpreter and
compares it with the committed tree: same set of files, byte-identical contents. Exits 0
when they match, 1 (listing missing, extra and differing files) when they do not. A
mismatch after changing make_golden.py means the fixtures must be regenerated and
committed; a mismatch without such a change points at a different torch/numpy version
(see MANIFEST.json for the versions that made the committed files).
"""

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_GOLDEN = os.path.join(os.path.dirname(os.path.dirname(HERE)), "testdata", "golden")


def tree(root):
    """Relative paths of all files under root."""
    out = set()
    for d, _, files in os.walk(root):
        for f in files:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--golden", default=DEFAULT_GOLDEN, help="committed fixtures (default: %(default)s)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zoo-golden-") as tmp:
        subprocess.run([sys.executable, os.path.join(HERE, "make_golden.py"), "--out", tmp, "-q"],
                       check=True)
        want, got = tree(tmp), tree(args.golden)
        missing = sorted(want - got)
        extra = sorted(got - want)
        differ = sorted(p for p in want & got
                        if not filecmp.cmp(os.path.join(tmp, p), os.path.join(args.golden, p),
                                           shallow=False))
    for label, paths in (("missing", missing), ("extra", extra), ("differs", differ)):
        for p in paths:
            print("%s: %s" % (label, p))
    if missing or extra or differ:
        print("golden fixtures are out of date: %d missing, %d extra, %d differ"
              % (len(missing), len(extra), len(differ)))
        return 1
    print("ok: %d files identical in %s" % (len(want), args.golden))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
