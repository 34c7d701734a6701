# shellcheck shell=bash
# The registrator acceptance scenario, shared by basic_etcd3.sh (BASIC_API=v3) and
# basic_etcd2.sh (BASIC_API=v2): start-up sync, docker run, docker stop, SIGTERM of the agent.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_dockerd
if [ "$BASIC_API" = v2 ]; then
    start_etcd --enable-v2
    REGISTRY_API=v2
    URI=etcd2://127.0.0.1:$ETCD_PORT/services
else
    start_etcd
    URI=etcd://127.0.0.1:$ETCD_PORT/services
fi
build_image example/redis 6379
K=/services/redis/core-01

# A container that runs before the agent starts is registered by the start-up sync.
dk run -d --name early.1 -P example/redis >/dev/null
start_agent -ip=10.0.0.5 -hostname=core-01 "$URI"
expect_value "$K:early.1:6379" "10.0.0.5:$(host_port early.1 6379)" 15
sync_ms=$(($(now_ms) - AGENT_START_MS))
expect_log "added: $(id12 early.1) core-01:early\.1:6379"

declare -A run_ms
for c in redis.1 redis.2; do
    dk run -d --name "$c" -P example/redis >/dev/null
    t=$(now_ms)
    expect_value "$K:$c:6379" "10.0.0.5:$(host_port "$c" 6379)" 10
    run_ms[$c]=$(($(now_ms) - t))
    expect_log "added: $(id12 "$c") core-01:${c/./\\.}:6379"
    say "$c registered ${run_ms[$c]} ms after docker run returned"
done

if [ "$BASIC_API" = v2 ]; then
    ttl=$(curl -s -m 5 "http://127.0.0.1:$ETCD_PORT/v2/keys$K:redis.1:6379" |
        "$IT_PY" "$IT_LIB_DIR/ittool.py" v2-ttl) || fail "$K:redis.1:6379 has no TTL (default -ttl is 30)"
    [ "$ttl" -gt 0 ] && [ "$ttl" -le 30 ] || fail "$K:redis.1:6379 TTL is $ttl, expected 1..30"
    lease_note="key TTL ${ttl}s"
else
    # Service keys, detail records and the host record share the agent's lease (TTL = -ttl).
    lease=$(ectl get -w json "$K:redis.1:6379" | "$IT_PY" "$IT_LIB_DIR/ittool.py" v3-leases | cut -f2)
    [ -n "$lease" ] && [ "$lease" != 0 ] || fail "$K:redis.1:6379 is not attached to a lease"
    granted=$(ectl lease timetolive "$lease" | sed -n 's/.*granted with TTL(\([0-9]*\)s).*/\1/p')
    assert_eq "$granted" 30 "granted TTL of lease $lease (default -ttl)"
    host_lease=$(ectl get -w json /portolan/hosts/core-01 | "$IT_PY" "$IT_LIB_DIR/ittool.py" v3-leases | cut -f2)
    assert_eq "$host_lease" "$lease" "lease of the host record /portolan/hosts/core-01"
    etcd_get_prefix /portolan/services/core-01/ >"$IT_DIR/details.txt"
    details=$(wc -l <"$IT_DIR/details.txt")
    [ "$details" -ge 3 ] || fail "expected 3 detail records under /portolan/services/core-01/, found $details"
    "$IT_PY" "$IT_LIB_DIR/ittool.py" detail-check --container redis.1 --name redis <"$IT_DIR/details.txt" ||
        fail "no usable detail record for redis.1"
    for l in $(ectl get -w json --prefix /portolan/services/core-01/ | "$IT_PY" "$IT_LIB_DIR/ittool.py" v3-leases | cut -f2); do
        assert_eq "$l" "$lease" "lease of a detail record"
    done
    lease_note="lease $lease TTL 30s shared by $details detail records and the host record"
fi

# docker stop -> key gone and a removed: line; the other container stays.
id1=$(id12 redis.1)
t=$(now_ms)
dk stop redis.1 >/dev/null
stop_ms=$(($(now_ms) - t))
expect_no_key "$K:redis.1:6379" 10
gone_ms=$(($(now_ms) - t))
expect_log "removed: $id1 core-01:redis\.1:6379"
wait_for_value "$K:redis.2:6379" "10.0.0.5:$(host_port redis.2 6379)" 0 ||
    fail "redis.2 must stay registered after redis.1 stopped"
expect_etcd_matches_docker /services core-01 10.0.0.5 5
if [ "$BASIC_API" = v3 ]; then
    _no_detail_for() { ! etcd_get_prefix /portolan/services/core-01/ | grep -q "$1"; }
    wait_until 5 _no_detail_for ':redis\.1:\|"redis\.1"\|/redis\.1"' ||
        fail "a detail record still mentions redis.1 after it stopped"
fi
assert_agent_alive

# SIGTERM: clean exit, keys stay (the lease or key TTL expires them later).
kill -TERM "$AGENT_PID"
wait_pid_exit "$AGENT_PID" 10 || fail "agent did not exit within 10 s of SIGTERM"
rc=0
wait "$AGENT_PID" 2>/dev/null || rc=$?
AGENT_PID=""
assert_eq "$rc" 0 "agent exit status after SIGTERM"
wait_for_value "$K:redis.2:6379" "10.0.0.5:$(host_port redis.2 6379)" 0 ||
    fail "SIGTERM must not deregister: $K:redis.2:6379 is gone"

result "PASS early.1 registered by start-up sync ${sync_ms} ms after agent start;" \
    "redis.1 ${run_ms[redis.1]} ms, redis.2 ${run_ms[redis.2]} ms after docker run;" \
    "redis.1 gone ${gone_ms} ms after docker stop began (stop took ${stop_ms} ms); $lease_note;" \
    "keys kept after SIGTERM (exit 0)"
