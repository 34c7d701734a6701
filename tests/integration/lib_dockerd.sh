# shellcheck shell=bash
# shellcheck disable=SC2004 # XD_* are associative arrays (declared in lib.sh): keys need the $
# Private dockerds (part of lib.sh, sourced by it): the scenario's own daemon and any extra ones,
# each with its own data root, exec root, socket and bridge; start, stop, kill and clean-up.

# A bridge of our own (with a subnet no other interface uses) keeps container addresses from
# colliding with other daemons on docker0; dockerd runs with --iptables=false so it never
# flushes another daemon's DOCKER chains. Published ports default to 127.0.0.1.
# _make_bridge [NAME OCTET BITS FIRST LAST]: the first free bridge NAME<n>, n from FIRST to
# LAST, on 10.OCTET.<n * 2^(24-BITS)>.1/BITS. The default is a scenario's /24 (ptlit<n>,
# 10.213.<n>.0/24); the bench asks for /20s, whose 4094 addresses hold its 1000 containers.
# shellcheck disable=SC2120 # only bench/run.sh passes arguments
_make_bridge() {
    need_tools ip
    local name=${1:-ptlit} octet=${2:-213} bits=${3:-24} first=${4:-10} last=${5:-250}
    local lock=/tmp/portolan-it-bridge.lock n span=$((1 << (24 - bits))) base thirds
    exec {_lockfd}>"$lock"
    flock -w 30 "$_lockfd" || fail "could not lock $lock to pick a bridge subnet"
    for n in $(seq "$first" "$last"); do
        base=$((n * span))
        thirds=$(seq -s '|' "$base" $((base + span - 1)))
        ip link show "$name$n" >/dev/null 2>&1 && continue
        { ip -4 -o addr show; ip -4 route show; } | grep -qE "(^| )10\.$octet\.($thirds)\." && continue
        ip link add "$name$n" type bridge || continue
        # Pin the bridge's MAC (as dockerd does for docker0): left unset, Linux gives the bridge
        # the lowest MAC of its ports, so every container that comes or goes can change it and
        # the other containers' ARP entries for the gateway go stale (replies to docker-proxy
        # lost for seconds: portolan-lb's churn test saw 10 s stalls on a container that stayed).
        ip link set "$name$n" address "$(cat "/sys/class/net/$name$n/address")"
        ip addr add "10.$octet.$base.1/$bits" dev "$name$n"
        ip link set "$name$n" up
        DOCKER_BRIDGE=$name$n
        break
    done
    exec {_lockfd}>&-
    [ -n "$DOCKER_BRIDGE" ] || fail "no free 10.$octet.N.0/$bits subnet for a private docker bridge"
    say "bridge $DOCKER_BRIDGE 10.$octet.$base.1/$bits"
}

# _launch_dockerd DATA RUN HOST BRIDGE LOG WHAT: one private dockerd in the background, waited
# for until it answers _ping (30 s). Its pid is in LAUNCHED_PID.
_launch_dockerd() {
    local data=$1 run=$2 host=$3 bridge=$4 log=$5 what=$6
    dockerd --data-root "$data" --exec-root "$run/exec" \
        --pidfile "$run/dockerd.pid" -H "$host" \
        --config-file "$run/daemon.json" --bridge "$bridge" \
        --iptables=false --ip-masq=false --ip=127.0.0.1 \
        >>"$log" 2>&1 </dev/null &
    LAUNCHED_PID=$!
    _await_ready "$LAUNCHED_PID" "$log" "$what" 30 _dockerd_pings "$run/docker.sock"
}

_dockerd_pings() { [ "$(curl -s -m 2 --unix-socket "$1" http://x/_ping 2>/dev/null)" = OK ]; }

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
    _launch_dockerd "$DOCKER_DATA" "$DOCKER_RUN" "$DOCKER_HOST" "$DOCKER_BRIDGE" "$IT_DIR/dockerd.log" dockerd
    DOCKERD_PID=$LAUNCHED_PID
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
    _launch_dockerd "${XD_DATA[$name]}" "${XD_RUN[$name]}" "${XD_HOST[$name]}" "${XD_BRIDGE[$name]}" \
        "$IT_DIR/dockerd-$name.log" "dockerd $name"
    XD_PID[$name]=$LAUNCHED_PID
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
