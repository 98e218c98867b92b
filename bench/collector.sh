#!/usr/bin/env bash
# Collector benchmark (issue 4): signed Slack Events POSTs from dlp-loadgen
# on loopback against dlp-collector on a real Kafka broker, closed loop at
# concurrency 16 and 64, each for BENCH_SECONDS (10):
#
#   ack after Kafka   the product: 200 only after the delivery report
#                     (acks=all, idempotent)
#   durability off    acks=0, no idempotence: the report comes when the
#                     record is on the socket — what waiting for Kafka costs
#
# Prints accepted events/s, p50/p99/max latency, the collector's CPU and peak
# RSS; writes bench/results/collector.md. Every 200 of the durable runs is
# counted back from the topic. Figures, not assertions.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib/fleet.sh"
SECONDS_PER_RUN=${BENCH_SECONDS:-10}

fleet_bench_prepare collector

run() { # NAME CONCURRENCY [VAR=VALUE...]
        local name=$1 conc=$2 port pid cpu0 cpu1 t0 t1 stored
        shift 2
        local slug=${name// /-}
        fleet_bench_collector "$WORK/$slug-c$conc" "bench.$(date +%s)-$$-$slug-$conc" "$@"
        port=$COLLECTOR_PORT pid=$COLLECTOR_PID
        # warm-up: connections, metadata, the topic's leaders
        "$FLEET_BIN/dlp-loadgen" --addr "127.0.0.1:$port" --secret "$FLEET_SIGNING_SECRET" \
                --concurrency 4 --duration 1 --prefix "EvW$conc" >/dev/null
        cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
        t0=$(date +%s.%N)
        "$FLEET_BIN/dlp-loadgen" --addr "127.0.0.1:$port" --secret "$FLEET_SIGNING_SECRET" \
                --concurrency "$conc" --duration "$SECONDS_PER_RUN" --prefix "EvB$conc" >"$FLEET_RUN/load.json"
        t1=$(date +%s.%N)
        cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
        hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
        fleet_down
        # the warm-up's events are in the topic too
        stored=$(kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_EVENTS" -o beginning -e -q -f '%k\n' 2>/dev/null |
                grep -c "^EvB$conc" || true)
        "$FLEET_PY" - "$FLEET_RUN/load.json" "$name" "$cpu0" "$cpu1" "$t0" "$t1" "$hwm" "$stored" \
                "$(getconf CLK_TCK)" >>"$WORK/runs.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
name, cpu0, cpu1, t0, t1, hwm, stored, tck = sys.argv[2:]
r.update(run=name, cpu_pct=100 * (float(cpu1) - float(cpu0)) / int(tck) / (float(t1) - float(t0)),
         rss_mib=int(hwm) / 1024, stored=int(stored))
print(json.dumps(r))
PY
        tail -n 1 "$WORK/runs.jsonl" >&2
}

for c in 16 64; do
        run "ack after Kafka" "$c"
        run "durability off" "$c" KAFKA_ACKS=0 KAFKA_ENABLE_IDEMPOTENCE=false
done

"$FLEET_PY" - "$WORK/runs.jsonl" "$OUT/collector.md" "$(uname -srm), $(nproc) cores" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lines = ["Collector benchmark — %s; dlp-loadgen, the collector (2 HTTP threads) "
         "and a real Kafka 3.9.1 broker on the same machine. Reproduce: "
         "`bench/collector.sh`." % sys.argv[3], "",
         "| mode | concurrency | accepted events/s | p50 ms | p99 ms | max ms "
         "| non-200 | in the topic | collector CPU % | peak RSS MiB |",
         "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
for r in runs:
    lines.append("| %s | %d | %.0f | %.2f | %.2f | %.1f | %d | %s | %.0f | %.1f |" % (
        r["run"], r["concurrency"], r["ok_per_s"], r["p50_ms"], r["p99_ms"],
        r["max_ms"], r["requests"] - r["status"]["2xx"],
        "%d of %d" % (r["stored"], r["status"]["2xx"]), r["cpu_pct"], r["rss_mib"]))
lines += ["", "CPU %: of one core, over the run (200 % = both cores). "
          "'in the topic': records counted back from Kafka against the 200s "
          "(durability off can lose them; it is here only to show the cost "
          "of waiting)."]
text = "\n".join(lines) + "\n"
open(sys.argv[2], "w").write(text)
print(text)
PY
