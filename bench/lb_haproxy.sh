#!/usr/bin/env bash
# portolan-lb's HAProxy driver: apply() -> server ready through the Runtime API (p50/p99 over
# CHANGES runtime changes, half adds, half removes) and the wall time of a reload path apply,
# against Debian's haproxy in master-worker mode on loopback (no traffic is sent).
#
#   bench/lb_haproxy.sh [CHANGES] [BUILD_DIR]      (default 200, build)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHANGES=${1:-200}
BUILD=${2:-$REPO/build}
command -v haproxy >/dev/null || { echo "lb_haproxy: haproxy is not installed (apt-get install haproxy)" >&2; exit 1; }
cmake --build "$BUILD" --target bench_lb_haproxy >/dev/null
D=$(mktemp -d /tmp/portolan-bench-lb.XXXXXX)
HAPROXY_PID=""
cleanup() {
    [ -n "$HAPROXY_PID" ] && kill "$HAPROXY_PID" 2>/dev/null && wait "$HAPROXY_PID" 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$D/main.cfg" <<CFG
global
    stats socket $D/admin.sock level admin mode 600
    hard-stop-after 5s
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:$PORT
    default_backend portolan_web
CFG
printf 'backend portolan_web\n    mode http\n    balance roundrobin\n' >"$D/portolan.cfg"
haproxy -W -S "$D/master.sock" -f "$D/main.cfg" -f "$D/portolan.cfg" >"$D/haproxy.log" 2>&1 &
HAPROXY_PID=$!
for _ in $(seq 100); do [ -S "$D/admin.sock" ] && [ -S "$D/master.sock" ] && break; sleep 0.05; done
echo "haproxy $(haproxy -v | sed -n '1s/HAProxy version \([^ ]*\).*/\1/p'), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
"$BUILD/bench/lb/bench_lb_haproxy" "$D" "$CHANGES"
