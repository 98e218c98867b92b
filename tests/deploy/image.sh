#!/usr/bin/env bash
# The project image (built by deploy/podman/images.sh, ctest deploy.images),
# as the Kubernetes manifests run it: not root, read-only root filesystem
# with nothing writable mounted, no capabilities. Every binary answers
# --help there; dlp-sim serves and its HEALTHCHECK passes; the size is
# printed and held to the target (< 100 MiB). The same checks fail on the
# Debian base image (root, no binaries) and the stand-in Kafka image (size).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BASE=docker.io/library/debian:bookworm-slim
KAFKA=localhost/dlpfleet-kafka-standin:3.9.1
MAX_MIB=100
NAME=dlpfleet-imagetest-$$
trap 'podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true' EXIT
# as deploy/k8s runs pods: readOnlyRootFilesystem, no emptyDir for /tmp
# (podman would mount tmpfs there), drop ALL, no privilege escalation
K8S_LIKE=(--read-only --read-only-tmpfs=false --cap-drop=ALL
        --security-opt=no-new-privileges --network=none)
run() { podman run --rm "${K8S_LIKE[@]}" "$@" 2>/dev/null; }

image_user_not_root() { # the image's USER, and the uid a process really gets
        local user uid
        user=$(podman image inspect --format '{{.Config.User}}' "$1")
        uid=$(run "$1" id -u) || return 1
        echo "       $1: USER '$user', runs as uid $uid"
        [ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] && [ "$uid" != 0 ]
}
binaries_help() { # every binary starts and prints its --help
        local b out
        for b in "${DEPLOY_BINARIES[@]}"; do
                out=$(run "$1" "$b" --help) && [ -n "$out" ] || {
                        echo "       $1: $b --help failed"
                        return 1
                }
        done
}
root_read_only() { # writing anywhere fails (the flag is in force)
        local d
        for d in / /tmp /var/tmp /usr/local/bin; do
                run "$1" sh -c "touch $d/dlpfleet-probe" && return 1
        done
        return 0
}
size_below() { # IMAGE MIB
        local bytes
        bytes=$(podman image inspect --format '{{.Size}}' "$1")
        echo "       $1: $(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB (%d bytes)", b / 1048576, b }')"
        [ "$bytes" -lt $(($2 * 1048576)) ]
}
serves_healthy() { # dlp-sim read-only: its HEALTHCHECK passes, it answers
        podman run -d --name "$NAME" "${K8S_LIKE[@]}" -e DLP_SIM_TOKEN=t \
                "$1" dlp-sim >/dev/null 2>&1 || return 1
        local i
        for i in $(seq 1 30); do
                podman healthcheck run "$NAME" >/dev/null 2>&1 && break
                sleep 1
        done
        podman healthcheck run "$NAME" >/dev/null 2>&1 &&
                podman exec "$NAME" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8470 &&
                        printf "GET /_sim/stats HTTP/1.0\r\n\r\n" >&3 && head -n 1 <&3' |
                grep -q ' 200 '
}
writable_root() ( # CMD...: with a writable root filesystem
        K8S_LIKE=(--network=none)
        "$@"
)
unhealthy_detected() { # a container of the image whose worker is not up
        podman rm -f -t 0 "$NAME" >/dev/null 2>&1
        podman run -d --name "$NAME" "${K8S_LIKE[@]}" "$1" sleep 60 >/dev/null 2>&1 || return 1
        ! podman healthcheck run "$NAME" >/dev/null 2>&1
}

check podman image exists "$DEPLOY_IMAGE" "$DEPLOY_IMAGE exists"
check image_user_not_root "$DEPLOY_IMAGE" "the image runs as a non-root uid"
check binaries_help "$DEPLOY_IMAGE" "every binary prints --help on a read-only root, no capabilities"
check root_read_only "$DEPLOY_IMAGE" "nothing is writable on the read-only root filesystem"
check serves_healthy "$DEPLOY_IMAGE" "dlp-sim serves on the read-only root and its HEALTHCHECK passes"
check size_below "$DEPLOY_IMAGE" "$MAX_MIB" "the image is smaller than $MAX_MIB MiB"

# negative cases: the same checks fail where they should
check fails image_user_not_root "$BASE" "negative: the Debian base image (root) fails the uid check"
check fails binaries_help "$BASE" "negative: the Debian base image (no binaries) fails the --help check"
check fails writable_root root_read_only "$DEPLOY_IMAGE" "negative: without --read-only the write probe fails the check"
check unhealthy_detected "$DEPLOY_IMAGE" "negative: the HEALTHCHECK fails when no worker serves"
check fails size_below "$KAFKA" "$MAX_MIB" "negative: the stand-in Kafka image fails the size check"
check_summary "deploy image"
