#!/usr/bin/env bash
# docker-compose.yml with real containers (podman, podman-compose; images
# from deploy/podman/images.sh, ctest deploy.images): the stack comes up in
# stages (deploy/podman/compose.sh), every container passes its own
# HEALTHCHECK, the sample events go in through the collector's published
# port with Slack signatures, and the simulators see every inspectable
# event inspected, every alert posted, no DLP request rejected. Then one
# inspector container is killed and the other two take over its partitions
# and inspect a second load. Everything is torn down, also on failure.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
EXPECTED=$DEPLOY_ROOT/samples/slack-events.expected.json
COMPOSE=$DEPLOY_ROOT/deploy/podman/compose.sh
RUN=${FLEET_RUN_DIR:-$DEPLOY_ROOT/.run/deploy-compose}
mkdir -p "$RUN"
rm -f "$RUN"/*
export DLPFLEET_COMPOSE_PROJECT=dlpfleet-test-$$
export DLPFLEET_COMPOSE_FILES=$DEPLOY_ROOT/tests/deploy/compose.ci.yml
DLPFLEET_COLLECTOR_PORT=$(fleet_free_port)
export DLPFLEET_COLLECTOR_PORT
P=$DLPFLEET_COMPOSE_PROJECT
URL=http://127.0.0.1:$DLPFLEET_COLLECTOR_PORT/slack/events
SECRET=local-signing-secret # docker-compose.yml's, for the local stack only
t0=$SECONDS

names() { podman ps -a --filter "label=io.podman.compose.project=$P" --format '{{.Names}}'; }
teardown() {
        local c
        for c in $(names); do podman logs "$c" >"$RUN/$c.log" 2>&1 || true; done
        "$COMPOSE" down >"$RUN/down.log" 2>&1 || true
        # whatever down left (a failed start): only this project's
        for c in $(names); do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
        podman network rm -f "${P}_default" >/dev/null 2>&1 || true
}
trap teardown EXIT

# the simulators' own endpoints, asked from inside their containers (the
# image has bash; the ports are not published)
sim_get() { # SERVICE PORT PATH
        podman exec "${P}_$1_1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$2 &&
                printf 'GET $3 HTTP/1.0\r\n\r\n' >&3 && cat <&3" | sed '1,/^\r$/d'
}
json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# records in a topic, read_committed, with the broker image's own tool
topic_records() {
        podman exec "${P}_kafka_1" /opt/kafka/bin/kafka-console-consumer.sh \
                --bootstrap-server localhost:9092 --topic "$1" --from-beginning \
                --timeout-ms 4000 --isolation-level read_committed 2>/dev/null | wc -l
}
# alerts that slack-sim received: one per "DLP alert" message, N per
# "DLP digest: F findings in N messages"
slack_alerts() {
        sim_get slack-sim 8471 /_sim/messages | /usr/bin/python3 -c '
import json, re, sys
n = 0
for m in json.load(sys.stdin)["messages"]:
    t = m["body"].get("text", "")
    d = re.match(r"DLP digest: \d+ findings? in (\d+) messages?", t)
    n += int(d.group(1)) if d else t.startswith("DLP alert:")
print(n)'
}
want_inspected=$(json "d['counts']['inspectable']" <"$EXPECTED")
want_alerts=$(json "d['counts']['with_findings']" <"$EXPECTED")
inspected_at_least() { [ "$(topic_records dlp.inspected.v1)" -ge "$1" ]; }
alerts_at_least() { [ "$(slack_alerts)" -ge "$1" ]; }
all_done() { inspected_at_least "$want_inspected" && alerts_at_least "$want_alerts"; }

if ! check "$COMPOSE" up "the stack came up in stages (broker and simulators, topic-init, workers)"; then
        check_summary "deploy compose_up"
        exit 1
fi
echo "       up after $((SECONDS - t0)) s"
"$COMPOSE" health >"$RUN/health.txt" || true
sed 's/^/       /' "$RUN/health.txt"
healthy() { "$COMPOSE" health >/dev/null; }
check healthy "every container passes its own HEALTHCHECK (podman healthcheck run)"
check test "$(grep -c '_inspector_[0-9]* *healthy' "$RUN/health.txt")" = 3 "3 inspector replicas healthy"
check test "$(grep -c '_reporter_[0-9]* *healthy' "$RUN/health.txt")" = 2 "2 reporter replicas healthy"
check grep -q "_slack-sim_1 *none" "$RUN/health.txt" "slack-sim has no HEALTHCHECK, as composed"
check fails all_done "negative: before any event, the inspected/alerted checks fail"

/usr/bin/python3 "$DEPLOY_ROOT/tests/tools/send_events.py" --url "$URL" --secret wrong-secret \
        --expect-status 401 "$DEPLOY_ROOT/samples/slack-events.jsonl" >"$RUN/send-bad.json" || true
check grep -q '"matched": 240' "$RUN/send-bad.json" "the published collector refuses the sample signed with a wrong secret (401)"
check /usr/bin/python3 "$DEPLOY_ROOT/tests/tools/send_events.py" --url "$URL" --secret "$SECRET" \
        "$DEPLOY_ROOT/samples/slack-events.jsonl" \
        "the sample's 240 events, signed, accepted through the published collector port"
check wait_until 240 "inspections and alerts" all_done \
        "every inspectable event inspected ($want_inspected) and every alert at slack-sim ($want_alerts)"
echo "       inspected $(topic_records dlp.inspected.v1), alerts at slack-sim $(slack_alerts) ($(sim_get slack-sim 8471 /_sim/stats | json "d['posted']") posts), after $((SECONDS - t0)) s"
echo "       dlp-sim: $(sim_get dlp-sim 8470 /_sim/stats | json "'%d accepted, rejected %s, at most %d in any 1 s' % (d['accepted'], d['rejected_by_reason'], d['max_requests_in_any_1s_window'])")"
check test "$(sim_get dlp-sim 8470 /_sim/stats | json "d['rejected']")" = 0 "dlp-sim rejected no request"
check test "$(sim_get dlp-sim 8470 /_sim/stats | json "d['accepted'] > 0")" = True "dlp-sim inspected the composed inspectors' requests"
check test "$(topic_records dlp.deadletter.v1)" = 0 "nothing dead-lettered"

# one inspector dies; the other two take its partitions and the new load
victim=${P}_inspector_2
kill_container() { podman kill "$1" >/dev/null; }
check kill_container "$victim" "killed $victim (SIGKILL)"
/usr/bin/python3 "$DEPLOY_ROOT/tests/tools/gen_load.py" --envelopes 120 --seed 14 \
        --prefix EvTAKEOVER >"$RUN/second-load.jsonl"
check /usr/bin/python3 "$DEPLOY_ROOT/tests/tools/send_events.py" --url "$URL" --secret "$SECRET" \
        "$RUN/second-load.jsonl" "120 more events accepted with one inspector down"
took_over() {
        local c
        for c in "${P}_inspector_1" "${P}_inspector_3"; do
                podman logs "$c" 2>&1 | grep -q 'assigned 6 partition(s)' || return 1
        done
}
check wait_until 120 "the takeover" took_over "the two remaining inspectors took 6 of the 12 partitions each"
check wait_until 240 "the second load" inspected_at_least $((want_inspected + 120)) \
        "the second load inspected by the remaining two ($((want_inspected + 120)) in all)"
check test "$(podman inspect --format '{{.State.Running}}' "$victim")" = false "$victim stayed down meanwhile"
check test "$(sim_get dlp-sim 8470 /_sim/stats | json "d['rejected']")" = 0 "dlp-sim still rejected no request"
echo "       done after $((SECONDS - t0)) s"

trap - EXIT
teardown
check test -z "$(names)" "torn down: no container of $P left"
check_summary "deploy compose_up"
