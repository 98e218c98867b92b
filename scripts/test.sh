#!/usr/bin/env bash
# Runs every test: installs what is missing (apt packages; the Kafka jars
# from Maven Central, once), builds twice — a normal build and an
# ASan+UBSan build — and runs CTest in both: cmocka unit tests, the record
# fixtures against the JSON Schemas, and the end-to-end tests on a real
# Kafka broker that the tests start and stop themselves. A third build,
# with ThreadSanitizer, runs the unit tests and the reporter's end-to-end
# test (the one with a pool of threads; the rest would add half an hour):
# a data race fails the test (tests/tsan/suppressions.txt says what is
# ignored, and why). Then runs each fuzz harness for DLPFLEET_FUZZ_SECONDS
# (default 20; 0: none) from its corpus (fuzz/run.sh, a fourth build with
# clang). The tests labelled "containers" (real images and containers with
# podman) and "repo" (checks of repository files that use nothing the build
# made: schemas, YAML, docs, the image's own Release build) run once, in
# the normal build: the others would only repeat them.
#
#   scripts/test.sh            everything
#   scripts/test.sh -L unit    only what CTest selects (arguments go to ctest;
#                              no fuzzing)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/kafka.sh" fetch

rc=0
for variant in build build-asan; do
        args=() only=()
        [ "$variant" = build-asan ] && args=(-DDLP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) &&
                only=(-LE '^(containers|repo)$')
        echo "=== $variant: build" >&2
        "$ROOT/scripts/build.sh" "$ROOT/$variant" -DDLP_WERROR=ON "${args[@]}"
        echo "=== $variant: ctest" >&2
        # leaks are errors; librdkafka's own background threads end cleanly
        # only after rd_kafka_destroy, which every worker calls
        (cd "$ROOT/$variant" &&
                ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                ctest --output-on-failure "${only[@]}" "$@") || rc=1
done

echo "=== build-tsan: build" >&2
"$ROOT/scripts/build.sh" "$ROOT/build-tsan" -DDLP_WERROR=ON -DDLP_TSAN=ON \
        -DCMAKE_BUILD_TYPE=Debug
echo "=== build-tsan: ctest" >&2
export TSAN_OPTIONS="suppressions=$ROOT/tests/tsan/suppressions.txt second_deadlock_stack=1"
(cd "$ROOT/build-tsan" && ctest --output-on-failure -L unit -LE '^repo$' "$@") || rc=1
if [ $# -eq 0 ]; then
        (cd "$ROOT/build-tsan" && ctest --output-on-failure -R '^e2e\.reporter$') || rc=1
fi
# 20 s per harness here (fuzz/run.sh alone: 30): CI's whole run is kept
# under 30 minutes
FUZZ_SECONDS=${DLPFLEET_FUZZ_SECONDS:-20}
if [ $# -eq 0 ] && [ "$FUZZ_SECONDS" != 0 ]; then
        echo "=== fuzz: $FUZZ_SECONDS s per harness" >&2
        DLPFLEET_FUZZ_SECONDS=$FUZZ_SECONDS "$ROOT/fuzz/run.sh" || rc=1
fi
exit $rc
