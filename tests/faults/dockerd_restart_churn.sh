#!/usr/bin/env bash
# timeout: 500
# Issue 5, scenario 4: dockerd is restarted under the running agent, once with SIGTERM (it stops
# its containers, with events) and once with SIGKILL (no events; the containers die with their
# shims), while containers change: right before the restart two containers start (always.N with
# --restart=always, before.N without) and one is removed; right after it two more start and
# always.N, just back, is removed. Containers
# with --restart=always come back by themselves. After each restart etcd must equal Docker's
# running set (service keys, detail records, host record), and the agent must stay up; the time
# from dockerd answering again until etcd = Docker is printed per restart. Soak: three rounds of
# each signal.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/clusterlib.sh"
fault_deadline 150

HOST=core-01
SIGNALS=(TERM KILL)
[ "$SOAK" = 1 ] && SIGNALS=(TERM KILL TERM KILL TERM KILL)

start_dockerd
start_etcd
build_churn_image
start_agent -ttl=15 -ip=10.0.0.5 -hostname=$HOST "etcd://127.0.0.1:$ETCD_PORT/services"
expect_log 'Connected to etcd' 20
run_c always.0 --restart=always || fail "docker run always.0: $RUN_C_ERROR"
run_c plain.0 || fail "docker run plain.0: $RUN_C_ERROR"
wait_converged $HOST /services 30

rm_c() { dk rm -f "$1" >"$IT_DIR/dk.out" 2>&1 || fail "docker rm -f $1: $(cat "$IT_DIR/dk.out")"; }

NOTE=""
r=0
for sig in "${SIGNALS[@]}"; do
    r=$((r + 1))
    # right before: two new containers (one comes back by itself), one removed
    run_c "always.$r" --restart=always || fail "docker run always.$r: $RUN_C_ERROR"
    run_c "before.$r" || fail "docker run before.$r: $RUN_C_ERROR"
    [ "$r" -gt 1 ] && rm_c "after.$((r - 1)).1"
    reconnects=$(grep -c 'Reconnected to Docker' "$AGENT_LOG" || true)
    if [ "$sig" = TERM ]; then stop_dockerd; else kill_dockerd; fi
    sleep 1
    assert_agent_alive
    start_dockerd
    t_up=$(now_ms)
    # right after: two more, and one of the containers that came back is removed
    run_c "after.$r.1" || fail "docker run after.$r.1: $RUN_C_ERROR"
    run_c "after.$r.2" || fail "docker run after.$r.2: $RUN_C_ERROR"
    wait_until 30 eval '[ "$(dk inspect -f "{{.State.Running}}" always.0)" = true ]' ||
        fail "always.0 did not come back within 30 s of dockerd's restart"
    rm_c "always.$r"
    t_changed=$(now_ms)
    wait_converged $HOST /services 60
    conv_ms=$(($(now_ms) - t_up))
    after_ms=$(($(now_ms) - t_changed))
    assert_agent_alive
    wait_until 5 eval '[ "$(grep -c "Reconnected to Docker" "$AGENT_LOG")" -gt '"$reconnects"' ]' ||
        fail "no 'Reconnected to Docker' line after dockerd's restart"
    running=$(av running "$AUDIT")
    say "SIG$sig round $r: etcd = Docker $conv_ms ms after dockerd answered ($after_ms ms after the last change); $running running, $(av keys "$AUDIT") keys"
    NOTE+=" SIG$sig: $(ms_s "$conv_ms") s after dockerd was back ($(ms_s "$after_ms") s after the last change, $running running, $(av keys "$AUDIT") keys);"
done
result "etcd = Docker after every dockerd restart with containers changing right before and after:${NOTE% ;}" \
    "agent up, $(grep -c 'Reconnected to Docker' "$AGENT_LOG" || true) Docker reconnects logged"
