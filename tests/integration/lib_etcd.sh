# shellcheck shell=bash
# The scenario's etcd (part of lib.sh, sourced by it): one member on free loopback ports, and
# reading keys through the v3 or v2 API.

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
    _await_ready "$ETCD_PID" "$IT_DIR/etcd.log" etcd 20 _etcd_healthy "$ETCD_PORT"
    say "etcd pid $ETCD_PID healthy in $WAITED_MS ms on 127.0.0.1:$ETCD_PORT ${ETCD_FLAGS[*]+${ETCD_FLAGS[*]}}"
}

_etcd_healthy() { curl -s -m 1 "http://127.0.0.1:$1/health" 2>/dev/null | grep -q '"health":"true"'; }

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
