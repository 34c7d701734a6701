#!/usr/bin/env bash
# timeout: 240
# Issue 15, finding 7: Docker refuses the container list while everything else works, as a
# filtering socket proxy does (tools/docker_refusing_proxy.py: 403 to GET .../containers/json,
# everything else forwarded). The agent must back off (its event stream staying up is not a
# success that resets the backoff), log the fault once and not once per retry, keep
# registering containers from events meanwhile, and pick the list up again once it is answered.
#   1. refuse: 15 s from the first list attempt; at most 6 attempts and 3 log lines.
#      A container started meanwhile is registered from its start event.
#   2. huge: a fresh agent whose list answer is a 100 MB body (over the 64 MiB cap): at most 6
#      attempts in 15 s; the agent's RSS (VmRSS) is sampled every 100 ms and reported.
#   3. pass: the agent says "Docker answers the container list again" within the 30 s cap
#      (plus slack), and etcd matches Docker, including a container started before the agent
#      that only the list can reveal.
source "$(dirname "$0")/../integration/lib.sh"

HOST=refused-01
IP=10.0.0.9
WINDOW=15
MAX_ATTEMPTS=6
MAX_LOG_LINES=3
TOOLS=$(cd "$(dirname "$0")" && pwd)/tools

start_dockerd
start_etcd
build_image example/web 80
PROXY_SOCK=$DOCKER_RUN/refusing.sock
MODE=$IT_DIR/proxy.mode
LISTS=$IT_DIR/list-requests.log
echo refuse >"$MODE"
: >"$LISTS"
start_helper "$IT_DIR/proxy.out" "$IT_PY" "$TOOLS/docker_refusing_proxy.py" "$PROXY_SOCK" \
    "$DOCKER_RUN/docker.sock" "$MODE" "$LISTS"
wait_until 10 test -S "$PROXY_SOCK" || fail "the proxy did not start: $(cat "$IT_DIR/proxy.out")"

# Only a successful list can reveal this one: it runs before the agent starts.
dk run -d --name web.0 -P example/web >/dev/null

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status" 2>/dev/null || echo 0; }
attempts_since() { # START_S MODE: list requests in [START, START+WINDOW)
    awk -v s="$1" -v e="$(($1 + WINDOW))" -v m="$2" '$1 >= s && $1 < e && $2 == m' "$LISTS" | wc -l
}
first_attempt() { # MODE: unix time (whole seconds) of the first list request in that mode
    awk -v m="$1" '$2 == m { split($1, t, "."); print t[1]; exit }' "$LISTS"
}
# Lines the agent logged from line FROM on that are about Docker (not etcd's start-up lines).
docker_lines_since() { tail -n "+$1" "$AGENT_LOG" | grep -vc -i 'etcd' || true; }
first_fault_line() { # the agent's first line about the failed list (the banner comes before)
    wait_for_log 'listing containers|containers/json' 10 || fail "the agent logged nothing about the refused list"
    grep -n -m1 -E 'listing containers|containers/json' "$AGENT_LOG" | cut -d: -f1
}

# ---- 1. refuse
agent() { DOCKER_HOST=unix://$PROXY_SOCK start_agent -ip=$IP -hostname=$HOST "etcd://127.0.0.1:$ETCD_PORT/services"; }
agent
wait_until 20 grep -q refuse "$LISTS" || fail "the agent never asked for the container list"
T0=$(first_attempt refuse)
FROM=$(first_fault_line)
dk run -d --name web.1 -P example/web >/dev/null
PORT1=$(host_port web.1 80)
if wait_for_value "/services/web/$HOST:web.1:80" "$IP:$PORT1" 5; then
    REG1="web.1 registered from its start event in ${WAITED_MS} ms while the list was refused"
else
    REG1="web.1 NOT registered within 5 s while the list was refused"
fi
say "$REG1"
sleep $((T0 + WINDOW - $(date +%s) + 1))
assert_agent_alive
REFUSE_ATTEMPTS=$(attempts_since "$T0" refuse)
REFUSE_LINES=$(docker_lines_since "$FROM")
say "refuse: $REFUSE_ATTEMPTS list attempts and $REFUSE_LINES log lines in $WINDOW s; RSS $(rss_kb) kB"
tail -n "+$FROM" "$AGENT_LOG" | head -n 8
stop_agent

# ---- 2. huge
echo huge >"$MODE"
agent
wait_until 20 grep -q huge "$LISTS" || fail "the agent never asked for the container list (huge)"
T1=$(first_attempt huge)
FROM=$(first_fault_line)
PEAK=0
SAMPLES=0
while [ "$(date +%s)" -lt $((T1 + WINDOW)) ]; do
    r=$(rss_kb)
    [ "$r" -gt "$PEAK" ] && PEAK=$r
    SAMPLES=$((SAMPLES + 1))
    sleep 0.1
done
assert_agent_alive
HUGE_ATTEMPTS=$(attempts_since "$T1" huge)
HUGE_LINES=$(docker_lines_since "$FROM")
AFTER=$(rss_kb)
say "huge: $HUGE_ATTEMPTS list attempts, $HUGE_LINES log lines in $WINDOW s; peak RSS $((PEAK / 1024)) MiB over $SAMPLES samples, $((AFTER / 1024)) MiB at the end"
tail -n "+$FROM" "$AGENT_LOG" | head -n 8

# ---- 3. pass
echo pass >"$MODE"
dk run -d --name web.2 -P example/web >/dev/null
PORT2=$(host_port web.2 80)
wait_for_value "/services/web/$HOST:web.2:80" "$IP:$PORT2" 5 ||
    fail "web.2, started once the proxy passes the list, not registered within 5 s"
REG2=$WAITED_MS
wait_for_log 'Docker answers the container list again' 45 ||
    fail "no 'Docker answers the container list again' within 45 s of the proxy passing the list"
CLEARED=$WAITED_MS
expect_etcd_matches_docker /services "$HOST" "$IP" 10
assert_agent_alive

[ "$REFUSE_ATTEMPTS" -le $MAX_ATTEMPTS ] ||
    fail "403: $REFUSE_ATTEMPTS list attempts in $WINDOW s (at most $MAX_ATTEMPTS allowed)"
[ "$REFUSE_LINES" -le $MAX_LOG_LINES ] ||
    fail "403: $REFUSE_LINES log lines in $WINDOW s (at most $MAX_LOG_LINES allowed)"
[ "$HUGE_ATTEMPTS" -le $MAX_ATTEMPTS ] ||
    fail "100 MB body: $HUGE_ATTEMPTS list attempts in $WINDOW s (at most $MAX_ATTEMPTS allowed)"
[ "$HUGE_LINES" -le $MAX_LOG_LINES ] ||
    fail "100 MB body: $HUGE_LINES log lines in $WINDOW s (at most $MAX_LOG_LINES allowed)"
case $REG1 in *NOT*) fail "$REG1" ;; esac
result "403 on the list: $REFUSE_ATTEMPTS attempts and $REFUSE_LINES log lines in $WINDOW s; $REG1; 100 MB list body: $HUGE_ATTEMPTS attempts, $HUGE_LINES log lines in $WINDOW s, peak RSS $((PEAK / 1024)) MiB, $((AFTER / 1024)) MiB after; list passed again: web.2 registered in $REG2 ms, 'answers the container list again' after $CLEARED ms, etcd matches Docker (web.0 from the list)"
