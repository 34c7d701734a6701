#!/usr/bin/env bash
# /metrics, /healthz and /readyz on the feed's port (docs/feed.md, "Metrics and health"): the
# agent with -feed, two containers with -P; the scrape passes `promtool check metrics`, the
# registration counter says 2, /readyz and /healthz answer 200; then a real Prometheus server on
# loopback scrapes the agent every second until its API reports up == 1 for the job.
source "$(dirname "$0")/lib.sh"

need_tools promtool prometheus curl
start_dockerd
start_etcd
build_image example/redis 6379
read -r -a ports <<<"$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 2)"
FEED_PORT=${ports[0]} PROM_PORT=${ports[1]}
F=http://127.0.0.1:$FEED_PORT
start_agent -hostname=core-01 -ip=127.0.0.1 -feed=127.0.0.1:$FEED_PORT "etcd://127.0.0.1:$ETCD_PORT/services"

_ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$F/readyz")" = 200 ]; }
wait_until 15 _ready || fail "/readyz is not 200 after start: $(curl -s "$F/readyz")"
ready_ms=$(($(now_ms) - AGENT_START_MS))
for c in redis.1 redis.2; do
    dk run -d --name "$c" -P example/redis >/dev/null
    expect_value "/services/redis/core-01:$c:6379" "127.0.0.1:$(host_port "$c" 6379)" 15
done

_registered() { curl -s "$F/metrics" | grep -qx 'portolan_registrations_total 2'; }
wait_until 5 _registered || fail "portolan_registrations_total is not 2: $(curl -s "$F/metrics" | grep registrations)"
curl -sf "$F/metrics" >"$IT_DIR/metrics.txt" || fail "GET /metrics failed"
head=$(curl -sI "$F/metrics" | tr -d '\r' | grep -i '^content-type:' || true)
[[ "$head" == *"text/plain; version=0.0.4"* ]] || fail "/metrics has Content-Type '$head'"
promtool check metrics <"$IT_DIR/metrics.txt" >"$IT_DIR/promtool.txt" 2>&1 ||
    fail "promtool check metrics: $(cat "$IT_DIR/promtool.txt")"
[ "$(curl -s "$F/healthz")" = ok ] || fail "/healthz did not answer ok"
curl -sf "$F/readyz" >/dev/null || fail "/readyz is not 200 after the containers started"
grep -qx 'portolan_services_registered 2' "$IT_DIR/metrics.txt" || fail "services_registered is not 2"
acks=$(sed -n 's/^portolan_event_ack_seconds_count //p' "$IT_DIR/metrics.txt")
[ "${acks:-0}" -ge 2 ] || fail "event->ack histogram has $acks samples, expected 2"
ack_sum=$(sed -n 's/^portolan_event_ack_seconds_sum //p' "$IT_DIR/metrics.txt")
# The browser view and its API are unchanged beside the new routes.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$F/api/v1/hosts")" = 200 ] || fail "/api/v1/hosts broke"

mkdir -p "$IT_DIR/prom"
cat >"$IT_DIR/prom/prometheus.yml" <<YML
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: portolan
    static_configs: [{targets: ['127.0.0.1:$FEED_PORT']}]
YML
promtool check config "$IT_DIR/prom/prometheus.yml" >/dev/null || fail "the Prometheus config is invalid"
start_helper "$IT_DIR/prom/log" prometheus --config.file="$IT_DIR/prom/prometheus.yml" \
    --storage.tsdb.path="$IT_DIR/prom/data" --web.listen-address=127.0.0.1:$PROM_PORT
PROM_PID=$HELPER_PID
t=$(now_ms)
_up() {
    curl -s "http://127.0.0.1:$PROM_PORT/api/v1/query?query=up%7Bjob%3D%22portolan%22%7D" |
        grep -q '"value":\[[0-9.]*,"1"\]'
}
wait_until 20 _up || fail "Prometheus does not report up == 1 for the agent: $(tail -5 "$IT_DIR/prom/log")"
up_ms=$(($(now_ms) - t))
_prom_registered() {
    curl -s "http://127.0.0.1:$PROM_PORT/api/v1/query?query=portolan_registrations_total" |
        grep -q '"value":\[[0-9.]*,"2"\]'
}
wait_until 5 _prom_registered || fail "Prometheus does not see portolan_registrations_total == 2"
_stop_pid "$PROM_PID" 10
assert_agent_alive
result "PASS ready ${ready_ms} ms after start; registrations_total 2, services_registered 2," \
    "event->ack ${acks} samples sum ${ack_sum} s; promtool: $(tr '\n' ' ' <"$IT_DIR/promtool.txt")ok;" \
    "prometheus up==1 after ${up_ms} ms"
