#!/usr/bin/env python3
"""Every "DESIGN §N" (also "docs/DESIGN.md §N", and the §M after it in
"DESIGN §3, §4" or "§3–§7") in the repository's code, scripts and docs names
a section that docs/DESIGN.md has ("## N. ..."): the design travels with the
code, and a renumbered or missing section is caught here.

    check_design_refs.py [ROOT]     exit 1 naming each dangling reference
"""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
DESIGN = os.path.join(ROOT, "docs", "DESIGN.md")
# the places a reference can stand; build trees and VCS data are not ours
SKIP_DIRS = {".git", "node_modules", ".run", "results"}
REF = re.compile(r"(?:DESIGN|docs/DESIGN\.md)\s*§(\d+)((?:\s*(?:,|–|-|and)\s*§\d+)*)")


def sections():
    with open(DESIGN, encoding="utf-8") as f:
        return {int(m.group(1)) for m in re.finditer(r"^## (\d+)\. ", f.read(), re.M)}


def files():
    for top, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS
                   and not d.startswith("build")]
        for name in names:
            path = os.path.join(top, name)
            if os.path.abspath(path) != os.path.abspath(DESIGN):
                yield path


def main():
    have = sections()
    if not have:
        print("%s: no numbered sections" % DESIGN)
        return 1
    bad = refs = 0
    for path in files():
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue  # binaries
        for m in REF.finditer(text):
            nums = [int(m.group(1))] + [int(n) for n in re.findall(r"§(\d+)", m.group(2))]
            if "–" in m.group(2) or "-" in m.group(2):  # a range: every section in it
                nums = list(range(min(nums), max(nums) + 1))
            for n in nums:
                refs += 1
                if n not in have:
                    bad += 1
                    line = text.count("\n", 0, m.start()) + 1
                    print("%s:%d: DESIGN §%d: no such section in docs/DESIGN.md"
                          % (os.path.relpath(path, ROOT), line, n))
    print("%d references to docs/DESIGN.md sections, %d dangling (sections: %s)"
          % (refs, bad, ", ".join(map(str, sorted(have)))))
    return 1 if bad or not refs else 0


if __name__ == "__main__":
    sys.exit(main())
