#!/usr/bin/env bash
# Profiles the agent where bench/run.sh found it slow or big (see bench/FINDINGS.md):
# callgrind over a startup sync of N running containers plus 20 start/die cycles (instruction
# counts are stable on a loaded machine), and the agent's resident memory by mapping.
#
#   bench/profile.sh [N]        (default N=100; run as root; writes bench/out/profile-*)
#
# PROFILE_OUT=DIR writes the files there instead (e.g. to keep a "before" profile apart).
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
N=${1:-100}
: "${PORTOLAN_BIN:=$REPO/build-bench/app/agent/portolan}"
export PORTOLAN_BIN PORTOLAN_IT_DEADLINE=${BENCH_DEADLINE:-900}
# shellcheck source=../tests/integration/lib.sh
source "$REPO/tests/integration/lib.sh"
need_root
need_tools valgrind callgrind_annotate
OUT=${PROFILE_OUT:-$BENCH_DIR/out}
mkdir -p "$OUT"

start_dockerd
start_etcd
dk import -c 'EXPOSE 6379' -c 'CMD ["/bin/sleep","7200"]' - bench/sleeper <"$(_rootfs_tar)" >/dev/null
# the harness's /24 bridge holds 253 containers
[ "$N" -le 200 ] || fail "N must be at most 200 here (bridge size)"
say "creating $N containers"
for i in $(seq 1 "$N"); do echo "p$i"; done | xargs -P 4 -I{} timeout 60 docker run -d --name {} -P bench/sleeper >/dev/null

services_at_least() { [ "$(ectl get --prefix /services/ --keys-only | grep -c .)" -ge "$1" ]; }

# 1. memory by mapping, idle with N services, no valgrind
start_agent -hostname=benchhost -ip=127.0.0.1 "etcd://127.0.0.1:$ETCD_PORT/services"
wait_until 60 services_at_least "$N" ||
    fail "agent did not register $N services"
sleep 3
{
    echo "# VmRSS by mapping (kB), agent idle with $N services"
    grep -E 'VmRSS|RssAnon|RssFile' "/proc/$AGENT_PID/status"
    grep -E '^(Pss|Pss_Anon|Pss_File):' "/proc/$AGENT_PID/smaps_rollup"
    awk '/^[0-9a-f]+-[0-9a-f]+ /{f=$6} /^Rss:/{r[f==""?"[anon]":f]+=$2} END{for(k in r) print r[k], k}' \
        "/proc/$AGENT_PID/smaps" | sort -rn | head -30
} >"$OUT/profile-rss.txt"
stop_agent
ectl del --prefix /services/ >/dev/null
ectl del --prefix /portolan/ >/dev/null

# 2. callgrind: start-up sync of N, then 20 start/die cycles
CG=$IT_DIR/callgrind.out
AGENT_LOG=$IT_DIR/agent.callgrind.log
valgrind --tool=callgrind --callgrind-out-file="$CG" --dump-instr=no --collect-systime=nsec \
    "$PORTOLAN_BIN" -hostname=benchhost -ip=127.0.0.1 "etcd://127.0.0.1:$ETCD_PORT/services" \
    >"$AGENT_LOG" 2>&1 </dev/null &
AGENT_PID=$!
wait_until 180 services_at_least "$N" ||
    fail "agent under callgrind did not register $N services"
for i in $(seq 1 20); do
    dk run -d --name "c$i" -P bench/sleeper >/dev/null
    wait_until 30 bash -c "ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$ETCD_PORT get --prefix /services/ --keys-only | grep -q ':c$i:'"
    dk kill "c$i" >/dev/null
done
sleep 2
stop_agent
callgrind_annotate --inclusive=yes "$CG" 2>/dev/null | sed -n 1,80p >"$OUT/profile-callgrind-inclusive.txt"
callgrind_annotate "$CG" 2>/dev/null | sed -n 1,60p >"$OUT/profile-callgrind-self.txt"
cp "$CG" "$OUT/callgrind.out.agent"
# One line to compare runs by: total instructions, and the agent's sync + 20 cycles in it.
{
    echo "binary: $PORTOLAN_BIN"
    grep -m1 -E '^[0-9,]+ .*PROGRAM TOTALS' "$OUT/profile-callgrind-self.txt"
    callgrind_annotate --inclusive=yes --threshold=100 "$CG" 2>/dev/null >"$IT_DIR/inclusive-all.txt"
    for f in 'RegistrationBridge::applyContainer' 'EtcdV3Registry::writeBatch' 'EtcdV3Registry::detailValue' \
        'DockerApiCall::start()' '(anonymous namespace)::makeResult' 'QJsonDocument::fromJson' \
        'QSslSocketPrivate::ensureInitialized' 'QThread::run'; do
        grep -m1 -F "$f" "$IT_DIR/inclusive-all.txt" || echo "(not seen: $f)"
    done
} >"$OUT/profile-summary.txt"
say "profiles in $OUT/profile-*.txt"
