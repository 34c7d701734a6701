# shellcheck shell=bash
# Background processes of a scenario (part of lib.sh, sourced by it): liveness, bounded waits
# for an exit, SIGTERM-then-SIGKILL, and helpers that teardown stops.

_pid_alive() {
    local pid=${1:-} state
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# wait_pid_exit PID TIMEOUT_S: true when PID is gone within the timeout.
wait_pid_exit() {
    local pid=$1 deadline=$(($(now_ms) + $2 * 1000))
    while _pid_alive "$pid"; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
    wait "$pid" 2>/dev/null || true
    return 0
}

# _await_ready PID LOG WHAT TIMEOUT_S CMD...: runs CMD every 50 ms until it succeeds. Fails,
# with the tail of LOG, when PID exits first or TIMEOUT_S pass. WAITED_MS: how long it took.
_await_ready() {
    local pid=$1 log=$2 what=$3 timeout_s=$4 t0 deadline
    shift 4
    t0=$(now_ms)
    deadline=$((t0 + timeout_s * 1000))
    until "$@"; do
        _pid_alive "$pid" || {
            tail -n 20 "$log"
            fail "$what exited during start-up (log above)"
        }
        if [ "$(now_ms)" -ge "$deadline" ]; then
            tail -n 20 "$log"
            fail "$what not ready within $timeout_s s (log above)"
        fi
        sleep 0.05
    done
    # shellcheck disable=SC2034 # read by the callers
    WAITED_MS=$(($(now_ms) - t0))
}

# Children (direct) of PID, for helpers started as subshells.
_children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true; }

_stop_pid() { # PID TIMEOUT_S: SIGTERM, then SIGKILL when it does not go
    local pid=$1
    _pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" "$2" && return 0
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" 5 || true
}

# start_helper LOGFILE CMD...: a background helper (e.g. a watcher) that teardown stops;
# its pid is in HELPER_PID.
start_helper() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 </dev/null &
    HELPER_PID=$!
    IT_PIDS+=("$HELPER_PID")
}
