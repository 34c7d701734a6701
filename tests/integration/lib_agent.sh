# shellcheck shell=bash
# The agent under test (part of lib.sh, sourced by it): start, stop and kill $PORTOLAN_BIN.

# start_agent ARGS...: runs $PORTOLAN_BIN in the background against this scenario's dockerd
# (DOCKER_HOST); each run logs to its own agent.N.log (AGENT_LOG).
start_agent() {
    AGENT_RUNS=$((AGENT_RUNS + 1))
    AGENT_LOG=$IT_DIR/agent.$AGENT_RUNS.log
    say "starting agent: portolan $*"
    AGENT_START_MS=$(now_ms)
    "$PORTOLAN_BIN" "$@" >"$AGENT_LOG" 2>&1 </dev/null &
    AGENT_PID=$!
}

stop_agent() {
    say "stopping agent pid $AGENT_PID (SIGTERM)"
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    wait_pid_exit "$AGENT_PID" 10 || fail "agent did not exit within 10 s of SIGTERM"
}

kill_agent() {
    say "killing agent pid $AGENT_PID (SIGKILL)"
    kill -KILL "$AGENT_PID" 2>/dev/null || true
    wait_pid_exit "$AGENT_PID" 5 || fail "agent did not die within 5 s of SIGKILL"
}
