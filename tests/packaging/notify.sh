#!/usr/bin/env bash
# The real agent under systemd's Type=notify protocol (packaging/systemd/portolan.service), with
# a datagram listener on $NOTIFY_SOCKET made here in place of systemd, a private dockerd and etcd:
# - etcd down at start: WATCHDOG=1 keeps coming every WATCHDOG_USEC/2, READY=1 does not;
# - etcd up: READY=1 comes, and by then the running container's key is in etcd (first sync);
# - WATCHDOG=1 keeps coming after READY; SIGTERM gives STOPPING=1 and exit status 0.
# tests/unit/tst_servicenotifier.cpp covers the datagrams' format; this covers when they come.
source "$(dirname "$0")/../integration/lib.sh"

WATCHDOG_USEC=400000 # a keep-alive every 200 ms
start_dockerd
start_etcd
stop_etcd # the port stays reserved for start_etcd below
build_image example/redis 6379
dk run -d --name redis.1 -P example/redis >/dev/null
KEY=/services/redis/core-01:redis.1:6379

NOTIFY=$IT_DIR/notify.sock
MESSAGES=$IT_DIR/notify.txt
# One line per datagram: milliseconds since the epoch, a tab, the datagram with \n as '|'.
start_helper "$IT_DIR/listener.log" "$IT_PY" -u -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        data = s.recv(4096).decode("utf-8", "replace").replace("\n", "|")
        out.write("%d\t%s\n" % (time.time() * 1000, data))
' "$NOTIFY" "$MESSAGES"
wait_until 5 test -S "$NOTIFY" || fail "the listener did not bind $NOTIFY: $(cat "$IT_DIR/listener.log")"
: >>"$MESSAGES"

count() { grep -c -- "$1" "$MESSAGES" || true; }
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=$WATCHDOG_USEC \
    start_agent -hostname=core-01 -ip=127.0.0.1 "etcd://127.0.0.1:$ETCD_PORT/services"

sleep 2
assert_agent_alive
assert_eq "$(count 'READY=1')" 0 "READY=1 datagrams while etcd is down"
early=$(count '^[0-9]*	WATCHDOG=1$')
[ "$early" -ge 5 ] || fail "only $early WATCHDOG=1 in 2 s while etcd is down (WATCHDOG_USEC=$WATCHDOG_USEC)"

start_etcd
t=$(now_ms)
wait_until 15 grep -q 'READY=1' "$MESSAGES" || fail "no READY=1 within 15 s of etcd starting: $(tail -n 5 "$AGENT_LOG")"
ready_ms=$(($(now_ms) - t))
wait_for_key "$KEY" 0 || fail "READY=1 came before the first sync wrote $KEY"
status=$(grep -m1 'READY=1' "$MESSAGES" | cut -f2)
[[ $status == *"STATUS=Synced 1 running containers"* ]] || fail "READY=1 datagram is '$status'"
assert_eq "$(count 'READY=1')" 1 "READY=1 datagrams"

before=$(count '^[0-9]*	WATCHDOG=1$')
sleep 1.5
after=$(count '^[0-9]*	WATCHDOG=1$')
[ $((after - before)) -ge 4 ] || fail "$((after - before)) WATCHDOG=1 in 1.5 s after READY (every 200 ms expected)"
# The largest gap between keep-alives must stay well below WATCHDOG_USEC (systemd's kill limit).
gap=$(awk -F'\t' '$2 == "WATCHDOG=1" { if (p) { g = $1 - p; if (g > m) m = g } p = $1 } END { print m + 0 }' "$MESSAGES")
[ "$gap" -lt $((WATCHDOG_USEC / 1000)) ] || fail "a $gap ms gap between WATCHDOG=1 datagrams (limit $((WATCHDOG_USEC / 1000)) ms)"

stop_agent
rc=0
wait "$AGENT_PID" 2>/dev/null || rc=$?
AGENT_PID=""
assert_eq "$rc" 0 "the agent's exit status after SIGTERM"
wait_until 2 grep -q 'STOPPING=1' "$MESSAGES" || fail "no STOPPING=1 after SIGTERM: $(tail -n 3 "$MESSAGES")"
last=$(tail -n 1 "$MESSAGES" | cut -f2)
[[ $last == STOPPING=1* ]] || fail "the last datagram is '$last', not STOPPING=1"

result "PASS no READY while etcd was down ($early WATCHDOG=1 in 2 s); READY=1 ${ready_ms} ms after" \
    "etcd started, with the first sync in etcd; $((after - before)) WATCHDOG=1 in 1.5 s, largest gap" \
    "${gap} ms (WATCHDOG_USEC=$WATCHDOG_USEC); SIGTERM: STOPPING=1 last, exit 0"
