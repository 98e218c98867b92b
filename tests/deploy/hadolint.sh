#!/usr/bin/env bash
# hadolint on the Dockerfiles (settings: .hadolint.yaml), and proof that it
# fails a Dockerfile whose last USER is root.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$DEPLOY_ROOT"
lint() { hadolint --config .hadolint.yaml "$@"; }
check lint deploy/docker/Dockerfile "hadolint passes deploy/docker/Dockerfile"
check lint deploy/podman/kafka-standin/Dockerfile "hadolint passes the stand-in Kafka image's Dockerfile"
bad=$(mktemp)
trap 'rm -f "$bad" "$bad.out"' EXIT
sed 's/^USER 10001:10001$/USER root/' deploy/docker/Dockerfile >"$bad"
check grep -q '^USER root$' "$bad" "negative case prepared (USER root)"
# it fails, and for that reason
finds() { ! lint --no-color "$2" >"$bad.out" && grep -q "$1" "$bad.out"; }
check finds DL3002 "$bad" "negative: hadolint fails the Dockerfile running as root (DL3002)"
check_summary "deploy hadolint"
