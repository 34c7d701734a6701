#!/usr/bin/env bash
# SIGKILL of the agent leaves its keys to the lease: still there right after, gone within
# -ttl plus a margin (etcd checks lease expiry every 500 ms), host and detail records included.
source "$(dirname "$0")/lib.sh"

TTL=3
start_dockerd
start_etcd
build_image example/redis 6379
start_agent -ttl=$TTL -ip=10.0.0.5 -hostname=core-01 "etcd://127.0.0.1:$ETCD_PORT/services"
dk run -d --name redis.1 -P example/redis >/dev/null
KEY=/services/redis/core-01:redis.1:6379
expect_value "$KEY" "10.0.0.5:$(host_port redis.1 6379)" 15
wait_for_key /portolan/hosts/core-01 5 || fail "no host record /portolan/hosts/core-01"
sleep 2 # a keep-alive or two: the lease must outlive its first TTL while the agent runs
wait_for_key "$KEY" 0 || fail "$KEY vanished while the agent was running (keep-alive missing?)"

kill_agent
t_kill=$(now_ms)
AGENT_PID=""
wait_for_key "$KEY" 0 || fail "$KEY vanished right after SIGKILL; it must live until the lease expires"
wait_for_key /portolan/hosts/core-01 0 || fail "the host record vanished right after SIGKILL"

limit=$((TTL + 2))
wait_for_no_key "$KEY" "$limit" || fail "$KEY still there $limit s after SIGKILL (-ttl=$TTL)"
gone_ms=$(($(now_ms) - t_kill))
[ "$gone_ms" -ge 1000 ] || fail "$KEY vanished $gone_ms ms after SIGKILL: sooner than a $TTL s lease allows"
wait_for_no_key /portolan/hosts/core-01 1 || fail "host record outlived the service key"
left=$(etcd_get_prefix /portolan/ | wc -l)
assert_eq "$left" 0 "records left under /portolan/ after the lease expired"
leases=$(ectl lease list | grep -c '^[0-9a-f]\{8,\}$' || true)
assert_eq "$leases" 0 "leases left in etcd"
result "PASS keys present right after SIGKILL; gone ${gone_ms} ms after it (-ttl=$TTL, limit ${limit} s);" \
    "host and detail records gone with them"
