#!/usr/bin/env bash
# The agent's lease disappears under it (revoked by an operator, or expired during a long
# partition): every key on it is deleted at once. The next keep-alive gets no TTL back, so the
# agent must grant a new lease and write everything again, within about one refresh interval.
source "$(dirname "$0")/lib.sh"

TTL=6 # keep-alive every TTL/3 = 2 s by default
start_dockerd
start_etcd
build_image example/redis 6379
start_agent -ttl=$TTL -ip=10.0.0.5 -hostname=core-01 "etcd://127.0.0.1:$ETCD_PORT/services"
for c in redis.1 redis.2; do
    dk run -d --name "$c" -P example/redis >/dev/null
    expect_value "/services/redis/core-01:$c:6379" "10.0.0.5:$(host_port "$c" 6379)" 15
done
wait_for_key /portolan/hosts/core-01 5 || fail "no host record /portolan/hosts/core-01"
lease=$(ectl get -w json /services/redis/core-01:redis.1:6379 | "$IT_PY" "$IT_LIB_DIR/ittool.py" v3-leases | cut -f2)

ectl lease revoke "$lease" >/dev/null
t=$(now_ms)
wait_for_no_key /services/redis/core-01:redis.1:6379 0 || fail "revoking lease $lease left the keys in place"
if ! wait_until $((TTL + 2)) etcd_matches_docker /services core-01 10.0.0.5; then
    etcd_matches_docker /services core-01 10.0.0.5 || true
    fail "keys not written again within $((TTL + 2)) s after their lease $lease was revoked"
fi
back_ms=$(($(now_ms) - t))
wait_for_key /portolan/hosts/core-01 2 || fail "host record not written again after the lease was revoked"
new_lease=$(ectl get -w json /services/redis/core-01:redis.1:6379 | "$IT_PY" "$IT_LIB_DIR/ittool.py" v3-leases | cut -f2)
[ "$new_lease" != "$lease" ] && [ "$new_lease" != 0 ] || fail "keys are not on a new lease (lease '$new_lease')"
sleep $((TTL + 1)) # the new lease must be kept alive too
expect_etcd_matches_docker /services core-01 10.0.0.5 1
assert_agent_alive
result "PASS lease $lease revoked: all keys back ${back_ms} ms later on lease $new_lease (-ttl=$TTL)," \
    "still there one TTL later"
