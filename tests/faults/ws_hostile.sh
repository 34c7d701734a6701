#!/usr/bin/env bash
# timeout: 240
# Issue 5, item 8c: hostile WebSocket clients against the agent's feed (docs/feed.md).
#
# A real agent (-feed, private dockerd and etcd) serves one well-behaved client
# (tools/feed_watch.mjs, the `ws` package) for the whole run. Meanwhile (tools/ws_hostile.py, raw
# sockets):
#   1. one connection per bad frame: non-JSON text, a non-object, an unknown type, a ping without
#      an id, a binary frame (all 1003), a 1.5 KiB frame and a 4 MiB frame (1009), invalid UTF-8
#      (1007); each must get the server's close frame with that code;
#   2. while DELTAS services are added and then removed through etcd (2 messages each way): two
#      clients that never read (4 KiB receive buffer) must be closed with 1013 (the agent logs it)
#      and cut; a ping flood must be answered (every protocol ping; control pings at least by
#      the pong for the latest, RFC 6455 5.5.3); 100 half-open
#      TCP connections (nothing sent, or half an upgrade request) must all be cut by the server
#      (idle for 30 s; docs/feed.md, "Connections").
# Afterwards: the agent is up, the well-behaved client was never dropped and saw every change
# (an `added` and a `removed` for each service), its picture equals etcd, a new client is served,
# and the agent's RSS stayed bounded (sampled every 100 ms; printed).
# PORTOLAN_SOAK=1: 10000 services and 8 clients that never read.
source "$(dirname "$0")/../integration/lib.sh"

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
need_browser_tooling ws
if [ "${PORTOLAN_SOAK:-0}" = 1 ]; then DELTAS=10000 NEVERREAD=8 HOLD_S=90; else DELTAS=1500 NEVERREAD=2 HOLD_S=30; fi
# The agent's memory may grow by at most this much, at any moment, over its level before the
# hostile clients came: a snapshot and 1 MiB of queue per client that does not read, Qt's buffers.
RSS_BOUND_KB=$((64 * 1024 + NEVERREAD * 12 * 1024))

start_dockerd
start_etcd
build_image example/redis 6379
FEED=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 1)
start_agent -hostname=host-a -ip=127.0.0.1 -feed=127.0.0.1:$FEED "etcd://127.0.0.1:$ETCD_PORT/services"
wait_until 15 curl -sf -m 1 -o /dev/null "http://127.0.0.1:$FEED/api/v1/hosts" ||
    fail "the feed on 127.0.0.1:$FEED does not answer"
dk run -d --name redis.1 -P example/redis >/dev/null
expect_etcd_matches_docker /services host-a 127.0.0.1 30

rss() { awk '/VmRSS/{print $2}' "/proc/$AGENT_PID/status"; }
compare() { "$IT_PY" "$TOOLS/feed_compare.py" "$@"; }
hostile() { timeout 60 "$IT_PY" "$TOOLS/ws_hostile.py" "$FEED" "$@"; }

start_helper "$IT_DIR/client.log" node "$TOOLS/feed_watch.mjs" --url "ws://127.0.0.1:$FEED/ws" --state "$IT_DIR/client.json"
CLIENT=$HELPER_PID
wait_until 20 compare view "$ETCD_PORT" "$IT_DIR/client.json" || fail "the well-behaved client never got the picture"
sleep 2
RSS0=$(rss)
start_helper "$IT_DIR/rss.log" bash -c "while [ -e /proc/$AGENT_PID ]; do awk '/VmRSS/{print \$2}' /proc/$AGENT_PID/status; sleep 0.1; done"
say "agent RSS before the hostile clients: $RSS0 kB"

# ---- 1. bad frames, one connection each
CODES=()
for probe in text-garbage:1003 non-object:1003 unknown-type:1003 ping-no-id:1003 binary:1003 \
    big-1k:1009 big-4m:1009 bad-utf8:1007; do
    kind=${probe%:*} want=${probe#*:}
    out=$(hostile probe "$kind") || fail "probe $kind failed: $out"
    say "$out"
    [[ $out == "$kind close=$want "* ]] || fail "$kind: expected a close frame with code $want, got: $out"
    CODES+=("$kind=$want")
done

# ---- 2. clients that never read, a ping flood and half-open connections, while deltas flow
NR_PIDS=()
for i in $(seq 1 "$NEVERREAD"); do
    start_helper "$IT_DIR/neverread.$i.log" "$IT_PY" "$TOOLS/ws_hostile.py" "$FEED" neverread "$HOLD_S"
    NR_PIDS+=("$HELPER_PID")
done
start_helper "$IT_DIR/idle.log" "$IT_PY" "$TOOLS/ws_hostile.py" "$FEED" idle 100 45
IDLE_PID=$HELPER_PID
for i in $(seq 1 "$NEVERREAD"); do
    wait_until 20 grep -q upgraded "$IT_DIR/neverread.$i.log" || fail "client $i that never reads was not upgraded"
done
NR_PORTS=$(grep -ho 'local=[0-9]*' "$IT_DIR"/neverread.*.log | sed 's/local=//' | sort -u)
start_helper "$IT_DIR/pingflood.log" timeout 90 "$IT_PY" "$TOOLS/ws_hostile.py" "$FEED" pingflood 5000
PING_PID=$HELPER_PID

# At most 250 changes (~650 KiB) a second: a client that reads keeps up even on a loaded machine
# (its 1 MiB queue is 1.5 s of slack), one that does not read overflows within seconds.
say "adding and removing $DELTAS services through etcd (2 KiB of attributes each, 25 per 100 ms)"
T0=$(now_ms)
"$IT_PY" - "$ETCD_PORT" "$DELTAS" <<'PY'
import base64, json, sys, time, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
b = lambda s: base64.b64encode(s.encode()).decode()
def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()
for start in range(0, n, 25):
    ops = []
    for i in range(start, min(n, start + 25)):
        sid = f"flood:svc-{i:05d}:6379"
        value = {"id": sid, "name": "flood", "host": "flood", "ip": "127.0.0.2", "port": 10000 + i,
                 "protocol": "tcp", "tags": [], "attributes": {"pad": "p" * 2048},
                 "containerId": f"{i:064x}", "containerName": f"svc-{i:05d}", "image": "x/flood:latest",
                 "key": f"/services/flood/{sid}", "registeredAt": "2026-11-27T05:00:01.000Z"}
        ops.append({"request_put": {"key": b(f"/portolan/services/flood/{sid}"), "value": b(json.dumps(value))}})
    post("/v3/kv/txn", {"success": ops})
    time.sleep(0.1)
for start in range(0, n, 25):
    ops = [{"request_delete_range": {"key": b(f"/portolan/services/flood/flood:svc-{i:05d}:6379")}}
           for i in range(start, min(n, start + 25))]
    post("/v3/kv/txn", {"success": ops})
    time.sleep(0.1)
PY
say "etcd writes done in $(($(now_ms) - T0)) ms"

# The well-behaved client saw every change: an added and a removed for each service.
all_seen() {
    "$IT_PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); n=int(sys.argv[2])
added={o["id"] for o in s["serviceOps"] if o["op"]=="added" and o["id"].startswith("flood:")}
removed={o["id"] for o in s["serviceOps"] if o["op"]=="removed" and o["id"].startswith("flood:")}
print(len(added), len(removed)); sys.exit(0 if len(added)==n and len(removed)==n else 1)' "$IT_DIR/client.json" "$DELTAS"
}
wait_until 60 all_seen || fail "the well-behaved client missed changes: added/removed seen: $(all_seen)"
DELIVERED_MS=$(($(now_ms) - T0))
_pid_alive "$CLIENT" || fail "the well-behaved client was dropped: $(cat "$IT_DIR/client.log")"
SNAPSHOTS=$("$IT_PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["snapshots"]))' "$IT_DIR/client.json")
assert_eq "$SNAPSHOTS" 1 "snapshots the well-behaved client got (a second one means it was treated as slow)"
wait_until 20 compare view "$ETCD_PORT" "$IT_DIR/client.json" || fail "the well-behaved client's picture differs from etcd"
say "the well-behaved client saw all $((2 * DELTAS)) changes within $DELIVERED_MS ms of the first write"

# The clients that never read were closed with 1013 and then cut.
for port in $NR_PORTS; do
    expect_log "feed: client 127\.0\.0\.1:$port fell behind twice within 10 s; closing it \(1013\)" 40
done
for pid in "${NR_PIDS[@]}"; do wait_pid_exit "$pid" 60 || fail "a client that never reads did not finish"; done
NR_OUT=$(cat "$IT_DIR"/neverread.*.log | grep read_after)
say "$NR_OUT"
if grep -q "still open" <<<"$NR_OUT"; then fail "a client that never reads was still connected $HOLD_S s later"; fi

wait_pid_exit "$PING_PID" 90 || fail "the ping flood did not finish"
PING_OUT=$(cat "$IT_DIR/pingflood.log")
say "$PING_OUT"
[[ $PING_OUT =~ pongs=5000\ control_pongs=([0-9]+)\ close=None ]] && ((BASH_REMATCH[1] >= 1)) ||
    fail "the ping flood was not answered: $PING_OUT"
CONTROL_PONGS=${BASH_REMATCH[1]}

wait_pid_exit "$IDLE_PID" 60 || fail "the half-open connections helper did not finish"
IDLE_OUT=$(cat "$IT_DIR/idle.log")
say "$IDLE_OUT"
[[ $IDLE_OUT == *"closed_by_server=100" ]] || fail "the server did not cut every idle connection within 45 s: $IDLE_OUT"

# Still serving: a new client gets its greeting (and closes on a bad frame as before).
out=$(hostile probe text-garbage) || fail "a new client after the hostile ones failed: $out"
[[ $out == "text-garbage close=1003 "* ]] || fail "a new client after the hostile ones: $out"
assert_agent_alive
sleep 3 # the trim after the burst
RSS1=$(rss)
RSS_PEAK=$(sort -n "$IT_DIR/rss.log" | tail -n 1)
say "agent RSS: before $RSS0 kB, peak $RSS_PEAK kB, after $RSS1 kB (bound: +$RSS_BOUND_KB kB)"
[ $((RSS_PEAK - RSS0)) -le "$RSS_BOUND_KB" ] || fail "agent RSS peaked at $RSS_PEAK kB, over $RSS0 + $RSS_BOUND_KB kB"
[ $((RSS1 - RSS0)) -le 16384 ] || fail "agent RSS stayed at $RSS1 kB after the hostile clients (was $RSS0 kB)"

result "agent up; 8 bad-frame clients closed with the documented codes (${CODES[*]}); $NEVERREAD never-reading clients closed 1013 and cut; ping flood answered (5000 protocol pongs, ${CONTROL_PONGS} control pongs for 5000 pings); $(sed 's/.*connections=\([0-9]*\).*closed_by_server=\([0-9]*\)/\2 of \1 half-open connections closed by the server/' <<<"$IDLE_OUT"); well-behaved client got all $((2 * DELTAS)) deltas in $DELIVERED_MS ms; RSS ${RSS0} -> peak ${RSS_PEAK} -> ${RSS1} kB"
