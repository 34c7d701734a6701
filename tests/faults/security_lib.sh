# shellcheck shell=bash
# Helpers for the security scenarios (issue 5 item 9), sourced after ../integration/lib.sh:
#   - a throwaway PKI made with openssl: a CA, a server certificate for 127.0.0.1, a client
#     certificate, and a second, unrelated CA (for the "wrong CA" case);
#   - extra etcd processes on https://127.0.0.1:P (server TLS, optionally client certificates
#     required), stopped by lib.sh's teardown like every helper;
#   - etcdctl against those, and small checks on the agent's log.
# Everything lives under $IT_DIR; nothing listens off loopback.

SEC_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools
PKI=$IT_DIR/pki

# make_pki: $PKI/{ca,server,client,other-ca,stranger}.pem and their .key files (stranger: a
# client certificate signed by other-ca). EC P-256 keys: quick.
make_pki() {
    need_tools openssl
    mkdir -p "$PKI"
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    (
        cd "$PKI"
        # The server certificate also serves as a client: etcd's JSON gateway dials its own
        # gRPC port with it when client certificates are required.
        printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
        printf 'extendedKeyUsage=clientAuth\n' >client.ext
        openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=portolan-test-ca
        openssl req -x509 "${ec[@]}" -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=unrelated-ca
        openssl req "${ec[@]}" -keyout server.key -out server.csr -subj /CN=127.0.0.1
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
            -days 2 -extfile server.ext
        openssl req "${ec[@]}" -keyout client.key -out client.csr -subj /CN=portolan-agent
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem \
            -days 2 -extfile client.ext
        # a client certificate from the unrelated CA: etcd must not accept it
        openssl req "${ec[@]}" -keyout stranger.key -out stranger.csr -subj /CN=stranger
        openssl x509 -req -in stranger.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial \
            -out stranger.pem -days 2 -extfile client.ext
    ) >"$IT_DIR/openssl.log" 2>&1 || {
        cat "$IT_DIR/openssl.log"
        fail "openssl could not make the test certificates (log above)"
    }
    say "test PKI made in $PKI (CA, server cert for IP:127.0.0.1, client cert, unrelated CA)"
}

# start_tls_etcd NAME [--client-cert-auth]: an etcd on https://127.0.0.1:P with the server
# certificate; sets TLS_PORT[NAME]. With --client-cert-auth it also requires a client
# certificate signed by the test CA.
declare -A TLS_PORT=() TLS_PID=() TLS_CLIENTAUTH=()
start_tls_etcd() {
    local name=$1 mode=${2:-}
    local ports port peer extra=()
    ports=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 2)
    port=${ports% *}
    peer=${ports#* }
    TLS_PORT[$name]=$port
    TLS_CLIENTAUTH[$name]=0
    if [ "$mode" = --client-cert-auth ]; then
        extra=(--client-cert-auth --trusted-ca-file "$PKI/ca.pem")
        TLS_CLIENTAUTH[$name]=1
    fi
    etcd --name "$name" --data-dir "$IT_DIR/etcd-data/$name" \
        --listen-client-urls "https://127.0.0.1:$port" --advertise-client-urls "https://127.0.0.1:$port" \
        --cert-file "$PKI/server.pem" --key-file "$PKI/server.key" "${extra[@]}" \
        --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
        --initial-cluster "$name=http://127.0.0.1:$peer" \
        >>"$IT_DIR/etcd-$name.log" 2>&1 </dev/null &
    TLS_PID[$name]=$!
    IT_PIDS+=("$!")
    _tls_healthy() { tls_curl "$1" -s -m 1 "https://127.0.0.1:${TLS_PORT[$1]}/health" | grep -q '"health":"true"'; }
    wait_until 20 _tls_healthy "$name" || {
        tail -n 20 "$IT_DIR/etcd-$name.log"
        fail "etcd $name (TLS $mode) not healthy within 20 s (log above)"
    }
    say "etcd $name pid ${TLS_PID[$name]} healthy on https://127.0.0.1:$port ${mode}"
}

# tls_curl NAME ARGS...: curl trusting the test CA (and presenting the client certificate when
# NAME requires one).
tls_curl() {
    local name=$1
    shift
    local auth=()
    [ "${TLS_CLIENTAUTH[$name]}" = 1 ] && auth=(--cert "$PKI/client.pem" --key "$PKI/client.key")
    curl --cacert "$PKI/ca.pem" "${auth[@]}" "$@"
}

# tls_ectl NAME ARGS...: etcdctl (v3) against the TLS etcd NAME, as a trusted client.
tls_ectl() {
    local name=$1
    shift
    local auth=()
    [ "${TLS_CLIENTAUTH[$name]}" = 1 ] && auth=(--cert "$PKI/client.pem" --key "$PKI/client.key")
    ETCDCTL_API=3 timeout 15 etcdctl --endpoints="https://127.0.0.1:${TLS_PORT[$name]}" \
        --cacert "$PKI/ca.pem" "${auth[@]}" --dial-timeout=2s --command-timeout=5s "$@"
}

# tls_key_count NAME PREFIX: how many keys etcd NAME holds under PREFIX.
tls_key_count() {
    tls_ectl "$1" get --prefix --keys-only -- "$2" | grep -c . || true
}

# log_count REGEX [FILE]: matching lines in the agent's log (default: the current one).
log_count() { grep -cE -- "$1" "${2:-$AGENT_LOG}" || true; }

# agent_ssl_maps PID: lines of /proc/PID/maps naming libssl, libcrypto or Qt's OpenSSL plugin.
agent_ssl_maps() { grep -cE 'libssl\.so|libcrypto\.so|libqopensslbackend' "/proc/$1/maps" || true; }
