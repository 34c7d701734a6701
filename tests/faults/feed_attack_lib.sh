# shellcheck shell=bash
# Helpers for the feed boundary scenarios of issue 15 (feed_boundary.sh, feed_slow_clients.sh),
# sourced after ../integration/lib.sh:
#   - checks that are collected, not fatal: every check of a run is made and reported, and the
#     scenario fails once at the end, naming every failed check with its figures;
#   - the agent's RSS sampled every 100 ms into a file (peak over a time window);
#   - "attacks": RSS before / peak during / after, and a container started during the attack
#     whose registry key must appear in etcd within 2 s.
# Attack traffic goes to 127.0.0.1 only (tools/feed_attack.py refuses nothing else: it has no
# other address).

FA_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools
FA_FAILS=()
FA_CHECKS=0
FA_FIGURES=()
# How much an attack may add to the agent's RSS at its peak, and what it may leave behind.
FA_PEAK_KB=$((40 * 1024))
FA_AFTER_KB=$((16 * 1024))

# fa ARGS...: the attack tool, bounded in time; never fatal (a failed run prints "tool-exit=N"
# last, so the fields the checks read are missing and the checks fail).
fa() { timeout "${FA_TIMEOUT:-120}" "$IT_PY" "$FA_TOOLS/feed_attack.py" "$@" || echo "tool-exit=$?"; }

# check DESCRIPTION CMD...: runs CMD; a failure is recorded (not fatal).
check() {
    local what=$1
    shift
    FA_CHECKS=$((FA_CHECKS + 1))
    if "$@" >/dev/null 2>&1; then
        say "ok: $what"
    else
        say "FAILED: $what"
        FA_FAILS+=("$what")
    fi
}

# figure TEXT: one figure for the result line.
figure() { FA_FIGURES+=("$*"); }

# field LINE KEY: the value of KEY=... in a tool's summary line.
field() { sed -n "s/.*[ ^]$2=\([^ ]*\).*/\1/p" <<<" $1" | head -n 1; }

# lt A B: A < B for decimal numbers (awk).
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }

# ---------------------------------------------------------------- RSS

rss_now() { awk '/VmRSS/{print $2}' "/proc/$AGENT_PID/status" 2>/dev/null || echo 0; }

# start_sampler: (re)starts the 100 ms RSS sampler for the current agent.
start_sampler() {
    [ -n "${FA_SAMPLER:-}" ] && _stop_pid "$FA_SAMPLER" 2
    FA_RSS_LOG=$IT_DIR/rss.$AGENT_RUNS.log
    start_helper "$FA_RSS_LOG.err" bash -c "while [ -e /proc/$AGENT_PID ]; do t=\${EPOCHREALTIME/./}; \
        echo \"\$((t / 1000)) \$(awk '/VmRSS/{print \$2}' /proc/$AGENT_PID/status)\" >>'$FA_RSS_LOG'; sleep 0.1; done"
    FA_SAMPLER=$HELPER_PID
}

# rss_peak_since MS: the highest sample taken since MS (epoch milliseconds).
rss_peak_since() { awk -v t="$1" '$1 >= t && $2 > p { p = $2 } END { print p + 0 }' "$FA_RSS_LOG" 2>/dev/null; }

# ---------------------------------------------------------------- registration during an attack

FA_REG_N=0
# reg_start: starts a container now (in the background) and waits up to 2 s for its key.
reg_start() {
    FA_REG_N=$((FA_REG_N + 1))
    local name=reg-$FA_REG_N key="/services/redis/$FA_HOST:reg-$FA_REG_N:6379"
    FA_REG_FILE=$IT_DIR/reg.$FA_REG_N
    (
        set +eE
        trap - ERR TERM INT
        t0=$(now_ms)
        if ! dk run -d --name "$name" -P example/redis >/dev/null 2>"$FA_REG_FILE.err"; then
            echo "docker-run-failed" >"$FA_REG_FILE"
            exit 0
        fi
        t1=$(now_ms)
        if wait_for_key "$key" 2; then
            echo "ok $WAITED_MS $((t1 - t0))" >"$FA_REG_FILE"
        else
            echo "missing-after-2s - $((t1 - t0))" >"$FA_REG_FILE"
        fi
    ) &
    FA_REG_PID=$!
}

# reg_end: waits for reg_start's check; sets FA_REG ("registered in N ms" or why not).
reg_end() {
    wait "$FA_REG_PID" 2>/dev/null || true
    local r
    r=$(cat "$FA_REG_FILE" 2>/dev/null || echo "no-result")
    case $r in
    ok\ *) FA_REG="registered in $(cut -d' ' -f2 <<<"$r") ms"; FA_REG_OK=1 ;;
    *) FA_REG="NOT registered ($r)"; FA_REG_OK=0 ;;
    esac
}

# ---------------------------------------------------------------- attacks

# attack_begin LABEL: RSS before, sampler window start, container started.
attack_begin() {
    FA_LABEL=$1
    assert_agent_alive
    FA_RSS0=$(rss_now)
    FA_T0=$(now_ms)
    reg_start
}

# attack_end [SETTLE_S]: checks the peak and the level SETTLE_S (default 3) seconds after the
# attack, and the registration made meanwhile; sets FA_RSS_TEXT.
attack_end() {
    reg_end
    sleep "${1:-3}"
    local alive=1
    _pid_alive "$AGENT_PID" || alive=0
    FA_RSS1=$(rss_now)
    FA_PEAK=$(rss_peak_since "$FA_T0")
    [ "$FA_PEAK" -ge "$FA_RSS1" ] || FA_PEAK=$FA_RSS1
    [ "$FA_PEAK" -ge "$FA_RSS0" ] || FA_PEAK=$FA_RSS0
    FA_RSS_TEXT="RSS $((FA_RSS0 / 1024))->$((FA_PEAK / 1024))->$((FA_RSS1 / 1024)) MB, $FA_REG"
    say "$FA_LABEL: agent $FA_RSS_TEXT"
    check "$FA_LABEL: agent still running" [ "$alive" = 1 ]
    check "$FA_LABEL: RSS peak growth $(((FA_PEAK - FA_RSS0) / 1024)) MB < $((FA_PEAK_KB / 1024)) MB" \
        [ $((FA_PEAK - FA_RSS0)) -lt "$FA_PEAK_KB" ]
    check "$FA_LABEL: RSS after $(((FA_RSS1 - FA_RSS0) / 1024)) MB over before (< $((FA_AFTER_KB / 1024)) MB)" \
        [ $((FA_RSS1 - FA_RSS0)) -lt "$FA_AFTER_KB" ]
    check "$FA_LABEL: a container started during the attack registered within 2 s ($FA_REG)" \
        [ "$FA_REG_OK" = 1 ]
    if [ "$alive" = 0 ]; then
        say "the agent died; starting it again for the remaining checks"
        fa_start_agent "${FA_AGENT_ARGS[@]}"
    fi
}

# ---------------------------------------------------------------- agents

# seed_services: 8 detail records of 2 KiB each under /portolan/services/seed/, so the snapshot
# (~21 KB) is big enough for pipelined answers to show in RSS.
seed_services() {
    "$IT_PY" - "$ETCD_PORT" <<'PY'
import base64, json, sys, urllib.request
b = lambda s: base64.b64encode(s.encode()).decode()
ops = []
for i in range(8):
    sid = f"seed:svc-{i:02d}:6379"
    value = {"id": sid, "name": "seed", "host": "seed", "ip": "127.0.0.2", "port": 10000 + i,
             "protocol": "tcp", "tags": [], "attributes": {"pad": "p" * 2048},
             "containerId": f"{i:064x}", "containerName": f"svc-{i:02d}", "image": "x/seed:latest",
             "key": f"/services/seed/{sid}", "registeredAt": "2026-11-27T05:00:01.000Z"}
    ops.append({"request_put": {"key": b(f"/portolan/services/seed/{sid}"), "value": b(json.dumps(value))}})
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/v3/kv/txn",
                             json.dumps({"success": ops}).encode(), {"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10).read()
PY
}

# fa_start_agent ARGS...: the agent with -hostname=$FA_HOST -ip=127.0.0.1 ARGS (which include
# -feed=127.0.0.1:$FA_PORT); waits for its feed and host record, starts the RSS sampler.
# Status 1 (nothing fatal) when the agent exits at start-up: FA_START_ERROR says why.
fa_start_agent() {
    FA_AGENT_ARGS=("$@")
    FA_START_ERROR=""
    start_agent -hostname="$FA_HOST" -ip=127.0.0.1 "$@" "etcd://127.0.0.1:$ETCD_PORT/services"
    local t0
    t0=$(now_ms)
    while ! curl -s -o /dev/null -m 1 "http://127.0.0.1:$FA_PORT/"; do
        if ! _pid_alive "$AGENT_PID"; then
            local rc=0
            wait "$AGENT_PID" 2>/dev/null || rc=$?
            AGENT_PID=""
            FA_START_ERROR="exit $rc: $(grep -v '^Usage\|^ ' "$AGENT_LOG" | tail -n 1)"
            say "the agent did not start: $FA_START_ERROR"
            return 1
        fi
        [ $(($(now_ms) - t0)) -lt 20000 ] || fail "the feed on 127.0.0.1:$FA_PORT did not answer within 20 s"
        sleep 0.1
    done
    wait_for_key "/portolan/hosts/$FA_HOST" 15 || fail "no host record for $FA_HOST"
    start_sampler
}

# restart_if_bloated: an unfixed agent keeps what an attack made it allocate; the next attack
# gets a fresh one so its figures are its own.
restart_if_bloated() {
    [ -n "$AGENT_PID" ] && _pid_alive "$AGENT_PID" || return 0
    local r
    r=$(rss_now)
    if [ "$r" -gt $((200 * 1024)) ]; then
        say "agent RSS is still $((r / 1024)) MB: restarting it for a clean baseline"
        stop_agent
        fa_start_agent "${FA_AGENT_ARGS[@]}"
    fi
}

# fa_finish: the one RESULT line, or FAIL naming every failed check.
fa_finish() {
    local figures
    figures=$(printf '%s; ' "${FA_FIGURES[@]}")
    figures=${figures%; }
    if [ ${#FA_FAILS[@]} -gt 0 ]; then
        local list
        list=$(printf '%s | ' "${FA_FAILS[@]}")
        fail "${#FA_FAILS[@]} of $FA_CHECKS checks failed: ${list% | } -- figures: $figures"
    fi
    result "all $FA_CHECKS checks passed: $figures"
}
