#!/usr/bin/env bash
# Configures and builds dlpfleet: scripts/build.sh [BUILD_DIR [CMAKE_ARGS...]]
# (default build/). Binaries land in BUILD_DIR/bin.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
shift || true
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" "$@" >/dev/null
fi
cmake --build "$BUILD" -j "$(nproc)"
