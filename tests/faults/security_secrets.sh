#!/usr/bin/env bash
# timeout: 240
# Issue 5, item 9 (security): a secret in a container's environment never reaches etcd, the feed
# or the agent's log. The container carries a random secret in
#   - env DB_PASSWORD and MY_SERVICE_TOKEN (contains "SERVICE_" but does not start with it),
#   - a non-SERVICE label (com.example.password), and its command line (sh's $0),
# next to registrator metadata: env SERVICE_NAME/SERVICE_TAGS/SERVICE_80_CHECK_HTTP and label
# SERVICE_OWNER (which must arrive: they prove env and labels were read). The agent runs with
# the feed on and Qt's most verbose logging (QT_LOGGING_RULES='*.debug=true'; the agent has no
# log level of its own). The container is stopped and started once, so Docker's die/start events
# (whose attributes carry the labels) pass through the agent too. Then the secret is searched in:
# every etcd key and value (base64-decoded), the feed's JSON API (snapshot, hosts, services,
# events, tree pages, every Portolan key via /api/v1/key), a WebSocket snapshot from /ws, and the
# agent's log. By design a SERVICE_* variable IS metadata and is published (docs/security.md).
# The agent talks to Docker through a recording proxy (tools/security_dockerproxy.py): every
# call it made must be a GET on /_ping, /version, /containers/json, /containers/ID/json or /events.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/security_lib.sh"

HOST=sec-secrets
IP=10.0.0.7
SECRET="s3cr3t-$RANDOM$RANDOM$RANDOM"

start_dockerd
start_etcd
build_image example/web 80
FEED_PORT=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 1)
# The agent reaches Docker through a recording proxy: every API call it makes is listed.
PROXY_SOCK=$DOCKER_RUN/agent-docker.sock
start_helper "$IT_DIR/proxy.out" "$IT_PY" "$SEC_TOOLS/security_dockerproxy.py" "$PROXY_SOCK" \
    "$DOCKER_RUN/docker.sock" "$IT_DIR/docker-calls.log"
wait_until 10 test -S "$PROXY_SOCK" || fail "the Docker proxy did not start: $(cat "$IT_DIR/proxy.out")"
export QT_LOGGING_RULES='*.debug=true'
DOCKER_HOST=unix://$PROXY_SOCK start_agent -ip=$IP -hostname=$HOST -feed=127.0.0.1:$FEED_PORT \
    "etcd://127.0.0.1:$ETCD_PORT/services"
unset QT_LOGGING_RULES
expect_log 'Connected to etcd' 20

dk run -d --name web.1 -P \
    -e DB_PASSWORD="$SECRET" -e MY_SERVICE_TOKEN="$SECRET" \
    -e SERVICE_NAME=web -e SERVICE_TAGS=prod -e SERVICE_80_CHECK_HTTP=/health \
    --label com.example.password="$SECRET" --label SERVICE_OWNER=team-a \
    example/web /bin/sh -c 'exec sleep 3600' "$SECRET" >/dev/null
PORT=$(host_port web.1 80)
KEY=/services/web/$HOST:web.1:80
wait_for_value "$KEY" "$IP:$PORT" 20 || fail "web.1 not registered as $KEY"
dk stop -t 1 web.1 >/dev/null
wait_for_no_key "$KEY" 20 || fail "$KEY not removed after docker stop"
dk start web.1 >/dev/null
PORT=$(host_port web.1 80)
wait_for_value "$KEY" "$IP:$PORT" 20 || fail "web.1 not registered again after docker start"

# The metadata next to the secret did arrive (env and label both read).
DETAIL=$(ectl get --print-value-only -- "/portolan/services/$HOST/$HOST:web.1:80")
say "detail record: $DETAIL"
"$IT_PY" - "$DETAIL" <<'EOF' || fail "SERVICE_* metadata missing from the detail record (above)"
import json, sys
d = json.loads(sys.argv[1])
a = d.get("attributes", {})
assert "prod" in d.get("tags", []), "tags"
assert a.get("owner") == "team-a", "label SERVICE_OWNER"
assert a.get("check_http") == "/health", "env SERVICE_80_CHECK_HTTP"
EOF
docker_has=$(dk inspect web.1 | grep -c -- "$SECRET" || true)
say "docker inspect shows the secret in $docker_has places (env, label, args): the input is there"
[ "$docker_has" -ge 3 ] || fail "the container does not carry the secret as set up"

wait_until 20 eval 'curl -s -m 2 "http://127.0.0.1:$FEED_PORT/api/v1/snapshot" | grep -q web.1' ||
    fail "the feed's snapshot never showed web.1"
wait_until 10 eval 'curl -s -m 2 "http://127.0.0.1:$FEED_PORT/api/v1/events" | grep -q added' || true

FOUND=()
check() { # WHAT FILE: the secret must not be in FILE; FILE must not be empty
    local what=$1 file=$2 n
    [ -s "$file" ] || fail "$what: nothing to search (empty)"
    n=$(grep -c -- "$SECRET" "$file" || true)
    say "$what: $(wc -c <"$file") bytes searched, secret found $n times"
    [ "$n" = 0 ] || FOUND+=("$what")
}

# etcd: every key and value, decoded
ectl get --prefix "" -w json >"$IT_DIR/etcd.json"
"$IT_PY" - "$IT_DIR/etcd.json" >"$IT_DIR/etcd.txt" <<'EOF'
import base64, json, sys
for kv in json.load(open(sys.argv[1])).get("kvs", []):
    print(base64.b64decode(kv["key"]).decode(errors="replace"), base64.b64decode(kv.get("value", "")).decode(errors="replace"))
EOF
say "etcd holds $(wc -l <"$IT_DIR/etcd.txt") keys"
check "etcd (all keys and values, decoded)" "$IT_DIR/etcd.txt"

# the feed's JSON API
F=http://127.0.0.1:$FEED_PORT
: >"$IT_DIR/feed.txt"
for path in /api/v1/snapshot /api/v1/hosts /api/v1/services /api/v1/events \
    "/api/v1/tree?prefix=/" "/api/v1/tree?prefix=/services/" "/api/v1/tree?prefix=/services/web/" \
    "/api/v1/tree?prefix=/portolan/" "/api/v1/tree?prefix=/portolan/services/$HOST/"; do
    curl -s -m 5 "$F$path" >>"$IT_DIR/feed.txt"
    echo >>"$IT_DIR/feed.txt"
done
keys=0
while read -r k _; do
    curl -s -m 5 -G "$F/api/v1/key" --data-urlencode "key=$k" >>"$IT_DIR/feed.txt"
    echo >>"$IT_DIR/feed.txt"
    keys=$((keys + 1))
done <"$IT_DIR/etcd.txt"
grep -q "web.1" "$IT_DIR/feed.txt" || fail "the feed's answers do not mention web.1: nothing was searched"
check "feed JSON API (9 pages + /api/v1/key for $keys keys)" "$IT_DIR/feed.txt"

# a WebSocket snapshot
"$IT_PY" "$SEC_TOOLS/security_ws.py" "ws://127.0.0.1:$FEED_PORT/ws" >"$IT_DIR/ws.txt" ||
    fail "WebSocket /ws: $(head -c 200 "$IT_DIR/ws.txt")"
grep -q "\"type\":\"snapshot\"" "$IT_DIR/ws.txt" && grep -q "web.1" "$IT_DIR/ws.txt" ||
    fail "the WebSocket snapshot does not mention web.1: $(head -c 300 "$IT_DIR/ws.txt")"
check "WebSocket snapshot" "$IT_DIR/ws.txt"

# the agent's log, at Qt's most verbose
assert_agent_alive
log_lines=$(wc -l <"$AGENT_LOG")
debug_lines=$(log_count 'qt\.|QNetwork|debug' "$AGENT_LOG")
check "agent log ($log_lines lines, QT_LOGGING_RULES=*.debug=true)" "$AGENT_LOG"
stop_agent

# What the agent asked Docker: only reads.
calls=$(sed -E 's/ HTTP\/1\.[01]$//; s#/containers/[0-9a-f]{12,}/#/containers/ID/#; s#^(GET|HEAD) /v[0-9.]+/#\1 /#; s#\?.*##' \
    "$IT_DIR/docker-calls.log" | sort | uniq -c | awk '{print $2" "$3" x"$1}' | paste -sd, -)
say "the agent's Docker API calls: $calls"
[ -s "$IT_DIR/docker-calls.log" ] || fail "the proxy recorded no Docker call"
nonget=$(grep -cvE '^GET ' "$IT_DIR/docker-calls.log" || true)
[ "$nonget" = 0 ] || fail "the agent made $nonget Docker calls other than GET: $(grep -vE '^GET ' "$IT_DIR/docker-calls.log" | head -3)"
unknown=$(grep -vE '^GET (/v[0-9.]+)?/(_ping|version|containers/json|containers/[0-9a-zA-Z_.-]+/json|events)([?] |[?].* | )' "$IT_DIR/docker-calls.log" || true)
[ -z "$unknown" ] || fail "Docker calls outside the documented read-only set: $unknown"

if [ ${#FOUND[@]} -gt 0 ]; then
    fail "the secret leaked into: ${FOUND[*]}"
fi
result "secret in env (2 vars), a label and argv: 0 hits in etcd ($(wc -l <"$IT_DIR/etcd.txt") keys), feed API (9 pages + $keys keys), WebSocket snapshot, agent log ($log_lines lines at *.debug=true); SERVICE_* env/labels published as designed (tags, owner, check_http); Docker calls all GET: ${calls}"
