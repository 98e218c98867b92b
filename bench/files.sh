#!/usr/bin/env bash
# File inspection benchmark (issue 12): files per second through ONE
# inspector against dlp-sim at R = 10 requests/s (quota-bound), for text
# files of 10 KiB, 1 MiB and 10 MiB, with the requests each file took and
# the file bytes per request; and the inspector's peak RSS with 20 files in
# flight (DLP_FILE_MAX_IN_FLIGHT, default 20), of 1 MiB and of 10 MiB.
#
# On a real Kafka broker (scripts/kafka.sh). The files are seeded into
# slack-sim (POST /_sim/files) and their file_share events written to the
# events topic before the inspector starts; the inspector fetches each file
# (files.info, then the download) and inspects it in its own slots. Slack's
# files.info is Tier 4 (100+ calls/min): slack-sim runs it unlimited here
# (SLACK_SIM_TIER4_PER_MIN=0) so that the DLP quota is what is measured; at
# Slack's documented floor files.info alone caps a workspace at about 1.7
# files/s, whatever the file size.
#
#   bench/files.sh [all|rate|flight]            (default all)
#
#   BENCH_FILE_RUNS  "SIZE:COUNT ..." of the rate runs
#                    (default "10240:400 1048576:12 10485760:1 10485760:3")
#   BENCH_FLIGHT     file sizes of the in-flight runs, 20 files each
#                    (default "1048576 10485760")
#
# Prints a Markdown table and writes it to bench/results/files.md. Figures,
# not assertions: the machine is shared and noisy.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib/fleet.sh"
WHAT=${1:-all}
RUNS=${BENCH_FILE_RUNS:-10240:400 1048576:12 10485760:1 10485760:3}
FLIGHT=${BENCH_FLIGHT:-1048576 10485760}
RATE=10

fleet_bench_prepare files

run() { # NAME SIZE COUNT: one inspector over COUNT files of SIZE bytes
        local name=$1 size=$2 count=$3 id pid t0 t1 hwm timeout
        id=bench.$(date +%s)-$$-$name
        fleet_run_topics "$WORK/$name" "$id" 12 events inspected alerts deadletter
        export DLP_GROUP_ID=$id
        fleet_start dlp-sim DLP_SIM_LISTEN_ADDR=127.0.0.1:0 "DLP_SIM_RATE_LIMIT=$RATE" \
                -- "$FLEET_BIN/dlp-sim"
        SIM=http://$(fleet_listen_addr dlp-sim)
        fleet_start slack-sim SLACK_SIM_LISTEN_ADDR=127.0.0.1:0 \
                "SLACK_SIM_TOKEN=$FLEET_SLACK_TOKEN" SLACK_SIM_TIER4_PER_MIN=0 \
                -- "$FLEET_BIN/slack-sim"
        SLACK=http://$(fleet_listen_addr slack-sim)
        # the files into slack-sim, their events into the topic
        "$FLEET_PY" - "$SLACK" "$size" "$count" "$name" <<'PY' |
import json, sys, urllib.request
slack, size, count, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
line = "row%07d,customer-%07d,plan gold,region west,status active,notes "
for i in range(count):
    fid = "F0BENCH%07d" % i
    rows, n = [], 0
    while n < size:
        r = (line % (n, i)).ljust(99, "x")[:99] + "\n"
        rows.append(r)
        n += len(r)
    text = "".join(rows)[:size - 40]
    text += "\nlast,card 4111 1111 1111 1111\n".rjust(size - len(text), "y")
    assert len(text) == size
    body = json.dumps({"id": fid, "user": "U0BENCH01", "name": "export-%d.csv" % i,
                       "mimetype": "text/csv", "filetype": "csv", "content": text}).encode()
    urllib.request.urlopen(urllib.request.Request(slack + "/_sim/files", data=body), timeout=60).read()
    eid = "EvBF%s%07d" % ("".join(c for c in name if c.isalnum()).upper()[-12:], i)
    rec = {"schema": "dlp.event/1", "event_id": eid, "team_id": "T0BENCH",
           "channel": "C0BENCH%02d" % (i % 12), "user": "U0BENCH01",
           "ts": "1763900000.%06d" % i, "event_time": 1763900000, "kind": "file_share",
           "text": "", "received_at": "2026-11-23T00:00:00.000Z", "source": "replay",
           "files": [{"id": fid, "name": "export-%d.csv" % i, "mimetype": "text/csv", "size": size}]}
    print(eid + "\t" + json.dumps(rec, separators=(",", ":")))
PY
                kcat -P -b "$BOOTSTRAP" -t "$DLP_TOPIC_EVENTS" -K '\t'
        t0=$(date +%s.%N)
        fleet_start inspector "${FLEET_ENV[@]}" "$(fleet_admin inspector)" \
                "DLP_API_URL=$SIM" DLP_GCP_PROJECT=bench \
                "DLP_RATE_LIMIT=$RATE" "SLACK_API_URL=$SLACK/api" \
                "SLACK_BOT_TOKEN=$FLEET_SLACK_TOKEN" "DLP_FILE_MAX_BYTES=$((size + 1048576))" \
                -- "$FLEET_BIN/dlp-inspector"
        pid=$(fleet_pid inspector)
        # quota-bound: about size / 500 KB requests a file at 9.7 a second
        timeout=$((60 + count * (size / 400000 + 1) / 5))
        records() {
                [ "$(kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_INSPECTED" -o beginning -e -q \
                        -f '%k\n' 2>/dev/null | sort -u | wc -l)" -ge "$count" ]
        }
        wait_until "$timeout" "$count inspection records" records ||
                fleet_log "$name: not all records in ${timeout}s"
        t1=$(date +%s.%N)
        hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
        topic_dump "$BOOTSTRAP" "$DLP_TOPIC_INSPECTED" "$FLEET_RUN/inspected.json"
        curl -s "$SIM/_sim/stats" >"$FLEET_RUN/sim.json"
        # what the inspector and slack-sim say, for a run that did not finish
        curl -s "$(cat "$FLEET_RUN/inspector.admin")/metrics" >"$FLEET_RUN/inspector.metrics" || true
        curl -s "$SLACK/_sim/stats" >"$FLEET_RUN/slack-sim.json" || true
        "$FLEET_PY" - "$FLEET_RUN/inspected.json" "$FLEET_RUN/sim.json" "$name" "$size" \
                "$count" "$t0" "$t1" "$hwm" >>"$WORK/runs.jsonl" <<'PY'
import datetime, json, sys
dump, simf, name, size, count, t0, t1, hwm = sys.argv[1:9]
size, count, t0, t1 = int(size), int(count), float(t0), float(t1)
recs = {}
for l in open(dump):
    if l.strip():
        r = json.loads(json.loads(l)["payload"])
        recs[r["event_id"]] = r
sim = json.load(open(simf))
files = [f for r in recs.values() for f in r.get("files", [])]
done = [f for f in files if f.get("inspected")]
reqs = [f.get("requests", 0) for f in done]
found = sum(1 for r in recs.values() for f in r["findings"] if f.get("file_id"))
t = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
    tzinfo=datetime.timezone.utc).timestamp()
active = [s["t"] for s in sim["requests_per_second"] if s["n"]]
last = max(t(r["inspected_at"]) for r in recs.values()) if recs else t1
first = min(active) if active else t0
print(json.dumps({
    "run": name, "size": size, "files": count, "records": len(recs), "inspected": len(done),
    "not_inspected": sorted({f.get("reason", "?") for f in files if not f.get("inspected")}),
    "findings_in_files": found,
    # small files share requests: per file, what the service admitted
    "requests_per_file": sim["admitted"] / len(done) if done else None,
    "bytes_per_request": size * len(done) / sim["admitted"] if sim["admitted"] else None,
    "requests_carrying_a_file": sum(reqs) / len(reqs) if reqs else None,
    "admitted": sim["admitted"], "rejected": sim["rejected"],
    "max_req_in_1s": sim["max_requests_in_any_1s_window"],
    "files_per_s": len(done) / max(last - first, 1.0),
    "quota_used": sim["admitted"] / 10.0 / max(last - first, 1.0),
    "seconds": last - first, "wall_s": t1 - t0, "peak_rss_mib": int(hwm) / 1024.0}))
PY
        tail -n 1 "$WORK/runs.jsonl" >&2
        fleet_down >/dev/null 2>&1 || fleet_log "$name: a process did not stop cleanly"
}

case $WHAT in
all | rate | flight) ;;
*) echo "usage: bench/files.sh [all|rate|flight]" >&2; exit 2 ;;
esac
if [ "$WHAT" != flight ]; then
        for r in $RUNS; do run "rate-${r%%:*}x${r##*:}" "${r%%:*}" "${r##*:}"; done
fi
if [ "$WHAT" != rate ]; then
        for s in $FLIGHT; do run "flight-${s}x20" "$s" 20; done
fi

"$FLEET_PY" - "$WORK/runs.jsonl" "$OUT/files.md" <<'PY'
import json, os, platform, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
human = lambda n: "%d KiB" % (n // 1024) if n < 1 << 20 else "%d MiB" % (n >> 20)
f = lambda v, p=2: "–" if v is None else ("%.*f" % (p, v))
load = os.getloadavg()
out = ["File inspection benchmark — %s %s %s, %d cores, load average %.1f at the end; one "
       "inspector, dlp-sim at R = 10 (latency 20 ms), slack-sim serving the files "
       "(files.info unlimited), a real Kafka 3.9.1 broker. Reproduce: `bench/files.sh`."
       % (platform.system(), platform.release(), platform.machine(), os.cpu_count(), load[0]), "",
       "| run | file size | files | inspected | files/s | DLP requests per file | file bytes per request "
       "| requests carrying a file | requests/s ÷ R | most requests in any 1 s | rejected "
       "| findings in files | peak RSS MiB |",
       "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
for r in runs:
    out.append("| %s | %s | %d | %d%s | %s | %s | %s | %s | %s | %d | %d | %d | %.1f |" % (
        r["run"], human(r["size"]), r["files"], r["inspected"],
        (" (not: %s)" % "; ".join(r["not_inspected"])) if r["not_inspected"] else "",
        f(r["files_per_s"]), f(r["requests_per_file"], 2), f(r["bytes_per_request"], 0),
        f(r["requests_carrying_a_file"], 1), f(r["quota_used"]), r["max_req_in_1s"], r["rejected"], r["findings_in_files"],
        r["peak_rss_mib"]))
out += ["", "files/s: files inspected over the seconds from the first DLP request to the last "
        "inspection record (whole seconds; short runs are coarse). DLP requests per file: "
        "requests dlp-sim admitted over files inspected (small files share requests); file "
        "bytes per request: the files' bytes over those requests; requests carrying a file: "
        "the records' files[].requests (a shared request counts for each file in it). Peak RSS: the inspector's "
        "VmHWM at the end. flight-SIZEx20: 20 files of SIZE bytes queued at once (DLP_FILE_MAX_IN_FLIGHT = 20); "
        "the fetch stage holds at most DLP_FILE_MEMORY_BYTES (64 MiB) of them, the rest wait."]
text = "\n".join(out) + "\n"
open(sys.argv[2], "w").write(text)
print(text)
PY
