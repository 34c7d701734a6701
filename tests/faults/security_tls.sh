#!/usr/bin/env bash
# timeout: 300
# Issue 5, item 9 (security): the agent and etcd over TLS, with certificates made here by openssl.
#   0. TLS only when asked: an agent on a plain http:// etcd maps no OpenSSL at all.
#   a. Right CA: etcds://...  -etcd-cacert=ca.pem  registers the container; so does
#      etcd://... -etcd-cacert=ca.pem (certificates imply TLS).
#   b. Wrong CA (an unrelated CA): the agent refuses the server with an error naming the
#      verification failure, writes nothing, stays up and keeps retrying (etcd sees the
#      handshakes it rejects go on).
#   c. etcd requires client certificates: with -etcd-cert/-etcd-key the agent registers;
#      without them, or with a client certificate from another CA, it is refused with a clear
#      TLS error, writes nothing and stays up.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/security_lib.sh"

HOST=sec-tls
IP=10.0.0.5

start_dockerd
start_etcd # plain http: for case 0
make_pki
start_tls_etcd tls
start_tls_etcd mtls --client-cert-auth
build_image example/redis 6379
dk run -d --name redis.1 -P example/redis >/dev/null
PORT=$(host_port redis.1 6379)
[ -n "$PORT" ] || fail "redis.1 has no published port"

# wait_tls_key NAME KEY VALUE TIMEOUT_S
_tls_has() { [ "$(tls_ectl "$1" get --print-value-only -- "$2")" = "$3" ]; }
wait_tls_key() { wait_until "$4" _tls_has "$1" "$2" "$3"; }

# ---- 0: plain http, no OpenSSL in the process
start_agent -ip=$IP -hostname=$HOST-plain "etcd://127.0.0.1:$ETCD_PORT/services"
wait_for_value "/services/redis/$HOST-plain:redis.1:6379" "$IP:$PORT" 20 ||
    fail "plain-http agent did not register redis.1"
plain_maps=$(agent_ssl_maps "$AGENT_PID")
plain_rss=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
say "plain-http agent: $plain_maps OpenSSL mappings, VmRSS $plain_rss kB"
[ "$plain_maps" = 0 ] || {
    grep -E 'ssl|crypto' "/proc/$AGENT_PID/maps" | awk '{print $6}' | sort -u
    fail "an agent on a plain http:// etcd mapped OpenSSL ($plain_maps mappings, above)"
}
stop_agent

# ---- a: the right CA
start_agent -ip=$IP -hostname=$HOST-a1 -etcd-cacert="$PKI/ca.pem" \
    "etcds://127.0.0.1:${TLS_PORT[tls]}/services"
wait_tls_key tls "/services/redis/$HOST-a1:redis.1:6379" "$IP:$PORT" 20 ||
    fail "etcds:// with the right CA: redis.1 not registered within 20 s"
a1_ms=$(($(now_ms) - AGENT_START_MS))
expect_log 'Connected to etcd' 5
[ "$(log_count 'TLS|certificate')" = 0 ] || fail "TLS complaints in the log of a verified connection"
tls_maps=$(agent_ssl_maps "$AGENT_PID")
stop_agent
start_agent -ip=$IP -hostname=$HOST-a2 -etcd-cacert="$PKI/ca.pem" \
    "etcd://127.0.0.1:${TLS_PORT[tls]}/services"
wait_tls_key tls "/services/redis/$HOST-a2:redis.1:6379" "$IP:$PORT" 20 ||
    fail "etcd:// with -etcd-cacert: redis.1 not registered within 20 s"
a2_ms=$(($(now_ms) - AGENT_START_MS))
stop_agent
say "right CA: registered ${a1_ms} ms (etcds://) and ${a2_ms} ms (etcd:// + -etcd-cacert) after start; TLS agent maps OpenSSL ($tls_maps mappings)"

# refused_case LABEL HOSTNAME ETCDNAME ARGS...: the agent must be refused with a TLS error,
# write nothing under / on that etcd, log the fault once (no flood) and keep retrying.
refused_case() {
    local label=$1 host=$2 name=$3
    shift 3
    local rejected0 rejected1 lines keys msg
    rejected0=$(grep -c 'rejected connection' "$IT_DIR/etcd-$name.log" || true)
    start_agent -ip=$IP -hostname="$host" "$@"
    wait_for_log 'TLS handshake failed' 20 ||
        fail "$label: no 'TLS handshake failed' in the log within 20 s"
    sleep 10 # let the agent retry a while
    assert_agent_alive
    rejected1=$(grep -c 'rejected connection' "$IT_DIR/etcd-$name.log" || true)
    lines=$(log_count 'TLS handshake failed')
    keys=$(tls_ectl "$name" get --prefix --keys-only -- / | grep -c -- "$host" || true)
    msg=$(grep -m1 'TLS handshake failed' "$AGENT_LOG" | sed -e 's/^[0-9/]* [0-9:]* //' -e 's/; retrying$//')
    say "$label: $msg"
    say "$label: $lines error line(s), etcd rejected $((rejected1 - rejected0)) handshakes in ~10 s, $keys keys"
    [ "$keys" = 0 ] || fail "$label: $keys keys of $host reached etcd"
    [ "$lines" -le 3 ] || fail "$label: the TLS error was logged $lines times (a flood)"
    [ $((rejected1 - rejected0)) -ge 2 ] ||
        fail "$label: etcd saw $((rejected1 - rejected0)) rejected handshakes in 10 s: the agent is not retrying"
    stop_agent
    REFUSED_MSG=$msg REFUSED_TRIES=$((rejected1 - rejected0)) REFUSED_LINES=$lines
}

# ---- b: an unrelated CA
refused_case "wrong CA" $HOST-b tls -etcd-cacert="$PKI/other-ca.pem" \
    "etcds://127.0.0.1:${TLS_PORT[tls]}/services"
grep -qiE 'issuer|certificate|verif|self.signed' <<<"$REFUSED_MSG" ||
    fail "wrong CA: the error does not name the verification failure: $REFUSED_MSG"
b_msg=${REFUSED_MSG#*TLS handshake failed: } b_tries=$REFUSED_TRIES b_lines=$REFUSED_LINES

# ---- c: client certificates required
start_agent -ip=$IP -hostname=$HOST-c1 -etcd-cacert="$PKI/ca.pem" \
    -etcd-cert="$PKI/client.pem" -etcd-key="$PKI/client.key" \
    "etcds://127.0.0.1:${TLS_PORT[mtls]}/services"
wait_tls_key mtls "/services/redis/$HOST-c1:redis.1:6379" "$IP:$PORT" 20 ||
    fail "client certificate given: redis.1 not registered within 20 s"
c1_ms=$(($(now_ms) - AGENT_START_MS))
stop_agent
refused_case "no client cert" $HOST-c2 mtls -etcd-cacert="$PKI/ca.pem" \
    "etcds://127.0.0.1:${TLS_PORT[mtls]}/services"
grep -q 'requires a client certificate' <<<"$REFUSED_MSG" ||
    fail "no client cert: the error does not say a client certificate is required: $REFUSED_MSG"
c2_msg=${REFUSED_MSG#*TLS handshake failed: } c2_tries=$REFUSED_TRIES
refused_case "untrusted client cert" $HOST-c3 mtls -etcd-cacert="$PKI/ca.pem" \
    -etcd-cert="$PKI/stranger.pem" -etcd-key="$PKI/stranger.key" \
    "etcds://127.0.0.1:${TLS_PORT[mtls]}/services"
grep -q 'did not accept the client certificate' <<<"$REFUSED_MSG" ||
    fail "untrusted client cert: the error does not say the certificate was refused: $REFUSED_MSG"
c3_msg=${REFUSED_MSG#*TLS handshake failed: } c3_msg=${c3_msg//$PKI\//}

# ---- optional: the dashboard's etcd source over TLS (same EtcdClient; checks the wiring of
# its --etcd-cacert/--etcd-cert/--etcd-key flags). Runs when the dashboard is built.
DASH=${PORTOLAN_BUILD_DIR:-}/app/dashboard/portolan-dashboard
dash_note="dashboard: not built, not checked"
# dash_run LABEL ARGS...: starts the dashboard offscreen for ~8 s; DASH_ESTAB = its established
# connections to the mtls etcd, DASH_LOG = its log.
dash_run() {
    local label=$1 pid
    shift
    DASH_LOG=$IT_DIR/dashboard-$label.log
    QT_QPA_PLATFORM=offscreen "$DASH" --etcd "https://127.0.0.1:${TLS_PORT[mtls]}" "$@" >"$DASH_LOG" 2>&1 </dev/null &
    pid=$!
    IT_PIDS+=("$pid")
    sleep 8
    _pid_alive "$pid" || fail "dashboard ($label) exited: $(tail -n 5 "$DASH_LOG")"
    DASH_ESTAB=$(ss -tnpH state established "( dport = :${TLS_PORT[mtls]} )" | grep -c "pid=$pid," || true)
    _stop_pid "$pid" 5
}
if [ -x "$DASH" ]; then
    dash_run right --etcd-cacert "$PKI/ca.pem" --etcd-cert "$PKI/client.pem" --etcd-key "$PKI/client.key"
    dash_ok_estab=$DASH_ESTAB
    dash_ok_warn=$(grep -c 'cluster:.*TLS' "$DASH_LOG" || true)
    say "dashboard, right CA + client cert: $dash_ok_estab established connection(s), $dash_ok_warn TLS warning(s)"
    [ "$dash_ok_estab" -ge 1 ] && [ "$dash_ok_warn" = 0 ] ||
        fail "dashboard with the right CA and client cert did not hold a connection to etcd: $(tail -n 5 "$DASH_LOG")"
    dash_run wrong --etcd-cacert "$PKI/other-ca.pem" --etcd-cert "$PKI/client.pem" --etcd-key "$PKI/client.key"
    dash_bad_msg=$(grep -m1 'TLS handshake failed' "$DASH_LOG" | sed 's/.*TLS handshake failed: //; s/; retrying.*//') || true
    say "dashboard, wrong CA: $DASH_ESTAB established, message: ${dash_bad_msg:-none}"
    [ -n "$dash_bad_msg" ] || fail "dashboard with a wrong CA logged no TLS error: $(tail -n 5 "$DASH_LOG")"
    [ "$(grep -c 'TLS handshake failed' "$DASH_LOG")" -le 2 ] || fail "dashboard floods its log with TLS errors"
    dash_note="dashboard (--etcd https, CA + client cert): connected; wrong CA: refused \"${dash_bad_msg}\", logged once"
fi

result "plain http: ${plain_maps} OpenSSL mappings (VmRSS ${plain_rss} kB); right CA: registered in ${a1_ms} ms (etcds://), ${a2_ms} ms (etcd://+cacert); wrong CA: refused \"${b_msg}\", 0 keys, ${b_lines} log line(s), ${b_tries} retries in 10 s, alive; client cert required: with cert registered in ${c1_ms} ms, without refused \"${c2_msg}\", 0 keys, ${c2_tries} retries, alive; untrusted client cert refused \"${c3_msg}\"; ${dash_note}"
