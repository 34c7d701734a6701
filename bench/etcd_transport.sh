#!/usr/bin/env bash
# The etcd transport (issue 14, bench/FINDINGS.md F11), for one or more agent builds side by
# side against the same dockerd and etcd:
#   1. an idle agent with 0 containers: VmRSS, Pss, Pss_Anon, Pss_File, and the resident kB of
#      libQt6Network (mapped either way; what counts is how much of it is touched);
#   2. one registration (docker run -P -> key in etcd) under strace -f: the read(2)/recvfrom
#      calls, how many of them read a single byte, and the etcd requests sent meanwhile.
#
#   bench/etcd_transport.sh AGENT [AGENT...]      (run as root; prints one block per agent)
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

start_dockerd
start_etcd
dk import -c 'EXPOSE 6379' -c 'CMD ["/bin/sleep","7200"]' - bench/sleeper <"$(_rootfs_tar)" >/dev/null

n=0
for agent in "$@"; do
    n=$((n + 1))
    host=transport$n
    PORTOLAN_BIN=$agent
    start_agent -hostname=$host -ip=127.0.0.1 "etcd://127.0.0.1:$ETCD_PORT/services"
    wait_for_log 'Connected to etcd' 20 || fail "$agent: not connected to etcd within 20 s"
    sleep 5 # idle: the first sync and lease grant are done
    echo "== $agent"
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
    wait_until 20 bash -c "ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$ETCD_PORT get --prefix /services/ --keys-only | grep -q ':reg$n:'" ||
        fail "$agent: reg$n not registered within 20 s"
    sleep 1
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null || true
    reads=$(grep -cE ' (read|recvfrom)\(' "$trace" || true)
    single=$(grep -cE ' (read|recvfrom)\([0-9]+, ".{1,4}", 1\) +=? *1$' "$trace" || true)
    requests=$(grep -cE '(write|writev|sendto|sendmsg)\(.*POST /v3' "$trace" || true)
    # 8-byte eventfd writes: one thread waking another's event loop (Qt's HTTP thread hops).
    wakeups=$(grep -cE ' write\([0-9]+, "\\1\\0\\0\\0\\0\\0\\0\\0", 8\)' "$trace" || true)
    threads=$(awk '{print $1}' "$trace" | sort -u | wc -l)
    echo "one registration: $reads read/recvfrom calls, $single of them single-byte; $requests etcd request(s); $wakeups eventfd wake-ups; system calls from $threads thread(s)"
    stop_agent
    dk rm -f "reg$n" >/dev/null
done
