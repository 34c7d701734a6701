#!/usr/bin/env bash
# etcd stops (SIGTERM) while the agent runs; a container stops and another starts meanwhile;
# once etcd is back on the same data dir, etcd must equal Docker's running set quickly and the
# agent must still be running.
source "$(dirname "$0")/lib.sh"

LIMIT_MS=${IT_ETCD_RECOVERY_LIMIT_MS:-3000} # target ~1 s; fail beyond this
start_dockerd
start_etcd
build_image example/redis 6379
start_agent -ip=10.0.0.5 -hostname=core-01 "etcd://127.0.0.1:$ETCD_PORT/services"
K=/services/redis/core-01
for c in redis.1 redis.2; do
    dk run -d --name "$c" -P example/redis >/dev/null
    expect_value "$K:$c:6379" "10.0.0.5:$(host_port "$c" 6379)" 15
done

stop_etcd
id1=$(id12 redis.1)
dk stop redis.1 >/dev/null
dk run -d --name redis.3 -P example/redis >/dev/null
sleep 3 # the agent keeps failing to reach etcd for a while
assert_agent_alive

start_etcd
t_up=$(now_ms)
if ! wait_until 15 etcd_matches_docker /services core-01 10.0.0.5; then
    etcd_matches_docker /services core-01 10.0.0.5 || true
    fail "etcd does not match Docker 15 s after etcd came back"
fi
conv_ms=$(($(now_ms) - t_up))
assert_agent_alive
[ "$conv_ms" -le "$LIMIT_MS" ] ||
    fail "etcd matched Docker only $conv_ms ms after etcd came back (limit $LIMIT_MS ms, target ~1 s)"
expect_log "removed: $id1 core-01:redis\.1:6379" 2
expect_log "added: $(id12 redis.3) core-01:redis\.3:6379" 2
wait_for_key /portolan/hosts/core-01 2 || fail "host record missing after etcd came back"
result "PASS etcd equals Docker ${conv_ms} ms after etcd came back (redis.1 removed, redis.3 added" \
    "while etcd was down ~3 s); agent alive"
