#!/usr/bin/env bash
# docker-compose.yml with podman-compose, where no Docker engine runs and no
# registry is reachable (build the images first: deploy/podman/images.sh).
#
#   deploy/podman/compose.sh up        the stack, in stages, each waited for
#   deploy/podman/compose.sh load      the one-shot loader (replays the sample)
#   deploy/podman/compose.sh health    every container's own HEALTHCHECK, now
#   deploy/podman/compose.sh down      stop and remove containers and network
#   deploy/podman/compose.sh ARGS...   anything else: podman-compose ARGS
#
# podman-compose 1.6 on podman 4.3 ignores depends_on conditions and cannot
# start a service whose dependencies are not started in the same call, so
# `up` does what the conditions say, in order: broker and simulators, wait
# until healthy; topic-init, wait until it exited 0; the workers, wait until
# healthy. deploy/podman/compose.override.yml lists the gaps it papers over.
#
# Environment: DLPFLEET_COMPOSE_PROJECT (default dlpfleet),
# DLPFLEET_COLLECTOR_PORT (collector on 127.0.0.1, default 3000),
# DLPFLEET_COMPOSE_FILES (extra -f files, space-separated),
# DLPFLEET_HEALTH_TIMEOUT (seconds per stage, default 180).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/deploy/podman/env.sh"
PROJECT=${DLPFLEET_COMPOSE_PROJECT:-dlpfleet}
TIMEOUT=${DLPFLEET_HEALTH_TIMEOUT:-180}
VENV=${DLPFLEET_DEPLOY_VENV:-${HOME:-/root}/.cache/dlpfleet/venv-deploy}
[ -x "$VENV/bin/podman-compose" ] && PATH=$VENV/bin:$PATH
FILES=(-f "$ROOT/docker-compose.yml" -f "$ROOT/deploy/podman/compose.override.yml")
for f in ${DLPFLEET_COMPOSE_FILES:-}; do FILES+=(-f "$f"); done

log() { printf 'compose.sh: %s\n' "$*" >&2; }
die() {
        log "error: $*"
        exit 1
}
# podman 4.3 without systemd says on every start that it cannot schedule
# periodic healthchecks: `health` runs them on demand instead
pc() {
        podman-compose -p "$PROJECT" "${FILES[@]}" "$@" 2>&1 |
                grep -v -e 'systemd connection' -e "doesn't support healthy" >&2
        return "${PIPESTATUS[0]}"
}

containers() { # [SERVICE]: names of the project's containers
        local f=(--filter "label=io.podman.compose.project=$PROJECT")
        [ $# -gt 0 ] && f+=(--filter "label=io.podman.compose.service=$1")
        podman ps -a "${f[@]}" --format '{{.Names}}' | sort
}

has_healthcheck() {
        local t
        t=$(podman inspect --format '{{if .Config.Healthcheck}}{{join .Config.Healthcheck.Test " "}}{{end}}' "$1")
        [ -n "$t" ] && [ "$t" != NONE ]
}

# health_of NAME: "healthy", "unhealthy", "none" (no HEALTHCHECK) or
# "exited N" (a one-shot job is done with 0)
health_of() {
        [ "$(podman inspect --format '{{.State.Running}}' "$1")" = true ] || {
                echo "exited $(podman inspect --format '{{.State.ExitCode}}' "$1")"
                return
        }
        if ! has_healthcheck "$1"; then
                echo none
        elif podman healthcheck run "$1" >/dev/null 2>&1; then
                echo healthy
        else
                echo unhealthy
        fi
}

wait_healthy() { # SERVICE...: each running container with a HEALTHCHECK passes it
        local end=$((SECONDS + TIMEOUT)) s c pending
        while :; do
                pending=()
                for s in "$@"; do
                        for c in $(containers "$s"); do
                                case $(health_of "$c") in healthy | none) ;; *) pending+=("$c") ;; esac
                        done
                        [ -n "$(containers "$s")" ] || pending+=("$s(no container)")
                done
                [ ${#pending[@]} -eq 0 ] && return 0
                [ $SECONDS -lt $end ] || die "not healthy after ${TIMEOUT}s: ${pending[*]}"
                sleep 2
        done
}

cmd_up() {
        local t0=$SECONDS c rc
        log "stage 1: kafka, dlp-sim, slack-sim"
        pc up -d kafka dlp-sim slack-sim
        wait_healthy kafka dlp-sim slack-sim
        log "stage 2: topic-init"
        pc up -d --no-deps topic-init
        c=$(containers topic-init)
        rc=$(timeout "$TIMEOUT" podman wait "$c") || die "topic-init did not finish in ${TIMEOUT}s"
        [ "$rc" = 0 ] || {
                podman logs "$c" >&2
                die "topic-init exited $rc"
        }
        log "stage 3: collector, inspector, reporter"
        pc up -d --no-deps collector inspector reporter
        wait_healthy collector inspector reporter
        log "up in $((SECONDS - t0)) s: $(containers | tr '\n' ' ')"
}

cmd_load() {
        local c rc
        pc up -d --no-deps loader
        c=$(containers loader)
        rc=$(timeout "$TIMEOUT" podman wait "$c") || die "loader did not finish in ${TIMEOUT}s"
        podman logs "$c" 2>&1 | tail -n 3 >&2
        [ "$rc" = 0 ] || die "loader exited $rc"
}

cmd_health() {
        local c h rc=0
        for c in $(containers); do
                h=$(health_of "$c")
                printf '%-40s %s\n' "$c" "$h"
                case $h in healthy | none | "exited 0") ;; *) rc=1 ;; esac
        done
        return $rc
}

command -v podman-compose >/dev/null || die "podman-compose missing (scripts/install-deps.sh containers)"
case ${1:-} in
up) cmd_up ;;
load) cmd_load ;;
health) cmd_health ;;
down) pc down -t 10 ;;
"") die "usage: compose.sh up|load|health|down|PODMAN-COMPOSE-ARGS..." ;;
*) pc "$@" ;;
esac
