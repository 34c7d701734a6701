#!/usr/bin/env bash
# portolan-lb's container image (packaging/docker/lb.Dockerfile), deployed as
# docs/load-balancing.md ("In containers") says:
# 1. builds it offline (build-image.sh --lb --offline: the binary's Debian packages plus haproxy,
#    nginx and libnginx-mod-stream via mmdebstrap, cached under $PORTOLAN_BUILD_DIR/offline-rootfs,
#    then docker import); its packages are lb.Dockerfile's; nginx in it loads the stream module;
# 2. a portolan-lb container, then an HAProxy container from the same image (--entrypoint haproxy),
#    both --net=host and sharing one directory (configs and sockets) made by the test; the agent
#    (native) registers `docker run -P` web containers; curl through HAProxy on 127.0.0.1 reaches
#    them; one stopped leaves HAProxy; `docker logs portolan-lb` has portolan-lb's lines;
# 3. `docker stop portolan-lb`: exit 0 at once, its record /portolan/balancers/<name> gone before
#    its lease (-ttl 30) could expire, HAProxy serving on; a container started meanwhile is
#    added, without a reload, once portolan-lb runs again;
# 4. nginx: an nginx container and a portolan-lb container, both --pid=host (portolan-lb reads
#    nginx's pid file and /proc, and signals the master): a new web container is served after a
#    reload;
# 5. the same with portolan-lb in nginx's PID namespace (--pid=container:NGINX) instead.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lb_lib.sh"

need_tools mmdebstrap readelf strip dpkg
[ -x "${PORTOLAN_LB_BIN:-}" ] || fail "PORTOLAN_LB_BIN is not set to the built portolan-lb"
ROOT=$(cd "$IT_LIB_DIR/../.." && pwd)
BUILD=${PORTOLAN_BUILD_DIR:-$(cd "$(dirname "$PORTOLAN_LB_BIN")/../.." && pwd)}
H=lbhost
REC=/portolan/balancers/lb-image
# On failure, the containers' own logs are kept beside the others.
eval "$(declare -f fail | sed '1s/^fail/it_fail/')"
fail() {
    local c
    for c in portolan-lb haproxy portolan-lb-nginx nginx portolan-lb-nginx2 nginx2; do
        timeout 10 docker logs "$c" >"$IT_DIR/docker-logs-$c.txt" 2>&1 || rm -f "$IT_DIR/docker-logs-$c.txt"
    done
    it_fail "$@"
}
start_dockerd
start_etcd
build_image example/web 80

# ---- 1. the image, offline
t=$(now_ms)
"$ROOT/packaging/docker/build-image.sh" --offline --lb --binary "$PORTOLAN_LB_BIN" \
    --cache "$BUILD/offline-rootfs" >"$IT_DIR/build-image.log" 2>&1 ||
    fail "build-image.sh --lb --offline failed: $(tail -n 15 "$IT_DIR/build-image.log")"
image_ms=$(($(now_ms) - t))
say "$(tail -n 1 "$IT_DIR/build-image.log") in $image_ms ms"
version=$("$PORTOLAN_LB_BIN" -version | cut -d' ' -f2)
IMG=portolan-lb:latest
assert_eq "$(dk image inspect -f '{{.Id}}' "$IMG")" "$(dk image inspect -f '{{.Id}}' "portolan-lb:$version")" \
    "portolan-lb:latest vs portolan-lb:$version"
size_mb=$(($(dk image inspect -f '{{.Size}}' "$IMG") / 1000000))
assert_eq "$(dk image inspect -f '{{json .Config.Entrypoint}}' "$IMG")" '["/usr/bin/portolan-lb"]' "the image's entrypoint"
assert_eq "$(dk image inspect -f '{{index .Config.Labels "org.opencontainers.image.title"}}' "$IMG")" portolan-lb \
    "the image's title label"
computed=$("$ROOT/packaging/docker/build-image.sh" --packages --lb --binary "$PORTOLAN_LB_BIN" | tr '\n' ' ')
dockerfile=$(sed -n '/^FROM debian:bookworm-slim/,/^COPY/p' "$ROOT/packaging/docker/lb.Dockerfile" |
    tr -s ' \\\n' '\n' | sed -n '/^--no-install-recommends$/,/^&&$/p' | sed '1d;$d' | sort -u | tr '\n' ' ')
assert_eq "$dockerfile" "$computed" "lb.Dockerfile's runtime packages vs build-image.sh --lb --packages"
assert_eq "$(dk run --rm "$IMG" -version)" "portolan-lb $version" "portolan-lb -version in the image"
# -tcp needs nginx's stream module: Debian's nginx.conf loads it from modules-enabled.
cat >"$LB_DIR/stream-check.conf" <<'EOF'
include /etc/nginx/modules-enabled/*.conf;
events {}
stream { upstream portolan_redis { server 127.0.0.1:1 down; } }
EOF
dk run --rm -v "$LB_DIR:$LB_DIR" --entrypoint nginx "$IMG" -t -c "$LB_DIR/stream-check.conf" \
    >"$IT_DIR/stream-check.txt" 2>&1 || fail "nginx -t of a stream block in the image: $(cat "$IT_DIR/stream-check.txt")"
say "image portolan-lb:$version, $size_mb MB; its nginx loads the stream module"

# ---- 2. portolan-lb, then HAProxy, each in its own container from the image
start_agent -ip 127.0.0.1 -hostname "$H" -ttl 10 "etcd://127.0.0.1:$ETCD_PORT/services"
write_haproxy_main
LB_ARGS=(-driver haproxy -route web -name lb-image -ttl 30 -metrics "127.0.0.1:$LB_METRICS_PORT"
    -reload-quiet 200 -reload-interval 1000
    -haproxy-config "$LB_DIR/portolan.cfg" -haproxy-main-config "$LB_DIR/main.cfg"
    -haproxy-socket "$LB_DIR/admin.sock" -haproxy-master-socket "$LB_DIR/master.sock"
    "etcd://127.0.0.1:$ETCD_PORT")
say "docker run -d --name portolan-lb --net=host -v $LB_DIR:$LB_DIR $IMG ${LB_ARGS[*]}"
dk run -d --name portolan-lb --net=host -v "$LB_DIR:$LB_DIR" "$IMG" "${LB_ARGS[@]}" >/dev/null
wait_until 20 test -s "$LB_DIR/portolan.cfg" || fail "portolan-lb wrote no $LB_DIR/portolan.cfg within 20 s"
dk run -d --name haproxy --net=host -v "$LB_DIR:$LB_DIR" --entrypoint haproxy "$IMG" \
    -W -S "$LB_DIR/master.sock" -f "$LB_DIR/main.cfg" -f "$LB_DIR/portolan.cfg" >/dev/null
wait_until 10 curl -s -o /dev/null -m 1 "$LB_URL" || fail "the HAProxy container does not answer on $LB_URL"
run_web web1
run_web web2
wait_servers portolan_web 2
assert_eq "$(answers 12)" "web1 web2" "answers through the HAProxy container"
dk stop -t 1 web1 >/dev/null
wait_servers portolan_web 1
assert_eq "$(answers 6)" "web2" "answers after docker stop web1"
dk logs portolan-lb >"$IT_DIR/lb.txt" 2>&1
grep -q "portolan-lb $version driving haproxy 2\.6" "$IT_DIR/lb.txt" ||
    fail "docker logs portolan-lb has no start line: $(tail -n 5 "$IT_DIR/lb.txt")"
record=$(ectl get "$REC" --print-value-only)
[[ $record == *'"driver":"haproxy"'* ]] || fail "no balancer record $REC (got '$record')"
say "step 2: both web containers answered through HAProxy, then only web2"

# ---- 3. docker stop portolan-lb: the record goes at once, HAProxy serves on; then a restart
t=$(now_ms)
dk stop portolan-lb >/dev/null
stop_ms=$(($(now_ms) - t))
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' portolan-lb)" 0 "portolan-lb's exit status after docker stop"
[ "$stop_ms" -lt 5000 ] || fail "docker stop portolan-lb took $stop_ms ms: SIGTERM did not stop it"
wait_for_no_key "$REC" 2 || fail "$REC is still there 2 s after docker stop (its lease was not revoked)"
dk logs portolan-lb >"$IT_DIR/lb.txt" 2>&1
grep -q "withdrawing the balancer record" "$IT_DIR/lb.txt" || fail "no withdrawal line in docker logs portolan-lb"
# web3 comes while portolan-lb is away: HAProxy serves on without it, and gets it, with no
# reload, once portolan-lb is back.
reloads0=$(reload_count haproxy)
run_web web3
expect_value "/services/web/$H:web3:80" "127.0.0.1:$(host_port web3 80)" 10
assert_eq "$(answers 6)" "web2" "answers through HAProxy with portolan-lb stopped"
dk start portolan-lb >/dev/null
wait_servers portolan_web 2
assert_eq "$(answers 12)" "web2 web3" "answers after portolan-lb's restart"
assert_eq "$(reload_count haproxy)" "$reloads0" "HAProxy reloads across portolan-lb's restart"
wait_for_key "$REC" 5 || fail "no $REC after portolan-lb's restart"
say "step 3: docker stop in $stop_ms ms, exit 0, record revoked, HAProxy kept serving; web3, started" \
    "meanwhile, added after the restart without a reload"

# ---- 4. nginx: both containers --pid=host
NGINX_FE=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 1)
N=$LB_DIR/nginx
mkdir -p "$N"
cat >"$N/nginx.conf" <<EOF
pid $N/nginx.pid;
error_log stderr notice;
events { worker_connections 64; }
http {
    access_log off;
    include $N/portolan-upstreams.conf;
    server {
        listen 127.0.0.1:$NGINX_FE;
        location / {
            proxy_pass http://portolan_web;
            proxy_next_upstream error timeout http_502 http_503;
        }
    }
}
EOF
dk run -d --name portolan-lb-nginx --net=host --pid=host -v "$LB_DIR:$LB_DIR" "$IMG" \
    -driver nginx -route web -name lb-image-nginx -reload-quiet 100 -reload-interval 500 \
    -nginx-main-config "$N/nginx.conf" -nginx-http-config "$N/portolan-upstreams.conf" \
    -nginx-pid-file "$N/nginx.pid" "etcd://127.0.0.1:$ETCD_PORT" >/dev/null
wait_until 20 grep -q "server 127" "$N/portolan-upstreams.conf" || fail "portolan-lb wrote no servers to $N/portolan-upstreams.conf"
dk run -d --name nginx --net=host --pid=host -v "$LB_DIR:$LB_DIR" --entrypoint nginx "$IMG" \
    -c "$N/nginx.conf" -g 'daemon off;' >/dev/null
NGINX_URL=http://127.0.0.1:$NGINX_FE/
nginx_answers() { # N
    local i
    for ((i = 0; i < $1; i++)); do curl -s -m 3 "$NGINX_URL"; echo; done | grep -v '^$' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
_nginx_serves() { [ "$(nginx_answers 6)" = "$1" ]; }
wait_until 10 _nginx_serves "web2 web3" || fail "the nginx container answers '$(nginx_answers 6)', not 'web2 web3'"
run_web web4
wait_until 15 _nginx_serves "web2 web3 web4" || fail "nginx did not take web4 (answers '$(nginx_answers 9)')"
dk logs nginx >"$IT_DIR/nginx.txt" 2>&1
grep -q "reconfiguring" "$IT_DIR/nginx.txt" || fail "no reload in docker logs nginx"
dk stop portolan-lb-nginx >/dev/null
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' portolan-lb-nginx)" 0 "portolan-lb (nginx) exit status after docker stop"
assert_eq "$(nginx_answers 9)" "web2 web3 web4" "answers through nginx with portolan-lb stopped"
say "step 4: nginx container reloaded by portolan-lb (--pid=host) for web4"

# ---- 5. nginx: portolan-lb in nginx's PID namespace (--pid=container:nginx2): nginx first (the
# include file is there from step 4), then portolan-lb; nginx's stop takes portolan-lb with it
dk stop nginx >/dev/null
NGINX_ARGS=(--entrypoint nginx "$IMG" -c "$N/nginx.conf" -g 'daemon off;')
dk run -d --name nginx2 --net=host -v "$LB_DIR:$LB_DIR" "${NGINX_ARGS[@]}" >/dev/null
wait_until 10 _nginx_serves "web2 web3 web4" || fail "nginx2 answers '$(nginx_answers 6)', not 'web2 web3 web4'"
dk run -d --name portolan-lb-nginx2 --net=host --pid=container:nginx2 -v "$LB_DIR:$LB_DIR" "$IMG" \
    -driver nginx -route web -name lb-image-nginx2 -reload-quiet 100 -reload-interval 500 \
    -nginx-main-config "$N/nginx.conf" -nginx-http-config "$N/portolan-upstreams.conf" \
    -nginx-pid-file "$N/nginx.pid" "etcd://127.0.0.1:$ETCD_PORT" >/dev/null
run_web web5
wait_until 15 _nginx_serves "web2 web3 web4 web5" || fail "nginx2 did not take web5 (answers '$(nginx_answers 12)')"
dk stop nginx2 >/dev/null
_lb_gone() { [ "$(dk inspect -f '{{.State.Running}}' portolan-lb-nginx2)" = false ]; }
wait_until 5 _lb_gone || fail "portolan-lb-nginx2 still runs after nginx2 (its PID namespace's first process) stopped"
say "step 5: --pid=container:nginx2 reloaded nginx2 for web5; stopping nginx2 ended portolan-lb too" \
    "(exit $(dk inspect -f '{{.State.ExitCode}}' portolan-lb-nginx2))"

result "PASS image portolan-lb:$version ${size_mb} MB built offline in ${image_ms} ms; HAProxy and" \
    "portolan-lb containers served the agent's web containers; docker stop portolan-lb in ${stop_ms} ms" \
    "(exit 0, record revoked, HAProxy kept serving), restarted it added web3 without a reload; nginx reloaded for web4" \
    "(--pid=host) and web5 (--pid=container:nginx2)"
