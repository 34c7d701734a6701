# shellcheck shell=bash
# The fault scenarios' three-member etcd (part of clusterlib.sh, sourced by it): members n1 n2 n3
# on loopback, SIGKILL and restart of single members, leader lookup, the agent's registry URI
# naming all three endpoints, and timestamped watches and history replays of what etcd stored.

EC_NAMES=(n1 n2 n3)
declare -A EC_PID=() EC_PORT=() EC_PEER=()
EC_CLUSTER=""

# ---------------------------------------------------------------- three-member etcd

start_etcd_cluster() {
    need_tools etcd etcdctl
    local ports i=0 n
    read -r -a ports <<<"$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 6)"
    for n in "${EC_NAMES[@]}"; do
        EC_PORT[$n]=${ports[$i]}
        EC_PEER[$n]=${ports[$((i + 1))]}
        i=$((i + 2))
        EC_CLUSTER+="${EC_CLUSTER:+,}$n=http://127.0.0.1:${EC_PEER[$n]}"
    done
    mkdir -p "$IT_DIR/etcd-data"
    local t0
    t0=$(now_ms)
    for n in "${EC_NAMES[@]}"; do _start_member "$n"; done
    for n in "${EC_NAMES[@]}"; do
        wait_until 30 member_healthy "$n" || {
            tail -n 20 "$IT_DIR/etcd-$n.log"
            fail "etcd member $n not healthy within 30 s of start (log above)"
        }
    done
    _ec_track
    say "etcd cluster up in $(($(now_ms) - t0)) ms: $(ec_endpoints) (leader $(ec_leader || echo '?'))"
}

_start_member() { # NAME: starts (or restarts, on its data dir) one member
    local n=$1
    etcd --name "$n" --data-dir "$IT_DIR/etcd-data/$n" \
        --listen-client-urls "http://127.0.0.1:${EC_PORT[$n]}" \
        --advertise-client-urls "http://127.0.0.1:${EC_PORT[$n]}" \
        --listen-peer-urls "http://127.0.0.1:${EC_PEER[$n]}" \
        --initial-advertise-peer-urls "http://127.0.0.1:${EC_PEER[$n]}" \
        --initial-cluster "$EC_CLUSTER" --initial-cluster-token "portolan-faults-$$" \
        --initial-cluster-state new --heartbeat-interval 50 --election-timeout 500 \
        >>"$IT_DIR/etcd-$n.log" 2>&1 </dev/null &
    EC_PID[$n]=$!
    IT_PIDS+=("$!") # teardown stops it (SIGTERM, then SIGKILL)
    disown "$!"     # no "Killed etcd ..." job notice from bash when a fault kills it
}

# lib.sh's fail() dumps keys through ETCD_PORT when ETCD_PID lives: point both at a live member.
_ec_track() {
    local n
    ETCD_PID=""
    for n in "${EC_NAMES[@]}"; do
        if _pid_alive "${EC_PID[$n]:-}"; then
            ETCD_PID=${EC_PID[$n]}
            ETCD_PORT=${EC_PORT[$n]}
            return 0
        fi
    done
}

member_alive() { _pid_alive "${EC_PID[$1]:-}"; }
member_healthy() { curl -s -m 1 "http://127.0.0.1:${EC_PORT[$1]}/health" 2>/dev/null | grep -q '"health":"true"'; }

kill_member() { # NAME [SIGNAL]
    local n=$1 sig=${2:-KILL}
    say "killing etcd member $n pid ${EC_PID[$n]} (SIG$sig)"
    kill "-$sig" "${EC_PID[$n]}" 2>/dev/null || true
    wait_pid_exit "${EC_PID[$n]}" 20 || fail "etcd member $n did not exit within 20 s of SIG$sig"
    _ec_track
}

restart_member() { # NAME: starts it again on its data dir (no waiting: quorum may need others)
    say "restarting etcd member $1"
    _start_member "$1"
    _ec_track
}

# Client URLs of the members that run now, comma-separated.
ec_endpoints() {
    local n out=""
    for n in "${EC_NAMES[@]}"; do
        member_alive "$n" && out+="${out:+,}http://127.0.0.1:${EC_PORT[$n]}"
    done
    echo "$out"
}

# The agent's registry URI with all three endpoints (RegistryConfig: HOST:PORT,HOST:PORT,...).
ec_registry_uri() { # PREFIX
    local n out=""
    for n in "${EC_NAMES[@]}"; do out+="${out:+,}127.0.0.1:${EC_PORT[$n]}"; done
    echo "etcd://$out$1"
}

# etcdctl against the live members (replaces lib.sh's single-endpoint ectl).
ectl() {
    ETCDCTL_API=3 timeout 15 etcdctl --endpoints="$(ec_endpoints_or_single)" \
        --dial-timeout=2s --command-timeout=5s "$@"
}

# ec_leader: the name of the member every live member names as leader; status 1 if none/split.
ec_leader() {
    local eps
    eps=$(ec_endpoints)
    [ -n "$eps" ] || return 1
    ETCDCTL_API=3 timeout 10 etcdctl --endpoints="$eps" --dial-timeout=1s --command-timeout=2s \
        endpoint status -w json 2>/dev/null | "$IT_PY" -c '
import json, sys
names = dict(a.split("=", 1) for a in sys.argv[1:])
doc = json.load(sys.stdin)
ids = {}
leaders = set()
for st in doc:
    s = st["Status"]
    ids[s["header"]["member_id"]] = names.get(st["Endpoint"], st["Endpoint"])
    leaders.add(s.get("leader", 0))
if len(leaders) != 1 or 0 in leaders:
    sys.exit(1)
(leader,) = leaders
if leader not in ids:
    sys.exit(1)
print(ids[leader])
' $(for n in "${EC_NAMES[@]}"; do echo "http://127.0.0.1:${EC_PORT[$n]}=$n"; done)
}

# ---------------------------------------------------------------- etcd watch and history

# watch_start NAME MEMBER_URLS PREFIX: a timestamped `etcdctl watch -w json` in the background;
# lines "<ms> <json response>" in $IT_DIR/watch.NAME.txt. It waits until the watch is open.
watch_start() {
    local name=$1 eps=$2 prefix=$3 out=$IT_DIR/watch.$1.txt
    : >"$out"
    start_helper "$IT_DIR/watch.$name.err" _ts_watch "$eps" "$prefix" "$out"
    local probe
    probe="${prefix%/}/zz-watch-probe-$name"
    _probe_watch() { ectl put "$probe" 1 >/dev/null && grep -q "$(printf %s "$probe" | base64 -w0)" "$out"; }
    wait_until 20 _probe_watch || fail "etcdctl watch $name did not start within 20 s"
    ectl del "$probe" >/dev/null || fail "etcdctl del $probe failed"
}

_ts_watch() {
    set +eE
    trap - ERR
    ETCDCTL_API=3 etcdctl --endpoints="$1" --dial-timeout=2s watch --prefix -w json "$2" 2>&1 |
        while IFS= read -r line; do
            t=${EPOCHREALTIME/./}
            printf '%s %s\n' $((t / 1000)) "$line" >>"$3"
        done
}

# history_dump FILE PREFIX: every event under PREFIX since revision 1 (etcd keeps history
# unless compacted), one JSON watch response per line, prefixed with "0 " (no timestamp). A
# marker key put (and deleted) under PREFIX afterwards tells when the replay is complete; it has
# no host part, so audits and churn_report ignore it.
history_dump() {
    local out=$1 prefix=$2 marker rev
    marker="${prefix%/}/zz-history-end"
    rev=$(ectl put "$marker" 1 -w json | "$IT_PY" -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])') ||
        fail "could not put the history marker $marker"
    ectl del "$marker" >/dev/null || fail "could not delete the history marker $marker"
    : >"$out.raw"
    ETCDCTL_API=3 timeout 30 etcdctl --endpoints="$(ec_endpoints_or_single)" watch --prefix -w json \
        --rev 1 "$prefix" >"$out.raw" 2>&1 &
    local w=$!
    _history_done() { "$IT_PY" -c '
import json, sys
last = 0
for line in open(sys.argv[1]):
    try:
        last = max(last, int(json.loads(line)["Header"]["revision"]))
    except Exception:
        pass
sys.exit(0 if last >= int(sys.argv[2]) else 1)' "$out.raw" "$rev"; }
    wait_until 25 _history_done || fail "etcd's history under $prefix did not replay up to revision $rev within 25 s"
    kill "$w" 2>/dev/null
    wait "$w" 2>/dev/null || true
    sed 's/^/0 /' "$out.raw" >"$out"
}

# Single-member scenarios (lib.sh's start_etcd) have no EC_PORT: fall back to ETCD_PORT.
ec_endpoints_or_single() {
    if [ ${#EC_PORT[@]} -gt 0 ]; then ec_endpoints; else echo "http://127.0.0.1:$ETCD_PORT"; fi
}
