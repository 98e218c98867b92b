# lib.sh - the prologue every e2e script sources first: strict mode, the
# repository root, the fleet helpers (scripts/lib/fleet.sh), the broker, the
# sample and what it should produce. Whatever is still running when a
# script exits early (a failed step) is stopped; a script that reaches its
# end clears the trap and judges the stop itself with `check fleet_down`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/scripts/lib/fleet.sh"
BOOTSTRAP=${DLPFLEET_KAFKA_BOOTSTRAP:-127.0.0.1:19092}
SAMPLE=$ROOT/samples/slack-events.jsonl
EXPECTED=$ROOT/samples/slack-events.expected.json
trap 'fleet_down >/dev/null 2>&1 || true' EXIT
