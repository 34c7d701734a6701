#!/usr/bin/env bash
# timeout: 1500
# Issue 5, item 7: churn storm. Several workers run `docker run -d -P` + `docker rm -f` cycles in
# parallel (example/redis, one published port: one registration per cycle) against a running
# agent. After each storm the registry must equal Docker's running set (steady containers plus
# the last container of each worker, left running). The agent's VmRSS and RssAnon are sampled
# after a warm-up storm, after storm 1 and after storm 2; storm 2 must not grow the agent
# (bound: RSS_GROWTH_KIB). Short variant: 2 x 50 cycles (on this 2-core machine under the load of
# other test runs a docker run + rm cycle took 1.3 s of wall time with 8 workers, so 300 cycles
# took 400 s, not a minute); soak: 2 x 300 cycles, then the agent built with AddressSanitizer
# (build-asan, LeakSanitizer on) runs through a 150-cycle storm and exits on SIGTERM, and its leak
# report is summarised. PORTOLAN_CHURN_LSAN=1 runs only that leak-check part;
# PORTOLAN_LEAK_TOOL=valgrind uses valgrind --leak-check=full on PORTOLAN_BIN instead of the ASan
# build; PORTOLAN_CHURN_CYCLES and PORTOLAN_LSAN_CYCLES change the counts.
source "$(dirname "$0")/../integration/lib.sh"

HOST=core-01
SOAK=${PORTOLAN_SOAK:-0}
CYCLES=${PORTOLAN_CHURN_CYCLES:-50} WARMUP=20 WORKERS=8 STEADY=4
LSAN_CYCLES=${PORTOLAN_LSAN_CYCLES:-150}
[ "$SOAK" = 1 ] && CYCLES=${PORTOLAN_CHURN_CYCLES:-300}
RSS_GROWTH_KIB=1536
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ASAN_BIN=${PORTOLAN_ASAN_BIN:-$ROOT/build-asan/app/agent/portolan}
LSAN_ONLY=${PORTOLAN_CHURN_LSAN:-0}

# storm NAME CYCLES: WORKERS parallel workers share the cycles; each leaves its last container
# running. A docker run that fails (e.g. a -P host port another test's dockerd holds) is retried
# up to 4 times. Sets STORM_S (wall seconds) and STORM_FAILED (cycles that never ran).
storm() {
    local name=$1 cycles=$2 w t0 pids=()
    t0=$(now_ms)
    for w in $(seq 1 "$WORKERS"); do
        _storm_worker "$name" "$cycles" "$w" >"$IT_DIR/storm.$name.$w.log" 2>&1 &
        pids+=("$!")
    done
    for w in "${pids[@]}"; do wait "$w" || true; done
    STORM_S=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')
    STORM_FAILED=$(cat "$IT_DIR"/storm."$name".*.log | grep -c '^fail ' || true)
    local ok
    ok=$(cat "$IT_DIR"/storm."$name".*.log | grep -c '^ok ' || true)
    say "storm $name: $ok of $cycles cycles in $STORM_S s ($STORM_FAILED failed) with $WORKERS workers"
    [ "$ok" -ge $((cycles * 95 / 100)) ] ||
        fail "storm $name: only $ok of $cycles cycles ran: $(grep -h '^fail ' "$IT_DIR"/storm."$name".*.log | head -n 3)"
}

_storm_worker() {
    set +eE
    trap - ERR
    local name=$1 cycles=$2 w=$3 j c
    for ((j = w; j <= cycles; j += WORKERS)); do
        c=$name.$j
        run_p "$c" || {
            echo "fail $c: ${RUN_P_ERROR:0:200}"
            continue
        }
        if [ $((j + WORKERS)) -le "$cycles" ]; then
            timeout 60 docker rm -f "$c" >/dev/null 2>&1 || { echo "fail rm $c"; continue; }
        fi
        echo "ok $c"
    done
}

# run_p NAME: docker run -d -P example/redis, retried when the host port Docker picked is held
# by another test's dockerd (each private dockerd hands out -P ports from 32768 up).
run_p() {
    local attempt
    for attempt in 1 2 3 4 5; do
        RUN_P_ERROR=$(timeout 60 docker run -d -P --name "$1" example/redis 2>&1)
        [ "$(timeout 60 docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ] && return 0
        RUN_P_ERROR="attempt $attempt: $RUN_P_ERROR"
        timeout 60 docker rm -f "$1" >/dev/null 2>&1
    done
    return 1
}

rss() { # "VmRSS RssAnon" of the agent, KiB
    awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } END { print r, a }' "/proc/$AGENT_PID/status"
}

converge() { # WHAT
    local t0
    t0=$(now_ms)
    expect_etcd_matches_docker /services $HOST 10.0.0.5 90
    RUNNING=$(dk ps -q | wc -l)
    say "$1: registry == docker ($RUNNING running) $(($(now_ms) - t0)) ms after the storm"
    assert_agent_alive
}

start_dockerd
start_etcd
build_image example/redis 6379

lsan_run() {
    if [ "${PORTOLAN_LEAK_TOOL:-lsan}" = valgrind ]; then
        need_tools valgrind
        ASAN_BIN=$IT_DIR/portolan-under-valgrind
        printf '#!/bin/sh\nexec valgrind --leak-check=full --show-leak-kinds=definite,indirect --error-exitcode=0 %q "$@"\n' \
            "$PORTOLAN_BIN" >"$ASAN_BIN"
        chmod +x "$ASAN_BIN"
    fi
    [ -x "$ASAN_BIN" ] || fail "no AddressSanitizer build at $ASAN_BIN: configure build-asan with clang and -fsanitize=address (see the report) and build the portolan target"
    # A sanitizer build older than the sources would check code that no longer exists.
    if [ "${PORTOLAN_LEAK_TOOL:-lsan}" != valgrind ]; then
        local newer
        newer=$(find "$ROOT/backend" "$ROOT/app/agent" \( -name '*.cpp' -o -name '*.h' \) -newer "$ASAN_BIN" -print -quit)
        [ -z "$newer" ] || fail "$ASAN_BIN is older than $newer: rebuild it (cmake --build build-asan --target portolan)"
    fi
    local log
    say "leak check (${PORTOLAN_LEAK_TOOL:-lsan}): the agent from $ASAN_BIN through a $LSAN_CYCLES-cycle storm"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=report_objects=0
    local bin=$PORTOLAN_BIN
    PORTOLAN_BIN=$ASAN_BIN
    start_agent -ip=10.0.0.5 -hostname=$HOST "etcd://127.0.0.1:$ETCD_PORT/services"
    PORTOLAN_BIN=$bin
    unset ASAN_OPTIONS LSAN_OPTIONS
    expect_log 'Connected to etcd' 120
    storm lsan "$LSAN_CYCLES"
    converge "leak-check storm"
    LSAN_RSS=$(rss)
    log=$AGENT_LOG
    say "stopping the agent (SIGTERM) for the leak report"
    kill -TERM "$AGENT_PID"
    local rc=0
    wait_pid_exit "$AGENT_PID" 60 || fail "the leak-checked agent did not exit within 60 s of SIGTERM"
    wait "$AGENT_PID" 2>/dev/null || rc=$?
    AGENT_PID=""
    if grep -q 'ERROR: AddressSanitizer' "$log"; then
        grep -A 30 'ERROR: AddressSanitizer' "$log" | head -n 40
        fail "AddressSanitizer reported a memory error (above)"
    fi
    if grep -q 'LEAK SUMMARY' "$log"; then
        LSAN_SUMMARY="valgrind: $(grep -E 'definitely lost|indirectly lost|possibly lost' "$log" | sed 's/^==[0-9]*== *//' | tr -s ' ' | tr '\n' ';')"
        { grep -B2 -A25 'definitely lost in' "$log" || true; } | head -n 60
        say "$LSAN_SUMMARY"
    elif grep -q 'All heap blocks were freed' "$log"; then
        LSAN_SUMMARY="valgrind: all heap blocks were freed"
    elif grep -q 'ERROR: LeakSanitizer' "$log"; then
        grep -E '^(Direct|Indirect) leak|^    #[0-9]+ .* in ' "$log" | head -n 60
        LSAN_SUMMARY=$(grep 'SUMMARY: AddressSanitizer' "$log" | tail -n 1)
        say "LSan: $LSAN_SUMMARY (exit $rc); report in $log"
    else
        LSAN_SUMMARY="no leaks reported (exit $rc)"
        say "LSan: $LSAN_SUMMARY"
    fi
    cp "$log" "$IT_ROOT/portolan-churn-lsan.log" 2>/dev/null || true
}

if [ "$LSAN_ONLY" = 1 ]; then
    for i in $(seq 1 "$STEADY"); do run_p "steady.$i" || fail "docker run steady.$i: $RUN_P_ERROR"; done
    lsan_run
    result "leak check (${PORTOLAN_LEAK_TOOL:-lsan}): $LSAN_CYCLES cycles, registry == docker ($RUNNING running), RSS $LSAN_RSS KiB (VmRSS RssAnon) under the leak checker; $LSAN_SUMMARY"
    exit 0
fi

start_agent -ip=10.0.0.5 -hostname=$HOST "etcd://127.0.0.1:$ETCD_PORT/services"
expect_log 'Connected to etcd' 20
for i in $(seq 1 "$STEADY"); do run_p "steady.$i" || fail "docker run steady.$i: $RUN_P_ERROR"; done

storm warmup "$WARMUP"
converge "warm-up"
sleep 2
read -r RSS_A ANON_A <<<"$(rss)"
say "RSS after warm-up: VmRSS $RSS_A KiB, RssAnon $ANON_A KiB"

storm s1 "$CYCLES"
S1_S=$STORM_S S1_FAILED=$STORM_FAILED
converge "storm 1"
sleep 2
read -r RSS_B ANON_B <<<"$(rss)"
say "RSS after storm 1: VmRSS $RSS_B KiB, RssAnon $ANON_B KiB"

storm s2 "$CYCLES"
S2_S=$STORM_S
converge "storm 2"
sleep 2
read -r RSS_C ANON_C <<<"$(rss)"
say "RSS after storm 2: VmRSS $RSS_C KiB, RssAnon $ANON_C KiB"

GROWTH=$((ANON_C - ANON_B))
[ "$GROWTH" -le "$RSS_GROWTH_KIB" ] ||
    fail "the agent's RssAnon grew by $GROWTH KiB during storm 2 ($ANON_B -> $ANON_C KiB; bound $RSS_GROWTH_KIB KiB)"
grep -qiE 'ERROR|crash|assert' "$AGENT_LOG" && say "agent log mentions: $(grep -iE 'ERROR|crash|assert' "$AGENT_LOG" | head -n 3 | tr '\n' ';')"

LSAN_NOTE=""
if [ "$SOAK" = 1 ]; then
    stop_agent
    AGENT_PID=""
    lsan_run
    LSAN_NOTE="; LSan ($LSAN_CYCLES cycles): $LSAN_SUMMARY"
fi

result "$CYCLES cycles in $S1_S s (storm 2: $S2_S s, $WORKERS workers, $S1_FAILED failed), registry == docker ($RUNNING running), RSS $RSS_A → $RSS_B → $RSS_C KiB (RssAnon $ANON_A → $ANON_B → $ANON_C, storm 2 grew it $GROWTH KiB)$LSAN_NOTE"
