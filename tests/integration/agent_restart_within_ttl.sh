#!/usr/bin/env bash
# An agent killed and restarted within its TTL takes its keys over without a gap: a watcher on
# etcd sees no DELETE for them, and after 2 x TTL they are still there on the new lease.
source "$(dirname "$0")/lib.sh"

TTL=5
start_dockerd
start_etcd
build_image example/redis 6379
ARGS=(-ttl=$TTL -ip=10.0.0.5 -hostname=core-01 "etcd://127.0.0.1:$ETCD_PORT/services")
start_agent "${ARGS[@]}"
K=/services/redis/core-01
for c in redis.1 redis.2; do
    dk run -d --name "$c" -P example/redis >/dev/null
    expect_value "$K:$c:6379" "10.0.0.5:$(host_port "$c" 6379)" 15
done
wait_for_key /portolan/hosts/core-01 5 || fail "no host record /portolan/hosts/core-01"
lease_of() { ectl get -w json "$1" | "$IT_PY" "$IT_LIB_DIR/ittool.py" v3-leases | cut -f2; }
old_lease=$(lease_of "$K:redis.1:6379")

start_helper "$IT_DIR/watch.txt" env ETCDCTL_API=3 etcdctl --endpoints="http://127.0.0.1:$ETCD_PORT" watch --prefix /
# etcdctl may take a while to open its watch on a busy machine: probe until it reports one.
probe_watch() { ectl put /it-probe/ready 1 >/dev/null && grep -q /it-probe/ready "$IT_DIR/watch.txt"; }
wait_until 15 probe_watch || fail "etcdctl watch did not start within 15 s"

kill_agent
t_kill=$(now_ms)
start_agent "${ARGS[@]}"
restart_ms=$(($(now_ms) - t_kill))

# Watch the keys every 100 ms for 2 x TTL after the kill.
end=$((t_kill + 2 * TTL * 1000))
while [ "$(now_ms)" -lt "$end" ]; do
    for c in redis.1 redis.2; do
        wait_for_key "$K:$c:6379" 0 ||
            fail "$K:$c:6379 vanished $(($(now_ms) - t_kill)) ms after the SIGKILL although the agent was restarted after $restart_ms ms"
    done
    assert_agent_alive
    sleep 0.1
done
sleep 0.3 # let the watcher write out the last events
if grep -A1 '^DELETE$' "$IT_DIR/watch.txt" | grep -E '^/(services|portolan)/'; then
    fail "the watcher saw DELETE events (above) for the agent's keys across the restart"
fi
puts=$(grep -A1 '^PUT$' "$IT_DIR/watch.txt" | grep -cE '^/(services|portolan)/' || true)
new_lease=$(lease_of "$K:redis.1:6379")
assert_eq "$(lease_of "$K:redis.2:6379")" "$new_lease" "lease of redis.2 after the restart"
assert_eq "$(lease_of /portolan/hosts/core-01)" "$new_lease" "lease of the host record after the restart"
remaining=$(ectl lease timetolive "$new_lease" | sed -n 's/.*remaining(\(-\?[0-9]*\)s).*/\1/p')
[ -n "$remaining" ] && [ "$remaining" -gt 0 ] || fail "lease $new_lease of the keys is not alive (remaining '${remaining}')"
if [ "$new_lease" = "$old_lease" ]; then
    lease_note="the new agent kept lease $old_lease alive"
else
    lease_note="keys moved from lease $old_lease to $new_lease"
fi
expect_etcd_matches_docker /services core-01 10.0.0.5 2
result "PASS agent restarted ${restart_ms} ms after SIGKILL (-ttl=$TTL); keys present for 2 x TTL," \
    "watcher saw $puts PUT and 0 DELETE of the agent's keys; $lease_note"
