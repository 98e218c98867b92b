#!/usr/bin/env bash
# docker-compose.yml, run as local processes: every service that runs a
# dlpfleet binary is started with the compose file's own command and
# environment (tests/tools/compose_plan.py rewrites only what exists inside
# Docker's network: hostnames, ports, the broker, per-run topic names), on
# the real local broker. The one-shot loader replays the sample; the fleet
# as composed must inspect every event and post every alert.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fleet_init "${FLEET_RUN_DIR:-$ROOT/.run/e2e-compose}"
rm -f "$FLEET_RUN"/*
export PATH=$FLEET_BIN:$PATH
suffix=$(date +%s)-$$

# the topic-init service's work
"$ROOT/scripts/kafka.sh" create-topics 12 dlp.events.v1."$suffix" dlp.inspected.v1."$suffix" \
        dlp.alerts.v1."$suffix" dlp.deadletter.v1."$suffix" >/dev/null
ports=()
for _ in $(seq 1 12); do ports+=("$(fleet_free_port)"); done
"$FLEET_PY" "$ROOT/tests/tools/compose_plan.py" --shell "$ROOT/docker-compose.yml" \
        "$BOOTSTRAP" "$suffix" "$ROOT/samples/slack-events.jsonl" "${ports[@]}" >"$FLEET_RUN/plan.txt"
echo "       services as composed: $(cut -d' ' -f1 "$FLEET_RUN/plan.txt" | tr '\n' ' ')"
while read -r line; do
        eval "set -- $line"
        name=$1
        shift
        [ "$name" = loader ] && { echo "$line" >"$FLEET_RUN/loader.txt"; continue; }
        fleet_start "$name" "$@"
done <"$FLEET_RUN/plan.txt"
sleep 3 # the groups form before the load
for name in "${FLEET_NAMES[@]}"; do
        check fleet_alive "$name" "$name started as composed"
done
load() ( # a subshell: the loader's environment stays its own
        local line
        line=$(cat "$FLEET_RUN/loader.txt")
        eval "set -- $line"
        shift
        while [ "$1" != "--" ]; do
                export "${1?}"
                shift
        done
        shift
        "$@" >"$FLEET_RUN/loader.out" 2>"$FLEET_RUN/loader.log"
)
check load "the one-shot loader replayed the sample and exited 0"
want_inspected=$("$FLEET_PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['inspectable'])" "$EXPECTED")
want_alerts=$("$FLEET_PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['with_findings'])" "$EXPECTED")
done_all() {
        [ "$(topic_count "$BOOTSTRAP" dlp.inspected.v1."$suffix")" -ge "$want_inspected" ] &&
                [ "$(topic_count "$BOOTSTRAP" dlp.alerts.v1."$suffix")" -ge "$want_alerts" ]
}
check wait_until 180 "the composed fleet" done_all \
        "the fleet as composed inspected all $want_inspected events and alerted all $want_alerts"
slack=$(sed -n 's/.*SLACK_SIM_LISTEN_ADDR=\([0-9.:]*\).*/\1/p' "$FLEET_RUN/plan.txt" | head -1)
dlp=$(sed -n 's/.*DLP_SIM_LISTEN_ADDR=\([0-9.:]*\).*/\1/p' "$FLEET_RUN/plan.txt" | head -1)
check test "$(curl -s "http://$dlp/_sim/stats" | "$FLEET_PY" -c 'import json,sys; print(json.load(sys.stdin)["rejected"])')" = 0 \
        "dlp-sim rejected nothing from the 3 composed inspectors"
check test "$(curl -s "http://$slack/_sim/stats" | "$FLEET_PY" -c 'import json,sys; print(json.load(sys.stdin)["posted"] > 0)')" = True \
        "slack-sim received the composed reporters' alerts"
check fleet_down "every composed service stopped cleanly"

trap - EXIT
check_summary "e2e compose"
