#!/usr/bin/env bash
# Builds the images docker-compose.yml needs with podman, without a registry
# (none is reachable where CI runs; with Docker and a registry,
# `docker compose build` is all a user needs):
#
#   deploy/podman/images.sh [base|kafka|fleet|all]     (default all)
#
#   docker.io/library/debian:bookworm-slim  only if no such image exists: a
#       debootstrap --variant=minbase of bookworm from the mirror apt uses,
#       trimmed like the slim image (no docs, man pages, locales, apt lists);
#       the root filesystem is cached as a tarball between runs
#   localhost/dlpfleet-kafka-standin:3.9.1  a STAND-IN for apache/kafka:3.9.1
#       (deploy/podman/kafka-standin), from the jars scripts/kafka.sh fetches;
#       rebuilt only when its inputs change (a label holds their hash)
#   localhost/dlpfleet:latest               deploy/docker/Dockerfile; podman's
#       layer cache keeps the package layers between runs, and the image
#       this one replaces is removed
#
# Environment: DLPFLEET_IMAGE_CACHE (default ~/.cache/dlpfleet/images),
# DLPFLEET_IMAGE_TAG (default latest; the tests use one per build directory).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/deploy/podman/env.sh"
CACHE=${DLPFLEET_IMAGE_CACHE:-${HOME:-/root}/.cache/dlpfleet/images}
BASE=docker.io/library/debian:bookworm-slim
KAFKA_IMAGE=localhost/dlpfleet-kafka-standin:3.9.1
FLEET_IMAGE=localhost/dlpfleet:${DLPFLEET_IMAGE_TAG:-latest}
# the ones Docker would pull; podman looks for short names here first
BUILD=(podman build --format docker --pull=never --network=host)

log() { printf 'images.sh: %s\n' "$*" >&2; }
die() {
        log "error: $*"
        exit 1
}

have_image() { podman image exists "$1"; }

# The mirror apt uses (deb822 or one-line sources), else Debian's own.
apt_mirror() {
        local m
        m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*debian\)[[:space:]]*$/\1/p' \
                /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
        [ -n "$m" ] || m=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' \
                /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
        echo "${m:-http://deb.debian.org/debian}"
}

# build IMAGE LOG ARGS...: podman build -t IMAGE ARGS; the image it replaces
# is removed, unless another tag or a container still uses it
build() {
        local image=$1 log=$2 old
        shift 2
        old=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
        "${BUILD[@]}" -t "$image" "$@" >"$log" 2>&1 || {
                tail -n 30 "$log" >&2
                die "building $image failed; see $log"
        }
        if [ -n "$old" ] && [ "$old" != "$(podman image inspect --format '{{.Id}}' "$image")" ]; then
                podman rmi "$old" >/dev/null 2>&1 || true
        fi
}

build_base() {
        have_image "$BASE" && return 0
        local tar=$CACHE/debian-bookworm-minbase.tar t0=$SECONDS
        mkdir -p "$CACHE"
        if [ ! -f "$tar" ]; then
                command -v debootstrap >/dev/null || die "debootstrap missing (scripts/install-deps.sh containers)"
                local dir
                dir=$(mktemp -d /var/tmp/dlpfleet-debootstrap.XXXXXX)
                log "no $BASE: debootstrap bookworm from $(apt_mirror) (once; cached in $tar)"
                debootstrap --variant=minbase bookworm "$dir" "$(apt_mirror)" >"$CACHE/debootstrap.log" 2>&1 || {
                        tail -n 20 "$CACHE/debootstrap.log" >&2
                        rm -rf "$dir"
                        die "debootstrap failed; see $CACHE/debootstrap.log"
                }
                # what the slim image leaves out, now and in every later install
                cat >"$dir/etc/dpkg/dpkg.cfg.d/dlpfleet-slim" <<-'EOF'
			path-exclude /usr/share/doc/*
			path-include /usr/share/doc/*/copyright
			path-exclude /usr/share/man/*
			path-exclude /usr/share/info/*
			path-exclude /usr/share/locale/*
			path-exclude /usr/share/lintian/*
		EOF
                cat >"$dir/etc/apt/apt.conf.d/dlpfleet-slim" <<-'EOF'
			APT::Install-Recommends "false";
			Acquire::Languages "none";
			DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
		EOF
                find "$dir/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
                rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
                        "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* "$dir"/var/log/* \
                        "$dir"/tmp/*
                tar -C "$dir" --numeric-owner -cf "$tar.partial" .
                rm -rf "$dir"
                mv "$tar.partial" "$tar"
        fi
        podman import --change 'CMD ["bash"]' "$tar" "$BASE" >/dev/null
        log "$BASE imported from $tar in $((SECONDS - t0)) s"
}

build_kafka() {
        "$ROOT/scripts/kafka.sh" fetch
        local libs src hash ctx t0=$SECONDS
        libs=$(find "${DLPFLEET_KAFKA_CACHE:-${HOME:-/root}/.cache/dlpfleet/kafka-3.9.1}/libs" \
                -maxdepth 1 -name '*.jar' | sort)
        [ -n "$libs" ] || die "no Kafka jars (scripts/kafka.sh fetch)"
        src=$ROOT/deploy/podman/kafka-standin
        hash=$( (cat "$src/Dockerfile" "$src/entrypoint.sh"; basename -a $libs;
                podman image inspect --format '{{.Id}}' "$BASE") | sha256sum | cut -c1-16)
        if [ "$(podman image inspect --format '{{index .Labels "dlpfleet.inputs"}}' \
                "$KAFKA_IMAGE" 2>/dev/null)" = "$hash" ]; then
                return 0
        fi
        ctx=$(mktemp -d /var/tmp/dlpfleet-kafka-ctx.XXXXXX)
        # shellcheck disable=SC2064 # expand now
        trap "rm -rf '$ctx'" RETURN
        cp "$src/Dockerfile" "$src/entrypoint.sh" "$ctx/"
        mkdir "$ctx/libs"
        # shellcheck disable=SC2086 # one path a word
        cp $libs "$ctx/libs/"
        build "$KAFKA_IMAGE" "$CACHE/kafka-standin.build.log" --label "dlpfleet.inputs=$hash" "$ctx"
        log "$KAFKA_IMAGE built in $((SECONDS - t0)) s"
}

build_fleet() {
        local t0=$SECONDS
        build "$FLEET_IMAGE" "$CACHE/dlpfleet-${DLPFLEET_IMAGE_TAG:-latest}.build.log" \
                -f "$ROOT/deploy/docker/Dockerfile" "$ROOT"
        # older untagged build stages of the Dockerfile (each ~0.5 GB)
        podman images --filter dangling=true --filter label=dlpfleet.stage=build \
                --sort created --format '{{.ID}}' | tail -n +2 |
                xargs -r podman rmi >/dev/null 2>&1 || true
        log "$FLEET_IMAGE built in $((SECONDS - t0)) s ($(podman image inspect \
                --format '{{.Size}}' "$FLEET_IMAGE" | awk '{ printf "%.1f MiB", $1 / 1048576 }'))"
}

command -v podman >/dev/null || die "podman missing (scripts/install-deps.sh containers)"
mkdir -p "$CACHE"
case ${1:-all} in
base) build_base ;;
kafka) build_base && build_kafka ;;
fleet) build_base && build_fleet ;;
all) build_base && build_kafka && build_fleet ;;
*) die "usage: images.sh [base|kafka|fleet|all]" ;;
esac
