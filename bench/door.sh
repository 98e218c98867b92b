#!/usr/bin/env bash
# The collector's door under attack (issue 9, DESIGN §12): a fresh collector
# with its default settings on a real Kafka broker, one attack at a time
# from tests/tools/door_probe.py over loopback (attackers on 127.1.x.y,
# kept up for BENCH_HOLD_S, 12 s: a connection the collector closes is
# opened again), and meanwhile 20 signed events sent one after another from
# 127.0.0.1, as Slack would:
#
#   1,400 idle connections          from 1,400 addresses, and from one
#   1,400 slow-header connections   a header byte every 0.5 s, likewise
#   200 concurrent 1 MiB bodies     unsigned; forged signatures (fresh
#                                   timestamp, another secret) sent at once;
#                                   forged, trickled 64 KiB every 0.2 s
#
# Prints and writes bench/results/door.md: the attack connections open when
# the signed events began, the signed events' answers and latency (targets:
# 200 in < 1 s), the collector's peak RSS (target with the bodies: < 64 MiB)
# and its descriptors at the end. Figures, not assertions. The probe raises
# its own descriptor limit (it needs 1,400 + 256).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib/fleet.sh"
HOLD=${BENCH_HOLD_S:-12}

fleet_bench_prepare door
n=0

run() { # NAME PROBE-ARGS...
        local name=$1 port pid rss0
        shift
        n=$((n + 1))
        fleet_bench_collector "$WORK/run$n" "bench.$(date +%s)-$$-door$n"
        port=$COLLECTOR_PORT pid=$COLLECTOR_PID
        "$FLEET_PY" "$ROOT/tests/tools/gen_load.py" 20 --envelopes --prefix "EvBD$n" >"$FLEET_RUN/events.jsonl"
        # warm-up: the topic's leaders, the first connection to Kafka
        "$FLEET_PY" "$ROOT/tests/tools/gen_load.py" 1 --envelopes --prefix "EvBW$n" >"$FLEET_RUN/warm.jsonl"
        "$FLEET_PY" "$ROOT/tests/tools/send_events.py" --url "http://127.0.0.1:$port/slack/events" \
                --secret "$FLEET_SIGNING_SECRET" "$FLEET_RUN/warm.jsonl" >/dev/null
        rss0=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
        "$FLEET_PY" "$ROOT/tests/tools/door_probe.py" --addr "127.0.0.1:$port" \
                --secret "$FLEET_SIGNING_SECRET" --events "$FLEET_RUN/events.jsonl" \
                --pid "$pid" --settle-s 4 --hold-s "$HOLD" "$@" >"$FLEET_RUN/probe.json"
        fleet_down
        "$FLEET_PY" - "$FLEET_RUN/probe.json" "$name" "$rss0" >>"$WORK/runs.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r.update(run=sys.argv[2], rss_before_mib=int(sys.argv[3]) / 1024)
print(json.dumps(r))
PY
        tail -n 1 "$WORK/runs.jsonl" >&2
}

run "idle, 1,400 addresses" --mode idle --count 1400 --sources 1400
run "idle, one address" --mode idle --count 1400 --sources 1
run "slow headers, 1,400 addresses" --mode slow-headers --count 1400 --sources 1400
run "slow headers, one address" --mode slow-headers --count 1400 --sources 1
run "1 MiB bodies, unsigned" --mode body --sign none --count 200 --sources 200
run "1 MiB bodies, forged, at once" --mode body --sign forged --count 200 --sources 200
run "1 MiB bodies, forged, trickled" --mode body --sign forged --count 200 --sources 200 \
        --drip-bytes 65536 --drip-s 0.2

"$FLEET_PY" - "$WORK/runs.jsonl" "$OUT/door.md" "$(uname -srm), $(nproc) cores" "$HOLD" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lines = ["Door benchmark — %s; the collector with its default settings (2 HTTP "
         "threads), a real Kafka 3.9.1 broker and the attacking client "
         "(`tests/tools/door_probe.py`) on the same machine; each attack kept "
         "up for %s s, 20 signed events sent one after another once it is "
         "in place. Reproduce: `bench/door.sh`." % (sys.argv[3], sys.argv[4]), "",
         "| attack | attack connections open when the events began | attack connections made | answers to the attack | signed events: 200 of 20 | p50 s | max s | RSS before MiB | peak RSS MiB | collector fds at the end |",
         "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
for r in runs:
    a, s = r["attack"], r["signed"]
    ans = ", ".join("%s × %d" % (k, v) for k, v in sorted(a["answers"].items())) or "none"
    lines.append("| %s | %d | %d | %s | %d | %s | %.3f | %.1f | %.1f | %s |" % (
        r["run"], a["open_when_signed_began"], a["connected"], ans,
        s["status"].get("200", 0), s["p50_s"], s["max_s"], r["rss_before_mib"],
        r["server"]["peak_rss_mib"], r["server"]["fds_at_end"]))
lines += ["", "Attack connections are counted from the client's side: from one "
          "address all 1,400 connect, the collector keeps 200 "
          "(`DLP_HTTP_MAX_CONNECTIONS_PER_CLIENT`) and closes the rest at once; "
          "they keep coming back. Idle and slow-header connections are closed "
          "at `DLP_HTTP_REQUEST_TIMEOUT_MS` (5 s) and come back too. Bodies: "
          "unsigned ones get 401 from the headers; forged ones get 503 "
          "when the body budget's large half (8 MiB) is taken, else 401 after "
          "the body. Peak RSS: sampled every 50 ms."]
text = "\n".join(lines) + "\n"
open(sys.argv[2], "w").write(text)
print(text)
PY
