#!/usr/bin/env bash
# timeout: 300
# Issue 5, item 9 (security): etcd with authentication on, and the agent running as a user whose
# role covers only what the agent writes (docs/security.md gives the same commands):
#   readwrite on <URI prefix>/ (/services/) and on <portolan prefix>/ (/portolan/: hosts/ and
#   services/<hostname>/). Leases need no permission of their own in etcd 3.4.
#   a. -etcd-user=portolan -etcd-password-file=F: registers, keeps its lease alive past two TTLs,
#      and the password never appears in the log; the URI form etcd://user:password@... too.
#   b. The same user with a URI prefix outside its role (/other): refused with a clear
#      "permission denied" error, logged once (no flood), nothing written there, agent alive.
#   c. A wrong password: a clear authentication error, nothing written, agent alive.
#   d. No user at all: a clear error, nothing written, agent alive.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/security_lib.sh"

HOST=sec-auth
IP=10.0.0.6
ROOTPW="root-$RANDOM$RANDOM"
PW="pw-$RANDOM$RANDOM$RANDOM"

start_dockerd
start_etcd
build_image example/redis 6379
dk run -d --name redis.1 -P example/redis >/dev/null
PORT=$(host_port redis.1 6379)
[ -n "$PORT" ] || fail "redis.1 has no published port"

# The minimal role, as in docs/security.md.
ectl user add "root:$ROOTPW" >/dev/null
ectl user grant-role root root >/dev/null
ectl role add portolan >/dev/null
ectl role grant-permission portolan --prefix=true readwrite /services/ >/dev/null
ectl role grant-permission portolan --prefix=true readwrite /portolan/ >/dev/null
ectl user add "portolan:$PW" >/dev/null
ectl user grant-role portolan portolan >/dev/null
ectl auth enable >/dev/null
say "etcd auth enabled; role portolan: $(ectl --user="root:$ROOTPW" role get portolan | tr '\n' ' ')"
# From here on every etcdctl call of the harness (also fail()'s key dump) authenticates as
# root: an unauthenticated one would fail, and inside fail() that re-enters fail() (ERR trap).
ectl() {
    ETCDCTL_API=3 timeout 15 etcdctl --endpoints="http://127.0.0.1:$ETCD_PORT" --user="root:$ROOTPW" \
        --dial-timeout=2s --command-timeout=5s "$@"
}
rectl() { ectl "$@"; }
# Keys under PREFIX whose name contains TEXT, read as root.
count_keys() { rectl get --prefix --keys-only -- "$1" | grep -c -- "$2" || true; }
_has_value() { [ "$(rectl get --print-value-only -- "$1")" = "$2" ]; }
printf '%s\n' "$PW" >"$IT_DIR/password"
printf '%s\n' "wrong-$PW" >"$IT_DIR/wrong-password"

# ---- a: the minimal role works (at Qt's most verbose logging: the password must not show)
export QT_LOGGING_RULES='*.debug=true'
start_agent -ttl=4 -ip=$IP -hostname=$HOST-a -etcd-user=portolan \
    -etcd-password-file="$IT_DIR/password" "etcd://127.0.0.1:$ETCD_PORT/services"
wait_until 20 _has_value "/services/redis/$HOST-a:redis.1:6379" "$IP:$PORT" ||
    fail "user portolan: redis.1 not registered within 20 s"
a_ms=$(($(now_ms) - AGENT_START_MS))
wait_until 10 _has_value "/portolan/hosts/$HOST-a" "$(rectl get --print-value-only /portolan/hosts/$HOST-a)" ||
    fail "no host record"
[ "$(count_keys /portolan/services/$HOST-a/ "$HOST-a")" = 1 ] || fail "no detail record for redis.1"
sleep 9 # more than two TTLs of 4 s: the keep-alives are authorised, or the keys are gone
_has_value "/services/redis/$HOST-a:redis.1:6379" "$IP:$PORT" ||
    fail "the key vanished after two TTLs: keep-alive refused under auth?"
assert_agent_alive
[ "$(log_count 'denied|rejected|did not accept')" = 0 ] || fail "errors in the log of the authorised agent"
stop_agent
unset QT_LOGGING_RULES
start_agent -ip=$IP -hostname=$HOST-uri "etcd://portolan:$PW@127.0.0.1:$ETCD_PORT/services"
wait_until 20 _has_value "/services/redis/$HOST-uri:redis.1:6379" "$IP:$PORT" ||
    fail "etcd://portolan:PASSWORD@...: redis.1 not registered within 20 s"
uri_ms=$(($(now_ms) - AGENT_START_MS))
stop_agent
pw_in_logs=$(cat "$IT_DIR"/agent.*.log | grep -c -- "$PW" || true)
[ "$pw_in_logs" = 0 ] || {
    grep -- "$PW" "$IT_DIR"/agent.*.log
    fail "the etcd password appears in the agent's log ($pw_in_logs lines, above)"
}
say "minimal role: registered in $a_ms ms (-etcd-password-file), $uri_ms ms (URI userinfo); lease kept alive; password not in the log"

# refused_case LABEL HOSTNAME REGEX URI-PREFIX ARGS...: one clear error matching REGEX, logged
# at most three times in 10 s, nothing of HOSTNAME under URI-PREFIX, the agent still up.
refused_case() {
    local label=$1 host=$2 regex=$3 prefix=$4
    shift 4
    start_agent -ip=$IP -hostname="$host" "$@"
    wait_for_log "$regex" 20 || fail "$label: no log line matching /$regex/ within 20 s"
    sleep 10
    assert_agent_alive
    local lines keys errors
    lines=$(log_count "$regex")
    errors=$(grep -cvE 'Starting portolan|Forcing host IP|^.{20}Using |Listening for Docker|Syncing services' "$AGENT_LOG" || true)
    keys=$(count_keys "$prefix" "$host")
    REFUSED_MSG=$(grep -m1 -E -- "$regex" "$AGENT_LOG" | sed -e 's/^[0-9/]* [0-9:]* //' -e 's/; retrying$//')
    say "$label: $REFUSED_MSG"
    say "$label: $lines matching line(s), $errors other line(s) in 10 s, $keys keys under $prefix"
    [ "$keys" = 0 ] || fail "$label: $keys keys of $host under $prefix"
    FLOOD=""
    # A refused write is logged once and retried every few seconds, not at the fault-retry pace.
    [ "$lines" -le 3 ] || fail "$label: the refusal was logged $lines times in 10 s (a log flood)"
    [ "$errors" -le 6 ] || fail "$label: $errors other log lines in 10 s (a log flood)"
    grep -q -- "$PW" "$AGENT_LOG" && fail "$label: the password appears in the log"
    stop_agent
    REFUSED_LINES=$lines
}

# ---- b: a prefix outside the role
refused_case "outside the role" $HOST-b 'permission denied' /other \
    -etcd-user=portolan -etcd-password-file="$IT_DIR/password" "etcd://127.0.0.1:$ETCD_PORT/other"
b_msg=$REFUSED_MSG b_lines=$REFUSED_LINES b_flood=${FLOOD:-logged $REFUSED_LINES time(s) in 10 s}
b_detail=$(count_keys /portolan/services/$HOST-b/ "$HOST-b")
[ "$b_detail" = 0 ] || fail "outside the role: detail records were written without their service key"

# ---- c: a wrong password
refused_case "wrong password" $HOST-c 'authentication failed|did not accept user' /services \
    -etcd-user=portolan -etcd-password-file="$IT_DIR/wrong-password" \
    "etcd://127.0.0.1:$ETCD_PORT/services"
c_msg=$REFUSED_MSG c_flood=${FLOOD:-logged $REFUSED_LINES time(s) in 10 s}
[ "$(count_keys /portolan "$HOST-c")" = 0 ] || fail "wrong password: keys under /portolan"

# ---- d: no user
refused_case "no user" $HOST-d 'user name is empty|authentication|credentials|permission denied' /services \
    "etcd://127.0.0.1:$ETCD_PORT/services"
d_msg=$REFUSED_MSG d_flood=${FLOOD:-logged $REFUSED_LINES time(s) in 10 s}

result "minimal role (readwrite /services/ + /portolan/): registered in ${a_ms} ms, lease kept alive past 2 TTLs, password never logged (also at *.debug=true); prefix /other outside the role: \"${b_msg}\" (${b_flood}; 0 keys, alive); wrong password: \"${c_msg}\" (${c_flood}; 0 keys, alive); no user: \"${d_msg}\" (${d_flood}; 0 keys, alive)"
