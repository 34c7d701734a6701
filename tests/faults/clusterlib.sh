# shellcheck shell=bash
# Helpers for the fault scenarios (issue 5), sourced after ../integration/lib.sh:
#   - a three-member etcd cluster on loopback (members n1 n2 n3), with SIGKILL and restart of
#     single members, leader lookup and the agent's registry URI naming all three endpoints;
#   - container churn in the background (a stream of containers started and removed, each
#     operation logged with a timestamp);
#   - a timestamped etcd watcher and the analysis that turns churn log + etcd history into
#     figures (registrations seen, lost, duplicated, delays).
# Every member runs under $IT_DIR, so lib.sh's teardown and its stale-run reaper find it.

FAULTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOAK=${PORTOLAN_SOAK:-0}
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

# ---------------------------------------------------------------- containers and churn

# run_c NAME [DOCKER RUN OPTIONS...]: runs example/churn with its ports published on 127.0.0.1 at
# host ports this run picks from a random base in 40000-60000. (With -P, every private dockerd
# hands out ports from 32768 up, and containers of test runs going on at the same time collided:
# "bind: address already in use".) A taken port moves on to the next ones, up to 5 attempts;
# the last error is in RUN_C_ERROR. Never `run_c ... >/dev/null`: lib.sh's fail() would print
# into /dev/null; write `run_c ... || fail "..."`.
PORT_NEXT=$((40000 + RANDOM % 360 * 50))
run_c() {
    local name=$1 attempt p args
    shift
    for attempt in 1 2 3 4 5; do
        args=()
        for p in "${CHURN_PORTS[@]}"; do
            args+=(-p "127.0.0.1:$PORT_NEXT:$p")
            PORT_NEXT=$((PORT_NEXT + 1))
        done
        [ "$PORT_NEXT" -lt 60900 ] || PORT_NEXT=40000
        RUN_C_ERROR=$(dk run -d --name "$name" "${args[@]}" "$@" example/churn 2>&1) && return 0
        dk rm -f "$name" >/dev/null 2>&1 || true
    done
    return 1
}

# churn_start NAME_PREFIX COUNT WINDOW PAUSE_S: in the background, runs NAME_PREFIX.1 ..
# NAME_PREFIX.COUNT (image example/churn, run_c) one after the other (churn_stop ends it early),
# and once more than WINDOW run,
# removes the oldest (alternately `docker stop -t 1` + rm and `docker rm -f`). Each finished
# operation is logged as "<ms> start|stop <name>" in $CHURN_LOG; a failed docker command as
# "<ms> error <op> <name>". CHURN_PID is the background job.
CHURN_LOG=""
churn_start() {
    CHURN_LOG=$IT_DIR/churn.$1.log
    : >"$CHURN_LOG"
    start_helper "$IT_DIR/churn.$1.out" _churn "$@"
    CHURN_PID=$HELPER_PID
    say "churn: $2 containers $1.N, at most $3 running, pause $4 s (pid $CHURN_PID)"
}

_churn() {
    set +eE
    trap - ERR
    local p=$1 n=$2 window=$3 pause=$4 i old
    PORT_NEXT=$((PORT_NEXT + 4000)) # clear of the ports the main script goes on using
    [ "$PORT_NEXT" -lt 58000 ] || PORT_NEXT=40000
    for i in $(seq 1 "$n"); do
        [ -e "$CHURN_LOG.stop" ] && break
        if run_c "$p.$i"; then
            echo "$(now_ms) start $p.$i" >>"$CHURN_LOG"
        else
            echo "$(now_ms) error start $p.$i: $RUN_C_ERROR" >>"$CHURN_LOG"
        fi
        if [ "$i" -gt "$window" ]; then
            old=$p.$((i - window))
            if [ $((i % 2)) = 0 ]; then
                dk stop -t 1 "$old" >/dev/null && dk rm "$old" >/dev/null
            else
                dk rm -f "$old" >/dev/null
            fi && echo "$(now_ms) stop $old" >>"$CHURN_LOG" || echo "$(now_ms) error stop $old" >>"$CHURN_LOG"
        fi
        sleep "$pause"
    done
    echo "$(now_ms) done" >>"$CHURN_LOG"
}

churn_stop() { # TIMEOUT_S: ends the churn after its current operation
    : >"$CHURN_LOG.stop"
    churn_wait "$1"
}

churn_wait() { # TIMEOUT_S
    wait_pid_exit "$CHURN_PID" "$1" || fail "churn did not finish within $1 s ($(grep -c start "$CHURN_LOG") started so far)"
    local errors
    errors=$(grep -c ' error ' "$CHURN_LOG" || true)
    [ "$errors" = 0 ] || say "churn: $errors docker command(s) failed: $(grep ' error ' "$CHURN_LOG" | head -n 5 | tr '\n' ';')"
}

churn_started() { grep -c ' start ' "$CHURN_LOG" || true; }

# build_churn_image: example/churn exposes four ports, so every container is four registrations
# (registrator's group naming: churn-7001 .. churn-7004); docker run is the slow part of churn.
build_churn_image() { build_image example/churn "${CHURN_PORTS[@]}"; }
CHURN_PORTS=(7001 7002 7003 7004)

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

# ---------------------------------------------------------------- analysis

# churn_report HOST PREFIX EVENTS_FILE [T_FAULT_MS [T_FAULT_END_MS]]: compares the churn log with
# the etcd events (watch.*.txt or history_dump output). Prints "key=value" lines:
#   expected   registrations the churn asked for (started containers x published ports)
#   seen       of those, how many keys etcd ever got a PUT for
#   lost       expected - seen (their container ran long enough: WINDOW > 1)
#   dup_puts   keys PUT more than once while their container ran (rewrites; informative)
#   deleted    keys of stopped containers that got a DELETE (or lease expiry)
#   delay_med_ms delay_max_ms  docker run returned -> PUT seen (timestamped watches only)
#   fault_delay_max_ms         the same for containers started, and docker rm returned -> DELETE
#                              seen for containers removed, in [T_FAULT - 1 s, T_FAULT_END + 10 s]
#   first_write_after_ms       first event under PREFIX after T_FAULT (timestamped watches only)
churn_report() {
    "$IT_PY" - "$CHURN_LOG" "$1" "$2" "$3" "${4:-0}" "${5:-${4:-0}}" "${CHURN_PORTS[@]}" <<'PY'
import base64, json, statistics, sys
churn_log, host, prefix, events_file, t_fault, t_fault_end = sys.argv[1:7]
ports = sys.argv[7:]
t_fault, t_fault_end = int(t_fault), int(t_fault_end)
started, stopped = {}, {}
for line in open(churn_log):
    f = line.split()
    if len(f) == 3 and f[1] == "start":
        started[f[2]] = int(f[0])
    elif len(f) == 3 and f[1] == "stop":
        stopped[f[2]] = int(f[0])
puts, dels = {}, {}
first_after = None
for line in open(events_file):
    ts, _, js = line.partition(" ")
    try:
        doc = json.loads(js)
    except ValueError:
        continue
    for ev in doc.get("Events") or []:
        kv = ev.get("kv") or {}
        key = base64.b64decode(kv.get("key", "")).decode("utf-8", "replace")
        if not key.startswith(prefix):
            continue
        t = int(ts)
        if t_fault and t and t > t_fault and first_after is None:
            first_after = t - t_fault
        if ev.get("type") in (1, "DELETE"):
            dels.setdefault(key, []).append(t)
        else:
            puts.setdefault(key, []).append(t)
def keys_of(name):
    base = name.rsplit(".", 1)[0]
    return ["%s/churn-%s/%s:%s:%s" % (prefix.rstrip("/"), p, host, name, p) for p in ports]
expected = seen = deleted = dup = 0
delays, fault_delays = [], []
for name, t_start in started.items():
    for k in keys_of(name):
        expected += 1
        if k in puts:
            seen += 1
            if len(puts[k]) > 1:
                dup += 1
            t_put = puts[k][0]
            if t_put:
                d = max(0, t_put - t_start)
                delays.append(d)
                if t_fault and t_fault - 1000 <= t_start <= t_fault_end + 10000:
                    fault_delays.append(d)
        if name in stopped and k in dels:
            deleted += 1
            t_stop, t_del = stopped[name], dels[k][0]
            if t_fault and t_del and t_fault - 1000 <= t_stop <= t_fault_end + 10000:
                fault_delays.append(max(0, t_del - t_stop))
print("expected=%d" % expected)
print("seen=%d" % seen)
print("lost=%d" % (expected - seen))
print("dup_puts=%d" % dup)
print("stopped_keys=%d" % (len(stopped) * len(ports)))
print("deleted=%d" % deleted)
print("delay_med_ms=%d" % (statistics.median(delays) if delays else -1))
print("delay_max_ms=%d" % (max(delays) if delays else -1))
print("fault_delay_max_ms=%d" % (max(fault_delays) if fault_delays else -1))
print("fault_started=%d" % len(fault_delays))
print("first_write_after_ms=%d" % (first_after if first_after is not None else -1))
for name in sorted(started):
    for k in keys_of(name):
        if k not in puts:
            print("lost_key=%s" % k)
PY
}

# registry_audit HOST PREFIX: compares etcd with Docker's running set right now (the scenarios run
# the agent with -ip=10.0.0.5) and prints
# "key=value" lines: running (containers), want (keys Docker implies), keys (this host's keys
# under PREFIX), missing, extra, dup_ids (a service id under two names), details (detail records
# under /portolan/services/HOST/), detail_missing, detail_extra, host_record (0/1).
registry_audit() {
    local host=$1 prefix=$2
    docker_running_json >"$IT_DIR/audit.inspect.json" || return 2
    etcd_get_prefix "$prefix/" >"$IT_DIR/audit.services.txt" || return 2
    etcd_get_prefix "/portolan/services/$host/" >"$IT_DIR/audit.details.txt" || return 2
    local hr=0
    etcd_get "/portolan/hosts/$host" >/dev/null && hr=1
    "$IT_PY" "$IT_LIB_DIR/ittool.py" expected --hostname "$host" --prefix "$prefix" --ip 10.0.0.5 \
        <"$IT_DIR/audit.inspect.json" >"$IT_DIR/audit.want.txt" || return 2
    "$IT_PY" - "$IT_DIR/audit.inspect.json" "$IT_DIR/audit.want.txt" "$IT_DIR/audit.services.txt" \
        "$IT_DIR/audit.details.txt" "$host" "$hr" <<'PY'
import collections, json, sys
inspect, want_f, have_f, det_f, host, hr = sys.argv[1:7]
text = open(inspect).read().strip()
running = len(json.loads(text)) if text else 0
def lines(f):
    out = {}
    for l in open(f):
        k, _, v = l.rstrip("\n").partition("\t")
        if k:
            out[k] = v
    return out
want = lines(want_f)
have = {k: v for k, v in lines(have_f).items() if k.rsplit("/", 1)[-1].startswith(host + ":")}
ids = collections.Counter(k.rsplit("/", 1)[-1] for k in have)
details = {k.rsplit("/", 1)[-1] for k in lines(det_f)}
want_ids = {k.rsplit("/", 1)[-1] for k in want}
print("running=%d" % running)
print("want=%d" % len(want))
print("keys=%d" % len(have))
print("missing=%d" % len(set(want) - set(have)))
print("extra=%d" % len(set(have) - set(want)))
print("wrong_value=%d" % sum(1 for k in set(want) & set(have) if want[k] != have[k]))
print("dup_ids=%d" % sum(1 for c in ids.values() if c > 1))
print("details=%d" % len(details))
print("detail_missing=%d" % len(want_ids - details))
print("detail_extra=%d" % len(details - want_ids))
print("host_record=%s" % hr)
for k in sorted(set(want) - set(have))[:5]:
    print("example_missing=%s" % k)
for k in sorted(set(have) - set(want))[:5]:
    print("example_extra=%s" % k)
PY
}

# audit_ok: true when the last registry_audit output ($1: its text) shows etcd == Docker.
audit_ok() {
    local a=$1
    grep -qx 'missing=0' <<<"$a" && grep -qx 'extra=0' <<<"$a" && grep -qx 'wrong_value=0' <<<"$a" &&
        grep -qx 'dup_ids=0' <<<"$a" && grep -qx 'detail_missing=0' <<<"$a" &&
        grep -qx 'detail_extra=0' <<<"$a" && grep -qx 'host_record=1' <<<"$a"
}

_converged() { AUDIT=$(registry_audit "$1" "$2") && audit_ok "$AUDIT"; }

# wait_converged HOST PREFIX TIMEOUT_S: polls until etcd == Docker (service keys, detail records,
# host record); sets WAITED_MS and AUDIT; fails with the audit on timeout.
wait_converged() {
    AUDIT=""
    if ! wait_until "$3" _converged "$1" "$2"; then
        AUDIT=$(registry_audit "$1" "$2" || true)
        echo "---- audit after $3 s:"
        echo "$AUDIT"
        fail "etcd did not equal Docker's running set within $3 s (audit above)"
    fi
}

av() { sed -n "s/^$1=//p" <<<"$2" | head -n 1; } # av NAME TEXT: a value from key=value lines

ms_s() { printf '%d.%01d' $(($1 / 1000)) $((($1 % 1000) / 100)); } # 1234 -> 1.2

# fault_deadline SECONDS: the short variant's own watchdog. The "# timeout:" line (ctest) must
# also cover the soak variant, so without -soak the scenario fails after SECONDS instead.
fault_deadline() {
    [ "$SOAK" = 1 ] && return 0
    [ "$1" -lt "${PORTOLAN_IT_DEADLINE:-240}" ] || return 0
    local pid
    for pid in $(_children "$IT_WATCHDOG") "$IT_WATCHDOG"; do kill -KILL "$pid" 2>/dev/null; done
    PORTOLAN_IT_DEADLINE=$1
    (sleep "$1" && kill -TERM $$) 2>/dev/null &
    IT_WATCHDOG=$!
    disown "$IT_WATCHDOG"
}

# ---------------------------------------------------------------- etcd outage (quorum_loss, etcd_down)

# The common start of the outage scenarios: a private dockerd, the three-member etcd, the churn
# image, an agent for $HOST with a 15 s TTL on the cluster, and the containers running before
# the fault.
outage_setup() {
    start_dockerd
    start_etcd_cluster
    build_churn_image
    start_agent -ttl=15 -ip=10.0.0.5 -hostname="$HOST" "$(ec_registry_uri /services)"
    expect_log 'Connected to etcd' 20
    pre_containers
}

# outage_run OUTAGE_S MEMBER...: the common body of quorum_loss and etcd_down. Expects dockerd,
# the cluster, the churn image and the agent (hostname $HOST, prefix /services) running and
# converged, with containers pre.1 .. pre.4 registered. SIGKILLs the MEMBERs; for OUTAGE_S seconds
# containers ch.N are started and removed (at most 3 running) and pre.1 (rm -f) and pre.2 (stop)
# go away, so their keys become stale; then the MEMBERs restart on their data dirs. Measures and
# sets: OUT_QUORUM_MS (restart -> every member healthy), OUT_CONV_MS (healthy -> etcd = Docker),
# OUT_CONV_RESTART_MS (restart -> etcd = Docker), OUT_LINES (agent log lines during the outage,
# except added:/removed:, listed in $IT_DIR/outage-log.txt), OUT_AFTER_LINES (the same from the
# restart until convergence), OUT_STARTED/OUT_REMOVED (containers started/removed during it).
outage_run() {
    local secs=$1 n lines_before lines_restart t_down t_up rest
    shift
    local members=("$@")
    wait_converged "$HOST" /services 30
    lines_before=$(wc -l <"$AGENT_LOG")
    for n in "${members[@]}"; do kill_member "$n" KILL; done
    t_down=$(now_ms)
    say "etcd outage: ${members[*]} down for $secs s; containers keep changing"
    churn_start ch 100000 3 0.2
    sleep 2
    dk rm -f pre.1 >"$IT_DIR/dk.out" 2>&1 || fail "docker rm -f pre.1: $(cat "$IT_DIR/dk.out")"
    dk stop -t 1 pre.2 >"$IT_DIR/dk.out" 2>&1 || fail "docker stop pre.2: $(cat "$IT_DIR/dk.out")"
    rest=$((t_down + secs * 1000 - $(now_ms)))
    [ "$rest" -le 0 ] || sleep "$((rest / 1000)).$(printf %03d $((rest % 1000)))"
    churn_stop 60
    OUT_STARTED=$(churn_started)
    OUT_REMOVED=$(($(grep -c ' stop ' "$CHURN_LOG" || true) + 2))
    assert_agent_alive
    lines_restart=$(wc -l <"$AGENT_LOG")
    sed -n "$((lines_before + 1)),${lines_restart}p" "$AGENT_LOG" | grep -vE ' (added|removed): ' \
        >"$IT_DIR/outage-log.txt" || true
    OUT_LINES=$(wc -l <"$IT_DIR/outage-log.txt")
    say "agent log during the $secs s outage ($OUT_LINES line(s) besides added/removed):"
    sed 's/^/    | /' "$IT_DIR/outage-log.txt" | head -n 20
    if grep -qiE 'docker' "$IT_DIR/outage-log.txt"; then
        fail "the agent lost Docker during the etcd outage (log above)"
    fi

    for n in "${members[@]}"; do restart_member "$n"; done
    t_up=$(now_ms)
    _all_healthy() { local m; for m in "${EC_NAMES[@]}"; do member_healthy "$m" || return 1; done; }
    wait_until 60 _all_healthy || fail "the etcd cluster did not become healthy within 60 s of the restart"
    OUT_QUORUM_MS=$WAITED_MS
    _ec_track
    wait_converged "$HOST" /services 60
    OUT_CONV_MS=$WAITED_MS
    OUT_CONV_RESTART_MS=$(($(now_ms) - t_up))
    assert_agent_alive
    OUT_AFTER_LINES=$(sed -n "$((lines_restart + 1)),\$p" "$AGENT_LOG" | grep -cvE ' (added|removed): ' || true)
    say "etcd healthy $OUT_QUORUM_MS ms after the restart; etcd = Docker $OUT_CONV_MS ms later;" \
        "agent log after the restart: $(sed -n "$((lines_restart + 1)),\$p" "$AGENT_LOG" | grep -vE ' (added|removed): ' | tr '\n' '|')"
    local k
    for k in pre.1 pre.2; do
        [ -z "$(etcd_get_prefix /services/ | grep ":$k:")" ] || fail "stale keys of $k remain after the outage"
        [ -z "$(etcd_get_prefix "/portolan/services/$HOST/" | grep ":$k:")" ] || fail "stale detail records of $k remain"
    done
}

# pre_containers: pre.1 .. pre.4 (four published ports each), registered before a fault.
pre_containers() {
    local i
    for i in 1 2 3 4; do run_c "pre.$i" || fail "docker run pre.$i: $RUN_C_ERROR"; done
    wait_converged "$HOST" /services 30
}
