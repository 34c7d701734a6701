# shellcheck shell=bash
# Harness for the Portolan integration scenarios, sourced by each scenario script.
#
# Every scenario gets its own work dir, its own dockerd (own data root, exec root, socket and
# bridge, no iptables changes, published ports bound to 127.0.0.1) and its own etcd on free
# loopback ports, so scenarios do not disturb each other or other daemons on the host. An EXIT
# trap tears everything down, even after a failure, and every wait is bounded.
#
# Environment:
#   PORTOLAN_BIN         the agent under test (required)
#   PORTOLAN_TEST_OUT    where work dirs go (default /tmp)
#   PORTOLAN_TEST_KEEP=1 keep the work dir (logs) even when the scenario passes
#   PORTOLAN_IT_DEADLINE seconds before the scenario's own watchdog fails it (default 240);
#                        kept below the ctest TIMEOUT so teardown still runs

set -Eeuo pipefail

IT_NAME=$(basename "$0" .sh)
IT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_ROOT=${PORTOLAN_TEST_OUT:-/tmp}
mkdir -p "$IT_ROOT"
IT_DIR=$(mktemp -d "$IT_ROOT/portolan-it.$IT_NAME.XXXXXX")
IT_PY=/usr/bin/python3
[ -x "$IT_PY" ] || IT_PY=python3
IT_PIDS=()          # background helpers (watchers) to stop on exit
IT_FAILED=0
IT_TORN_DOWN=0
AGENT_PID=""
IT_WATCHDOG=""
AGENT_LOG=""
AGENT_RUNS=0
DOCKERD_PID=""
DOCKER_BRIDGE=""
ETCD_PID=""
ETCD_PORT=""
REGISTRY_API=v3     # v3 or v2: how etcd_get / etcd_get_prefix read keys
WAITED_MS=0         # set by every wait_* function: how long it waited
# More dockerds in one scenario (start_extra_dockerd NAME), keyed by NAME.
declare -A XD_PID=() XD_RUN=() XD_DATA=() XD_BRIDGE=() XD_HOST=()

export DOCKER_CONFIG=$IT_DIR/docker-cli   # keep the CLI away from ~/.docker
export DOCKER_CLI_HINTS=false

# ---------------------------------------------------------------- output and failure

say() { printf '%s [%s] %s\n' "$(date +%H:%M:%S.%3N)" "$IT_NAME" "$*"; }

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# Prints the scenario's one-line result (the line ctest logs show and reports quote).
result() { echo "RESULT $IT_NAME: $*"; }

# The scenario's own stdout, kept so fail() is heard even when the failing command's output
# was redirected (the ERR trap runs inside that redirection).
exec {IT_OUT}>&1

fail() {
    set +e
    trap - ERR # a failing command in the dump below must not re-enter fail()
    exec 1>&"$IT_OUT" 2>&1
    IT_FAILED=1
    echo "FAIL $IT_NAME: $*"
    if [ -n "$AGENT_LOG" ] && [ -f "$AGENT_LOG" ]; then
        echo "---- agent log tail ($AGENT_LOG)"
        tail -n 40 "$AGENT_LOG"
    fi
    if [ -n "$ETCD_PORT" ] && _pid_alive "$ETCD_PID"; then
        echo "---- etcd keys (/services, /skydns, /portolan)"
        { etcd_get_prefix /services; etcd_get_prefix /skydns; etcd_get_prefix /portolan; } 2>&1 | head -n 40
    fi
    if [ -n "$DOCKERD_PID" ] && _pid_alive "$DOCKERD_PID"; then
        echo "---- docker ps"
        timeout 10 docker ps -a --format '{{.ID}} {{.Names}} {{.Status}} {{.Ports}}' 2>&1 | head -n 20
    fi
    echo "---- work dir kept: $IT_DIR"
    exit 1
}

_on_err() { fail "command failed (status $1) at line $2: $3"; }
trap '_on_err $? $LINENO "$BASH_COMMAND"' ERR
trap 'fail "interrupted (watchdog deadline of ${PORTOLAN_IT_DEADLINE:-240} s, ctest timeout or Ctrl-C)"' TERM INT
trap '_teardown' EXIT

need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 ||
            fail "'$t' is not installed; the integration tests need docker.io (dockerd 20.10+), etcd-server, etcd-client, busybox-static, curl, python3 and iproute2 (CI installs them)"
    done
}

# need_browser_tooling [PACKAGE...]: node, npm and tests/browser's npm packages (default: ws),
# installed with npm ci when one is missing. Sets BROWSER_DIR.
need_browser_tooling() {
    BROWSER_DIR=$(cd "$IT_LIB_DIR/../browser" && pwd)
    need_tools node npm
    local p missing=0
    for p in "${@:-ws}"; do
        [ -d "$BROWSER_DIR/node_modules/$p" ] || missing=1
    done
    [ "$missing" = 0 ] && return 0
    say "installing the browser test tooling (npm ci in $BROWSER_DIR)"
    (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $BROWSER_DIR failed"
}

need_root() {
    [ "$(id -u)" = 0 ] || fail "must run as root: the scenarios start a private dockerd"
}

# Each run records what it owns in /tmp/portolan-it-runs/<pid>, so a later run can clean up
# after one that was killed outright (ctest's TIMEOUT uses SIGKILL, no trap runs then).
IT_RUNS=/tmp/portolan-it-runs
mkdir -p "$IT_RUNS"
_record_run() {
    printf 'IT_DIR=%q\nDOCKER_RUN=%q\nDOCKER_BRIDGE=%q\n' "$IT_DIR" "${DOCKER_RUN:-}" "$DOCKER_BRIDGE" >"$IT_RUNS/$$"
    # extra dockerds (start_extra_dockerd): exec roots and bridges, space-separated
    [ ${#XD_RUN[@]} -gt 0 ] &&
        printf 'XD_RUNS=%q\nXD_BRIDGES=%q\n' "${XD_RUN[*]}" "${XD_BRIDGE[*]}" >>"$IT_RUNS/$$"
    return 0
}
_reap_stale_runs() {
    local f pid
    for f in "$IT_RUNS"/*; do
        [ -f "$f" ] || continue
        pid=${f##*/}
        [ -d "/proc/$pid" ] && continue
        (
            set +eE
            trap - ERR
            . "$f"
            local p victims=() xr xpat=()
            for xr in ${XD_RUNS:-}; do xpat+=(-e "$xr/"); done
            for p in $(ls /proc | grep -E '^[0-9]+$'); do
                # by command line (dockerd, containerd, shims, etcd) or open files (agent, watchers)
                { tr '\0' ' ' <"/proc/$p/cmdline"; ls -l "/proc/$p/fd"; } 2>/dev/null |
                    grep -qF -e "$IT_DIR/" ${DOCKER_RUN:+-e "$DOCKER_RUN/"} ${xpat[@]+"${xpat[@]}"} && victims+=("$p")
            done
            echo "cleaning up after killed run $pid ($IT_DIR): processes ${victims[*]:-none}"
            [ ${#victims[@]} -gt 0 ] && kill -KILL "${victims[@]}" 2>/dev/null
            sleep 0.5
            for m in $(awk -v a="$IT_DIR" -v b="${DOCKER_RUN:-/nonexistent}" \
                'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts | sort -r); do
                umount -l "$m" 2>/dev/null
            done
            [ -n "$DOCKER_BRIDGE" ] && ip link del "$DOCKER_BRIDGE" 2>/dev/null
            [ -n "$DOCKER_RUN" ] && rm -rf "$DOCKER_RUN"
            for xr in ${XD_RUNS:-}; do
                for m in $(awk -v b="$xr" 'index($2, b) == 1 { print $2 }' /proc/mounts | sort -r); do
                    umount -l "$m" 2>/dev/null
                done
                rm -rf "$xr"
            done
            for xr in ${XD_BRIDGES:-}; do ip link del "$xr" 2>/dev/null; done
            rm -rf "$IT_DIR/docker-data" "$IT_DIR/etcd-data" "$IT_DIR"/docker-data-*
        )
        rm -f "$f"
    done
}
# ---------------------------------------------------------------- processes

_pid_alive() {
    local pid=${1:-} state
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# wait_pid_exit PID TIMEOUT_S: true when PID is gone within the timeout.
wait_pid_exit() {
    local pid=$1 deadline=$(($(now_ms) + $2 * 1000))
    while _pid_alive "$pid"; do
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
    wait "$pid" 2>/dev/null || true
    return 0
}

# Children (direct) of PID, for helpers started as subshells.
_children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true; }

_stop_pid() { # PID TIMEOUT_S: SIGTERM, then SIGKILL when it does not go
    local pid=$1
    _pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" "$2" && return 0
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" 5 || true
}

# start_helper LOGFILE CMD...: a background helper (e.g. a watcher) that teardown stops;
# its pid is in HELPER_PID.
start_helper() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 </dev/null &
    HELPER_PID=$!
    IT_PIDS+=("$HELPER_PID")
}

# ---------------------------------------------------------------- dockerd

# A bridge of our own (with a /24 no other interface uses) keeps container addresses from
# colliding with other daemons on docker0; dockerd runs with --iptables=false so it never
# flushes another daemon's DOCKER chains. Published ports default to 127.0.0.1.
_make_bridge() {
    need_tools ip
    local lock=/tmp/portolan-it-bridge.lock n
    exec {_lockfd}>"$lock"
    flock -w 30 "$_lockfd" || fail "could not lock $lock to pick a bridge subnet"
    for n in $(seq 10 250); do
        ip link show "ptlit$n" >/dev/null 2>&1 && continue
        ip -4 -o addr show | grep -q " 10\.213\.$n\." && continue
        ip -4 route show | grep -q "^10\.213\.$n\." && continue
        ip link add "ptlit$n" type bridge || continue
        # Pin the bridge's MAC (as dockerd does for docker0): left unset, Linux gives the bridge
        # the lowest MAC of its ports, so every container that comes or goes can change it and
        # the other containers' ARP entries for the gateway go stale (replies to docker-proxy
        # lost for seconds: portolan-lb's churn test saw 10 s stalls on a container that stayed).
        ip link set "ptlit$n" address "$(cat "/sys/class/net/ptlit$n/address")"
        ip addr add "10.213.$n.1/24" dev "ptlit$n"
        ip link set "ptlit$n" up
        DOCKER_BRIDGE=ptlit$n
        break
    done
    exec {_lockfd}>&-
    [ -n "$DOCKER_BRIDGE" ] || fail "no free 10.213.N.0/24 subnet for a private docker bridge"
    say "bridge $DOCKER_BRIDGE 10.213.${DOCKER_BRIDGE#ptlit}.1/24"
}

start_dockerd() {
    need_root
    need_tools dockerd docker containerd containerd-shim-runc-v2 busybox
    if [ -z "${DOCKER_RUN:-}" ]; then
        DOCKER_DATA=$IT_DIR/docker-data
        # exec root and socket on a short path: unix socket paths are limited to 108 bytes
        DOCKER_RUN=$(mktemp -d /tmp/ptl.XXXXXX)
        echo "$IT_DIR" >"$DOCKER_RUN/owner"
        echo '{}' >"$DOCKER_RUN/daemon.json"
        mkdir -p "$DOCKER_DATA"
        _make_bridge
        _record_run
    fi
    export DOCKER_HOST=unix://$DOCKER_RUN/docker.sock
    dockerd --data-root "$DOCKER_DATA" --exec-root "$DOCKER_RUN/exec" \
        --pidfile "$DOCKER_RUN/dockerd.pid" -H "$DOCKER_HOST" \
        --config-file "$DOCKER_RUN/daemon.json" --bridge "$DOCKER_BRIDGE" \
        --iptables=false --ip-masq=false --ip=127.0.0.1 \
        >>"$IT_DIR/dockerd.log" 2>&1 </dev/null &
    DOCKERD_PID=$!
    local t0 deadline
    t0=$(now_ms)
    deadline=$((t0 + 30000))
    until [ "$(curl -s -m 2 --unix-socket "$DOCKER_RUN/docker.sock" http://x/_ping 2>/dev/null)" = OK ]; do
        _pid_alive "$DOCKERD_PID" || {
            tail -n 20 "$IT_DIR/dockerd.log"
            fail "dockerd exited during start-up (log above)"
        }
        if [ "$(now_ms)" -ge "$deadline" ]; then
            tail -n 20 "$IT_DIR/dockerd.log"
            fail "dockerd did not answer _ping within 30 s (log above)"
        fi
        sleep 0.1
    done
    WAITED_MS=$(($(now_ms) - t0))
    say "dockerd pid $DOCKERD_PID ready in $WAITED_MS ms at $DOCKER_HOST"
}

# SIGTERM: dockerd stops its containers (kill/die/stop events), then exits.
stop_dockerd() {
    say "stopping dockerd (SIGTERM)"
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    wait_pid_exit "$DOCKERD_PID" 60 || fail "dockerd did not exit within 60 s of SIGTERM"
    _reap_docker_leftovers
}

# SIGKILL: no events, no clean-up by dockerd; containerd and the shims it leaves behind for this
# exec root are killed too (their containers die with them).
kill_dockerd() {
    say "killing dockerd (SIGKILL)"
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    wait_pid_exit "$DOCKERD_PID" 10 || fail "dockerd did not die within 10 s of SIGKILL"
    _reap_docker_leftovers
}

# containerd and containerd-shim processes started for this exec root, found by their
# command line (which names the exec root), killed by pid.
_reap_docker_leftovers() {
    [ -n "${DOCKER_RUN:-}" ] || return 0
    local pid pids=() i alive pidfile=$DOCKER_RUN/exec/containerd/containerd.pid
    [ -s "$pidfile" ] && _pid_alive "$(cat "$pidfile")" && pids+=("$(cat "$pidfile")")
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        [ "$pid" = $$ ] && continue
        { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF "$DOCKER_RUN/exec" && pids+=("$pid")
    done
    if [ ${#pids[@]} -gt 0 ]; then
        say "killing ${#pids[@]} leftover containerd/shim process(es): ${pids[*]}"
        kill -KILL "${pids[@]}" 2>/dev/null || true
        for i in $(seq 100); do
            alive=0
            for pid in "${pids[@]}"; do _pid_alive "$pid" && alive=1; done
            [ $alive = 0 ] && break
            sleep 0.1
        done
    fi
    # containerd dies with dockerd (parent-death signal) but may linger as a zombie until
    # pid 1 reaps it; a restarted dockerd would take that pid for a live containerd and wait
    # for it in vain, so the stale pid file goes.
    rm -f "$pidfile"
    _umount_under "$DOCKER_RUN"
    _umount_under "$DOCKER_DATA"
}

_umount_under() {
    local m
    # dockerd also bind-mounts the data root onto itself
    for m in $(awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}

# ---------------------------------------------------------------- more dockerds in one scenario

# start_extra_dockerd NAME: one more private dockerd, like start_dockerd (own data root, exec
# root, socket and bridge, --iptables=false, published ports on 127.0.0.1), for scenarios that
# need several Docker hosts. The primary daemon (DOCKER_HOST, dk, build_image ...) is untouched;
# reach this one with `with_dockerd NAME CMD...`. Its socket URL is in XD_HOST[NAME], its pid in
# XD_PID[NAME], its log in $IT_DIR/dockerd-NAME.log. Teardown stops it like the primary.
start_extra_dockerd() {
    local name=$1
    need_root
    need_tools dockerd docker containerd containerd-shim-runc-v2 busybox
    if [ -z "${XD_RUN[$name]:-}" ]; then
        XD_DATA[$name]=$IT_DIR/docker-data-$name
        XD_RUN[$name]=$(mktemp -d /tmp/ptl.XXXXXX)
        echo "$IT_DIR" >"${XD_RUN[$name]}/owner"
        echo '{}' >"${XD_RUN[$name]}/daemon.json"
        mkdir -p "${XD_DATA[$name]}"
        local primary_bridge=$DOCKER_BRIDGE
        DOCKER_BRIDGE=""
        _make_bridge
        XD_BRIDGE[$name]=$DOCKER_BRIDGE
        DOCKER_BRIDGE=$primary_bridge
        XD_HOST[$name]=unix://${XD_RUN[$name]}/docker.sock
        _record_run
    fi
    local run=${XD_RUN[$name]} log=$IT_DIR/dockerd-$name.log
    dockerd --data-root "${XD_DATA[$name]}" --exec-root "$run/exec" \
        --pidfile "$run/dockerd.pid" -H "${XD_HOST[$name]}" \
        --config-file "$run/daemon.json" --bridge "${XD_BRIDGE[$name]}" \
        --iptables=false --ip-masq=false --ip=127.0.0.1 \
        >>"$log" 2>&1 </dev/null &
    XD_PID[$name]=$!
    local t0 deadline
    t0=$(now_ms)
    deadline=$((t0 + 30000))
    until [ "$(curl -s -m 2 --unix-socket "$run/docker.sock" http://x/_ping 2>/dev/null)" = OK ]; do
        _pid_alive "${XD_PID[$name]}" || {
            tail -n 20 "$log"
            fail "dockerd $name exited during start-up (log above)"
        }
        if [ "$(now_ms)" -ge "$deadline" ]; then
            tail -n 20 "$log"
            fail "dockerd $name did not answer _ping within 30 s (log above)"
        fi
        sleep 0.1
    done
    WAITED_MS=$(($(now_ms) - t0))
    say "dockerd $name pid ${XD_PID[$name]} ready in $WAITED_MS ms at ${XD_HOST[$name]} (bridge ${XD_BRIDGE[$name]})"
}

# with_dockerd NAME CMD...: runs CMD (a command or a harness function such as dk, build_image,
# start_agent, host_port) with DOCKER_HOST pointing at the extra dockerd NAME.
with_dockerd() {
    local name=$1
    shift
    [ -n "${XD_HOST[$name]:-}" ] || fail "with_dockerd: no dockerd named '$name' (start_extra_dockerd $name first)"
    DOCKER_HOST=${XD_HOST[$name]} "$@"
}

# stop_extra_dockerd NAME: SIGTERM (its containers stop with kill/die/stop events), then clean up.
stop_extra_dockerd() {
    local name=$1
    say "stopping dockerd $name (SIGTERM)"
    kill -TERM "${XD_PID[$name]}" 2>/dev/null || true
    wait_pid_exit "${XD_PID[$name]}" 60 || fail "dockerd $name did not exit within 60 s of SIGTERM"
    DOCKER_RUN=${XD_RUN[$name]} DOCKER_DATA=${XD_DATA[$name]} _reap_docker_leftovers
}

_teardown_extra_dockerds() {
    local name ids
    for name in "${!XD_RUN[@]}"; do
        if _pid_alive "${XD_PID[$name]:-}"; then
            ids=$(DOCKER_HOST=${XD_HOST[$name]} timeout 10 docker ps -aq 2>/dev/null)
            [ -n "$ids" ] && DOCKER_HOST=${XD_HOST[$name]} timeout 30 docker rm -f $ids >/dev/null 2>&1
            _stop_pid "${XD_PID[$name]}" 30
        fi
        DOCKER_RUN=${XD_RUN[$name]} DOCKER_DATA=${XD_DATA[$name]} _reap_docker_leftovers
        ip link del "${XD_BRIDGE[$name]}" 2>/dev/null
        rm -rf "${XD_RUN[$name]}" "${XD_DATA[$name]}"
    done
    return 0
}

# Docker picks -P host ports from a range that other sockets on this machine share (other
# dockerds, the loopback load of the balancer tests): a port taken between Docker's choice and
# its bind fails `docker run` with "address already in use". Then the run is made again, after
# removing what it created; Docker picks another port. `run -d` prints no id when the start
# fails, so a named container is removed by its --name.
dk() {
    [ "${1:-}" = run ] || { timeout 60 docker "$@"; return; }
    local attempt out rc id name='' prev='' a err=$IT_DIR/dk-run.err
    for a in "$@"; do
        [ "$prev" = --name ] && name=$a
        [[ $a == --name=* ]] && name=${a#--name=}
        prev=$a
    done
    for attempt in 1 2 3 4 5; do
        rc=0
        out=$(timeout 60 docker "$@" 2>"$err") || rc=$?
        if [ "$rc" != 0 ] && [ "$attempt" -lt 5 ] && grep -q 'address already in use' "$err"; then
            id=$(grep -oE '^[0-9a-f]{64}$' <<<"$out" | head -n 1 || true)
            [ -n "$id" ] || id=$name
            [ -z "$id" ] || timeout 30 docker rm -f "$id" >/dev/null 2>&1 || true
            continue
        fi
        [ -z "$out" ] || printf '%s\n' "$out"
        cat "$err" >&2
        return "$rc"
    done
}

# host_port CONTAINER PORT[/PROTO]: the host port Docker published for it (the IPv4 binding
# when there are several, as docs/compatibility.md says the agent picks).
host_port() {
    local spec=$2 lines
    [[ $spec == */* ]] || spec=$spec/tcp
    lines=$(dk port "$1" "$spec")
    { grep -v '^\[' <<<"$lines" || echo "$lines"; } | head -n 1 | sed 's/.*://'
}

id12() { dk inspect -f '{{.Id}}' "$1" | cut -c1-12; }

# The rootfs tarball (busybox and a few applet links) is built once and shared by runs.
_rootfs_tar() {
    local sum dir tar
    sum=$(sha256sum "$(command -v busybox)" | cut -c1-12)
    dir=$IT_ROOT/portolan-it-cache
    tar=$dir/rootfs-busybox-$sum.tar
    if [ ! -s "$tar" ]; then
        mkdir -p "$dir"
        local r
        r=$(mktemp -d "$dir/rootfs.XXXXXX")
        mkdir -p "$r/bin" "$r/tmp" "$r/etc"
        cp "$(command -v busybox)" "$r/bin/busybox"
        for c in sh sleep nc httpd cat ls true; do ln -s busybox "$r/bin/$c"; done
        tar -C "$r" -cf "$tar.$$" .
        mv "$tar.$$" "$tar"
        rm -rf "$r"
    fi
    echo "$tar"
}

# build_image NAME [EXPOSE...]: e.g. build_image example/redis 6379; build_image example/dns 53/udp
# The command exits at once on SIGTERM (a plain sleep as pid 1 would ignore it and make every
# docker stop wait 10 s).
build_image() {
    local name=$1 p
    shift
    local args=(-c 'CMD ["/bin/sh","-c","trap \"exit 0\" TERM INT; sleep 3600 & wait"]')
    for p in "$@"; do args+=(-c "EXPOSE $p"); done
    dk import "${args[@]}" - "$name" <"$(_rootfs_tar)" >/dev/null || fail "docker import of $name failed"
}

# Everything Docker says is running, as `docker inspect` JSON ("[]" when nothing runs).
docker_running_json() {
    local ids
    ids=$(dk ps -q)
    if [ -z "$ids" ]; then echo '[]'; else dk inspect $ids; fi
}

# ---------------------------------------------------------------- etcd

start_etcd() { # [--enable-v2 ...]: extra etcd flags are remembered for restart_etcd
    need_tools etcd etcdctl
    if [ -z "$ETCD_PORT" ]; then
        local ports
        ports=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 2)
        ETCD_PORT=${ports% *}
        ETCD_PEER_PORT=${ports#* }
        ETCD_FLAGS=("$@")
        ETCD_DATA=$IT_DIR/etcd-data
    fi
    etcd --name it --data-dir "$ETCD_DATA" \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "it=http://127.0.0.1:$ETCD_PEER_PORT" \
        ${ETCD_FLAGS[@]+"${ETCD_FLAGS[@]}"} >>"$IT_DIR/etcd.log" 2>&1 </dev/null &
    ETCD_PID=$!
    local t0 deadline
    t0=$(now_ms)
    deadline=$((t0 + 20000))
    until curl -s -m 1 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; do
        _pid_alive "$ETCD_PID" || {
            tail -n 20 "$IT_DIR/etcd.log"
            fail "etcd exited during start-up (log above)"
        }
        if [ "$(now_ms)" -ge "$deadline" ]; then
            tail -n 20 "$IT_DIR/etcd.log"
            fail "etcd not healthy within 20 s (log above)"
        fi
        sleep 0.05
    done
    WAITED_MS=$(($(now_ms) - t0))
    say "etcd pid $ETCD_PID healthy in $WAITED_MS ms on 127.0.0.1:$ETCD_PORT ${ETCD_FLAGS[*]+${ETCD_FLAGS[*]}}"
}

stop_etcd() {
    say "stopping etcd (SIGTERM)"
    kill -TERM "$ETCD_PID" 2>/dev/null || true
    wait_pid_exit "$ETCD_PID" 20 || fail "etcd did not exit within 20 s of SIGTERM"
}

restart_etcd() { stop_etcd; start_etcd; }

ectl() {
    ETCDCTL_API=3 timeout 15 etcdctl --endpoints="http://127.0.0.1:$ETCD_PORT" \
        --dial-timeout=2s --command-timeout=5s "$@"
}

# etcd_get KEY: prints the value; status 1 when the key is absent.
etcd_get() {
    local out
    if [ "$REGISTRY_API" = v2 ]; then
        curl -s -m 5 "http://127.0.0.1:$ETCD_PORT/v2/keys$1" | "$IT_PY" "$IT_LIB_DIR/ittool.py" v2-get
    else
        out=$(ectl get -- "$1") || return 2
        [ -n "$out" ] || return 1
        printf '%s\n' "$out" | sed 1d
    fi
}

# etcd_get_prefix PREFIX: "key<TAB>value" lines, sorted (v3 or v2 per REGISTRY_API).
etcd_get_prefix() {
    if [ "$REGISTRY_API" = v2 ]; then
        curl -s -m 5 "http://127.0.0.1:$ETCD_PORT/v2/keys$1?recursive=true&sorted=true" |
            "$IT_PY" "$IT_LIB_DIR/ittool.py" v2-flatten
    else
        ectl get --prefix -w json -- "$1" | "$IT_PY" "$IT_LIB_DIR/ittool.py" v3-flatten
    fi
}

# ---------------------------------------------------------------- waits (all bounded)

# wait_until TIMEOUT_S CMD...: polls CMD every 20 ms; sets WAITED_MS; status 1 on timeout.
wait_until() {
    local timeout=$1 t0 deadline
    shift
    t0=$(now_ms)
    deadline=$((t0 + timeout * 1000))
    while ! "$@" >/dev/null 2>&1; do
        if [ "$(now_ms)" -ge "$deadline" ]; then
            WAITED_MS=$(($(now_ms) - t0))
            return 1
        fi
        sleep 0.02
    done
    WAITED_MS=$(($(now_ms) - t0))
}

_key_present() { etcd_get "$1" >/dev/null; }
_key_absent() { etcd_get "$1" >/dev/null && return 1 || [ $? = 1 ]; }
_key_has_value() { [ "$(etcd_get "$1")" = "$2" ]; }

wait_for_key() { wait_until "${2:-10}" _key_present "$1"; }       # KEY [TIMEOUT_S]
wait_for_no_key() { wait_until "${2:-10}" _key_absent "$1"; }     # KEY [TIMEOUT_S]
wait_for_value() { wait_until "${3:-10}" _key_has_value "$1" "$2"; } # KEY VALUE [TIMEOUT_S]

# wait_for_log REGEX [TIMEOUT_S]: extended regex in the current agent log.
wait_for_log() { wait_until "${2:-5}" grep -qE -- "$1" "$AGENT_LOG"; }

# ---------------------------------------------------------------- assertions

expect_value() { # KEY VALUE [TIMEOUT_S]
    wait_for_value "$1" "$2" "${3:-10}" ||
        fail "expected $1 = $2 within ${3:-10} s; etcd has: $(etcd_get "$1" || echo '<absent>')"
}

expect_no_key() { # KEY [TIMEOUT_S]
    wait_for_no_key "$1" "${2:-10}" ||
        fail "expected $1 to be gone within ${2:-10} s; it is still $(etcd_get "$1")"
}

assert_key_absent() { # KEY: right now, no waiting
    local v
    if v=$(etcd_get "$1"); then fail "$1 must not exist, but it is '$v'"; fi
}

expect_log() { # REGEX [TIMEOUT_S]
    wait_for_log "$1" "${2:-5}" || fail "agent log has no line matching /$1/ within ${2:-5} s"
}

assert_eq() { # ACTUAL EXPECTED WHAT
    [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

assert_agent_alive() {
    if ! _pid_alive "$AGENT_PID"; then
        local rc=0
        wait "$AGENT_PID" 2>/dev/null || rc=$?
        AGENT_PID=""
        fail "the agent exited (status $rc) but should still run"
    fi
}

# ---------------------------------------------------------------- etcd vs Docker

# etcd_matches_docker PREFIX HOSTNAME [IP]: true when the keys under PREFIX that belong to
# HOSTNAME are exactly the ones registrator would write for Docker's running containers
# (first published binding of each port, image-basename names, -port suffix in groups,
# SERVICE_NAME/SERVICE_IGNORE). Prints the differences to stdout.
etcd_matches_docker() {
    local prefix=$1 host=$2 ip=${3:-}
    docker_running_json >"$IT_DIR/cmp.inspect.json" || return 2
    etcd_get_prefix "$prefix/" >"$IT_DIR/cmp.etcd.txt" || return 2
    "$IT_PY" "$IT_LIB_DIR/ittool.py" compare --hostname "$host" --prefix "$prefix" --ip "$ip" \
        "$IT_DIR/cmp.inspect.json" "$IT_DIR/cmp.etcd.txt"
}

expect_etcd_matches_docker() { # PREFIX HOSTNAME IP TIMEOUT_S
    if ! wait_until "$4" etcd_matches_docker "$1" "$2" "$3"; then
        echo "---- etcd vs Docker after $4 s:"
        etcd_matches_docker "$1" "$2" "$3" || true
        fail "etcd under $1 does not match Docker's running set within $4 s"
    fi
}

# ---------------------------------------------------------------- the agent

# start_agent ARGS...: runs $PORTOLAN_BIN in the background against this scenario's dockerd
# (DOCKER_HOST); each run logs to its own agent.N.log (AGENT_LOG).
start_agent() {
    AGENT_RUNS=$((AGENT_RUNS + 1))
    AGENT_LOG=$IT_DIR/agent.$AGENT_RUNS.log
    say "starting agent: portolan $*"
    AGENT_START_MS=$(now_ms)
    "$PORTOLAN_BIN" "$@" >"$AGENT_LOG" 2>&1 </dev/null &
    AGENT_PID=$!
}

stop_agent() {
    say "stopping agent pid $AGENT_PID (SIGTERM)"
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    wait_pid_exit "$AGENT_PID" 10 || fail "agent did not exit within 10 s of SIGTERM"
}

kill_agent() {
    say "killing agent pid $AGENT_PID (SIGKILL)"
    kill -KILL "$AGENT_PID" 2>/dev/null || true
    wait_pid_exit "$AGENT_PID" 5 || fail "agent did not die within 5 s of SIGKILL"
}

# ---------------------------------------------------------------- teardown

_teardown() {
    local rc=$?
    [ "$IT_TORN_DOWN" = 1 ] && return
    IT_TORN_DOWN=1
    set +eE
    trap - ERR TERM INT
    [ "$rc" = 0 ] || IT_FAILED=1
    local pid
    [ -n "$IT_WATCHDOG" ] && for pid in $(_children "$IT_WATCHDOG") "$IT_WATCHDOG"; do kill -KILL "$pid" 2>/dev/null; done
    [ -n "$AGENT_PID" ] && _stop_pid "$AGENT_PID" 5
    for pid in ${IT_PIDS[@]+"${IT_PIDS[@]}"}; do
        for c in $(_children "$pid"); do kill -TERM "$c" 2>/dev/null; done
        _stop_pid "$pid" 3
    done
    if [ -n "$DOCKERD_PID" ] && _pid_alive "$DOCKERD_PID"; then
        local ids
        ids=$(timeout 10 docker ps -aq 2>/dev/null)
        [ -n "$ids" ] && timeout 30 docker rm -f $ids >/dev/null 2>&1
        _stop_pid "$DOCKERD_PID" 30
    fi
    _teardown_extra_dockerds
    _reap_docker_leftovers
    [ -n "$DOCKER_BRIDGE" ] && ip link del "$DOCKER_BRIDGE" 2>/dev/null
    [ -n "${DOCKER_RUN:-}" ] && rm -rf "$DOCKER_RUN"
    [ -n "$ETCD_PID" ] && _stop_pid "$ETCD_PID" 10
    rm -rf "$IT_DIR/docker-data" "$IT_DIR/etcd-data" 2>/dev/null
    rm -f "$IT_RUNS/$$"
    if [ "$IT_FAILED" = 0 ] && [ "${PORTOLAN_TEST_KEEP:-0}" != 1 ]; then
        rm -rf "$IT_DIR"
    else
        echo "logs kept in $IT_DIR"
    fi
    exit "$rc"
}

# ---------------------------------------------------------------- start of every scenario

_reap_stale_runs
_record_run

need_tools curl "$IT_PY"
[ -n "${PORTOLAN_BIN:-}" ] || fail "PORTOLAN_BIN is not set (ctest sets it to the built portolan binary)"
[ -x "$PORTOLAN_BIN" ] || fail "PORTOLAN_BIN=$PORTOLAN_BIN is not an executable file; build the 'portolan' target first"

# Fails the scenario after PORTOLAN_IT_DEADLINE seconds, so teardown runs before ctest's
# TIMEOUT kills the script outright.
( sleep "${PORTOLAN_IT_DEADLINE:-240}" && kill -TERM $$ ) 2>/dev/null &
IT_WATCHDOG=$!
disown "$IT_WATCHDOG"
