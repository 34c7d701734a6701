#!/usr/bin/env bash
# timeout: 400
# Issue 5, scenario 5: the agent is SIGKILLed.
#  a) Not restarted: its service keys, detail records and host record /portolan/hosts/<host> are
#     still there right after the kill and all vanish once the lease expires (-ttl=5); the time
#     from the kill until each kind is gone is measured; no lease is left.
#  b) Restarted 1 s after the SIGKILL (within the TTL): for 2 x TTL after the kill every record
#     stays present (polled every 100 ms) and an etcdctl watch on / sees zero DELETE events for
#     the agent's keys. Soak: more containers and three kill/restart rounds.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/clusterlib.sh"
fault_deadline 130

HOST=core-01
TTL=5 CONTAINERS=4 ROUNDS=1 RESTART_DELAY=1
[ "$SOAK" = 1 ] && CONTAINERS=12 ROUNDS=3

start_dockerd
start_etcd
build_churn_image
ARGS=(-ttl=$TTL -ip=10.0.0.5 -hostname=$HOST "etcd://127.0.0.1:$ETCD_PORT/services")
start_agent "${ARGS[@]}"
expect_log 'Connected to etcd' 20
for i in $(seq 1 "$CONTAINERS"); do run_c "k.$i" || fail "docker run k.$i: $RUN_C_ERROR"; done
wait_converged $HOST /services 30
sleep $((TTL + 1)) # the lease must outlive its first TTL while the agent runs (keep-alive)
_converged $HOST /services || fail "records changed while the agent ran for one TTL: $AUDIT"
NKEYS=$(av keys "$AUDIT")
NDET=$(av details "$AUDIT")

# counts: sets s d h = this host's keys, detail records, host record (0/1) right now, read with
# one range request through etcd's JSON gateway (quicker than starting etcdctl; a failed request
# fails the scenario rather than reading as "0 keys").
counts() {
    curl -sf -m 5 -X POST "http://127.0.0.1:$ETCD_PORT/v3/kv/range" \
        -d '{"key":"Lw==","range_end":"MA==","keys_only":true}' >"$IT_DIR/all.json" ||
        fail "range request to etcd failed"
    read -r s d h <<<"$("$IT_PY" -c '
import base64, json, sys
host = sys.argv[1]
s = d = h = 0
for kv in json.load(open(sys.argv[2])).get("kvs", []):
    k = base64.b64decode(kv["key"]).decode("utf-8", "replace")
    if k.startswith("/services/") and k.rsplit("/", 1)[-1].startswith(host + ":"):
        s += 1
    elif k.startswith("/portolan/services/%s/" % host):
        d += 1
    elif k == "/portolan/hosts/" + host:
        h = 1
print(s, d, h)' "$HOST" "$IT_DIR/all.json")"
}

# ---- a) SIGKILL, no restart: everything goes with the lease
kill_agent
t_kill=$(now_ms)
AGENT_PID=""
counts
[ "$s $d $h" = "$NKEYS $NDET 1" ] ||
    fail "right after SIGKILL: $s keys, $d detail records, host record $h; expected $NKEYS $NDET 1 (they live until the lease expires)"
gone_s="" gone_d="" gone_h=""
limit=$((TTL + 5))
while [ "$(now_ms)" -lt $((t_kill + limit * 1000)) ]; do
    counts
    t=$(($(now_ms) - t_kill))
    [ -z "$gone_s" ] && [ "$s" = 0 ] && gone_s=$t
    [ -z "$gone_d" ] && [ "$d" = 0 ] && gone_d=$t
    [ -z "$gone_h" ] && [ "$h" = 0 ] && gone_h=$t
    [ -n "$gone_s" ] && [ -n "$gone_d" ] && [ -n "$gone_h" ] && break
    sleep 0.1
done
[ -n "$gone_s" ] && [ -n "$gone_d" ] && [ -n "$gone_h" ] ||
    fail "$limit s after SIGKILL (-ttl=$TTL) still $s keys, $d detail records, host record $h"
[ "$gone_s" -ge 1000 ] || fail "keys vanished $gone_s ms after SIGKILL: sooner than a $TTL s lease allows"
left=$(etcd_get_prefix /portolan/ | wc -l)
assert_eq "$left" 0 "records left under /portolan/ after the lease expired"
leases=$(ectl lease list | grep -c '^[0-9a-f]\{8,\}$' || true)
assert_eq "$leases" 0 "leases left in etcd"
say "SIGKILL: keys gone after $gone_s ms, detail records $gone_d ms, host record $gone_h ms (-ttl=$TTL)"

# ---- b) SIGKILL and restart within the TTL: nothing disappears
start_agent "${ARGS[@]}"
wait_converged $HOST /services 30
watch_start all "http://127.0.0.1:$ETCD_PORT" /
restart_ms_max=0
for r in $(seq 1 "$ROUNDS"); do
    kill_agent
    t_kill=$(now_ms)
    sleep "$RESTART_DELAY"
    start_agent "${ARGS[@]}"
    rms=$(($(now_ms) - t_kill))
    [ "$rms" -le "$restart_ms_max" ] || restart_ms_max=$rms
    end=$((t_kill + 2 * TTL * 1000))
    polls=0
    while [ "$(now_ms)" -lt "$end" ]; do
        counts
        [ "$s $d $h" = "$NKEYS $NDET 1" ] ||
            fail "round $r: $(($(now_ms) - t_kill)) ms after SIGKILL (restarted after $rms ms): $s keys, $d detail records, host record $h; expected $NKEYS $NDET 1"
        polls=$((polls + 1))
        assert_agent_alive
        sleep 0.1
    done
    say "round $r: restarted $rms ms after SIGKILL; all records present in $polls polls over 2 x TTL"
done
wait_converged $HOST /services 10
sleep 0.5 # let the watcher write out the last events
deletes=$("$IT_PY" - "$IT_DIR/watch.all.txt" "$HOST" <<'PY'
import base64, json, sys
puts = dels = 0
bad = []
for line in open(sys.argv[1]):
    ts, _, js = line.partition(" ")
    try:
        doc = json.loads(js)
    except ValueError:
        continue
    for ev in doc.get("Events") or []:
        key = base64.b64decode(ev["kv"]["key"]).decode("utf-8", "replace")
        if "zz-watch-probe" in key or not (key.startswith("/services/") or key.startswith("/portolan/")):
            continue
        if ev.get("type") in (1, "DELETE"):
            dels += 1
            bad.append(key)
        else:
            puts += 1
print(puts, dels, " ".join(bad[:5]))
PY
)
read -r puts dels bad <<<"$deletes"
[ "$dels" = 0 ] || fail "the watcher saw $dels DELETE events for the agent's records across the restart(s): $bad"
[ "$puts" -gt 0 ] || fail "the watcher saw no PUT at all: is it watching?"
result "SIGKILL: $NKEYS keys, $NDET detail records and the host record present right after, gone $(ms_s "$gone_s") s," \
    "$(ms_s "$gone_d") s and $(ms_s "$gone_h") s after the kill (-ttl=$TTL), no lease left;" \
    "restarted $ROUNDS x within $(ms_s "$restart_ms_max") s of a SIGKILL: every record present for 2 x TTL," \
    "watcher saw $puts PUT and 0 DELETE"
