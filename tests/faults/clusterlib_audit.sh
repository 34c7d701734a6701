# shellcheck shell=bash
# Analysis for the fault scenarios (part of clusterlib.sh, sourced by it): the churn log against
# etcd's events (registrations seen, lost, duplicated, delays), and etcd against what Docker runs.

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
