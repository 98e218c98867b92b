#!/usr/bin/env bash
# Regenerates the settings tables in README.md from the workers' own
# configuration tables (each binary's --help-markdown), between the markers
# <!-- settings:NAME --> and <!-- /settings:NAME -->.
#   scripts/gen-settings.sh [BIN_DIR]          rewrite README.md
#   scripts/gen-settings.sh --check [BIN_DIR]  fail if README.md is stale
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
check=0
[ "${1:-}" = --check ] && { check=1; shift; }
BIN=${1:-$ROOT/build/bin}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cp "$ROOT/README.md" "$out"
for name in dlp-collector dlp-inspector dlp-reporter dlp-devbroker dlp-sim slack-sim; do
        table=$("$BIN/$name" --help-markdown)
        /usr/bin/python3 - "$out" "$name" "$table" <<'PY'
import re, sys
path, name, table = sys.argv[1:]
text = open(path, encoding="utf-8").read()
begin, end = "<!-- settings:%s -->" % name, "<!-- /settings:%s -->" % name
if begin in text:
    pat = re.escape(begin) + ".*?" + re.escape(end)
    text = re.sub(pat, lambda m: begin + "\n" + table + "\n" + end, text, flags=re.S)
open(path, "w", encoding="utf-8").write(text)
PY
done
if [ $check -eq 1 ]; then
        if ! diff -u "$ROOT/README.md" "$out"; then
                echo "README.md settings tables are stale: run scripts/gen-settings.sh" >&2
                exit 1
        fi
        echo "README.md settings tables match the binaries"
else
        cp "$out" "$ROOT/README.md"
fi
