#!/usr/bin/env bash
# Inspector benchmark (issues 3 and 10): the whole cluster at the DLP limit
# and never over it, at a real service's latency. On a real Kafka broker
# (scripts/kafka.sh), with dlp-sim enforcing R requests in any sliding second
# strictly and answering after a lognormal latency (median L, sigma 0.5),
# 12 partitions, 30,000 events loaded before the inspectors start.
#
#   scale             1, 3 and 6 inspectors at R = 10, at L = 20, 200, 400
#                     and 1,000 ms (BENCH_COUNTS, BENCH_LATENCIES): quota
#                     used over the steady part, as a table and a plot
#                     (quota used vs latency, one line per inspector count)
#   killadd           3 inspectors at R = 10, L = 400 ms; one is SIGKILLed
#                     and a new one joins mid-run; requests/s plotted
#   ceiling           1 inspector at R = 1000, L = 20 ms, 300,000 events
#                     (long enough for a steady part): its own ceiling (events/s, CPU, RSS) next to kcat
#                     consuming the same topic (BENCH_CEILING_EVENTS,
#                     BENCH_CEILING_LATENCY in ms; the inspector's own
#                     settings, e.g. DLP_PREFETCH_KBYTES, pass through)
#
#   bench/inspector.sh [all|scale|killadd|ceiling]    (default all)
#
# Prints a Markdown table and writes it, with the raw figures and the plot,
# to bench/results/. Figures, not assertions: machines are shared and noisy.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib/fleet.sh"
WHAT=${1:-all}
EVENTS=${BENCH_EVENTS:-30000}
CEILING_EVENTS=${BENCH_CEILING_EVENTS:-300000}
COUNTS=${BENCH_COUNTS:-1 3 6}
LATENCIES=${BENCH_LATENCIES:-20 200 400 1000}
SIGMA=${BENCH_SIGMA:-0.5}

fleet_bench_prepare inspector

setup() { # RUN RATE LATENCY_MS EVENTS: topics, dlp-sim, loaded events
        local run=$1 rate=$2 latency=$3 events=$4 id
        id=bench.$(date +%s)-$$-$run
        fleet_run_topics "$WORK/$run" "$id" 12 events inspected alerts deadletter
        export DLP_GROUP_ID=$id
        "$FLEET_PY" "$ROOT/tests/tools/gen_load.py" "$events" --prefix EvB |
                kcat -P -b "$BOOTSTRAP" -t "$DLP_TOPIC_EVENTS" -K '\t' -X linger.ms=50
        fleet_start dlp-sim DLP_SIM_LISTEN_ADDR=127.0.0.1:0 "DLP_SIM_RATE_LIMIT=$rate" \
                "DLP_SIM_LATENCY_MS=$latency" "DLP_SIM_LATENCY_SIGMA=$SIGMA" \
                -- "$FLEET_BIN/dlp-sim"
        SIM=http://$(fleet_listen_addr dlp-sim)
        RATE=$rate
}
inspector() { # NAME
        fleet_start "$1" "${FLEET_ENV[@]}" "$(fleet_admin "$1")" \
                "DLP_API_URL=$SIM" DLP_GCP_PROJECT=bench \
                "DLP_RATE_LIMIT=$RATE" -- "$FLEET_BIN/dlp-inspector"
}
distinct() {
        kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_INSPECTED" -o beginning -e -q -f '%k\n' 2>/dev/null |
                sort -u | wc -l
}
sim_rows() { curl -s "$SIM/_sim/stats" | "$FLEET_PY" -c 'import json,sys; print(json.load(sys.stdin)["rows_total"])'; }
# Waits (cheaply: dlp-sim's counter, not a topic scan) until the service has
# seen every event, then until the topic holds every inspection record.
wait_all() { # EVENTS TIMEOUT
        local end=$((SECONDS + $2))
        while [ $SECONDS -lt $end ]; do
                if [ "$(sim_rows)" -ge "$1" ] &&
                        [ "$(kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_INSPECTED" -o beginning -e -q -f 'x\n' 2>/dev/null | wc -l)" -ge "$1" ]; then
                        return 0
                fi
                sleep 1
        done
        fleet_log "timed out waiting for $1 inspections"
        return 1
}
settle_time() { # the last assignment in the inspectors' logs
        cat "$FLEET_RUN"/inspector-*.log | "$FLEET_PY" -c '
import json, sys, datetime
ts = [json.loads(l)["ts"] for l in sys.stdin if "assigned" in l]
print(max(datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in ts))'
}
# Per-process figures before stopping: peak RSS (KiB), CPU seconds, and
# when it sent its last request (its /metrics): from then on it had no
# backlog left.
proc_figures() { # NAME...
        local name pid last
        for name in "$@"; do
                pid=$(fleet_pid "$name")
                kill -0 "$pid" 2>/dev/null || continue
                last=$(curl -s "$(cat "$FLEET_RUN/$name.admin")/metrics" |
                        awk '$1 == "dlp_inspector_last_request_timestamp_seconds" {print $2}')
                printf '{"name":"%s","hwm_kib":%s,"cpu_s":%s,"last_request":%s}\n' "$name" \
                        "$(awk '/VmHWM/{print $2}' "/proc/$pid/status")" \
                        "$(awk -v t="$(getconf CLK_TCK)" '{print ($14+$15)/t}' "/proc/$pid/stat")" \
                        "${last:-null}"
        done >"$FLEET_RUN/procs.jsonl"
}
finish() { # RUN EVENTS [extra JSON]
        local run=$1 events=$2
        sleep 1
        curl -s "$SIM/_sim/stats" >"$FLEET_RUN/dlp-stats.json"
        kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_INSPECTED" -o beginning -e -q -f '%k\n' 2>/dev/null \
                >"$FLEET_RUN/keys.txt"
        proc_figures $(printf '%s\n' "${FLEET_NAMES[@]}" | grep inspector)
        SETTLE=$(settle_time)
        fleet_down
        "$FLEET_PY" - "$FLEET_RUN" "$run" "$events" "$RATE" "$SETTLE" "${3:-{\}}" >>"$WORK/runs.jsonl" <<'PY'
import json, sys
d, run, events, rate, settle, extra = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
    float(sys.argv[4]), float(sys.argv[5]), json.loads(sys.argv[6]))
st = json.load(open(d + "/dlp-stats.json"))
keys = open(d + "/keys.txt").read().split()
procs = [json.loads(l) for l in open(d + "/procs.jsonl")]
series = [s for s in st["requests_per_second"] if s["n"]]
first, last = series[0]["t"], series[-1]["t"]
# the sustained rate: full seconds between the first and the last one
full = [s["n"] for s in st["requests_per_second"] if first < s["t"] < last]
out = dict(run=run, rate=rate, events=events, inspected=len(set(keys)),
           lost=events - len(set(keys)), duplicates=len(keys) - len(set(keys)),
           requests=st["accepted"], rejected=st["rejected"],
           max_1s=st["max_requests_in_any_1s_window"],
           items_per_request=st["rows_total"] / max(1, st["accepted"]),
           seconds=last - first + 1,
           req_per_s=sum(full) / max(1, len(full)),
           events_per_s=st["rows_total"] / max(1, last - first + 1),
           rss_mib=max(p["hwm_kib"] for p in procs) / 1024 if procs else None,
           cpu_s=sum(p["cpu_s"] for p in procs), series=st["requests_per_second"])
out["utilisation"] = out["req_per_s"] / rate
# sustained: the full seconds after the group settled while every member
# still had a backlog, i.e. before the second of the first member's last
# request. An inspector sends only in its own partitions' slots, so from
# then on that member's slots idle while the others finish (the tail:
# reported apart, and in the whole run). Every loss inside the window
# (late slots, no batch ready at a slot) counts.
dry = min((p["last_request"] for p in procs if p.get("last_request")),
          default=0)
window = [s["n"] for s in st["requests_per_second"]
          if settle + 1 < s["t"] < dry]
tail = [s["n"] for s in st["requests_per_second"] if dry <= s["t"] <= last]
out["t_settle"] = settle
out["tail_seconds"] = len(tail)
out["tail_util"] = sum(tail) / len(tail) / rate if tail else None
out["member_requests"] = []
# slots given up for lateness and sends that left late, from each
# inspector's last words; the longest wait dlp-sim saw between a request's
# arrival and its admission (DESIGN §4: what the old stamping added)
import glob, re
late = {"late_slots": 0, "late_sends": 0}
for path in sorted(glob.glob(d + "/inspector-*.log")):
    for line in open(path):
        if "stopping:" in line:
            for k in late:
                m = re.search(k + r"=(\d+)", line)
                late[k] += int(m.group(1)) if m else 0
            m = re.search(r" requests=(\d+)", line)
            out["member_requests"].append(int(m.group(1)) if m else None)
out.update(late)
out["max_receive_delay_ms"] = st.get("max_receive_delay_ms")
out["sustained_seconds"] = len(window)
out["sustained_util"] = sum(window) / len(window) / rate if window else None
out["sustained_events_per_s"] = (sum(window) / len(window) * out["items_per_request"]
                                 if window else None)
out.update(extra)
print(json.dumps(out))
PY
        tail -n 1 "$WORK/runs.jsonl" | "$FLEET_PY" -c 'import json,sys; r=json.load(sys.stdin); r.pop("series"); print(r)' >&2
}

scale_run() { # INSPECTORS LATENCY_MS
        local n=$1 lat=$2 i
        setup "scale-$n-$lat" 10 "$lat" "$EVENTS"
        for i in $(seq 1 "$n"); do inspector "inspector-$i"; done
        wait_all "$EVENTS" 600
        finish "$n inspectors, ${lat} ms" "$EVENTS" \
                "{\"inspectors\":$n,\"latency_ms\":$lat}"
}

killadd_run() {
        local t_start t_kill t_join
        setup killadd 10 400 "$EVENTS"
        for i in 1 2 3; do inspector "inspector-$i"; done
        t_start=$(date +%s.%N)
        sleep 8
        t_kill=$(date +%s.%N)
        fleet_kill inspector-2
        sleep 4
        t_join=$(date +%s.%N)
        inspector inspector-4
        wait_all "$EVENTS" 300
        finish "3, kill -9 + join" "$EVENTS" \
                "{\"t_start\":$t_start,\"t_kill\":$t_kill,\"t_join\":$t_join}"
}

ceiling_run() {
        local t0 t1
        setup ceiling 1000 "${BENCH_CEILING_LATENCY:-20}" "$CEILING_EVENTS"
        inspector inspector-1
        wait_all "$CEILING_EVENTS" 300
        finish "1 inspector, R=1000" "$CEILING_EVENTS"
        # kcat reading the same topic, for scale
        t0=$(date +%s.%N)
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/kcat.time" \
                kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_EVENTS" -o beginning -e -q -f '%k\n' \
                -X group.id="$DLP_GROUP_ID-kcat" >/dev/null 2>&1 || true
        t1=$(date +%s.%N)
        read -r wall user sys maxrss <"$WORK/kcat.time"
        "$FLEET_PY" -c "import json; print(json.dumps(dict(run='kcat -C same topic', events=$CEILING_EVENTS, events_per_s=$CEILING_EVENTS/$wall, cpu_s=$user+$sys, rss_mib=$maxrss/1024, seconds=$wall)))" >>"$WORK/runs.jsonl"
}

case $WHAT in
all | scale)
        for lat in $LATENCIES; do
                for n in $COUNTS; do scale_run "$n" "$lat"; done
        done
        ;;&
all | killadd) killadd_run ;;&
all | ceiling) ceiling_run ;;
esac

"$FLEET_PY" "$ROOT/bench/report_inspector.py" "$WORK/runs.jsonl" "$OUT" \
        "$(uname -srm), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)${BENCH_NOTE:+; $BENCH_NOTE}"
