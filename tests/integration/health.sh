#!/usr/bin/env bash
# Docker's HEALTHCHECK in the registry (docs/compatibility.md, -register-healthy): a container
# started with --health-cmd 'test -f /tmp/ok' shows "starting", then "unhealthy" and "healthy" in
# its detail record as the test creates and removes /tmp/ok with docker exec; without the flag
# its registrator key stays whatever the health. The agent restarted with -register-healthy
# removes the key while the container is unhealthy (the earlier run's key included), writes it
# once healthy, removes it again when unhealthy; a new container has no key while "starting"; a
# container without a healthcheck keeps its key throughout, and the agent's feed shows each change
# as "changed". Prints the latency from Docker's health_status event to the detail record's change
# in etcd.
source "$(dirname "$0")/lib.sh"

start_dockerd
start_etcd
build_image example/web 80
P=/portolan/services/core-01
K=/services/web/core-01
AGENT_ARGS=(-hostname=core-01 -ip=127.0.0.1 -ttl=30)
URI=etcd://127.0.0.1:$ETCD_PORT/services

# Docker's health_status events ("<timeNano> <name> health_status: <state>") and every change
# to the detail records, each line stamped on arrival (microseconds), for the latency figures.
start_helper "$IT_DIR/events.txt" docker events --filter type=container --filter event=health_status \
    --format '{{.TimeNano}} {{.Actor.Attributes.name}} {{.Action}}'
start_helper "$IT_DIR/watch.txt" bash -c "ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:$ETCD_PORT \
    watch --prefix $P/ | while IFS= read -r l; do printf '%s %s\n' \"\${EPOCHREALTIME/./}\" \"\$l\"; done"
probe_watch() { ectl put "$P/it-probe" 1 >/dev/null && grep -q "$P/it-probe" "$IT_DIR/watch.txt"; }
wait_until 15 probe_watch || fail "etcdctl watch did not start within 15 s"
ectl del "$P/it-probe" >/dev/null

# health_of NAME: the "health" of container NAME's detail record (empty when there is none).
health_of() {
    etcd_get "$P/core-01:$1:80" 2>/dev/null |
        "$IT_PY" -c 'import json,sys; print(json.load(sys.stdin).get("health",""))' 2>/dev/null
}
_health_is() { [ "$(health_of "$1")" = "$2" ]; }
expect_health() { # NAME STATE TIMEOUT_S
    wait_until "$3" _health_is "$1" "$2" ||
        fail "expected health \"$2\" for $1 within $3 s; its detail record: $(etcd_get "$P/core-01:$1:80" || echo '<absent>')"
    say "$1: health $2 in etcd after $WAITED_MS ms"
}
# The probe runs every second; --health-start-period keeps the first failures "starting" long
# enough to see that state, and --health-retries 1 turns one failure into "unhealthy".
run_checked() {
    dk run -d --name "$1" -P --health-cmd 'test -f /tmp/ok' --health-interval 1s \
        --health-retries 1 --health-start-period 3s example/web >/dev/null
}
ok_on() { dk exec "$1" sh -c ': > /tmp/ok'; }
ok_off() { dk exec "$1" busybox rm -f /tmp/ok; }

say "phase 1: default agent, the health is recorded and the key is unaffected"
start_agent "${AGENT_ARGS[@]}" "$URI"
run_checked web.1
dk run -d --name plain.1 -P example/web >/dev/null
expect_health web.1 starting 10
expect_value "$K:web.1:80" "127.0.0.1:$(host_port web.1 80)" 5
expect_health plain.1 none 10
expect_health web.1 unhealthy 15
ok_on web.1
expect_health web.1 healthy 10
ok_off web.1
expect_health web.1 unhealthy 10
expect_value "$K:web.1:80" "127.0.0.1:$(host_port web.1 80)" 5
expect_log 'health: [0-9a-f]{12} core-01:web\.1:80 unhealthy \(was healthy\)$' 5
stop_agent

say "phase 2: -register-healthy"
FEED_PORT=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 1)
start_agent -register-healthy -feed=127.0.0.1:$FEED_PORT "${AGENT_ARGS[@]}" "$URI"
expect_log 'added: [0-9a-f]{12} core-01:web\.1:80 \(unhealthy: registrator key withheld until healthy\)$' 15
# The key the first run wrote is on that run's lease (30 s): only the agent can remove it now.
expect_no_key "$K:web.1:80" 5
say "web.1 unhealthy: the first run's registrator key gone ${WAITED_MS} ms after the agent logged web.1"
expect_health web.1 unhealthy 5
expect_value "$K:plain.1:80" "127.0.0.1:$(host_port plain.1 80)" 5
ok_on web.1
expect_health web.1 healthy 10
expect_value "$K:web.1:80" "127.0.0.1:$(host_port web.1 80)" 5
expect_log 'health: [0-9a-f]{12} core-01:web\.1:80 healthy \(was unhealthy\); registrator key written$' 5
ok_off web.1
expect_health web.1 unhealthy 10
expect_no_key "$K:web.1:80" 5
expect_log '; registrator key removed until healthy$' 5
run_checked web.2
expect_health web.2 starting 10
assert_key_absent "$K:web.2:80"
ok_on web.2
expect_health web.2 healthy 10
expect_value "$K:web.2:80" "127.0.0.1:$(host_port web.2 80)" 5
expect_value "$K:plain.1:80" "127.0.0.1:$(host_port plain.1 80)" 1
# The cluster picture (the agent's feed, read back from etcd) saw each change as "changed".
changed=$(curl -sf "http://127.0.0.1:$FEED_PORT/api/v1/events" | "$IT_PY" -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin)["events"]
          if e["action"] == "changed" and e["serviceId"] == "core-01:web.1:80"))')
[ "$changed" -ge 2 ] || fail "the feed shows $changed changed events for web.1, expected 2 (healthy, unhealthy)"
feed_health=$(curl -sf "http://127.0.0.1:$FEED_PORT/api/v1/services?name=web" | "$IT_PY" -c '
import json, sys
print(" ".join(sorted("%s=%s" % (s["containerName"], s["health"]) for s in json.load(sys.stdin)["services"])))')
assert_eq "$feed_health" "plain.1=none web.1=unhealthy web.2=healthy" "health of the web services in the feed"
assert_agent_alive

# Latency from each health_status event to its detail record in etcd (ms).
sleep 0.5
"$IT_PY" "$IT_LIB_DIR/ittool.py" health-latency "$IT_DIR/events.txt" "$IT_DIR/watch.txt" >"$IT_DIR/latency.txt"
cat "$IT_DIR/latency.txt"
! grep -q ' never$' "$IT_DIR/latency.txt" || fail "a health_status event never reached etcd (see above)"
n=$(wc -l <"$IT_DIR/latency.txt")
[ "$n" -ge 5 ] || fail "expected at least 5 health_status events, Docker sent $n"
stats=$(awk '{print $3}' "$IT_DIR/latency.txt" | sort -n |
    awk '{v[NR]=$1} END {printf "n=%d min=%.1f median=%.1f max=%.1f", NR, v[1], v[int((NR+1)/2)], v[NR]}')
result "ok: starting/unhealthy/healthy in the detail record; -register-healthy key only while healthy; health_status event -> etcd ms: $stats"
