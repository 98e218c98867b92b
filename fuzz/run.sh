#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan+UBSan) and runs each for a
# bounded time from its corpus in fuzz/corpus/<harness>/; fails when one
# crashes, leaks, hangs or breaks a contract, with the reproducer saved and
# its path printed (and the input in base64, for logs without artifacts).
#
#   fuzz/run.sh [-t SECONDS] [HARNESS...]   run (default: all, 30 s each)
#   fuzz/run.sh --merge [HARNESS...]        fold what the last runs found into
#                                           fuzz/corpus (minimised), to commit
#
# Environment: DLPFLEET_FUZZ_SECONDS (default 30), DLPFLEET_FUZZ_JOBS
# (harnesses at once, default one per core), DLPFLEET_FUZZ_BUILD (build
# directory, default build-fuzz), CC (a clang; default clang-14 or clang).
# New inputs go to BUILD/fuzz-work/<harness>/, never into the repository
# until --merge; logs to BUILD/fuzz-logs/, reproducers to
# BUILD/fuzz-artifacts/<harness>/. See fuzz/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${DLPFLEET_FUZZ_BUILD:-$ROOT/build-fuzz}
SECONDS_EACH=${DLPFLEET_FUZZ_SECONDS:-30}
JOBS=${DLPFLEET_FUZZ_JOBS:-$(nproc)}
ALL=(envelope replay slack_sig dlp_answer dlp_request mask files slack_answer alert
        config cuts json_fast sim_request)
# Harnesses left out of a default run while a defect they find is being
# fixed (issue 9); name one to run it anyway.
PENDING=()

merge=0
while [ $# -gt 0 ]; do
        case $1 in
        -t) SECONDS_EACH=$2; shift 2 ;;
        --merge) merge=1; shift ;;
        -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) break ;;
        esac
done
HARNESSES=("$@")
if [ ${#HARNESSES[@]} -eq 0 ]; then
        for h in "${ALL[@]}"; do
                if [[ " ${PENDING[*]} " == *" $h "* ]]; then
                        echo "fuzz: $h left out (pending a fix)" >&2
                else
                        HARNESSES+=("$h")
                fi
        done
fi

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        cc=${CC:-}
        [[ "$cc" == *clang* ]] || cc=$(command -v clang-14 || command -v clang || true)
        if [ -z "$cc" ]; then
                echo "fuzz: no clang (scripts/install-deps.sh installs clang-14)" >&2
                exit 1
        fi
        GEN=()
        command -v ninja >/dev/null && GEN=(-G Ninja)
        # no -Werror: clang warns where gcc, the other builds' compiler, did not
        cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" -DDLP_FUZZ=ON -DDLP_WERROR=OFF \
                -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                -DBUILD_TESTING=OFF >/dev/null
fi
cmake --build "$BUILD" --target fuzzers -j "$(nproc)"

dict_of() { [ "$1" = config ] && echo "$ROOT/fuzz/config.dict" || echo "$ROOT/fuzz/json.dict"; }
# a replay input needs a few lines, not a whole file (long envelopes are
# envelope's work): keeps its corpus small
max_len_of() { [ "$1" = replay ] && echo 2048 || echo 0; }

if [ $merge = 1 ]; then
        for h in "${HARNESSES[@]}"; do
                corpus=$ROOT/fuzz/corpus/$h new=$BUILD/fuzz-merged/$h
                rm -rf "$new" && mkdir -p "$new" "$corpus" "$BUILD/fuzz-work/$h" \
                        "$BUILD/fuzz-artifacts/$h"
                # keeps the inputs that add coverage, smallest first
                "$BUILD/bin/fuzz_$h" -merge=1 -dict="$(dict_of "$h")" \
                        -max_len="$(max_len_of "$h")" \
                        -artifact_prefix="$BUILD/fuzz-artifacts/$h/" \
                        "$new" "$corpus" "$BUILD/fuzz-work/$h" \
                        >"$BUILD/fuzz-merge-$h.log" 2>&1 || {
                        echo "fuzz: merge of $h failed, see $BUILD/fuzz-merge-$h.log" >&2
                        exit 1
                }
                rm -rf "$corpus" && mv "$new" "$corpus"
                echo "$h: $(ls "$corpus" | wc -l) inputs, $(du -sk "$corpus" | cut -f1) KB"
        done
        exit 0
fi

mkdir -p "$BUILD/fuzz-logs"
# Runs harness $1; its exit status, start and end go to BUILD/fuzz-logs/$1.rc.
run_one() {
        local h=$1 work=$BUILD/fuzz-work/$1 art=$BUILD/fuzz-artifacts/$1/
        local start rc=0
        mkdir -p "$work" "$art" "$ROOT/fuzz/corpus/$h"
        start=$(date +%s)
        # new inputs go to the first directory; the committed corpus is read
        "$BUILD/bin/fuzz_$h" -max_total_time="$SECONDS_EACH" -timeout=10 \
                -rss_limit_mb=2048 -dict="$(dict_of "$h")" -artifact_prefix="$art" \
                -max_len="$(max_len_of "$h")" \
                -print_final_stats=1 "$work" "$ROOT/fuzz/corpus/$h" \
                >"$BUILD/fuzz-logs/$h.log" 2>&1 || rc=$?
        echo "$rc $start $(date +%s)" >"$BUILD/fuzz-logs/$h.rc"
}

# one harness per core at a time (libFuzzer runs one process per harness)
running=0
for h in "${HARNESSES[@]}"; do
        if [ $running -ge "$JOBS" ]; then
                wait -n || true
                running=$((running - 1))
        fi
        rm -f "$BUILD/fuzz-logs/$h.rc"
        run_one "$h" &
        running=$((running + 1))
done
wait

failed=()
printf '%-13s %9s %7s %6s %6s %5s %4s\n' harness execs exec/s cov ft corp s
for h in "${HARNESSES[@]}"; do
        log=$BUILD/fuzz-logs/$h.log art=$BUILD/fuzz-artifacts/$h/
        read -r rc start end <"$BUILD/fuzz-logs/$h.rc"
        done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
        final_stat() { sed -n "s/^stat::$1: *//p" "$log"; }
        cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
        ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
        corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
        printf '%-13s %9s %7s %6s %6s %5s %4s\n' "$h" "$(final_stat number_of_executed_units)" \
                "$(final_stat average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
                "$((end - start))"
        if [ "$rc" -ne 0 ]; then
                failed+=("$h")
                echo "fuzz: $h FAILED (exit $rc); log: $log" >&2
                grep -E 'ERROR: |contract broken|runtime error|SUMMARY' "$log" | head -5 >&2 || true
                # this run's reproducers (crash-, leak-, timeout-, oom-)
                find "$art" -type f -newermt "@$start" | while read -r f; do
                        echo "fuzz: reproducer: $f" >&2
                        echo "fuzz:   replay with $BUILD/bin/fuzz_$h $f" >&2
                        if [ "$(stat -c %s "$f")" -le 65536 ]; then
                                echo "fuzz:   base64: $(base64 -w0 "$f")" >&2
                        fi
                done
        fi
done
if [ ${#failed[@]} -gt 0 ]; then
        echo "fuzz: failed: ${failed[*]}" >&2
        exit 1
fi
