#!/usr/bin/env bash
# The etcd transport (issue 14, bench/FINDINGS.md F11), for one or more agent builds side by
# side against the same dockerd and etcd:
#   1. an idle agent with 0 containers: VmRSS, Pss, Pss_Anon, Pss_File, and the resident kB of
#      libQt6Network (mapped either way; what counts is how much of it is touched);
#   2. one registration (docker run -P -> key in etcd) under strace -f: the read(2)/recvfrom
#      calls, how many of them read a single byte, and the etcd requests sent meanwhile;
#   3. BENCH_RUNS (20) more containers started one by one: Docker's `start` event in a plain
#      reader's hands -> the key in a plain etcd watch (bench/floor), p50/p90/max, with the load.
#
#   bench/etcd_transport.sh AGENT [AGENT...]      (run as root; prints one block per agent)
#   BENCH_API=v2 bench/etcd_transport.sh ...      the same through etcd2:// (the v2 keys API)
#
# Everything on loopback; the harness's EXIT trap removes dockerd, etcd and the agents.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
[ $# -ge 1 ] || {
    echo "usage: $0 AGENT [AGENT...]" >&2
    exit 2
}
export PORTOLAN_BIN=$1 PORTOLAN_IT_DEADLINE=${BENCH_DEADLINE:-300}
# shellcheck source=../tests/integration/lib.sh
source "$REPO/tests/integration/lib.sh"
need_root
need_tools strace

FLOOR=$IT_DIR/floor
c++ -O2 -std=c++17 -Wall -Wextra -o "$FLOOR" "$BENCH_DIR/floor/floor.cpp" || fail "building bench/floor failed"
RUNS=${BENCH_RUNS:-20}

start_dockerd
if [ "${BENCH_API:-v3}" = v2 ]; then
    start_etcd --enable-v2
    SCHEME=etcd2 WATCH=watch2 WATCH_PREFIX=/services REQUEST=' /v2/keys/'
    registered() { curl -sf -m 2 "http://127.0.0.1:$ETCD_PORT/v2/keys/services?recursive=true" | grep -q ":$1:"; }
else
    start_etcd
    SCHEME=etcd WATCH=watch WATCH_PREFIX=/services/ REQUEST='POST /v3'
    registered() { ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$ETCD_PORT" get --prefix /services/ --keys-only | grep -q ":$1:"; }
fi
both_ready() { grep -q READY "$1" && grep -q READY "$2"; }
dk import -c 'EXPOSE 6379' -c 'CMD ["/bin/sleep","7200"]' - bench/sleeper <"$(_rootfs_tar)" >/dev/null

n=0
for agent in "$@"; do
    n=$((n + 1))
    host=transport$n
    PORTOLAN_BIN=$agent
    start_agent -hostname=$host -ip=127.0.0.1 "$SCHEME://127.0.0.1:$ETCD_PORT/services"
    wait_for_log 'Connected to etcd' 20 || fail "$agent: not connected to etcd within 20 s"
    sleep 5 # idle: the first sync and lease grant are done
    echo "== $agent ($SCHEME)"
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
    grep -E '^(VmRSS|Threads)' "/proc/$AGENT_PID/status"
    grep -E '^(Rss|Pss|Pss_Anon|Pss_File):' "/proc/$AGENT_PID/smaps_rollup"
    awk '/^[0-9a-f]+-[0-9a-f]+ /{f=$6} /^Rss:/{if (f ~ /libQt6Network/) r+=$2} END{print "libQt6Network Rss:", r+0, "kB"}' \
        "/proc/$AGENT_PID/smaps"

    trace=$IT_DIR/strace.$n
    strace -f -qq -s 16 -e trace=read,recvfrom,write,writev,sendto,sendmsg -o "$trace" -p "$AGENT_PID" &
    tracer=$!
    sleep 1
    dk run -d --name "reg$n" -P bench/sleeper >/dev/null
    wait_until 20 registered "reg$n" ||
        fail "$agent: reg$n not registered within 20 s"
    sleep 1
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null || true
    reads=$(grep -cE ' (read|recvfrom)\(' "$trace" || true)
    single=$(grep -cE ' (read|recvfrom)\([0-9]+, ".{1,4}", 1\) +=? *1$' "$trace" || true)
    requests=$(grep -cE "(write|writev|sendto|sendmsg)\\(.*$REQUEST" "$trace" || true)
    # 8-byte eventfd writes: one thread waking another's event loop (Qt's HTTP thread hops).
    wakeups=$(grep -cE ' write\([0-9]+, "\\1\\0\\0\\0\\0\\0\\0\\0", 8\)' "$trace" || true)
    threads=$(awk '{print $1}' "$trace" | sort -u | wc -l)
    echo "one registration: $reads read/recvfrom calls, $single of them single-byte; $requests etcd request(s); $wakeups eventfd wake-ups; system calls from $threads thread(s)"

    # 3. start event -> key, one container at a time (each waits for its key).
    "$FLOOR" events --sock "$DOCKER_RUN/docker.sock" >"$IT_DIR/events.$n" &
    events=$!
    "$FLOOR" "$WATCH" --etcd "$ETCD_PORT" --prefix "$WATCH_PREFIX" >"$IT_DIR/watch.$n" &
    watcher=$!
    wait_until 10 both_ready "$IT_DIR/events.$n" "$IT_DIR/watch.$n" || fail "bench/floor readers did not start"
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    for i in $(seq 1 "$RUNS"); do
        dk run -d --name "lat$n-$i" -P bench/sleeper >/dev/null
        wait_until 20 grep -q ":lat$n-$i:" "$IT_DIR/watch.$n" || fail "$agent: lat$n-$i not in the watch within 20 s"
    done
    load_after=$(cut -d' ' -f1-3 /proc/loadavg)
    kill "$events" "$watcher"
    "$IT_PY" - "$IT_DIR/events.$n" "$IT_DIR/watch.$n" "$RUNS" <<'PY'
import sys
start = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 4 and f[2] == "start":
        start.setdefault(f[3], int(f[1]))
ms = []
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 3 and f[1] == "PUT":
        name = f[2].rsplit("/", 1)[-1].split(":")[1]
        if name in start:
            ms.append((int(f[0]) - start.pop(name)) / 1e6)
ms.sort()
if len(ms) != int(sys.argv[3]):
    sys.exit(f"matched {len(ms)} of {sys.argv[3]} registrations")
pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
print(f"start event -> key in a watch, {len(ms)} containers: p50 {pick(0.5):.2f} ms, p90 {pick(0.9):.2f} ms, max {ms[-1]:.2f} ms")
PY
    echo "load during the $RUNS registrations: $load_before -> $load_after"
    stop_agent
    dk rm -f "reg$n" $(seq -f "lat$n-%g" 1 "$RUNS") >/dev/null
done
