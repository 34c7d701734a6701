#!/usr/bin/env bash
# portolan-lb benchmark (issue 12), figures not tests; loopback only, run as root:
#
#   PORTOLAN_BIN=build/app/agent/portolan PORTOLAN_LB_BIN=build/app/lb/portolan-lb bench/lb.sh
#
# Starts its own dockerd, etcd, agent, HAProxy and nginx (tests/integration/lib.sh, lb_lib.sh)
# and prints:
#  1. etcd key written -> HAProxy server ready through the Runtime API, p50/p99 (N=LB_KEYS);
#  2. `docker run` returns -> the first request through HAProxy answered by the new container,
#     p50/p99 (N=LB_RUNS), and the same through nginx (reload path, its -reload-quiet stated);
#  3. portolan-lb's RSS and CPU with 1000 routed instances (HAProxy);
#  4. wrk at saturation (32 connections) through HAProxy during container churn: failures.
# Environment: LB_KEYS (200), LB_RUNS (30), LB_INSTANCES (1000), BENCH_OUT (/tmp).
set -Eeuo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PORTOLAN_IT_DEADLINE=${BENCH_DEADLINE:-1200}
export PORTOLAN_TEST_OUT=${BENCH_OUT:-/tmp}
source "$BENCH_DIR/../tests/integration/lib.sh"
source "$BENCH_DIR/../tests/integration/lb_lib.sh"
need_tools haproxy nginx wrk
[ -x "${PORTOLAN_LB_BIN:-}" ] || fail "PORTOLAN_LB_BIN is not set to the built portolan-lb"
KEYS=${LB_KEYS:-200} RUNS=${LB_RUNS:-30} INSTANCES=${LB_INSTANCES:-1000}
PROBE=("$IT_PY" "$BENCH_DIR/lb_probe.py")
H=benchhost

pct() { # P: percentile of the numbers on stdin
    sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR - 1) * p / 100 + 0.5) + 1; printf "%.1f", v[i] }'
}
load() { cut -d' ' -f1 /proc/loadavg; }

start_dockerd
start_etcd
build_image example/web 80
start_agent -ip 127.0.0.1 -hostname "$H" -ttl 10 "etcd://127.0.0.1:$ETCD_PORT/services"
start_lb haproxy -route web
run_web base
wait_servers portolan_web 1
template=$(ectl get --prefix "/portolan/services/$H/" --print-value-only | head -n 1)
base_port=$(host_port base 80)

# 1. key -> ready
say "1. $KEYS etcd puts -> HAProxy server ready (load $(load))"
"${PROBE[@]}" keyready "$ETCD_PORT" "$LB_DIR/admin.sock" other-host "$KEYS" "$template" "$base_port" >"$IT_DIR/keyready.txt"
kr="p50 $(pct 50 <"$IT_DIR/keyready.txt") ms, p99 $(pct 99 <"$IT_DIR/keyready.txt") ms (n=$KEYS, load $(load))"
say "   $kr"

# 2. docker run -> first answer, HAProxy
first_answers() { # LABEL
    local i t0 out=$IT_DIR/first.$1.txt
    : >"$out"
    dk stop base >/dev/null 2>&1 || true
    for ((i = 0; i < RUNS; i++)); do
        t0=$(now_ms)
        run_web "r$1$i"
        # the probe starts when docker run has returned; its figure is from that moment
        "${PROBE[@]}" firstanswer "$LB_URL" "r$1$i" 5000 >>"$out"
        dk rm -f "r$1$i" >/dev/null
        wait_until 10 sh -c "! curl -s -m 1 $LB_URL | grep -q r$1$i"
    done
    echo "p50 $(pct 50 <"$out") ms, p99 $(pct 99 <"$out") ms (n=$RUNS, load $(load))"
}
say "2. docker run -> first answer through HAProxy"
fa_haproxy=$(first_answers h)
say "   $fa_haproxy"

# 3. 1000 routed instances
dk start base >/dev/null
lb_cpu0=$(awk '{ print $14 + $15 }' "/proc/$LB_PID/stat")
t0=$(now_ms)
"${PROBE[@]}" bulk "$ETCD_PORT" other-host "$INSTANCES" "$template" "$base_port" put
wait_servers portolan_web $((INSTANCES + 1)) 120
took=$(($(now_ms) - t0))
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$LB_PID/status")
lb_cpu1=$(awk '{ print $14 + $15 }' "/proc/$LB_PID/stat")
sleep 10
lb_cpu2=$(awk '{ print $14 + $15 }' "/proc/$LB_PID/stat")
tck=$(getconf CLK_TCK)
inst="$INSTANCES instances applied in $took ms (CPU $(((lb_cpu1 - lb_cpu0) * 1000 / tck)) ms); RSS $((rss / 1024)) MiB; idle CPU over 10 s $(awk -v d=$((lb_cpu2 - lb_cpu1)) -v t="$tck" 'BEGIN { printf "%.2f", d / t / 10 * 100 }') %"
say "3. $inst"
"${PROBE[@]}" bulk "$ETCD_PORT" other-host "$INSTANCES" "$template" "$base_port" delete
wait_servers portolan_web 1 120

# 4. saturation during churn
say "4. wrk -c32 through HAProxy during container churn"
run_web sat1 -e LINGER=1
wait_servers portolan_web 2
WRK_OUT=$IT_DIR/wrk.sat.txt
wrk -t2 -c32 -d30s --timeout 3s "$LB_URL" >"$WRK_OUT" 2>&1 &
WRK_PID=$!
end=$(($(now_ms) + 26000)) cycles=0
while [ "$(now_ms)" -lt "$end" ]; do
    run_web "s$cycles" -e LINGER=1
    wait_servers portolan_web 3 10
    dk stop -t 5 "s$cycles" >/dev/null
    dk rm "s$cycles" >/dev/null
    wait_servers portolan_web 2 10
    cycles=$((cycles + 1))
done
wrk_result
rps=$(awk '/Requests\/sec/ { print $2 }' "$WRK_OUT")
sat="$WRK_REQUESTS requests ($rps/s), $WRK_FAILED failed, $cycles churn cycles (load $(load))"
say "   $sat"
kill "$LB_PID"
wait "$LB_PID" 2>/dev/null || true
kill "$BAL_PID"
wait "$BAL_PID" 2>/dev/null || true

# 5. nginx: the reload path
say "5. docker run -> first answer through nginx (-reload-quiet 100, -reload-interval 500)"
rm -rf "$LB_DIR" && mkdir -p "$LB_DIR"
read -r FE_PORT LB_METRICS_PORT <<<"$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 2)"
LB_URL=http://127.0.0.1:$FE_PORT/
dk rm -f sat1 >/dev/null
start_lb nginx -route web -reload-quiet 100 -reload-interval 500
wait_servers portolan_web 1
fa_nginx=$(first_answers n)
say "   $fa_nginx"

cat <<EOF

portolan-lb benchmark ($(date -u +%F), $(nproc) cores, haproxy $(haproxy -v | awk 'NR == 1 { print $3 }'), nginx $(nginx -v 2>&1 | sed 's|.*/||'))
| measure | result |
| --- | --- |
| etcd put -> HAProxy server ready (Runtime API) | $kr |
| docker run -> first answer, HAProxy | $fa_haproxy |
| docker run -> first answer, nginx (reload, -reload-quiet 100 ms) | $fa_nginx |
| $INSTANCES routed instances (HAProxy) | $inst |
| wrk 2 threads 32 connections, 30 s, churn | $sat |
EOF
result "done"
