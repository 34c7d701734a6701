#!/usr/bin/env bash
# timeout: 240
# Issue 5, scenario 6: etcd compaction under a live feed and a live cluster watch.
#
# Agent A (host-a) registers a private dockerd's containers and serves a feed. Agent W
# (watch-w, no Docker) only watches: its -feed is a ClusterState driven by EtcdClusterSource,
# the same classes the dashboard uses in etcd mode. One feed client (tools/feed_watch.mjs) holds
# a WebSocket on each agent.
#
# Each round: SIGSTOP agent W; etcd is restarted, which cuts W's watch stream (W cannot notice
# while stopped, and no event reaches its socket afterwards); containers churn (new ones start,
# old ones go) and agent A registers them; etcd is compacted at its current revision; SIGCONT W. W's watch must resume from a revision etcd no longer has, so W is told
# "compacted", lists again, and its client gets a fresh `resync` snapshot. Checked:
#   - W really went through the compaction path (its log says so; a plain resume would not);
#   - W's client was never dropped, got the resync snapshot, got an event for every change made
#     while W was stopped, and its picture equals etcd (and W's /api/v1/snapshot does too);
#   - A's client (live through the churn, the compaction and the etcd restart) saw every change;
#   - after recovery W still streams live changes.
# The figure: time from SIGCONT to W's client holding the resync snapshot that equals etcd.
# PORTOLAN_SOAK=1: 5 rounds with more churn.
source "$(dirname "$0")/../integration/lib.sh"

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
need_browser_tooling ws

if [ "${PORTOLAN_SOAK:-0}" = 1 ]; then ROUNDS=5 NEW=8 GONE=4; else ROUNDS=1 NEW=5 GONE=2; fi

start_dockerd
start_etcd
build_image example/redis 6379
ETCD_URL="etcd://127.0.0.1:$ETCD_PORT/services"
read -r FEED_A FEED_W <<<"$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 2)"

start_agent -hostname=host-a -ip=127.0.0.1 -feed=127.0.0.1:$FEED_A "$ETCD_URL"
AGENT_A_PID=$AGENT_PID
AGENT_A_LOG=$AGENT_LOG
IT_PIDS+=("$AGENT_A_PID")
# W has no Docker to read (a socket that does not exist) and a long TTL: it is stopped for a while.
DOCKER_HOST=unix://$IT_DIR/no-docker.sock start_agent -hostname=watch-w -ip=127.0.0.1 -ttl=300 \
    -feed=127.0.0.1:$FEED_W "$ETCD_URL"
AGENT_W_PID=$AGENT_PID
AGENT_W_LOG=$AGENT_LOG

for port in "$FEED_A" "$FEED_W"; do
    wait_until 15 curl -sf -m 1 -o /dev/null "http://127.0.0.1:$port/api/v1/hosts" ||
        fail "the feed on 127.0.0.1:$port does not answer"
done

start_helper "$IT_DIR/client-w.log" node "$TOOLS/feed_watch.mjs" --url "ws://127.0.0.1:$FEED_W/ws" --state "$IT_DIR/client-w.json"
CLIENT_W=$HELPER_PID
start_helper "$IT_DIR/client-a.log" node "$TOOLS/feed_watch.mjs" --url "ws://127.0.0.1:$FEED_A/ws" --state "$IT_DIR/client-a.json"
CLIENT_A=$HELPER_PID

compare() { "$IT_PY" "$TOOLS/feed_compare.py" "$@"; }
client_ok() { # NAME PID: the client still runs and still holds its socket
    _pid_alive "$2" || { cat "$IT_DIR/client-$1.log"; fail "feed client $1 exited: $(cat "$IT_DIR/client-$1.json" 2>/dev/null | head -c 300)"; }
}
expect_views_match() { # TIMEOUT_S: both clients and W's API equal etcd
    wait_until "$1" compare view "$ETCD_PORT" "$IT_DIR/client-a.json" ||
        { compare view "$ETCD_PORT" "$IT_DIR/client-a.json"; AGENT_LOG=$AGENT_A_LOG; fail "client A's picture differs from etcd (above)"; }
    wait_until "$1" compare view "$ETCD_PORT" "$IT_DIR/client-w.json" ||
        { compare view "$ETCD_PORT" "$IT_DIR/client-w.json"; AGENT_LOG=$AGENT_W_LOG; fail "client W's picture differs from etcd (above)"; }
    wait_until "$1" compare api "$ETCD_PORT" "$FEED_W" ||
        { compare api "$ETCD_PORT" "$FEED_W"; AGENT_LOG=$AGENT_W_LOG; fail "agent W's /api/v1/snapshot differs from etcd (above)"; }
}
# ops_after NAME T_MS OP: "<op> <id>" lines of client NAME's service messages since T_MS
ops_after() {
    "$IT_PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))
for o in s["serviceOps"]:
    if o["t"] >= int(sys.argv[2]): print(o["op"], o["id"])
for e in s["events"]:
    if e["t"] >= int(sys.argv[2]) and e["serviceId"]: print("event-" + e["action"], e["serviceId"])' \
        "$IT_DIR/client-$1.json" "$2"
}

RUNNING=()
run_container() {
    dk run -d --name "$1" -P example/redis >/dev/null
    RUNNING+=("$1")
}
for i in 1 2 3 4; do run_container "base$i"; done
expect_etcd_matches_docker /services host-a 127.0.0.1 30
expect_views_match 20
client_ok w "$CLIENT_W"
client_ok a "$CLIENT_A"
say "both clients hold the 4 services etcd has"

RECOVERIES=()
TOTAL_CHANGES=0
for round in $(seq 1 "$ROUNDS"); do
    T_PAUSE=$(now_ms)
    kill -STOP "$AGENT_W_PID"
    say "round $round: agent W stopped; restarting etcd to cut its watch stream"
    restart_etcd
    say "round $round: churn: $NEW new containers, $GONE removed"
    ADDED=() REMOVED=()
    for i in $(seq 1 "$NEW"); do
        run_container "r${round}n$i"
        ADDED+=("host-a:r${round}n$i:6379")
    done
    for i in $(seq 1 "$GONE"); do
        victim=${RUNNING[0]}
        RUNNING=("${RUNNING[@]:1}")
        dk rm -f "$victim" >/dev/null
        REMOVED+=("host-a:$victim:6379")
    done
    expect_etcd_matches_docker /services host-a 127.0.0.1 30
    # Agent A's client saw every change live.
    wait_until 15 compare view "$ETCD_PORT" "$IT_DIR/client-a.json" ||
        { compare view "$ETCD_PORT" "$IT_DIR/client-a.json"; AGENT_LOG=$AGENT_A_LOG; fail "client A missed live changes (above)"; }
    REV=$(compare revision "$ETCD_PORT")
    ectl compact "$REV" >/dev/null
    say "round $round: etcd compacted at revision $REV; resuming agent W"
    T_CONT=$(now_ms)
    kill -CONT "$AGENT_W_PID"
    # Recovered: a resync snapshot after SIGCONT and a picture equal to etcd.
    resynced() {
        "$IT_PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))
sys.exit(0 if any(x["reason"] == "resync" and x["t"] >= int(sys.argv[2]) for x in s["snapshots"]) else 1)' \
            "$IT_DIR/client-w.json" "$T_CONT" && compare view "$ETCD_PORT" "$IT_DIR/client-w.json"
    }
    wait_until 30 resynced ||
        { compare view "$ETCD_PORT" "$IT_DIR/client-w.json"; AGENT_LOG=$AGENT_W_LOG; fail "round $round: client W got no resync snapshot equal to etcd within 30 s of SIGCONT"; }
    T_SNAP=$("$IT_PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))
print(min(x["t"] for x in s["snapshots"] if x["reason"] == "resync" and x["t"] >= int(sys.argv[2])))' \
        "$IT_DIR/client-w.json" "$T_CONT")
    RECOVER_MS=$((T_SNAP - T_CONT))
    RECOVERIES+=("$RECOVER_MS")
    client_ok w "$CLIENT_W"
    client_ok a "$CLIENT_A"
    AGENT_LOG=$AGENT_W_LOG
    expect_log "etcd compacted to revision [0-9]+, past revision" 10
    say "round $round: client W resynced $RECOVER_MS ms after SIGCONT (stopped $((T_CONT - T_PAUSE)) ms)"

    # No event lost: W's client got an `added` for each new service and a `removed` for each gone
    # one (W turns the differences of its new listing into events before the snapshot).
    ops_after w "$T_CONT" >"$IT_DIR/ops-w.$round"
    ops_after a "$T_PAUSE" >"$IT_DIR/ops-a.$round"
    for id in "${ADDED[@]}"; do
        grep -qx "added $id" "$IT_DIR/ops-w.$round" || fail "client W got no 'added' for $id after the compaction"
        grep -qx "event-added $id" "$IT_DIR/ops-w.$round" || fail "client W got no 'added' event for $id"
        grep -qx "added $id" "$IT_DIR/ops-a.$round" || fail "client A got no live 'added' for $id"
    done
    for id in "${REMOVED[@]}"; do
        grep -qx "removed $id" "$IT_DIR/ops-w.$round" || fail "client W got no 'removed' for $id after the compaction"
        grep -qx "event-removed $id" "$IT_DIR/ops-w.$round" || fail "client W got no 'removed' event for $id"
        grep -qx "removed $id" "$IT_DIR/ops-a.$round" || fail "client A got no live 'removed' for $id"
    done
    TOTAL_CHANGES=$((TOTAL_CHANGES + NEW + GONE))
    expect_views_match 20

    # W streams live again: one more container shows up at W's client as a delta.
    T_LIVE=$(now_ms)
    run_container "r${round}live"
    live_seen() { ops_after w "$T_LIVE" | grep -qx "added host-a:r${round}live:6379"; }
    wait_until 20 live_seen ||
        { AGENT_LOG=$AGENT_W_LOG; fail "round $round: client W got no live delta after recovery"; }
    TOTAL_CHANGES=$((TOTAL_CHANGES + 1))
    expect_views_match 20
done

assert_agent_alive # W (AGENT_PID)
_pid_alive "$AGENT_A_PID" || { AGENT_LOG=$AGENT_A_LOG; fail "agent A exited"; }
A_SNAPSHOTS=$("$IT_PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(len(s["snapshots"]))' "$IT_DIR/client-a.json")
SERVICES=$("$IT_PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["services"]))' "$IT_DIR/client-w.json")
sorted=$(printf '%s\n' "${RECOVERIES[@]}" | sort -n | paste -sd ' ')
result "0 of $TOTAL_CHANGES changes lost to 2 feed clients over $ROUNDS compaction(s); client behind the compaction resynced in ${sorted// /, } ms after its agent resumed; live client got ${A_SNAPSHOTS} snapshot(s); final views = etcd ($SERVICES services)"
