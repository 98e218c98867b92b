#!/usr/bin/python3
"""The shared list of DLP_* settings (config.c, printed by --known-settings)
must be exactly the union of every binary's own settings table, or a new
setting would be refused as a typo, or a removed one tolerated.
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
        print("FAILED not in the known list (config.c): %s" % missing)
    if extra:
        print("FAILED in the known list but no binary has it: %s" % extra)
    ok = not missing and not extra
    print("%d passed, %d failed" % (int(ok), int(not ok)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
