# shellcheck shell=bash
# portolan-lb's end-to-end harness, sourced after lib.sh: a real HAProxy (master-worker, Runtime
# API socket) or nginx (master, temp paths under the work dir) on loopback, configured the way an
# operator would, and portolan-lb driving it from the scenario's etcd.

LB_DIR=$IT_DIR/lb
mkdir -p "$LB_DIR"
LB_PID=""
LB_LOG=$IT_DIR/lb.log
BAL_PID=""
read -r FE_PORT LB_METRICS_PORT <<<"$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 2)"
LB_URL=http://127.0.0.1:$FE_PORT/

# The operator's HAProxy config: the frontend names portolan_web, which portolan-lb writes.
write_haproxy_main() {
    cat >"$LB_DIR/main.cfg" <<EOF
global
    stats socket $LB_DIR/admin.sock level admin
    hard-stop-after 10s
    log stdout format raw local0
defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
frontend fe
    bind 127.0.0.1:$FE_PORT
    default_backend portolan_web
EOF
}

write_nginx_main() {
    mkdir -p "$LB_DIR/logs" "$LB_DIR/tmp"
    cat >"$LB_DIR/nginx.conf" <<EOF
worker_processes 1;
pid $LB_DIR/nginx.pid;
error_log $LB_DIR/error.log notice;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path $LB_DIR/tmp/body;
    proxy_temp_path $LB_DIR/tmp/proxy;
    fastcgi_temp_path $LB_DIR/tmp/fastcgi;
    uwsgi_temp_path $LB_DIR/tmp/uwsgi;
    scgi_temp_path $LB_DIR/tmp/scgi;
    include $LB_DIR/upstreams.conf;
    server {
        listen 127.0.0.1:$FE_PORT;
        location / {
            proxy_pass http://portolan_web;
            proxy_connect_timeout 1s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
        }
    }
}
EOF
}

# start_lb DRIVER EXTRA_FLAGS...: portolan-lb first (it writes the file the balancer's config
# includes), then the balancer once the file is there.
start_lb() {
    local driver=$1
    shift
    LB_DRIVER=$driver
    local args=(-driver "$driver" -name lb-it -metrics "127.0.0.1:$LB_METRICS_PORT" -ttl 5)
    if [ "$driver" = haproxy ]; then
        write_haproxy_main
        args+=(-haproxy-config "$LB_DIR/portolan.cfg" -haproxy-main-config "$LB_DIR/main.cfg"
            -haproxy-socket "$LB_DIR/admin.sock" -haproxy-master-socket "$LB_DIR/master.sock")
    else
        write_nginx_main
        args+=(-nginx-http-config "$LB_DIR/upstreams.conf" -nginx-main-config "$LB_DIR/nginx.conf"
            -nginx-prefix "$LB_DIR" -nginx-pid-file "$LB_DIR/nginx.pid")
    fi
    say "starting portolan-lb ${args[*]} $*"
    "$PORTOLAN_LB_BIN" "${args[@]}" "$@" "etcd://127.0.0.1:$ETCD_PORT" >"$LB_LOG" 2>&1 </dev/null &
    LB_PID=$!
    IT_PIDS+=("$LB_PID")
    local file=$LB_DIR/portolan.cfg
    [ "$driver" = nginx ] && file=$LB_DIR/upstreams.conf
    wait_until 20 test -s "$file" || { cat "$LB_LOG"; fail "portolan-lb wrote no $file within 20 s"; }
    if [ "$driver" = haproxy ]; then
        haproxy -W -S "$LB_DIR/master.sock" -f "$LB_DIR/main.cfg" -f "$LB_DIR/portolan.cfg" \
            >"$LB_DIR/haproxy.log" 2>&1 </dev/null &
    else
        nginx -p "$LB_DIR" -c "$LB_DIR/nginx.conf" -g 'daemon off;' >"$LB_DIR/nginx.out" 2>&1 </dev/null &
    fi
    BAL_PID=$!
    IT_PIDS+=("$BAL_PID")
    wait_until 10 curl -s -o /dev/null -m 1 "$LB_URL" || fail "$driver does not answer on $LB_URL"
    say "$driver pid $BAL_PID on 127.0.0.1:$FE_PORT"
}

# One line through the balancer: the answering container's hostname.
via_lb() { curl -s -m 3 "$LB_URL"; }

# The distinct answers of N requests, sorted, space-separated.
answers() { # N
    local i
    for ((i = 0; i < $1; i++)); do via_lb; echo; done | grep -v '^$' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

lb_metric() { # NAME_WITH_LABELS: the value in portolan-lb's /metrics, or empty
    curl -s -m 2 "http://127.0.0.1:$LB_METRICS_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}
_servers_are() { [ "$(lb_metric "portolan_lb_backend_servers{backend=\"$1\"}")" = "$2" ]; }
wait_servers() { # BACKEND COUNT [TIMEOUT_S]
    wait_until "${3:-15}" _servers_are "$1" "$2" ||
        fail "portolan-lb did not hold $2 server(s) in $1 within ${3:-15} s (has '$(lb_metric "portolan_lb_backend_servers{backend=\"$1\"}")')"
}

unix_cmd() { # SOCKET COMMAND: one exchange with an HAProxy CLI socket (the master CLI stays
    # open for more commands until `quit`)
    "$IT_PY" - "$1" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + (b";quit" if "master" in sys.argv[1] else b"") + b"\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
EOF
}

# Reloads the balancer has done: HAProxy's master counts them (show proc); nginx logs each one.
reload_count() { # DRIVER
    if [ "$1" = haproxy ]; then
        unix_cmd "$LB_DIR/master.sock" "show proc" | awk '$2 == "master" { print $3; exit }'
    else
        # one "signal 1 (SIGHUP) received ..., reconfiguring" and one "#TID: reconfiguring" each
        grep -cE '#[0-9]+: reconfiguring$' "$LB_DIR/error.log" || true
    fi
}

# wrk_start SECONDS: a bounded load run in the background; wrk_result waits for its end and
# reads its figures, wrk_stop ends it first.
wrk_start() {
    WRK_OUT=$IT_DIR/wrk.$(now_ms).txt
    # nginx: a connection per request. An nginx reload closes idle keep-alive connections, and
    # a request sent on one at that moment is lost; browsers and HTTP libraries send it again,
    # wrk counts an error (docs/load-balancing.md). HAProxy needs no reload for membership.
    local close=()
    [ "${LB_DRIVER:-}" = nginx ] && close=(-H 'Connection: close')
    wrk -t1 -c4 -d"$1"s --timeout 3s ${close[@]+"${close[@]}"} "$LB_URL" >"$WRK_OUT" 2>&1 &
    WRK_PID=$!
}
wrk_stop() { # ends the run early (wrk prints its figures on SIGINT); then as wrk_result
    kill -INT "$WRK_PID" 2>/dev/null || true
    wrk_result
}
wrk_result() { # waits for wrk; sets WRK_REQUESTS WRK_FAILED
    wait "$WRK_PID" || true
    WRK_REQUESTS=$(awk '/requests in/ { print $1 }' "$WRK_OUT")
    local non2xx sock
    non2xx=$(awk -F': ' '/Non-2xx/ { print $2 }' "$WRK_OUT")
    sock=$({ grep -o 'Socket errors:.*' "$WRK_OUT" || true; } | { grep -oE '[0-9]+' || true; } |
        awk '{ s += $1 } END { print s + 0 }')
    WRK_FAILED=$((${non2xx:-0} + ${sock:-0}))
    [ -n "$WRK_REQUESTS" ] || { cat "$WRK_OUT"; fail "wrk printed no result"; }
}

# A web container: busybox httpd answering its own hostname. On SIGTERM it keeps serving for
# LINGER seconds (an app that drains), then exits.
run_web() { # NAME [DOCKER RUN FLAGS...]
    local name=$1
    shift
    dk run -d --name "$name" --hostname "$name" -P -e SERVICE_NAME=web "$@" example/web \
        sh -c 'mkdir -p /www && hostname > /www/index.html && httpd -f -p 80 -h /www & p=$!; trap "sleep ${LINGER:-0}; kill \$p; exit 0" TERM; wait' >/dev/null
}
