#!/usr/bin/env bash
# End to end on a real Kafka broker: the sample's signed Slack events through
# collector -> 2 inspectors -> reporter, against dlp-sim and slack-sim.
#
#   * bad requests: unsigned, badly signed, stale -> 401 with no detail;
#     malformed JSON -> 400; wrong method -> 405
#   * exactly one inspection record per inspectable event, findings with the
#     planted info types at the planted offsets, an alert for exactly the
#     events with findings, no raw value anywhere, dlp-sim: 0 rejected and
#     never more than 10 requests in any second
#   * records that are not events -> dead-letter topic with the reason, and
#     the stream goes on
#   * every record on every topic validates against schemas/
#   * every process stops cleanly on SIGTERM
#
# Needs a broker at DLPFLEET_KAFKA_BOOTSTRAP (default 127.0.0.1:19092; CTest
# starts one with scripts/kafka.sh). Topics and groups are new for each run.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

run_id=$(date +%s)-$$
export DLP_GROUP_ID=e2e-$run_id-inspector DLP_REPORTER_GROUP_ID=e2e-$run_id-reporter
fleet_run_topics "${FLEET_RUN_DIR:-$ROOT/.run/e2e-pipeline}" "e2e.$run_id" 12 \
        events inspected alerts deadletter
fleet_up "$BOOTSTRAP" 2

# --- bad input at the door ---------------------------------------------
send() { "$FLEET_PY" "$ROOT/tests/tools/send_events.py" --url "$FLEET_COLLECTOR_URL" \
        --secret "$FLEET_SIGNING_SECRET" --timeout-s 30 "$@" >/dev/null; }
head -n 3 "$SAMPLE" >"$FLEET_RUN/three.jsonl"
check send --unsigned --expect-status 401 "$FLEET_RUN/three.jsonl" "unsigned requests -> 401"
check send --bad-signature --expect-status 401 "$FLEET_RUN/three.jsonl" "badly signed requests -> 401"
check send --stale --expect-status 401 "$FLEET_RUN/three.jsonl" "stale timestamps (600 s) -> 401"
body_401=$(curl -s -X POST -H 'Content-Type: application/json' -d '{}' "$FLEET_COLLECTOR_URL")
check test -z "$body_401" "a 401 carries no detail"
echo '{"type":"event_callback", broken' >"$FLEET_RUN/broken.jsonl"
check send --expect-status 400 "$FLEET_RUN/broken.jsonl" "malformed JSON (signed) -> 400"
check test "$(curl -s -o /dev/null -w '%{http_code}' "$FLEET_COLLECTOR_URL")" = 405 "GET -> 405"
challenge=$(printf '%s' '{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}' |
        tee "$FLEET_RUN/verify.jsonl" >/dev/null
        "$FLEET_PY" - "$FLEET_COLLECTOR_URL" "$FLEET_SIGNING_SECRET" "$FLEET_RUN/verify.jsonl" <<'PY'
import hashlib, hmac, sys, time, urllib.request
url, secret, path = sys.argv[1:]
body = open(path, "rb").read()
ts = str(int(time.time()))
sig = "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
req = urllib.request.Request(url, body, {"Content-Type": "application/json",
      "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})
print(urllib.request.urlopen(req, timeout=5).read().decode())
PY
)
check test "$challenge" = 3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P "url_verification answered with the challenge"

# --- the sample, as Slack sends it -------------------------------------
start=$SECONDS
check send --expect-status 200 "$SAMPLE" "all $(wc -l <"$SAMPLE") signed sample events -> 200 after Kafka has them"

# records on the events topic that are not events: dead letters, and the
# stream goes on
printf 'EvPOISONJSON\tthis is not json\nEvPOISONSCHEMA\t{"schema":"dlp.event/1","event_id":"EvPOISONSCHEMA"}\n' |
        kcat -P -b "$BOOTSTRAP" -t "$DLP_TOPIC_EVENTS" -K '\t'

want_inspected=$("$FLEET_PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['inspectable'])" "$EXPECTED")
want_alerts=$("$FLEET_PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['with_findings'])" "$EXPECTED")
settled() {
        [ "$(topic_count "$BOOTSTRAP" "$DLP_TOPIC_INSPECTED")" -ge "$want_inspected" ] &&
                [ "$(topic_count "$BOOTSTRAP" "$DLP_TOPIC_DEADLETTER")" -ge 2 ] &&
                [ "$(topic_count "$BOOTSTRAP" "$DLP_TOPIC_ALERTS")" -ge "$want_alerts" ]
}
check wait_until 240 "the pipeline to settle" settled "every event inspected, every alert posted"
sleep 2 # anything extra (a duplicate) would show up now
elapsed=$((SECONDS - start))

# --- the admin endpoints ------------------------------------------------------
admin_ok() { # NAME METRIC: healthy, ready, and METRIC > 0 on /metrics
        local url
        url=$(cat "$FLEET_RUN/$1.admin")
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] &&
                [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] &&
                curl -s "$url/metrics" | tee "$FLEET_RUN/$1.metrics" |
                awk -v m="$2" '$1 == m && $2 > 0 { f = 1 } END { exit !f }'
}
check admin_ok collector dlp_collector_events_accepted_total \
        "collector: /healthz and /readyz 200, /metrics counts accepted events"
check admin_ok inspector-1 dlp_inspector_owned_partitions \
        "inspector: /healthz and /readyz 200, /metrics shows its partitions"
check admin_ok reporter dlp_reporter_alerts_total \
        "reporter: /healthz and /readyz 200, /metrics counts alerts"
check grep -q '^dlp_inspector_request_seconds_bucket{le="+Inf"}' "$FLEET_RUN/inspector-1.metrics" \
        "inspector: /metrics has the request latency histogram"
brokers_seen() {
        curl -s "$(cat "$FLEET_RUN/inspector-1.admin")/metrics" |
                awk '$1 == "dlp_inspector_kafka_brokers_up" && $2 > 0 { f = 1 } END { exit !f }'
}
check wait_until 15 "librdkafka statistics" brokers_seen \
        "inspector: /metrics carries librdkafka's statistics (brokers up, lag)"
dashboard_metrics_exist() {
        "$FLEET_PY" - "$ROOT/deploy/grafana/dlpfleet.json" "$FLEET_RUN"/*.metrics <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
used = {m for e in exprs for m in re.findall(r"\b(dlp_[a-z_]+)", e)}
exported = set()
for f in sys.argv[2:]:
    exported |= set(re.findall(r"^([a-z_]+?)(?:_bucket|_sum|_count)?(?:\{| )", open(f).read(), re.M))
    exported |= set(re.findall(r"^([a-z_]+)(?:\{| )", open(f).read(), re.M))
missing = sorted(used - exported)
print("       dashboard queries %d dlpfleet metrics; missing from /metrics: %s" % (len(used), missing or "none"))
sys.exit(1 if missing else 0)
PY
}
check dashboard_metrics_exist "the Grafana dashboard queries only metrics the workers export"

for t in events inspected alerts deadletter; do
        var=DLP_TOPIC_${t^^}
        topic_dump "$BOOTSTRAP" "${!var}" "$FLEET_RUN/$t.json"
done
curl -s "$FLEET_SLACK_SIM/_sim/messages" >"$FLEET_RUN/slack.json"
curl -s "$FLEET_DLP_SIM/_sim/stats" >"$FLEET_RUN/dlp-stats.json"

check fleet_down "every process stopped cleanly on SIGTERM"

# --- records against the schemas, with a real validator ------------------
validate() { "$FLEET_PY" "$ROOT/tests/tools/validate_records.py" "$@" >"$FLEET_RUN/validate.out" 2>&1 ||
        { cat "$FLEET_RUN/validate.out"; return 1; }; }
grep -v POISON "$FLEET_RUN/events.json" >"$FLEET_RUN/events-clean.json"
check validate --expect-schema dlp.event/1 --expect-count "$want_inspected" "$FLEET_RUN/events-clean.json" \
        "event records validate against dlp.event.1.json"
check validate --expect-schema dlp.inspection/1 --expect-count "$want_inspected" "$FLEET_RUN/inspected.json" \
        "inspection records validate against dlp.inspection.1.json"
check validate --expect-schema dlp.alert/1 --expect-count "$want_alerts" "$FLEET_RUN/alerts.json" \
        "alert records validate against dlp.alert.1.json"
check validate --expect-schema dlp.deadletter/1 --expect-count 2 "$FLEET_RUN/deadletter.json" \
        "dead letters validate against dlp.deadletter.1.json (with their headers)"
deadletters_say_why() {
        "$FLEET_PY" - "$FLEET_RUN/deadletter.json" <<'PY'
import base64, json, sys
recs = [json.loads(json.loads(l)["payload"]) for l in open(sys.argv[1]) if l.strip()]
by_key = {r.get("key"): r for r in recs}
ok = (by_key["EvPOISONJSON"]["stage"] == "inspector"
      and "not a JSON object" in by_key["EvPOISONJSON"]["reason"]
      and base64.b64decode(by_key["EvPOISONJSON"]["original_base64"]) == b"this is not json"
      and "not a valid dlp.event/1 record" in by_key["EvPOISONSCHEMA"]["reason"])
sys.exit(0 if ok else 1)
PY
}
check deadletters_say_why "dead letters carry the stage, the reason and the original bytes"

# --- what came out, against what the sample promised ----------------------
"$FLEET_PY" "$ROOT/tests/tools/pipeline_check.py" --check \
        --expected "$EXPECTED" --inspected "$FLEET_RUN/inspected.json" \
        --alerts "$FLEET_RUN/alerts.json" --deadletter "$FLEET_RUN/deadletter.json" \
        --slack "$FLEET_RUN/slack.json" --dlp-stats "$FLEET_RUN/dlp-stats.json" \
        --logs "$FLEET_RUN/*.log" --elapsed "$elapsed" \
        --forbid "$FLEET_SIGNING_SECRET" --forbid "$FLEET_SLACK_TOKEN" \
        --forbid "$FLEET_DLP_TOKEN" | tee "$FLEET_RUN/check.out" | grep -v '^ok '
p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$FLEET_RUN/check.out")
f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$FLEET_RUN/check.out")
CHECK_PASSED=$((CHECK_PASSED + ${p:-0}))
CHECK_FAILED=$((CHECK_FAILED + ${f:-1}))

trap - EXIT
check_summary "e2e pipeline"
