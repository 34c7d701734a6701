# shellcheck shell=bash
# The etcd outage scenarios' common parts (quorum_loss, etcd_down; part of clusterlib.sh, sourced
# by it).

# The common start of the outage scenarios: a private dockerd, the three-member etcd, the churn
# image, an agent for $HOST with a 15 s TTL on the cluster, and the containers running before
# the fault.
outage_setup() {
    start_dockerd
    start_etcd_cluster
    build_churn_image
    start_agent -ttl=15 -ip=10.0.0.5 -hostname="$HOST" "$(ec_registry_uri /services)"
    expect_log 'Connected to etcd' 20
    pre_containers
}

# outage_run OUTAGE_S MEMBER...: the common body of quorum_loss and etcd_down. Expects dockerd,
# the cluster, the churn image and the agent (hostname $HOST, prefix /services) running and
# converged, with containers pre.1 .. pre.4 registered. SIGKILLs the MEMBERs; for OUTAGE_S seconds
# containers ch.N are started and removed (at most 3 running) and pre.1 (rm -f) and pre.2 (stop)
# go away, so their keys become stale; then the MEMBERs restart on their data dirs. Measures and
# sets: OUT_QUORUM_MS (restart -> every member healthy), OUT_CONV_MS (healthy -> etcd = Docker),
# OUT_CONV_RESTART_MS (restart -> etcd = Docker), OUT_LINES (agent log lines during the outage,
# except added:/removed:, listed in $IT_DIR/outage-log.txt), OUT_AFTER_LINES (the same from the
# restart until convergence), OUT_STARTED/OUT_REMOVED (containers started/removed during it).
outage_run() {
    local secs=$1 n lines_before lines_restart t_down t_up rest
    shift
    local members=("$@")
    wait_converged "$HOST" /services 30
    lines_before=$(wc -l <"$AGENT_LOG")
    for n in "${members[@]}"; do kill_member "$n" KILL; done
    t_down=$(now_ms)
    say "etcd outage: ${members[*]} down for $secs s; containers keep changing"
    churn_start ch 100000 3 0.2
    sleep 2
    dk rm -f pre.1 >"$IT_DIR/dk.out" 2>&1 || fail "docker rm -f pre.1: $(cat "$IT_DIR/dk.out")"
    dk stop -t 1 pre.2 >"$IT_DIR/dk.out" 2>&1 || fail "docker stop pre.2: $(cat "$IT_DIR/dk.out")"
    rest=$((t_down + secs * 1000 - $(now_ms)))
    [ "$rest" -le 0 ] || sleep "$((rest / 1000)).$(printf %03d $((rest % 1000)))"
    churn_stop 60
    OUT_STARTED=$(churn_started)
    OUT_REMOVED=$(($(grep -c ' stop ' "$CHURN_LOG" || true) + 2))
    assert_agent_alive
    lines_restart=$(wc -l <"$AGENT_LOG")
    sed -n "$((lines_before + 1)),${lines_restart}p" "$AGENT_LOG" | grep -vE ' (added|removed): ' \
        >"$IT_DIR/outage-log.txt" || true
    OUT_LINES=$(wc -l <"$IT_DIR/outage-log.txt")
    say "agent log during the $secs s outage ($OUT_LINES line(s) besides added/removed):"
    sed 's/^/    | /' "$IT_DIR/outage-log.txt" | head -n 20
    if grep -qiE 'docker' "$IT_DIR/outage-log.txt"; then
        fail "the agent lost Docker during the etcd outage (log above)"
    fi

    for n in "${members[@]}"; do restart_member "$n"; done
    t_up=$(now_ms)
    _all_healthy() { local m; for m in "${EC_NAMES[@]}"; do member_healthy "$m" || return 1; done; }
    wait_until 60 _all_healthy || fail "the etcd cluster did not become healthy within 60 s of the restart"
    OUT_QUORUM_MS=$WAITED_MS
    _ec_track
    wait_converged "$HOST" /services 60
    OUT_CONV_MS=$WAITED_MS
    OUT_CONV_RESTART_MS=$(($(now_ms) - t_up))
    assert_agent_alive
    OUT_AFTER_LINES=$(sed -n "$((lines_restart + 1)),\$p" "$AGENT_LOG" | grep -cvE ' (added|removed): ' || true)
    say "etcd healthy $OUT_QUORUM_MS ms after the restart; etcd = Docker $OUT_CONV_MS ms later;" \
        "agent log after the restart: $(sed -n "$((lines_restart + 1)),\$p" "$AGENT_LOG" | grep -vE ' (added|removed): ' | tr '\n' '|')"
    local k
    for k in pre.1 pre.2; do
        [ -z "$(etcd_get_prefix /services/ | grep ":$k:")" ] || fail "stale keys of $k remain after the outage"
        [ -z "$(etcd_get_prefix "/portolan/services/$HOST/" | grep ":$k:")" ] || fail "stale detail records of $k remain"
    done
}

# pre_containers: pre.1 .. pre.4 (four published ports each), registered before a fault.
pre_containers() {
    local i
    for i in 1 2 3 4; do run_c "pre.$i" || fail "docker run pre.$i: $RUN_C_ERROR"; done
    wait_converged "$HOST" /services 30
}
