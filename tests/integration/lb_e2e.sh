#!/usr/bin/env bash
# portolan-lb end to end, for one balancer (argument: haproxy or nginx), all real parts: the
# agent on a private dockerd, etcd, portolan-lb, Debian's haproxy or nginx, wrk.
#  1. the seed's flow: two `docker run -P` web containers answer through the balancer; one
#     stopped, only the other answers;
#  2. 20 scale-up/down cycles under a steady wrk run, containers that keep serving 1 s after
#     SIGTERM: 0 failed requests; HAProxy does no reload for them;
#  3. a burst of 50 registrations of a new service in one second: at most one reload, exact
#     final state;
#  4. a refused config: file unchanged, no reload, old config serving, the error in the balancer
#     record; once the operator fixes the config, applied;
#  5. etcd stopped for 30 s under load: every server kept, 0 failed requests; a change made
#     during the outage is applied when etcd is back; a compaction under the watch converges;
#  6. an unhealthy container gets no traffic until it turns healthy.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lb_lib.sh"

DRIVER=${1:?usage: lb_e2e.sh haproxy|nginx}
need_tools "$DRIVER" wrk promtool
[ -x "${PORTOLAN_LB_BIN:-}" ] || fail "PORTOLAN_LB_BIN is not set to the built portolan-lb"
H=lbhost
start_dockerd
start_etcd
build_image example/web 80
start_agent -ip 127.0.0.1 -hostname "$H" -ttl 10 "etcd://127.0.0.1:$ETCD_PORT/services"
# nginx reloads for every change: a stopping container (the kill event) must be drained well
# within the 1 s the test containers keep serving after SIGTERM, though the reload that added
# it was well under -reload-interval before. A drain skips that interval; -reload-quiet paces it.
pacing=(-reload-quiet 200 -reload-interval 1000)
[ "$DRIVER" = nginx ] && pacing=(-reload-quiet 100 -reload-interval 1000 -nginx-max-fails 2
    -nginx-fail-timeout 5)
start_lb "$DRIVER" -route web -route-tag lb "${pacing[@]}"

# 1. the seed's flow
run_web web1 -e LINGER=1
run_web web2 -e LINGER=1
wait_servers portolan_web 2
if [ "$DRIVER" = nginx ]; then # the passive-failover flags reach every server line
    servers=$(grep -c '^ *server 127\.0\.0\.1:[0-9]* max_fails=2 fail_timeout=5s;' "$LB_DIR/upstreams.conf" || true)
    [ "$servers" -ge 2 ] || { cat "$LB_DIR/upstreams.conf"; fail "-nginx-max-fails 2 -nginx-fail-timeout 5 not in the upstreams"; }
fi
got=$(answers 12)
assert_eq "$got" "web1 web2" "answers through $DRIVER with two containers"
dk stop web1 >/dev/null
wait_servers portolan_web 1
got=$(answers 8)
assert_eq "$got" "web2" "answers through $DRIVER after docker stop web1"
dk rm web1 >/dev/null
say "step 1: both answered, then only web2"

# 2. churn under load
reloads0=$(reload_count "$DRIVER")
wrk_start 100
t_end=$(($(now_ms) + 94000))
cycles=0
while [ "$cycles" -lt 20 ] && [ "$(now_ms)" -lt "$t_end" ]; do
    run_web "c$cycles" -e LINGER=1
    wait_servers portolan_web 2 10
    dk stop -t 5 "c$cycles" >/dev/null
    wait_servers portolan_web 1 10
    dk rm "c$cycles" >/dev/null
    cycles=$((cycles + 1))
done
sleep 1 # the last container's linger, under load too
wrk_stop # 100 s is only the bound: the cycles take 40-65 s
reloads1=$(reload_count "$DRIVER")
say "step 2: $cycles cycles, wrk $WRK_REQUESTS requests, $WRK_FAILED failed; reloads $reloads0 -> $reloads1"
[ "$cycles" -ge 20 ] || fail "only $cycles of 20 scale cycles fitted in 94 s"
[ "$WRK_FAILED" = 0 ] || { cat "$WRK_OUT"; fail "$WRK_FAILED of $WRK_REQUESTS requests failed during churn"; }
if [ "$DRIVER" = haproxy ]; then
    assert_eq "$reloads1" "$reloads0" "HAProxy reloads during membership churn"
fi
churn="$cycles cycles, $WRK_REQUESTS requests, 0 failed, reloads +$((reloads1 - reloads0))"

# 3. a burst of 50 registrations of a new (tag-routed) service within one second, written as an
# agent on another host would (under other-host, so this host's agent does not clean them up)
template=$(ectl get --prefix "/portolan/services/$H/" --print-value-only | head -n 1)
reloads0=$(reload_count "$DRIVER")
t0=$(now_ms)
# 50 puts 15 ms apart through etcd's gateway, as 50 agents' registrations would arrive
"$IT_PY" - "$template" other-host "$ETCD_PORT" <<'EOF'
import base64, http.client, json, sys, time
rec, host, port = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
b64 = lambda s: base64.b64encode(s.encode()).decode()
for i in range(50):
    r = dict(rec, host=host, name="burst", id=f"{host}:burst.{i}:80", port=20000 + i, tags=["lb"],
             containerName=f"burst.{i}", registryKey=f"/services/burst/{host}:burst.{i}:80")
    body = json.dumps({"key": b64(f"/portolan/services/{host}/{r['id']}"), "value": b64(json.dumps(r))})
    conn.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
    reply = conn.getresponse()
    reply.read()
    assert reply.status == 200, reply.status
    time.sleep(0.015)
EOF
burst_ms=$(($(now_ms) - t0))
wait_servers portolan_burst 50 15
sleep 2.5 # a second reload, if any, would come within the reload interval (1 s) after the first
reloads1=$(reload_count "$DRIVER")
say "step 3: 50 registrations in $burst_ms ms; reloads $reloads0 -> $reloads1"
[ $((reloads1 - reloads0)) -le 1 ] || fail "the burst cost $((reloads1 - reloads0)) reloads (at most 1)"
[ "$burst_ms" -le 1500 ] || say "note: the 50 puts took $burst_ms ms (a loaded machine)"
burst="50 in $burst_ms ms, reloads +$((reloads1 - reloads0))"

# 4. a refused config: the operator's config is broken; a new backend must not be applied
file=$LB_DIR/portolan.cfg main=$LB_DIR/main.cfg
[ "$DRIVER" = nginx ] && file=$LB_DIR/upstreams.conf main=$LB_DIR/nginx.conf
cp "$main" "$main.good"
if [ "$DRIVER" = haproxy ]; then echo "    no-such-keyword" >>"$main"; else echo "no_such_directive;" >>"$main"; fi
sum0=$(sha256sum <"$file")
reloads0=$(reload_count "$DRIVER")
"$IT_PY" - "$template" other-host >"$IT_DIR/refused.json" <<'EOF'
import json, sys
rec, host = json.loads(sys.argv[1]), sys.argv[2]
print(json.dumps(dict(rec, host=host, name="refused", id=f"{host}:refused.1:80", port=20100, tags=["lb"],
                      containerName="refused.1", registryKey=f"/services/refused/{host}:refused.1:80")))
EOF
ectl put "/portolan/services/other-host/other-host:refused.1:80" "$(cat "$IT_DIR/refused.json")" >/dev/null
_record_has_error() { ectl get /portolan/balancers/lb-it --print-value-only | grep -q '"lastError":"[^"]'; }
wait_until 10 _record_has_error || fail "the refused config did not show in the balancer record's lastError"
record_error=$(ectl get /portolan/balancers/lb-it --print-value-only | "$IT_PY" -c 'import json,sys; print(json.load(sys.stdin)["lastError"])')
assert_eq "$(sha256sum <"$file")" "$sum0" "the balancer's file after a refused config"
assert_eq "$(reload_count "$DRIVER")" "$reloads0" "reloads after a refused config"
assert_eq "$(answers 4)" "web2" "answers while the new config is refused"
refusals=$(lb_metric portolan_lb_config_check_failures_total)
[ "${refusals:-0}" -ge 1 ] || fail "portolan_lb_config_check_failures_total is '${refusals}'"
cp "$main.good" "$main"
wait_servers portolan_refused 1 40
say "step 4: refused ($record_error); applied after the fix"

# 5. etcd away for 30 s under load
wrk_start 36
sleep 1
stop_etcd
run_web web3 -e LINGER=1 # registered only once etcd is back
sleep 29
got=$(lb_metric 'portolan_lb_backend_servers{backend="portolan_web"}')
assert_eq "$got" "1" "servers in portolan_web after 30 s without etcd"
start_etcd
wait_servers portolan_web 2 20
wrk_result
say "step 5: etcd down 30 s: wrk $WRK_REQUESTS requests, $WRK_FAILED failed; web3 applied after"
[ "$WRK_FAILED" = 0 ] || { cat "$WRK_OUT"; fail "$WRK_FAILED requests failed while etcd was away"; }
outage="$WRK_REQUESTS requests, 0 failed"
rev=$(ectl endpoint status -w json | "$IT_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
ectl compact "$rev" --physical >/dev/null
dk stop web3 >/dev/null
wait_servers portolan_web 1 15
say "step 5: compacted at $rev under the watch; web3's removal applied"

# 6. health
run_web web4 --health-cmd 'test -f /tmp/ok' --health-interval 1s --health-retries 1
wait_until 15 sh -c "ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:$ETCD_PORT get --prefix /portolan/services/$H/ --print-value-only | grep web4 | grep -q '\"health\":\"unhealthy\"'" ||
    fail "web4 is not recorded unhealthy"
sleep 1
assert_eq "$(answers 6)" "web2" "answers while web4 is unhealthy"
dk exec web4 sh -c ': >/tmp/ok'
wait_servers portolan_web 2 15
assert_eq "$(answers 12)" "web2 web4" "answers once web4 is healthy"
say "step 6: unhealthy web4 got no traffic; healthy, it did"

kill -0 "$LB_PID" || fail "portolan-lb exited"
# portolan-lb's own metrics, as Prometheus reads them
curl -s -m 3 "http://127.0.0.1:$LB_METRICS_PORT/metrics" >"$IT_DIR/lb-metrics.txt"
promtool check metrics <"$IT_DIR/lb-metrics.txt" || fail "promtool check metrics refused portolan-lb's /metrics"
applies=$(lb_metric 'portolan_lb_applies_total{method="runtime"}')+$(lb_metric 'portolan_lb_applies_total{method="reload"}')
result "PASS $DRIVER: seed flow; applies $applies (runtime+reload), /metrics passes promtool; churn $churn; burst $burst; refused config kept the old one; etcd outage $outage; health respected"
