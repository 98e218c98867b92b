#!/usr/bin/env bash
# The main job: build dlpfleet and run the whole fleet on the bundled sample
# of Slack events, on one machine with nothing but the build.
#
#   dev broker (in-memory Kafka) + dlp-sim (Google DLP v2) + slack-sim
#   + collector + 2 inspectors + reporter
#
# The sample's envelopes go to the collector as signed HTTP requests, as
# Slack sends them; the script waits until every inspectable event is
# inspected and every alert is posted, prints the alerts slack-sim received
# and a summary, and stops everything cleanly.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SAMPLE=${DLPFLEET_DEMO_SAMPLE:-$ROOT/samples/slack-events.jsonl}
EXPECTED=${SAMPLE%.jsonl}.expected.json
INSPECTORS=${DLPFLEET_DEMO_INSPECTORS:-2}

"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh" "$ROOT/build" >/dev/null

. "$ROOT/scripts/lib/fleet.sh"
fleet_init "$ROOT/.run/demo"
rm -f "$FLEET_RUN"/*.log "$FLEET_RUN"/*.out "$FLEET_RUN"/*.json
trap 'fleet_down >/dev/null 2>&1 || true' EXIT
start=$SECONDS

fleet_start devbroker -- "$FLEET_BIN/dlp-devbroker"
for _ in $(seq 1 50); do
        BOOTSTRAP=$(head -n 1 "$FLEET_RUN/devbroker.out" 2>/dev/null || true)
        [ -n "$BOOTSTRAP" ] && break
        sleep 0.1
done
[ -n "$BOOTSTRAP" ] || { fleet_log "dev broker did not start"; exit 1; }
fleet_log "dev broker at $BOOTSTRAP"
fleet_up "$BOOTSTRAP" "$INSPECTORS"
fleet_log "fleet up: collector $FLEET_COLLECTOR_URL, $INSPECTORS inspectors, logs in $FLEET_RUN"

sent=$(wc -l <"$SAMPLE")
fleet_log "sending $sent signed events to the collector"
"$FLEET_PY" "$ROOT/tests/tools/send_events.py" --url "$FLEET_COLLECTOR_URL" \
        --secret "$FLEET_SIGNING_SECRET" "$SAMPLE" >"$FLEET_RUN/send.json"
fleet_log "collector answers: $(cat "$FLEET_RUN/send.json")"

want_inspected=$("$FLEET_PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['inspectable'])" "$EXPECTED")
want_alerts=$("$FLEET_PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['with_findings'])" "$EXPECTED")
inspected_done() { [ "$(topic_count "$BOOTSTRAP" dlp.inspected.v1)" -ge "$want_inspected" ]; }
alerts_done() { [ "$(topic_count "$BOOTSTRAP" dlp.alerts.v1)" -ge "$want_alerts" ]; }
fleet_log "waiting for $want_inspected inspections"
wait_until 120 "inspections" inspected_done
fleet_log "waiting for $want_alerts alerts (Slack allows about 1 message/s per channel: a backlog goes out as digests)"
wait_until 180 "alerts" alerts_done
elapsed=$((SECONDS - start))

topic_dump "$BOOTSTRAP" dlp.inspected.v1 "$FLEET_RUN/inspected.json"
topic_dump "$BOOTSTRAP" dlp.alerts.v1 "$FLEET_RUN/alerts.json"
topic_dump "$BOOTSTRAP" dlp.deadletter.v1 "$FLEET_RUN/deadletter.json"
curl -s "$FLEET_SLACK_SIM/_sim/messages" >"$FLEET_RUN/slack.json"
curl -s "$FLEET_DLP_SIM/_sim/stats" >"$FLEET_RUN/dlp-stats.json"

fleet_log "stopping the fleet"
trap - EXIT
fleet_down
echo
"$FLEET_PY" "$ROOT/tests/tools/pipeline_check.py" --show-alerts \
        --expected "$EXPECTED" --inspected "$FLEET_RUN/inspected.json" \
        --alerts "$FLEET_RUN/alerts.json" --deadletter "$FLEET_RUN/deadletter.json" \
        --slack "$FLEET_RUN/slack.json" --dlp-stats "$FLEET_RUN/dlp-stats.json" \
        --sent "$sent" --elapsed "$elapsed"
