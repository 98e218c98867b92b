#!/usr/bin/env bash
# The image's build steps, as a script, so that they run the same in the
# Dockerfile and in CI (where no Docker engine runs):
#
#   deploy/docker/build.sh PREFIX
#
# builds a Release (no tests) and installs the workers and tools into
# PREFIX/bin and the sample events into PREFIX/share/dlpfleet/samples, then
# checks that every binary starts (--help).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PREFIX=${1:?usage: build.sh PREFIX}
BINARIES=(dlp-collector dlp-inspector dlp-reporter dlp-devbroker dlp-sim slack-sim)
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT

GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null
install -d "$PREFIX/bin" "$PREFIX/share/dlpfleet/samples"
for b in "${BINARIES[@]}"; do
        install -m 0755 "$BUILD/bin/$b" "$PREFIX/bin/"
        "$PREFIX/bin/$b" --help >/dev/null
done
install -m 0644 "$ROOT/samples/slack-events.jsonl" "$PREFIX/share/dlpfleet/samples/"
echo "installed ${BINARIES[*]} into $PREFIX"
