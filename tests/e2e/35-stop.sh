#!/usr/bin/env bash
# SIGTERM under load, for each worker (run in the ASan+UBSan build too, where
# a use-after-free on the way out is a report, not luck):
#
#   A. an inspector with a backlog and a request in flight at a slow dlp-sim
#      (300 ms): exit 0 in the grace period, no sanitizer report, and once
#      the other inspector finished, every event has an inspection record
#   B. the reporter posting a backlog of alerts: exit 0, no report, and a
#      second reporter alerts every event
#   C. the collector while Slack deliveries are arriving: exit 0, no report,
#      every delivery it answered 200 is in the topic
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN_BASE=${FLEET_RUN_DIR:-$ROOT/.run/e2e-stop}

phase() { # NAME
        local id=$(date +%s)-$$-$1
        echo "--- phase $1"
        export DLP_GROUP_ID=e2e-$id DLP_REPORTER_GROUP_ID=e2e-rep-$id
        fleet_run_topics "$RUN_BASE/$1" "e2e.$id" 12 events inspected alerts deadletter
}
distinct() { kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -f '%k\n' 2>/dev/null | sort -u | wc -l; }
reached() { [ "$(distinct "$1")" -ge "$2" ]; }
# SIGTERM one worker: exit status 0 within fleet_stop's 20 s, no report
stopped_clean() { # NAME
        local rc=0
        fleet_stop "$1" || rc=1
        if grep -E 'Sanitizer|runtime error:|double free|corruption' "$FLEET_RUN/$1.log" >&2; then
                rc=1
        fi
        for i in "${!FLEET_NAMES[@]}"; do
                [ "${FLEET_NAMES[$i]}" = "$1" ] && unset 'FLEET_NAMES[i]'
        done
        FLEET_NAMES=("${FLEET_NAMES[@]}")
        return $rc
}

# --- A: the inspector ---------------------------------------------------------
phase A
fleet_start dlp-sim DLP_SIM_LISTEN_ADDR=127.0.0.1:0 DLP_SIM_RATE_LIMIT=10 \
        DLP_SIM_LATENCY_MS=300 -- "$FLEET_BIN/dlp-sim"
SIM=http://$(fleet_listen_addr dlp-sim)
"$FLEET_PY" "$ROOT/tests/tools/gen_load.py" 2000 --prefix EvA |
        kcat -P -b "$BOOTSTRAP" -t "$DLP_TOPIC_EVENTS" -K '\t'
for i in 1 2; do
        # small batches: the backlog lasts, a request is nearly always out
        fleet_start "inspector-$i" "${FLEET_ENV[@]}" "DLP_API_URL=$SIM" DLP_GCP_PROJECT=e2e \
                DLP_RATE_LIMIT=10 DLP_BATCH_MAX_ITEMS=10 -- "$FLEET_BIN/dlp-inspector"
done
check wait_until 120 "progress" reached "$DLP_TOPIC_INSPECTED" 200 "phase A: inspecting"
check stopped_clean inspector-1 "phase A: SIGTERM with a backlog and requests in flight: exit 0, no sanitizer report"
check wait_until 300 "every event" reached "$DLP_TOPIC_INSPECTED" 2000 \
        "phase A: the other inspector inspected every event: none lost"
check fleet_down "phase A: the rest stopped cleanly"

# --- B: the reporter ----------------------------------------------------------
phase B
fleet_start slack-sim SLACK_SIM_LISTEN_ADDR=127.0.0.1:0 "SLACK_SIM_TOKEN=$FLEET_SLACK_TOKEN" \
        -- "$FLEET_BIN/slack-sim"
SLACK=http://$(fleet_listen_addr slack-sim)
"$FLEET_PY" "$ROOT/tests/tools/gen_inspections.py" 3000 --prefix EvB |
        kcat -P -b "$BOOTSTRAP" -t "$DLP_TOPIC_INSPECTED" -K '\t'
reporter() {
        fleet_start "$1" "${FLEET_ENV[@]}" "SLACK_API_URL=$SLACK/api" \
                "SLACK_BOT_TOKEN=$FLEET_SLACK_TOKEN" "DLP_ALERT_CHANNEL=$FLEET_ALERT_CHANNEL" \
                "DLP_REPORTER_GROUP_ID=$DLP_REPORTER_GROUP_ID" -- "$FLEET_BIN/dlp-reporter"
}
reporter reporter-1
check wait_until 120 "progress" reached "$DLP_TOPIC_ALERTS" 50 "phase B: alerting"
check stopped_clean reporter-1 "phase B: SIGTERM with alerts queued and posts in flight: exit 0, no sanitizer report"
reporter reporter-2
check wait_until 300 "every alert" reached "$DLP_TOPIC_ALERTS" 3000 \
        "phase B: a second reporter alerted all 3,000 events: none lost"
check fleet_down "phase B: the rest stopped cleanly"

# --- C: the collector ---------------------------------------------------------
phase C
port=$(fleet_free_port)
fleet_start collector "${FLEET_ENV[@]}" "DLP_LISTEN_ADDR=127.0.0.1:$port" \
        "SLACK_SIGNING_SECRET=$FLEET_SIGNING_SECRET" -- "$FLEET_BIN/dlp-collector"
URL=http://127.0.0.1:$port/slack/events
fleet_wait_http "$URL"
"$FLEET_PY" "$ROOT/tests/tools/gen_load.py" 4000 --envelopes --prefix EvC >"$FLEET_RUN/load.jsonl"
"$FLEET_PY" "$ROOT/tests/tools/send_events.py" --url "$URL" --secret "$FLEET_SIGNING_SECRET" \
        --concurrency 8 --retries 0 --timeout-s 60 --record "$FLEET_RUN/record.jsonl" \
        "$FLEET_RUN/load.jsonl" >"$FLEET_RUN/send.json" 2>&1 &
sender=$!
check wait_until 60 "progress" reached "$DLP_TOPIC_EVENTS" 200 "phase C: collecting"
check stopped_clean collector "phase C: SIGTERM with deliveries arriving: exit 0, no sanitizer report"
wait "$sender" || true
kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_EVENTS" -o beginning -e -q -f '%k\n' 2>/dev/null |
        sort -u >"$FLEET_RUN/keys.txt"
answered_kept() {
        "$FLEET_PY" - "$FLEET_RUN/record.jsonl" "$FLEET_RUN/keys.txt" <<'PY'
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1])]
stored = set(open(sys.argv[2]).read().split())
ok = [r["event_id"] for r in rec if r["status"] == 200]
lost = [e for e in ok if e not in stored]
print("       %d answered 200 before the stop; missing from the topic: %d" % (len(ok), len(lost)))
sys.exit(0 if ok and not lost else 1)
PY
}
check answered_kept "phase C: every delivery answered 200 is in the topic"

trap - EXIT
check_summary "e2e stop"
