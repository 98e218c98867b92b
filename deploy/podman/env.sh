# Sourced by the podman scripts: podman with the project's containers.conf
# (CONTAINERS_CONF; the machine's own configuration is never touched).
DLPFLEET_PODMAN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$DLPFLEET_PODMAN_DIR/containers.conf}
