#!/usr/bin/python3
"""The DLP_* settings a binary tolerates (printed by --known-settings: its
own table and the fleet's, workers/fleet.c) must be exactly the union of
every binary's own settings table, or a binary missing from the fleet list
would have its settings refused as typos by the others.
Usage: check_known_settings.py BIN_DIR"""
import re
import subprocess
import sys

BINARIES = ("dlp-collector", "dlp-inspector", "dlp-reporter", "dlp-devbroker",
            "dlp-sim", "slack-sim")


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def main():
    bin_dir = sys.argv[1]
    tables = set()
    for b in BINARIES:
        tables |= set(re.findall(r"^\| `(DLP_[A-Z0-9_]+)`",
                                 run(bin_dir + "/" + b, "--help-markdown"), re.M))
    known = set(run(bin_dir + "/dlp-collector", "--known-settings").split())
    missing, extra = sorted(tables - known), sorted(known - tables)
    print("tables: %d DLP_* settings; known list: %d" % (len(tables), len(known)))
    if missing:
        print("FAILED not in the known list (a binary missing from workers/fleet.c?): %s" % missing)
    if extra:
        print("FAILED in the known list but no binary has it: %s" % extra)
    ok = not missing and not extra
    print("%d passed, %d failed" % (int(ok), int(not ok)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
