#!/usr/bin/env bash
# dlp-sim's own cost (issue 10, item 8): the CPU seconds dlp-sim spends per
# 100,000 inspected items, so that the inspector's ceiling benchmark
# measures the inspector and not its stand-in. dlp-sim as in
# `inspector.sh ceiling` (R = 1000, median 20 ms, sigma 0.5), driven by
# bench/sim_load.py with the inspector's own requests (100 rows of
# gen_load.py texts, its default inspectConfig) over 8 keep-alive
# connections; no broker. dlp-sim's utime + stime (/proc/PID/stat) is read
# before and after each round.
#
#   bench/dlp-sim.sh            BENCH_SIM_ITEMS (300000) items per round,
#                               BENCH_SIM_ROUNDS (2) rounds
#
# Prints one JSON line per round and appends them to
# .run/bench-dlp-sim/runs.jsonl. A figure, not an assertion.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib/fleet.sh"
ITEMS=${BENCH_SIM_ITEMS:-300000}
ROUNDS=${BENCH_SIM_ROUNDS:-2}
ROWS=100
WORK=$ROOT/.run/bench-dlp-sim
mkdir -p "$WORK"
[ -x "$FLEET_BIN/dlp-sim" ] || "$ROOT/scripts/build.sh" "$ROOT/build" >/dev/null
fleet_init "$WORK/run"
trap 'fleet_down >/dev/null 2>&1 || true' EXIT

fleet_start dlp-sim DLP_SIM_LISTEN_ADDR=127.0.0.1:0 DLP_SIM_RATE_LIMIT=1000 \
        DLP_SIM_LATENCY_MS=20 DLP_SIM_LATENCY_SIGMA=0.5 -- "$FLEET_BIN/dlp-sim"
ADDR=$(fleet_listen_addr dlp-sim)
PID=$(fleet_pid dlp-sim)
TCK=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

# a warm-up: the first requests pay for page faults and thread starts
"$FLEET_PY" "$ROOT/bench/sim_load.py" "$ADDR" --requests 50 --rows $ROWS >/dev/null
for round in $(seq 1 "$ROUNDS"); do
        t0=$(ticks)
        load=$("$FLEET_PY" "$ROOT/bench/sim_load.py" "$ADDR" \
                --requests $((ITEMS / ROWS)) --rows $ROWS)
        t1=$(ticks)
        "$FLEET_PY" -c '
import json, sys
load, ticks, tck, rnd = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cpu = ticks / tck
print(json.dumps(dict(round=int(rnd), items=load["items"], status=load["status"],
                      seconds=round(load["seconds"], 2), sim_cpu_s=cpu,
                      sim_cpu_s_per_100k_items=round(cpu * 1e5 / max(1, load["items"]), 3),
                      items_per_s=round(load["items"] / load["seconds"]))))' \
                "$load" $((t1 - t0)) "$TCK" "$round" | tee -a "$WORK/runs.jsonl"
done
fleet_down
