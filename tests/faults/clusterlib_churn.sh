# shellcheck shell=bash
# Containers and churn for the fault scenarios (part of clusterlib.sh, sourced by it): example/churn
# containers on ports this run picks, and a stream of them started and removed in the background,
# each operation logged with a timestamp.

# run_c NAME [DOCKER RUN OPTIONS...]: runs example/churn with its ports published on 127.0.0.1 at
# host ports this run picks from a random base in 40000-60000. (With -P, every private dockerd
# hands out ports from 32768 up, and containers of test runs going on at the same time collided:
# "bind: address already in use".) A taken port moves on to the next ones, up to 5 attempts;
# the last error is in RUN_C_ERROR. Never `run_c ... >/dev/null`: lib.sh's fail() would print
# into /dev/null; write `run_c ... || fail "..."`.
PORT_NEXT=$((40000 + RANDOM % 360 * 50))
run_c() {
    local name=$1 attempt p args
    shift
    for attempt in 1 2 3 4 5; do
        args=()
        for p in "${CHURN_PORTS[@]}"; do
            args+=(-p "127.0.0.1:$PORT_NEXT:$p")
            PORT_NEXT=$((PORT_NEXT + 1))
        done
        [ "$PORT_NEXT" -lt 60900 ] || PORT_NEXT=40000
        RUN_C_ERROR=$(dk run -d --name "$name" "${args[@]}" "$@" example/churn 2>&1) && return 0
        dk rm -f "$name" >/dev/null 2>&1 || true
    done
    return 1
}

# churn_start NAME_PREFIX COUNT WINDOW PAUSE_S: in the background, runs NAME_PREFIX.1 ..
# NAME_PREFIX.COUNT (image example/churn, run_c) one after the other (churn_stop ends it early),
# and once more than WINDOW run,
# removes the oldest (alternately `docker stop -t 1` + rm and `docker rm -f`). Each finished
# operation is logged as "<ms> start|stop <name>" in $CHURN_LOG; a failed docker command as
# "<ms> error <op> <name>". CHURN_PID is the background job.
CHURN_LOG=""
churn_start() {
    CHURN_LOG=$IT_DIR/churn.$1.log
    : >"$CHURN_LOG"
    start_helper "$IT_DIR/churn.$1.out" _churn "$@"
    CHURN_PID=$HELPER_PID
    say "churn: $2 containers $1.N, at most $3 running, pause $4 s (pid $CHURN_PID)"
}

_churn() {
    set +eE
    trap - ERR
    local p=$1 n=$2 window=$3 pause=$4 i old
    PORT_NEXT=$((PORT_NEXT + 4000)) # clear of the ports the main script goes on using
    [ "$PORT_NEXT" -lt 58000 ] || PORT_NEXT=40000
    for i in $(seq 1 "$n"); do
        [ -e "$CHURN_LOG.stop" ] && break
        if run_c "$p.$i"; then
            echo "$(now_ms) start $p.$i" >>"$CHURN_LOG"
        else
            echo "$(now_ms) error start $p.$i: $RUN_C_ERROR" >>"$CHURN_LOG"
        fi
        if [ "$i" -gt "$window" ]; then
            old=$p.$((i - window))
            if [ $((i % 2)) = 0 ]; then
                dk stop -t 1 "$old" >/dev/null && dk rm "$old" >/dev/null
            else
                dk rm -f "$old" >/dev/null
            fi && echo "$(now_ms) stop $old" >>"$CHURN_LOG" || echo "$(now_ms) error stop $old" >>"$CHURN_LOG"
        fi
        sleep "$pause"
    done
    echo "$(now_ms) done" >>"$CHURN_LOG"
}

churn_stop() { # TIMEOUT_S: ends the churn after its current operation
    : >"$CHURN_LOG.stop"
    churn_wait "$1"
}

churn_wait() { # TIMEOUT_S
    wait_pid_exit "$CHURN_PID" "$1" || fail "churn did not finish within $1 s ($(grep -c start "$CHURN_LOG") started so far)"
    local errors
    errors=$(grep -c ' error ' "$CHURN_LOG" || true)
    [ "$errors" = 0 ] || say "churn: $errors docker command(s) failed: $(grep ' error ' "$CHURN_LOG" | head -n 5 | tr '\n' ';')"
}

churn_started() { grep -c ' start ' "$CHURN_LOG" || true; }

# build_churn_image: example/churn exposes four ports, so every container is four registrations
# (registrator's group naming: churn-7001 .. churn-7004); docker run is the slow part of churn.
build_churn_image() { build_image example/churn "${CHURN_PORTS[@]}"; }
CHURN_PORTS=(7001 7002 7003 7004)
