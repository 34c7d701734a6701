# shellcheck shell=bash
# Bounded waits and assertions (part of lib.sh, sourced by it): keys, log lines, and etcd against
# what Docker runs.

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
    # shellcheck disable=SC2034 # read by the scenarios
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
