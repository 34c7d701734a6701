#!/usr/bin/env bash
# End-to-end test of portolan-dashboard (issue 4): the dashboard's own Main.qml, offscreen,
# driven by tests/qml/dashboard_e2e.cpp, against a real agent watching a private dockerd and
# writing to a private etcd, with both sources the dashboard knows:
#   1. etcd directly (--etcd): docker run -d -P; the container's service must show up as a row
#      of the Host view's table and as an "added" row of the Events view (items found by
#      objectName among the rendered items), within 30 s each;
#   2. the agent's feed (--feed ws://127.0.0.1:PORT/ws): the same with a second container;
#   3. the driver must FAIL (exit 1) when it waits for a service that never comes;
#   4. screenshots of every view in the light and the dark theme, for both sources, in
#      ${PORTOLAN_TEST_OUT:-/tmp}/dashboard_e2e/<source>-<theme>-<view>.png.
# Env: PORTOLAN_BIN (the agent), PORTOLAN_DASHBOARD_E2E_DRIVER (the driver binary).
source "$(dirname "$0")/lib.sh"

DRIVER=${PORTOLAN_DASHBOARD_E2E_DRIVER:-}
[ -n "$DRIVER" ] && [ -x "$DRIVER" ] ||
    fail "PORTOLAN_DASHBOARD_E2E_DRIVER must name the built dashboard_e2e_driver (ctest sets it)"
need_tools curl
E2E_OUT=$IT_ROOT/dashboard_e2e
mkdir -p "$E2E_OUT"
rm -f "$E2E_OUT"/*.png
export QT_QPA_PLATFORM=offscreen
export XDG_RUNTIME_DIR=$IT_DIR/xdg-runtime # Qt asks for one; keep it out of /tmp/runtime-root
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
HOST=e2e-host

start_dockerd
start_etcd
build_image example/redis 6379
FEED_PORT=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 1)
# -ip keeps the agent from resolving its hostname (no DNS query leaves the machine).
start_agent -hostname=$HOST -ip=127.0.0.1 -feed=127.0.0.1:$FEED_PORT "etcd://127.0.0.1:$ETCD_PORT/services"
wait_for_key /portolan/hosts/$HOST 15 || fail "the agent wrote no host record"
wait_until 10 curl -sf -m 1 -o /dev/null "http://127.0.0.1:$FEED_PORT/api/v1/hosts" ||
    fail "the agent's feed does not answer on 127.0.0.1:$FEED_PORT"

# start_container NAME: docker run -d -P. Private dockerds of test runs going on at the same time
# hand out host ports from the same range (32768 up) and can collide ("bind: address already in
# use"): then remove it and try again, the last attempts with a random port of 40000-60000.
start_container() {
    local attempt out publish=(-P)
    for attempt in 1 2 3 4 5; do
        [ "$attempt" -gt 2 ] && publish=(-p "127.0.0.1:$((40000 + RANDOM % 20000)):6379")
        out=$(dk run -d --name "$1" "${publish[@]}" example/redis 2>&1) && return 0
        say "docker run $1 (attempt $attempt): $out"
        dk rm -f "$1" >/dev/null 2>&1 || true
    done
    fail "docker run $1 failed 5 times: $out"
}

# run_dashboard LABEL CONTAINER THEMES TIMEOUT_S SOURCE_ARGS...: runs the driver until it prints
# READY, then starts CONTAINER (none when CONTAINER is "-") and waits for the driver's verdict.
# Sets DASH_RC, DASH_LOG, DASH_RUN_MS (when docker run returned, epoch ms) and DASH_READY_MS.
run_dashboard() {
    local label=$1 name=$2 themes=$3 timeout=$4
    shift 4
    local id="$HOST:$name:6379" t0 pid
    [ "$name" = - ] && id="$HOST:never-started:6379"
    DASH_LOG=$IT_DIR/dashboard-$label.log
    t0=$(now_ms)
    "$DRIVER" "$@" --host "$HOST" --service-id "$id" --out "$E2E_OUT" --label "$label" \
        --themes "$themes" --timeout "$timeout" >"$DASH_LOG" 2>&1 </dev/null &
    pid=$!
    IT_PIDS+=("$pid")
    wait_until 45 grep -q '^READY ' "$DASH_LOG" || {
        sed 's/^/    | /' "$DASH_LOG"
        fail "the dashboard ($label) did not connect within 45 s"
    }
    DASH_READY_MS=$(($(now_ms) - t0))
    say "dashboard ($label) ready after $DASH_READY_MS ms; starting ${name/#-/no container}"
    DASH_RUN_MS=$(now_ms)
    if [ "$name" != - ]; then
        start_container "$name"
        DASH_RUN_MS=$(now_ms)
    fi
    wait_pid_exit "$pid" 150 || fail "the dashboard ($label) is still running after 150 s"
    DASH_RC=0
    wait "$pid" || DASH_RC=$?
    sed 's/^/    | /' "$DASH_LOG"
}

# seen_after_run TAG: ms from docker run returning to the driver's TAG line (epoch ms).
seen_after_run() {
    local t
    t=$(sed -n "s/^$1 \([0-9]*\)$/\1/p" "$DASH_LOG" | head -n 1)
    [ -n "$t" ] || fail "no $1 line in $DASH_LOG"
    echo $((t - DASH_RUN_MS))
}

check_source() { # LABEL CONTAINER SOURCE_ARGS...
    local label=$1 name=$2
    shift 2
    run_dashboard "$label" "$name" light,dark 30 "$@"
    [ "$DASH_RC" = 0 ] || fail "the dashboard ($label) did not show $HOST:$name:6379 (driver status $DASH_RC; its output above)"
    local shots
    shots=$(grep -c '^SCREENSHOT ' "$DASH_LOG" || true)
    [ "$shots" = 10 ] || fail "the dashboard ($label) saved $shots screenshots, not 10"
    local port
    port=$(host_port "$name" 6379)
    expect_value "/services/redis/$HOST:$name:6379" "127.0.0.1:$port" 5
    FIG_HOST=$(seen_after_run HOSTVIEW)
    FIG_EVENTS=$(seen_after_run EVENTSVIEW)
    say "$label: row in the Host view $FIG_HOST ms after docker run returned, \"added\" in the Events view by $FIG_EVENTS ms"
}

check_source etcd redis.e2e1 --etcd "http://127.0.0.1:$ETCD_PORT"
ETCD_FIGS="etcd: Host view row ${FIG_HOST} ms, Events \"added\" by ${FIG_EVENTS} ms after docker run (ready ${DASH_READY_MS} ms)"
check_source feed redis.e2e2 --feed "ws://127.0.0.1:$FEED_PORT/ws"
FEED_FIGS="feed: Host view row ${FIG_HOST} ms, Events \"added\" by ${FIG_EVENTS} ms (ready ${DASH_READY_MS} ms)"

# The driver can fail: a service that never comes must give exit 1 and a FAIL line.
run_dashboard negative - "" 3 --etcd "http://127.0.0.1:$ETCD_PORT"
[ "$DASH_RC" = 1 ] && grep -q '^FAIL .*not seen within 3 s' "$DASH_LOG" ||
    fail "the driver did not fail for a service that never appeared (status $DASH_RC)"

assert_agent_alive
say "screenshots: $(cd "$E2E_OUT" && ls ./*.png | tr '\n' ' ')"
result "$ETCD_FIGS; $FEED_FIGS; 20 screenshots in $E2E_OUT; driver fails on a missing service"
