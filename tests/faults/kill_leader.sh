#!/usr/bin/env bash
# timeout: 900
# Issue 5, scenario 1: a three-member etcd cluster on loopback; the agent knows all three
# endpoints. While containers are started and removed in a stream (50 containers with four
# published ports each = 200 registrations; soak: 200 = 800), the current leader is SIGKILLed.
# Asserts: a new leader is elected, the agent stays up, every registration the churn asked for
# reached etcd (etcd's history, replayed from revision 1), every key of a removed container was
# deleted, and at the end etcd equals Docker's running set (service keys, detail records under
# /portolan/services/<host>/, host record) with no duplicate. Measured and printed: the new
# leader's election time, the agent's first write after the kill, the registration delays of
# containers started around the kill, and the convergence time after the churn ended.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/clusterlib.sh"
fault_deadline 200

HOST=core-01
COUNT=50 WINDOW=8 PAUSE=0.1 KILL_AT=20 # x 4 published ports = 200 registrations
[ "$SOAK" = 1 ] && COUNT=200 KILL_AT=60
# docker run takes 0.5-1.7 s per container here under load: bounds scale with the counts

start_dockerd
start_etcd_cluster
build_churn_image
start_agent -ttl=10 -ip=10.0.0.5 -hostname=$HOST "$(ec_registry_uri /services)"
expect_log 'Connected to etcd' 20
wait_for_key /portolan/hosts/$HOST 15 || fail "no host record /portolan/hosts/$HOST"

old_leader=$(ec_leader) || fail "no etcd leader before the fault"
follower=""
for n in "${EC_NAMES[@]}"; do [ "$n" != "$old_leader" ] && [ -z "$follower" ] && follower=$n; done
watch_start live "http://127.0.0.1:${EC_PORT[$follower]}" /
say "leader $old_leader; watching through follower $follower"

churn_start ch "$COUNT" "$WINDOW" "$PAUSE"
wait_until $((KILL_AT * 5)) eval '[ "$(churn_started)" -ge '"$KILL_AT"' ]' ||
    fail "churn started only $(churn_started) containers in $((KILL_AT * 5)) s"
kill_member "$old_leader" KILL
t_kill=$(now_ms)
_new_leader() { NEW_LEADER=$(ec_leader) && [ "$NEW_LEADER" != "$old_leader" ]; }
wait_until 30 _new_leader || fail "no new leader within 30 s of killing $old_leader"
elect_ms=$WAITED_MS
say "new leader $NEW_LEADER after $elect_ms ms"
assert_agent_alive

churn_wait $((COUNT * 4))
t_churn_end=$(now_ms)
wait_converged $HOST /services 30
conv_ms=$WAITED_MS
assert_agent_alive

history_dump "$IT_DIR/history.txt" /services/
hist=$(churn_report $HOST /services "$IT_DIR/history.txt")
live=$(churn_report $HOST /services "$IT_DIR/watch.live.txt" "$t_kill")
say "etcd history: $(grep -v lost_key <<<"$hist" | tr '\n' ' ')"
say "live watch: $(grep -v lost_key <<<"$live" | tr '\n' ' ')"
expected=$(av expected "$hist")
started=$(churn_started)
[ "$started" = "$COUNT" ] || fail "the churn started only $started of $COUNT containers (see $CHURN_LOG)"
assert_eq "$expected" $((COUNT * ${#CHURN_PORTS[@]})) "registrations asked for"
lost=$(av lost "$hist")
[ "$lost" = 0 ] || fail "$lost of $expected registrations never reached etcd: $(grep lost_key <<<"$hist" | head -n 5 | tr '\n' ' ')"
assert_eq "$(av deleted "$hist")" "$(av stopped_keys "$hist")" "keys of removed containers that etcd deleted"
dups=$(($(av dup_ids "$AUDIT") + $(av extra "$AUDIT")))
first_ms=$(av first_write_after_ms "$live")
fault_max=$(av fault_delay_max_ms "$live")
[ "$first_ms" -ge 0 ] || fail "the live watcher saw no write under /services after the kill"
grep -qiE 'unreachable after|exiting' "$AGENT_LOG" && fail "the agent gave up on etcd (log above)"
etcd_lines=$(grep -i 'retrying' "$AGENT_LOG" | grep -vci docker || true)

result "$lost lost of $expected registrations, $dups duplicated; agent writes resumed $(ms_s "$first_ms") s after the kill," \
    "changes around the kill reached etcd within $(ms_s "$fault_max") s; etcd = Docker $(ms_s "$conv_ms") s after the churn ended" \
    "(leader $old_leader killed, new leader $NEW_LEADER in $(ms_s "$elect_ms") s; $(av dup_puts "$hist") rewrites;" \
    "$etcd_lines agent log lines about etcd)"
