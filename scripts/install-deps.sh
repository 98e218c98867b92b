#!/usr/bin/env bash
# Installs what building, running and testing dlpfleet needs on Debian
# bookworm (as root, or with sudo). Packages already present are skipped, so
# this is cheap to run every time.
set -euo pipefail

PACKAGES=(
        build-essential cmake ninja-build pkg-config git curl ca-certificates
        librdkafka-dev libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev
        libssl-dev libcmocka-dev libpcre2-dev
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

missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
