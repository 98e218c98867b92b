#!/usr/bin/env bash
# Reporter benchmark (issue 5): 10,000 inspection records with findings from
# 20 source channels, written at 400 records/s to the inspected topic of a
# real Kafka broker, alerted into ONE channel of slack-sim (about 1 message/s
# per channel, burst 3, 429 beyond). Measures Slack messages and digests per
# second, events per digest, the alert delay (slack-sim's receive time minus
# the record's inspected_at, stamped when it was written), duplicates and
# lost alerts; the reporter's CPU and peak RSS. Writes
# bench/results/reporter.md. Figures, not assertions.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib/fleet.sh"
N=${BENCH_RECORDS:-10000}
RATE=${BENCH_RATE:-400}

fleet_bench_prepare reporter
fleet_reporter_side "$WORK" "bench.$(date +%s)-$$" 12
fleet_start_reporter reporter
sleep 2 # joined and assigned
pid=$(fleet_pid reporter)
cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
t0=$(date +%s.%N)
"$FLEET_PY" "$ROOT/tests/tools/gen_inspections.py" "$N" --prefix EvR --rate "$RATE" |
        kcat -P -b "$BOOTSTRAP" -t "$DLP_TOPIC_INSPECTED" -K '\t'
alerted() { [ "$(kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_ALERTS" -o beginning -e -q -f '%k\n' 2>/dev/null | sort -u | wc -l)" -ge "$N" ]; }
wait_until 300 "$N alert records" alerted
t1=$(date +%s.%N)
cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
sleep 1
curl -s "$SLACK/_sim/messages" >"$FLEET_RUN/slack.json"
curl -s "$SLACK/_sim/stats" >"$FLEET_RUN/slack-stats.json"
topic_dump "$BOOTSTRAP" "$DLP_TOPIC_INSPECTED" "$FLEET_RUN/inspected.json"
fleet_down

"$FLEET_PY" - "$FLEET_RUN" "$N" "$RATE" "$t0" "$t1" "$cpu0" "$cpu1" "$hwm" "$(getconf CLK_TCK)" \
        "$OUT/reporter.md" "$(uname -srm), $(nproc) cores" <<'PY'
import collections, datetime, json, re, sys
d, n, rate, t0, t1, cpu0, cpu1, hwm, tck, out, machine = sys.argv[1:]
n, rate, t0, t1 = int(n), float(rate), float(t0), float(t1)
ts = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
born = {}
for l in open(d + "/inspected.json"):
    r = json.loads(json.loads(l)["payload"])
    born[r["event_id"]] = ts(r["inspected_at"])
msgs = json.load(open(d + "/slack.json"))["messages"]
seen = collections.Counter()
delays, digests, per_digest = [], 0, []
for m in msgs:
    ids = set(re.findall(r"EvR[0-9]{7}", json.dumps(m["body"])))
    seen.update(ids)
    if len(ids) > 1:
        digests += 1
        per_digest.append(len(ids))
    got = ts(m["received_at"])
    delays += [got - born[i] for i in ids if i in born]
delays.sort()
q = lambda p: delays[min(len(delays) - 1, int(p * len(delays)))]
span = max(ts(m["received_at"]) for m in msgs) - min(ts(m["received_at"]) for m in msgs)
stats = json.load(open(d + "/slack-stats.json"))
row = dict(records=n, rate=rate, messages=len(msgs), digests=digests,
           singles=len(msgs) - digests, msgs_per_s=len(msgs) / max(span, 1e-9),
           events_per_digest=sum(per_digest) / max(1, len(per_digest)),
           max_per_digest=max(per_digest) if per_digest else 0,
           p50=q(0.5), p99=q(0.99), max=delays[-1],
           lost=n - len(seen), duplicates=sum(1 for c in seen.values() if c > 1),
           rate_limited=stats["rate_limited"],
           cpu=100 * (float(cpu1) - float(cpu0)) / int(tck) / (t1 - t0),
           rss=int(hwm) / 1024)
print(json.dumps(row), file=sys.stderr)
text = """Reporter benchmark — %s; real Kafka 3.9.1 broker, slack-sim at 1 message/s per channel (burst 3), the reporter with its defaults (4 workers, 1 s per channel). Reproduce: `bench/reporter.sh`.

| records | written at | Slack messages | of which digests | messages/s | events per digest (mean, max) | alert delay p50 / p99 / max | lost | duplicates | 429s | reporter CPU %% | peak RSS MiB |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| %d | %.0f/s | %d | %d | %.2f | %.0f, %d | %.2f s / %.2f s / %.2f s | %d | %d | %d | %.0f | %.1f |

Alert delay: slack-sim's receive time of the message carrying the event minus the record's inspected_at (stamped when written). Lost: events in no Slack message; duplicates: events in two or more.
""" % (machine, n, rate, row["messages"], digests, row["msgs_per_s"], row["events_per_digest"],
       row["max_per_digest"], row["p50"], row["p99"], row["max"], row["lost"], row["duplicates"],
       row["rate_limited"], row["cpu"], row["rss"])
open(out, "w").write(text)
print(text)
PY
