#!/usr/bin/env bash
# Set up and run Portolan on this machine (Debian 12):
#   installs the packages, builds, starts dockerd if it is installed but not running, starts a
#   local single-node etcd when no registry URI is given, then runs the agent in the foreground.
# Usage: packaging/up.sh [agent options] [registry URI]
#   e.g. packaging/up.sh                         # local etcd on 127.0.0.1:2379, prefix /services
#        packaging/up.sh -ip=10.0.0.5 etcd://10.0.0.2:2379/services
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${PORTOLAN_BUILD_DIR:-$ROOT/build}"
STATE="${PORTOLAN_STATE_DIR:-/var/lib/portolan}"

"$ROOT/packaging/install-deps.sh" --runtime-only
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" --target portolan

FEED="${PORTOLAN_FEED:-127.0.0.1:8080}"
args=("$@")
have_uri=0
have_feed=0
for a in "${args[@]}"; do
    [[ "$a" == *://* ]] && have_uri=1
    [[ "$a" == -feed=* || "$a" == --feed=* || "$a" == -feed || "$a" == --feed ]] && have_feed=1
done
# The browser view is on by default, on loopback.
((have_feed == 1)) || args=("-feed=$FEED" "${args[@]}")

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"

# Docker: use DOCKER_HOST if set, else the system daemon; start it when installed but stopped.
if [[ -z "${DOCKER_HOST:-}" ]]; then
    if ! curl -sf --max-time 2 --unix-socket /var/run/docker.sock http://x/_ping >/dev/null 2>&1; then
        echo "up: starting dockerd"
        if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
            $SUDO systemctl start docker
        else
            $SUDO mkdir -p "$STATE"
            $SUDO sh -c "nohup dockerd >'$STATE/dockerd.log' 2>&1 &"
        fi
        for _ in $(seq 1 60); do
            curl -sf --max-time 1 --unix-socket /var/run/docker.sock http://x/_ping >/dev/null 2>&1 && break
            sleep 0.5
        done
        curl -sf --max-time 2 --unix-socket /var/run/docker.sock http://x/_ping >/dev/null ||
            { echo "up: dockerd did not start; see $STATE/dockerd.log" >&2; exit 1; }
    fi
fi

# etcd: when no registry URI is given, run a local single-node etcd on loopback.
if ((have_uri == 0)); then
    if ! curl -sf --max-time 2 http://127.0.0.1:2379/health >/dev/null 2>&1; then
        echo "up: starting a local etcd on 127.0.0.1:2379 (data in $STATE/etcd)"
        $SUDO mkdir -p "$STATE"
        $SUDO sh -c "nohup etcd --name portolan --data-dir '$STATE/etcd' \
            --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
            --listen-peer-urls http://127.0.0.1:2380 >'$STATE/etcd.log' 2>&1 &"
        for _ in $(seq 1 60); do
            curl -sf --max-time 1 http://127.0.0.1:2379/health >/dev/null 2>&1 && break
            sleep 0.5
        done
        curl -sf --max-time 2 http://127.0.0.1:2379/health >/dev/null ||
            { echo "up: etcd did not start; see $STATE/etcd.log" >&2; exit 1; }
    fi
    args+=("etcd://127.0.0.1:2379/services") # options first, URI last
fi

echo "up: running $BUILD/app/agent/portolan ${args[*]}"
((have_feed == 1)) || echo "up: browser view at http://$FEED/"
exec "$BUILD/app/agent/portolan" "${args[@]}"
