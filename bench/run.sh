#!/usr/bin/env bash
# Portolan benchmark (issue 6): starts its own dockerd and etcd on loopback, measures the agent,
# prints one table and writes it, with a description of the machine, to docs/performance.md.
# Not part of the ctest suite. Run as root:
#
#   bench/run.sh
#
# Environment:
#   PORTOLAN_BIN        the agent to measure (default: build/refresh build-bench, RelWithDebInfo)
#   BENCH_QUICK=1       a short smoke run (small counts) that writes bench/out/quick.md instead
#   BENCH_OUT           where the work dir goes (default /tmp)
#   BENCH_DEADLINE      seconds before the run's own watchdog stops it (default 1800)
#   BENCH_AGENT_BEFORE  an earlier build of the agent: its sync and latency are measured in the
#                       same run (interleaved), and the report gets a "before -> after" table
#   BENCH_SYNC          the sync sizes, e.g. 300,1000 (default 100,300,1000; quick 20,50)
#   BENCH_DASHBOARD     0: do not run bench/dashboard/run.sh after a full run (default 1 when it
#                       exists); its bench/out/dashboard.json is included in the report either way
#   BENCH_PHASES        a comma-separated subset of floor,latency,plain,sync,idle,feed (default all);
#                       e.g. BENCH_PHASES=feed BENCH_SYNC=1000 measures only the feed with 1000
#                       services (about 4 min). A subset run writes bench/out/phases.md (or quick.md)
#                       and never docs/performance.md, and skips the dashboard bench
#   BENCH_FEED_REPS     the feed phase this many times, each with a fresh agent (default 1)
#   BENCH_ETCD_DATA     disk: etcd's data dir on the work dir's disk, as before issue 14. Default
#                       tmpfs (/dev/shm): with etcd on the disk dockerd writes container layers to,
#                       every write made while a container is torn down waits for the filesystem
#                       sync of that teardown (bench/FINDINGS.md F14), for any client
#
# Everything runs on loopback, every wait is bounded, and an EXIT trap removes the containers,
# dockerd, etcd, the agents and the bridge, even after a failure or Ctrl-C.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

if [ -z "${PORTOLAN_BIN:-}" ]; then
    echo "building portolan (RelWithDebInfo) in $REPO/build-bench ..."
    cmake -S "$REPO" -B "$REPO/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DPORTOLAN_DASHBOARD=OFF >/dev/null || exit 1
    cmake --build "$REPO/build-bench" --target portolan >/dev/null || exit 1
    export PORTOLAN_BIN=$REPO/build-bench/app/agent/portolan
fi
# What was measured: the working tree may hold other engineers' uncommitted changes.
BUILD_COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_DIRTY=$({ git -C "$REPO" diff --name-only HEAD -- backend app CMakeLists.txt
    git -C "$REPO" ls-files --others --exclude-standard -- backend app; } 2>/dev/null | sort -u | paste -sd ' ')
export PORTOLAN_IT_DEADLINE=${BENCH_DEADLINE:-1800}
export PORTOLAN_TEST_OUT=${BENCH_OUT:-/tmp}

# The integration harness: private dockerd, etcd, image building, bounded waits, EXIT trap.
# shellcheck source=../tests/integration/lib.sh
source "$REPO/tests/integration/lib.sh"

need_root
need_tools node npm ip flock c++

# The plain client (watchers, event reader, floors): plain sockets, built here, no Qt.
FLOOR_TOOL=$IT_DIR/floor
c++ -O2 -std=c++17 -Wall -Wextra -o "$FLOOR_TOOL" "$BENCH_DIR/floor/floor.cpp" || fail "building bench/floor failed"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    COUNTS=(--floor-n 30 --latency-n 20 --sync "${BENCH_SYNC:-20,50}" --reps 1 --idle-s 5 --clients 10 --probes 5)
    REPORT=$BENCH_DIR/out/quick.md
    RAW=$BENCH_DIR/out/quick-results.json
else
    COUNTS=(--floor-n 200 --latency-n 200 --sync "${BENCH_SYNC:-100,300,1000}" --reps 3 --idle-s 60 --clients 100 --probes 50)
    REPORT=$REPO/docs/performance.md
    RAW=$BENCH_DIR/out/results.json   # raw samples of the run behind docs/performance.md
fi
COUNTS+=(--feed-reps "${BENCH_FEED_REPS:-1}")
if [ -n "${BENCH_PHASES:-}" ]; then
    COUNTS+=(--phases "$BENCH_PHASES")
    if [ "${BENCH_QUICK:-0}" != 1 ]; then
        REPORT=$BENCH_DIR/out/phases.md
        RAW=$BENCH_DIR/out/phases-results.json
    fi
fi

# Before the harness's teardown: stop whatever the driver started (by pid), then stop dockerd
# with its containers (a 1 s shutdown timeout: `sleep` as pid 1 ignores SIGTERM), which is far
# quicker than removing 1000 containers one by one.
bench_cleanup() {
    set +eE
    local pid
    if [ -n "${DRIVER_PID:-}" ]; then _stop_pid "$DRIVER_PID" 15; fi
    if [ -f "$IT_DIR/bench-children.pids" ]; then
        while read -r pid; do
            [ -n "$pid" ] && _stop_pid "$pid" 5
        done <"$IT_DIR/bench-children.pids"
    fi
    if [ -n "$DOCKERD_PID" ] && _pid_alive "$DOCKERD_PID"; then
        say "stopping dockerd and its containers"
        kill -TERM "$DOCKERD_PID" 2>/dev/null
        wait_pid_exit "$DOCKERD_PID" 180 || kill -KILL "$DOCKERD_PID" 2>/dev/null
    fi
    if [ -n "${ETCD_TMPFS:-}" ]; then
        [ -n "$ETCD_PID" ] && _stop_pid "$ETCD_PID" 10
        rm -rf "$ETCD_TMPFS"
    fi
}
trap 'rc=$?; bench_cleanup; (exit $rc); _teardown' EXIT

# ---------------------------------------------------------------- set-up

if [ ! -d "$BENCH_DIR/node_modules/ws" ]; then
    say "installing the WebSocket client (bench/package.json)"
    (cd "$BENCH_DIR" && timeout 300 npm ci --no-audit --no-fund >/dev/null) || fail "npm ci failed in $BENCH_DIR"
fi

DOCKER_DATA=$IT_DIR/docker-data
DOCKER_RUN=$(mktemp -d /tmp/ptl.XXXXXX)
echo "$IT_DIR" >"$DOCKER_RUN/owner"
# No docker-proxy process per published port (ports are still allocated and reported).
echo '{"userland-proxy": false, "shutdown-timeout": 1}' >"$DOCKER_RUN/daemon.json"
mkdir -p "$DOCKER_DATA"
# A /20 bridge instead of the harness's /24: 1000 containers need more than 253 addresses.
_make_bridge ptlbench 214 20 0 15
_record_run
start_dockerd
if [ "${BENCH_ETCD_DATA:-tmpfs}" != disk ]; then
    ETCD_TMPFS=$(mktemp -d /dev/shm/portolan-bench-etcd.XXXXXX)
    ETCD_PORTS=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 2)
    ETCD_PORT=${ETCD_PORTS% *}
    ETCD_PEER_PORT=${ETCD_PORTS#* }
    ETCD_DATA=$ETCD_TMPFS/data
    ETCD_FLAGS=(--quota-backend-bytes=$((1024 * 1024 * 1024)))
    start_etcd
    say "etcd's data on tmpfs ($ETCD_TMPFS)"
else
    start_etcd --quota-backend-bytes=$((1024 * 1024 * 1024))
fi

dk import -c 'EXPOSE 6379' -c 'CMD ["/bin/sleep","7200"]' - bench/sleeper <"$(_rootfs_tar)" >/dev/null ||
    fail "docker import of bench/sleeper failed"
FEED_PORT=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 1)

start_helper "$IT_DIR/loadavg.log" bash -c \
    'for i in $(seq 720); do echo "$(date +%s) $(cut -d" " -f1-3 /proc/loadavg)"; sleep 5; done'

# ---------------------------------------------------------------- measurements

if [ -n "${BENCH_AGENT_BEFORE:-}" ]; then
    [ -x "$BENCH_AGENT_BEFORE" ] || fail "BENCH_AGENT_BEFORE=$BENCH_AGENT_BEFORE is not an executable"
    COUNTS+=(--agent-before "$BENCH_AGENT_BEFORE")
fi

BENCH_STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
say "measuring (see $IT_DIR for logs) ..."
"$IT_PY" "$BENCH_DIR/bench.py" run --sock "$DOCKER_RUN/docker.sock" --etcd "$ETCD_PORT" \
    --agent "$PORTOLAN_BIN" --floor-tool "$FLOOR_TOOL" --work "$IT_DIR" --out "$IT_DIR/results.json" --feed-port "$FEED_PORT" \
    "${COUNTS[@]}" </dev/null &
DRIVER_PID=$!
IT_PIDS+=("$DRIVER_PID")
wait "$DRIVER_PID" || fail "the benchmark driver failed (log above)"
DRIVER_PID=""

# The dashboard's models and views (bench/dashboard, its own etcd; see its README). Its figures
# land in bench/out/dashboard.json, which the report includes.
if [ "${BENCH_QUICK:-0}" != 1 ] && [ -z "${BENCH_PHASES:-}" ] && [ "${BENCH_DASHBOARD:-1}" = 1 ] && [ -x "$BENCH_DIR/dashboard/run.sh" ]; then
    say "dashboard bench (bench/dashboard/run.sh) ..."
    "$BENCH_DIR/dashboard/run.sh" </dev/null || say "the dashboard bench failed; the report uses the last bench/out/dashboard.json if any"
fi

mkdir -p "$(dirname "$REPORT")"
"$IT_PY" "$BENCH_DIR/report.py" --results "$IT_DIR/results.json" --loadavg "$IT_DIR/loadavg.log" \
    --agent "$PORTOLAN_BIN" --repo "$REPO" --started "$BENCH_STARTED" --out "$REPORT" \
    --build-commit "$BUILD_COMMIT" --build-dirty "$BUILD_DIRTY" \
    --dashboard "$BENCH_DIR/out/dashboard.json" ||
    fail "report failed"
mkdir -p "$BENCH_DIR/out"
cp "$IT_DIR/results.json" "$RAW"
say "table written to $REPORT, raw samples in $RAW"
