# lib.sh - the prologue every e2e script sources first: strict mode, the
# repository root, the fleet helpers (scripts/lib/fleet.sh), the broker, the
# sample and what it should produce, and the reporter tests' phases.
# Whatever is still running when a
# script exits early (a failed step) is stopped; a script that reaches its
# end clears the trap and judges the stop itself with `check fleet_down`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/scripts/lib/fleet.sh"
BOOTSTRAP=${DLPFLEET_KAFKA_BOOTSTRAP:-127.0.0.1:19092}
SAMPLE=$ROOT/samples/slack-events.jsonl
EXPECTED=$ROOT/samples/slack-events.expected.json
trap 'fleet_down >/dev/null 2>&1 || true' EXIT

# A phase of a reporter test (50-reporter, 70-actions): its own topics with
# PARTITIONS partitions, group and slack-sim (VAR=VALUE... go to slack-sim),
# logs in $RUN_BASE/NAME; sets SLACK and FLEET_ENV (fleet_reporter_side).
reporter_phase() { # NAME PARTITIONS [SLACK_SIM_VAR=VALUE...]
        local name=$1 partitions=$2
        shift 2
        echo "--- phase $name"
        fleet_reporter_side "$RUN_BASE/$name" "e2e.$(date +%s)-$$-$name" "$partitions" "$@"
}
