#!/usr/bin/env bash
# The agent's container image (packaging/docker/), run the way the seed runs registrator:
# 1. builds it offline (packaging/docker/build-image.sh --offline: Debian packages via
#    mmdebstrap, cached under $PORTOLAN_BUILD_DIR/offline-rootfs, then docker import), and checks
#    that its runtime packages are the Dockerfile's;
# 2. runs the seed's `docker run -d --name portolan -h $HOSTNAME -v SOCK:/tmp/docker.sock
#    --net=host portolan:latest -ip=... etcd://...` against the private dockerd (plus -ttl=5,
#    only so that the lease expiry below takes 5 s instead of the default 30 s);
# 3. two containers with -P: keys in etcd named after -h, `added:` lines in `docker logs`;
# 4. one stopped: `removed:`; `docker stop portolan` ends the agent (PID 1) with SIGTERM at once,
#    the keys stay until the lease expires, then go;
# 5. a second run without --net=host, with -feed published on 127.0.0.1: the feed answers, the
#    agent registers the other container but not its own published feed port; a third run with
#    SERVICE_8080_NAME (registrator's way of asking) registers it.
# The second run reaches etcd through the address of the private bridge this test made.
source "$(dirname "$0")/lib.sh"

need_tools mmdebstrap readelf strip dpkg openssl
TTL=5
H=core-01 # the seed's $HOSTNAME; not this machine's name, so the test sees -h take effect
ROOT=$(cd "$IT_LIB_DIR/../.." && pwd)
BUILD=${PORTOLAN_BUILD_DIR:-$(cd "$(dirname "$PORTOLAN_BIN")/../.." && pwd)}
start_dockerd
SOCK=$DOCKER_RUN/docker.sock
BRIDGE_IP=10.213.${DOCKER_BRIDGE#ptlit}.1
# etcd on loopback and on the private bridge's address (for step 5): start_etcd takes the port,
# data dir and flags given here instead of choosing its own.
read -r ETCD_PORT ETCD_PEER_PORT <<<"$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 2)"
ETCD_DATA=$IT_DIR/etcd-data
ETCD_FLAGS=(--listen-client-urls "http://127.0.0.1:$ETCD_PORT,http://$BRIDGE_IP:$ETCD_PORT")
start_etcd
build_image example/redis 6379

# ---- 1. the image, offline
t=$(now_ms)
"$ROOT/packaging/docker/build-image.sh" --offline --binary "$PORTOLAN_BIN" \
    --cache "$BUILD/offline-rootfs" >"$IT_DIR/build-image.log" 2>&1 ||
    fail "build-image.sh --offline failed: $(tail -n 15 "$IT_DIR/build-image.log")"
image_ms=$(($(now_ms) - t))
say "$(tail -n 1 "$IT_DIR/build-image.log") in $image_ms ms"
version=$("$PORTOLAN_BIN" -version | cut -d' ' -f2)
dk image inspect "portolan:$version" >/dev/null || fail "no image portolan:$version"
[ "$(dk image inspect -f '{{.Id}}' portolan:latest)" = "$(dk image inspect -f '{{.Id}}' "portolan:$version")" ] ||
    fail "portolan:latest is not portolan:$version"
size_mb=$(($(dk image inspect -f '{{.Size}}' portolan:latest) / 1000000))
env=$(dk image inspect -f '{{json .Config.Env}}' portolan:latest)
[[ $env == *'"DOCKER_HOST=unix:///tmp/docker.sock"'* ]] || fail "the image's Env is $env"
entry=$(dk image inspect -f '{{json .Config.Entrypoint}}' portolan:latest)
assert_eq "$entry" '["/usr/bin/portolan"]' "the image's entrypoint"
computed=$("$ROOT/packaging/docker/build-image.sh" --packages --binary "$PORTOLAN_BIN" | tr '\n' ' ')
dockerfile=$(sed -n '/^FROM debian:bookworm-slim/,/^COPY/p' "$ROOT/packaging/docker/Dockerfile" |
    tr -s ' \\\n' '\n' | sed -n '/^--no-install-recommends$/,/^&&$/p' | sed '1d;$d' | sort -u | tr '\n' ' ')
assert_eq "$dockerfile" "$computed" "the Dockerfile's runtime packages vs the binary's (build-image.sh --packages)"
[ "$(dk run --rm portolan:latest -version)" = "portolan $version" ] || fail "portolan -version in the image"

# ---- 2. the seed's command line
REG="etcd://127.0.0.1:$ETCD_PORT/services"
say "docker run -d --name portolan -h $H -v $SOCK:/tmp/docker.sock --net=host portolan:latest -ip=127.0.0.1 -ttl=$TTL $REG"
dk run -d --name portolan -h "$H" -v "$SOCK:/tmp/docker.sock" --net=host \
    portolan:latest -ip=127.0.0.1 -ttl=$TTL "$REG" >/dev/null
AGENT_LOG=$IT_DIR/docker-logs-portolan.txt
logs() { dk logs "${1:-portolan}" >"$AGENT_LOG" 2>&1; }
has_log() { logs "${2:-portolan}" && grep -qE -- "$1" "$AGENT_LOG"; }
expect_docker_log() { # REGEX [TIMEOUT_S] [CONTAINER]
    wait_until "${2:-10}" has_log "$1" "${3:-portolan}" ||
        fail "docker logs ${3:-portolan} has no line matching /$1/ within ${2:-10} s: $(tail -n 8 "$AGENT_LOG")"
}
self=$(id12 portolan)
expect_docker_log "Running in container $self: its own ports are not registered"
expect_docker_log "Connected to etcd"

# ---- 3. two containers
# Other dockerds on this machine (other test runs) hand out host ports from the same range, so a
# -P port can be taken between Docker's choice and its bind: start again, a few times.
run_published() { # NAME ARGS...
    for _ in 1 2 3 4 5; do
        dk run -d --name "$@" >/dev/null 2>"$IT_DIR/run.err" && return 0
        grep -q 'address already in use' "$IT_DIR/run.err" || fail "docker run --name $*: $(cat "$IT_DIR/run.err")"
        dk rm -f "$1" >/dev/null
    done
    fail "docker run --name $*: host ports kept colliding: $(cat "$IT_DIR/run.err")"
}
for c in redis.1 redis.2; do
    run_published "$c" -P example/redis
    expect_value "/services/redis/$H:$c:6379" "127.0.0.1:$(host_port "$c" 6379)" 15
    expect_docker_log "added: $(id12 "$c") $H:$c:6379"
done
say "two services registered under -h $H, added: lines in docker logs"

# ---- 4. one stops, then the agent
dk stop -t 1 redis.1 >/dev/null
expect_no_key "/services/redis/$H:redis.1:6379" 10
expect_docker_log "removed: $(id12 redis.1) $H:redis.1:6379"
t=$(now_ms)
dk stop portolan >/dev/null
stop_ms=$(($(now_ms) - t))
# Without its own SIGTERM handler a PID 1 ignores SIGTERM: docker stop would wait 10 s and kill.
[ "$stop_ms" -lt 5000 ] || fail "docker stop portolan took $stop_ms ms: SIGTERM did not stop the agent"
assert_eq "$(dk inspect -f '{{.State.ExitCode}}' portolan)" 0 "the agent's exit status after docker stop"
expect_docker_log "SIGTERM received: stopping without deregistering" 2
t_stop=$(now_ms)
KEY=/services/redis/$H:redis.2:6379
wait_for_key "$KEY" 0 || fail "$KEY vanished at docker stop; it must stay until the lease expires"
wait_for_no_key "$KEY" $((TTL + 3)) || fail "$KEY still there $((TTL + 3)) s after docker stop (-ttl=$TTL)"
gone_ms=$(($(now_ms) - t_stop))
[ "$gone_ms" -ge 1500 ] || fail "$KEY vanished $gone_ms ms after docker stop: sooner than a $TTL s lease allows"

# ---- 5. the feed published, no --net=host: the agent does not register itself
# Off loopback (inside its container) the feed needs a token; the probes answer without one.
(umask 077 && openssl rand -hex 16 >"$IT_DIR/feed-token")
run_published portolan2 -h core-02 -v "$SOCK:/tmp/docker.sock" -p 127.0.0.1::8080 \
    -v "$IT_DIR/feed-token:/run/feed-token:ro" portolan:latest -ip=127.0.0.1 \
    -feed=0.0.0.0:8080 -feed-token-file=/run/feed-token "etcd://$BRIDGE_IP:$ETCD_PORT/services"
expect_docker_log "Browser view and live feed at" 10 portolan2
self2=$(id12 portolan2)
feed_port=$(host_port portolan2 8080)
expect_value "/services/redis/core-02:redis.2:6379" "127.0.0.1:$(host_port redis.2 6379)" 15
expect_docker_log "ignored: $self2 service on port 8080: the agent's own container" 5 portolan2
[ "$(curl -s -m 5 "http://127.0.0.1:$feed_port/healthz")" = ok ] || fail "the published feed does not answer /healthz"
own=$(etcd_get_prefix /services/ | grep -c portolan || true)
assert_eq "$own" 0 "keys naming the agent's own container under /services/"
dk stop portolan2 >/dev/null
# Asked with registrator's label, its feed is a service.
run_published portolan3 -h core-03 -v "$SOCK:/tmp/docker.sock" -p 127.0.0.1::8080 \
    -l SERVICE_8080_NAME=portolan-feed -v "$IT_DIR/feed-token:/run/feed-token:ro" portolan:latest \
    -ip=127.0.0.1 -feed=0.0.0.0:8080 -feed-token-file=/run/feed-token "etcd://$BRIDGE_IP:$ETCD_PORT/services"
expect_value "/services/portolan-feed/core-03:portolan3:8080" "127.0.0.1:$(host_port portolan3 8080)" 15
dk stop portolan3 >/dev/null

result "PASS image portolan:$version ${size_mb} MB built offline in ${image_ms} ms; seed's docker run" \
    "registered 2 services under -h $H; docker stop in ${stop_ms} ms (exit 0), keys gone ${gone_ms} ms" \
    "later (-ttl=$TTL); with -feed published, own port 8080 not registered, and registered when asked"
