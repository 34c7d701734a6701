#!/usr/bin/env bash
# timeout: 240
# Issue 5, item 9 (security): the agent's feed (-feed) and who can reach it.
#   1. Address: there is no implicit wildcard ("-feed=:P" is a usage error, exit 2); a loopback
#      -feed listens on loopback only (ss -ltnp of the agent's pid); a non-loopback address
#      (0.0.0.0, [::]) without -feed-token-file is refused at start-up with a clear message,
#      before anything is bound or written. No test traffic ever goes off loopback: the refused
#      agents exit before they listen.
#   2. Read-only: PUT/POST/DELETE/PATCH on every route get 405 and etcd's revision does not move.
#   3. Token (-feed-token-file, on loopback): no or wrong token -> 401 on /api, and the WebSocket
#      upgrade on /ws is refused (401, no 101); the page and its assets load without it (they
#      hold no data); the right token (Bearer header or ?token=) -> 200 / 101. The token never
#      appears in the log, at the default level or at *.debug=true.
#   4. TLS (-feed-cert/-feed-key, test PKI): the token-protected feed answers over https.
# No dockerd: the feed needs only etcd (the agent keeps retrying Docker meanwhile).
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/security_lib.sh"
need_tools ss

HOST=sec-feed
export DOCKER_HOST=unix://$IT_DIR/no-docker.sock
start_etcd
read -r P1 P2 P3 P4 <<<"$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 4)"
TOKEN="tok-$RANDOM$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$TOKEN" >"$IT_DIR/token"
revision() { ectl endpoint status -w json | "$IT_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])'; }

# run_refused LABEL EXPECTED_STATUS REGEX ARGS...: the agent must exit with EXPECTED_STATUS
# (or any non-zero status for "nonzero") within 15 s, printing REGEX, with nothing written.
run_refused() {
    local label=$1 want=$2 regex=$3 rc=0 rev0 rev1
    shift 3
    rev0=$(revision)
    # Under strace (when installed): the refused agent must not call listen() at all.
    local trace=()
    command -v strace >/dev/null && trace=(strace -f -qq -e trace=listen -o "$IT_DIR/refused.strace")
    rm -f "$IT_DIR/refused.strace"
    timeout 15 ${trace[@]+"${trace[@]}"} "$PORTOLAN_BIN" -ip=10.0.0.8 -hostname=$HOST-refused "$@" \
        "etcd://127.0.0.1:$ETCD_PORT/services" >"$IT_DIR/refused.log" 2>&1 </dev/null || rc=$?
    rev1=$(revision)
    LISTENS=unchecked
    [ -f "$IT_DIR/refused.strace" ] && LISTENS=$(grep -c 'listen(' "$IT_DIR/refused.strace" || true)
    [ "$LISTENS" = unchecked ] || [ "$LISTENS" = 0 ] ||
        fail "$label: the refused agent called listen() $LISTENS times: $(grep 'listen(' "$IT_DIR/refused.strace" | head -2)"
    REFUSED_MSG=$(grep -m1 -E -- "$regex" "$IT_DIR/refused.log" | sed 's/^[0-9/]* [0-9:]* //') || true
    say "$label: exit $rc: ${REFUSED_MSG:-$(tail -n 3 "$IT_DIR/refused.log")}"
    [ "$rc" != 124 ] || fail "$label: the agent was still running after 15 s"
    if [ "$want" = nonzero ]; then
        [ "$rc" != 0 ] || fail "$label: the agent exited 0"
    else
        [ "$rc" = "$want" ] || fail "$label: exit status $rc, expected $want"
    fi
    [ -n "$REFUSED_MSG" ] || fail "$label: no message matching /$regex/ (output above)"
    [ "$rev0" = "$rev1" ] || fail "$label: etcd's revision moved from $rev0 to $rev1: something was written"
    REFUSED_RC=$rc
}

# ---- 1. addresses
run_refused "-feed=:P" 2 'ADDR:PORT' -feed=:$P1
run_refused "-feed=P" 2 'ADDR:PORT' -feed=$P1
run_refused "-feed=0.0.0.0:P, no token" 2 'give -feed-token-file' -feed=0.0.0.0:$P1
wild_msg=$REFUSED_MSG wild_rc=$REFUSED_RC wild_listens=$LISTENS
run_refused "-feed=[::]:P, no token" 2 'give -feed-token-file' "-feed=[::]:$P1"
run_refused "-feed=example.invalid:P, not an IP" 2 'not an IP address' -feed=example.invalid:$P1

start_agent -ip=10.0.0.8 -hostname=$HOST -feed=127.0.0.1:$P1 "etcd://127.0.0.1:$ETCD_PORT/services"
wait_until 20 eval 'curl -s -o /dev/null -m 2 "http://127.0.0.1:$P1/api/v1/snapshot"' ||
    fail "the feed on 127.0.0.1:$P1 did not answer within 20 s"
wait_for_key /portolan/hosts/$HOST 15 || fail "no host record"
listeners=$(ss -ltnpH | grep -F "pid=$AGENT_PID," | awk '{print $4}' | sort -u | tr '\n' ' ')
say "agent pid $AGENT_PID listens on: $listeners"
[ -n "$listeners" ] || fail "ss shows no listening socket of the agent"
for l in $listeners; do
    case $l in 127.*:* | \[::1\]:*) ;; *) fail "the agent listens on $l, not loopback" ;; esac
done

# ---- 2. read-only
sleep 1
rev0=$(revision)
methods=0 not405=()
for m in PUT POST DELETE PATCH; do
    for path in / /index.html /api/v1/snapshot /api/v1/hosts /api/v1/services /api/v1/events \
        "/api/v1/tree?prefix=/" "/api/v1/key?key=/portolan/evil" /ws /api/v1/nothing; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X "$m" -H 'Content-Type: application/json' \
            --data '{"key":"L3BvcnRvbGFuL2V2aWw=","value":"ZXZpbA=="}' "http://127.0.0.1:$P1$path")
        methods=$((methods + 1))
        [ "$code" = 405 ] || not405+=("$m $path -> $code")
    done
done
sleep 1
rev1=$(revision)
say "read-only: $methods write requests, ${#not405[@]} not answered 405; etcd revision $rev0 -> $rev1"
[ ${#not405[@]} = 0 ] || fail "writes not refused with 405: ${not405[*]}"
[ "$rev0" = "$rev1" ] || fail "etcd's revision moved ($rev0 -> $rev1) during the write attempts"
assert_key_absent /portolan/evil
# Keys of other applications in the same etcd are not the feed's to show: 403, and the tree's
# root lists only the way to /services/ and /portolan/.
ectl put /app/config/db_password not-a-real-secret >/dev/null
foreign=$(curl -s -o "$IT_DIR/foreign.json" -w '%{http_code}' -m 5 "http://127.0.0.1:$P1/api/v1/key?key=/app/config/db_password")
say "GET /api/v1/key for a key outside /services and /portolan: HTTP $foreign $(cat "$IT_DIR/foreign.json")"
[ "$foreign" = 403 ] || fail "a key outside the feed's prefixes was answered $foreign, not 403"
grep -q not-a-real-secret "$IT_DIR/foreign.json" && fail "the foreign key's value was served"
root_keys=$(curl -s -m 5 "http://127.0.0.1:$P1/api/v1/tree?prefix=/" | "$IT_PY" -c 'import json,sys; print(" ".join(c["key"] for c in json.load(sys.stdin)["children"]))')
say "tree root: $root_keys"
[ "$root_keys" = "/portolan/ /services/" ] || fail "the tree's root shows more than the feed's prefixes: $root_keys"
stop_agent

# ---- 3. token on loopback
start_agent -ip=10.0.0.8 -hostname=$HOST-tok -feed=127.0.0.1:$P2 -feed-token-file="$IT_DIR/token" \
    "etcd://127.0.0.1:$ETCD_PORT/services"
F=http://127.0.0.1:$P2
wait_until 20 eval 'curl -s -o /dev/null -m 2 "$F/"' || fail "the token feed did not answer within 20 s"
code() { curl -s -o /dev/null -w '%{http_code}' -m 5 "$@" || true; }
declare -A want=(
    ["none /api/v1/snapshot"]=401 ["none /"]=200 ["none /assets/app.js"]=200
    ["none /api/v1/key?key=/portolan/hosts/$HOST-tok"]=401
    ["wrong-bearer /api/v1/snapshot"]=401 ["wrong-query /api/v1/snapshot"]=401
    ["right-bearer /api/v1/snapshot"]=200 ["right-query /api/v1/snapshot"]=200 ["right-query /"]=200
)
bad=()
for k in "${!want[@]}"; do
    how=${k%% *} path=${k#* }
    case $how in
    none) got=$(code "$F$path") ;;
    wrong-bearer) got=$(code -H "Authorization: Bearer x$TOKEN" "$F$path") ;;
    wrong-query) got=$(code "$F$path?token=x$TOKEN") ;;
    right-bearer) got=$(code -H "Authorization: Bearer $TOKEN" "$F$path") ;;
    right-query) got=$(code "$F$path?token=$TOKEN") ;;
    esac
    [ "$got" = "${want[$k]}" ] || bad+=("$k -> $got (want ${want[$k]})")
done
[ ${#bad[@]} = 0 ] || fail "token checks: ${bad[*]}"
ws() { "$IT_PY" "$SEC_TOOLS/security_ws.py" "$@" 2>&1 | head -n 1 || true; }
ws_none=$(ws "ws://127.0.0.1:$P2/ws")
ws_wrong=$(ws "ws://127.0.0.1:$P2/ws?token=x$TOKEN")
ws_wrong_bearer=$(ws "ws://127.0.0.1:$P2/ws" --header "Authorization: Bearer x$TOKEN")
ws_right=$(ws "ws://127.0.0.1:$P2/ws?token=$TOKEN")
ws_right_bearer=$(ws "ws://127.0.0.1:$P2/ws" --header "Authorization: Bearer $TOKEN")
say "WebSocket: no token '$ws_none', wrong '$ws_wrong' / '$ws_wrong_bearer', right '$ws_right' / '$ws_right_bearer'"
[ "$ws_none" = "refused 401" ] && [ "$ws_wrong" = "refused 401" ] && [ "$ws_wrong_bearer" = "refused 401" ] ||
    fail "a WebSocket upgrade without the right token was not refused with 401"
[ "$ws_right" = "accepted 101" ] && [ "$ws_right_bearer" = "accepted 101" ] ||
    fail "a WebSocket upgrade with the right token was not accepted"
assert_agent_alive
tok_default=$(log_count "$TOKEN")
[ "$tok_default" = 0 ] || fail "the feed token appears $tok_default times in the log at the default level"
stop_agent

# the same requests once more at Qt's debug level: does the token reach the log?
export QT_LOGGING_RULES='*.debug=true'
start_agent -ip=10.0.0.8 -hostname=$HOST-tok -feed=127.0.0.1:$P3 -feed-token-file="$IT_DIR/token" \
    "etcd://127.0.0.1:$ETCD_PORT/services"
unset QT_LOGGING_RULES
wait_until 20 eval 'curl -s -o /dev/null -m 2 "http://127.0.0.1:$P3/"' || fail "debug-level feed did not answer"
code -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P3/api/v1/hosts" >/dev/null
code "http://127.0.0.1:$P3/api/v1/hosts?token=$TOKEN" >/dev/null
ws "ws://127.0.0.1:$P3/ws?token=$TOKEN" >/dev/null
sleep 0.5
tok_debug=$(log_count "$TOKEN")
say "token in the log at *.debug=true: $tok_debug line(s)"
# The feed's own reader logs no request target or header at any level.
[ "$tok_debug" = 0 ] || fail "the feed token appears $tok_debug times in the log at QT_LOGGING_RULES=*.debug=true"
debug_note="token not logged at *.debug=true"
stop_agent

# ---- 4. TLS
make_pki
start_agent -ip=10.0.0.8 -hostname=$HOST-tls -feed=127.0.0.1:$P4 -feed-token-file="$IT_DIR/token" \
    -feed-cert="$PKI/server.pem" -feed-key="$PKI/server.key" "etcd://127.0.0.1:$ETCD_PORT/services"
wait_until 20 eval '[ "$(curl -s -o /dev/null -w "%{http_code}" -m 2 --cacert "$PKI/ca.pem" "https://127.0.0.1:$P4/api/v1/hosts?token=$TOKEN")" = 200 ]' ||
    fail "the TLS feed did not answer 200 over https within 20 s"
tls_plain=$(code "http://127.0.0.1:$P4/api/v1/hosts?token=$TOKEN")
tls_notoken=$(code --cacert "$PKI/ca.pem" "https://127.0.0.1:$P4/api/v1/hosts")
say "TLS feed: https + token 200, plain http -> '$tls_plain', https without token -> $tls_notoken"
[ "$tls_notoken" = 401 ] || fail "TLS feed without token answered $tls_notoken"
[ "$tls_plain" != 200 ] || fail "the TLS feed answered plain http"
stop_agent

result "no implicit wildcard (-feed=:P exit 2); loopback -feed listens on ${listeners% } only; 0.0.0.0/[::] without token refused (exit ${wild_rc}: \"${wild_msg}\"), listen() calls: ${wild_listens}, nothing written; ${methods} PUT/POST/DELETE/PATCH -> 405, etcd revision unchanged; token: none/wrong -> 401 (API, WebSocket upgrade), page and assets 200 without it, right (Bearer or ?token=) -> 200/101; token not in the log at default level, ${debug_note}; TLS feed: https 200, no token 401; keys outside /services/ and /portolan/: HTTP ${foreign}, tree root lists only ${root_keys}"
