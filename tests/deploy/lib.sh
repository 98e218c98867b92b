# lib.sh - sourced by the deploy tests (tests/deploy/*.sh): the tools' venv,
# podman with the project's containers.conf, check/check_summary from
# scripts/lib/fleet.sh, and `fails` for the negative cases.
DEPLOY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$DEPLOY_ROOT/scripts/lib/fleet.sh"
. "$DEPLOY_ROOT/deploy/podman/env.sh"
DEPLOY_VENV=${DLPFLEET_DEPLOY_VENV:-${HOME:-/root}/.cache/dlpfleet/venv-deploy}
export PATH=$DEPLOY_VENV/bin:$PATH
export DLPFLEET_IMAGE_TAG=${DLPFLEET_IMAGE_TAG:-latest}
DEPLOY_IMAGE=localhost/dlpfleet:$DLPFLEET_IMAGE_TAG
DEPLOY_BINARIES=(dlp-collector dlp-inspector dlp-reporter dlp-devbroker dlp-sim slack-sim)

# fails CMD...: CMD exits non-zero (a negative case: the check can fail)
fails() { ! "$@" >/dev/null 2>&1; }
