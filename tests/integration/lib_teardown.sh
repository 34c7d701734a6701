# shellcheck shell=bash
# What a scenario owns and how it goes (part of lib.sh, sourced by it): the record of each run in
# $IT_RUNS, the clean-up after runs that were killed outright, and the EXIT trap's teardown.

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
