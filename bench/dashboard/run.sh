#!/usr/bin/env bash
# The dashboard benchmark (issues 4 and 6): starts a private etcd on loopback, builds
# bench_dashboard if needed, runs it and removes etcd again. Not part of the ctest suite.
#
#   bench/dashboard/run.sh [BUILD_DIR] [bench_dashboard options...]
#
# BUILD_DIR defaults to build-dash in the repository (configured RelWithDebInfo if missing).
# BENCH_WRAPPER (e.g. "perf record -g --") runs the benchmark under a profiler.
# The figures go to bench/out/dashboard.json (see README.md); a table is printed at the end.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${1:-$REPO/build-dash}
[ $# -gt 0 ] && shift

command -v etcd >/dev/null || { echo "etcd is missing (apt-get install etcd-server)" >&2; exit 1; }
if [ ! -f "$BUILD/build.ninja" ] && [ ! -f "$BUILD/Makefile" ]; then
    cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
echo "building bench_dashboard in $BUILD ..."
nice cmake --build "$BUILD" -j2 --target bench_dashboard >/dev/null
BIN=$BUILD/bench/dashboard/bench_dashboard

WORK=$(mktemp -d /tmp/bench-dashboard.XXXXXX)
ETCD_PID=
cleanup() {
    if [ -n "$ETCD_PID" ]; then
        kill "$ETCD_PID" 2>/dev/null || true
        wait "$ETCD_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CP=$(free_port)
PP=$(free_port)
while [ "$PP" = "$CP" ]; do PP=$(free_port); done
etcd --name bench --data-dir "$WORK/etcd" \
    --listen-client-urls "http://127.0.0.1:$CP" --advertise-client-urls "http://127.0.0.1:$CP" \
    --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
    --initial-cluster "bench=http://127.0.0.1:$PP" --heartbeat-interval 50 --election-timeout 500 \
    >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$CP/health" 2>/dev/null | grep -q '"health":"true"' && break
    kill -0 "$ETCD_PID" 2>/dev/null || { cat "$WORK/etcd.log" >&2; exit 1; }
    sleep 0.1
done
echo "etcd $(etcd --version | head -1 | awk '{print $3}') on 127.0.0.1:$CP"

export BENCH_COMMIT
BENCH_COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
export XDG_CONFIG_HOME=$WORK/config # the dashboard's QSettings stay out of the user's
cd "$REPO"
${BENCH_WRAPPER:-} "$BIN" --etcd "http://127.0.0.1:$CP" --out "$REPO/bench/out/dashboard.json" "$@"
