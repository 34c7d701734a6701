#!/usr/bin/env bash
# The browser view's load-balancer parts against the real agent and a real etcd (issue 12):
# one private dockerd and etcd, one agent (host-a, -feed on loopback) with one container
# registered as "web"; then headless Debian chromium, driven by playwright-core
# (tests/browser/balancers-e2e.test.mjs), opens the agent's page while the test writes into etcd
# with etcdctl what portolan-lb and an agent with health would write:
#   a. another host's services with health, and a balancer record routing "web": the health
#      badges and "routed by lb-1 as portolan_web" appear on the rows, "(no traffic)" on the
#      unhealthy one; the Balancers tab shows the card;
#   b. the balancer's last error (hostile text) and a second balancer: shown as text, the tab
#      turns red; /api/v1/snapshot lists both;
#   c. health turns healthy, the balancer records go: the page follows.
# One summary line with the time from etcdctl put to the page; screenshots and figures.json in
# ${PORTOLAN_TEST_OUT:-/tmp}/browser_balancers/. Everything listens on loopback only; chromium is
# told to resolve nothing but 127.0.0.1.
source "$(dirname "$0")/lib.sh"

OUT_DIR=$IT_ROOT/browser_balancers

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (apt-get install chromium)"
need_browser_tooling playwright-core ws
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/*.png "$OUT_DIR/figures.json"

start_dockerd
start_etcd
build_image example/web 80

FEED_PORT=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 1)
# -ip is given: without it the agent resolves its hostname, which would send a DNS query off the machine.
start_agent -hostname=host-a -ip=127.0.0.1 -feed=127.0.0.1:$FEED_PORT "etcd://127.0.0.1:$ETCD_PORT/services"
wait_for_key /portolan/hosts/host-a 15 || fail "the agent wrote no host record"
wait_until 10 curl -sf -m 1 -o /dev/null "http://127.0.0.1:$FEED_PORT/api/v1/hosts" ||
    fail "the agent's feed does not answer on 127.0.0.1:$FEED_PORT"

dk run -d --name web.1 -P example/web >/dev/null
WEB_PORT=$(host_port web.1 80)
expect_value /services/web/host-a:web.1:80 "127.0.0.1:$WEB_PORT" 15
say "web.1 registered at 127.0.0.1:$WEB_PORT"

say "running the browser test (tests/browser/balancers-e2e.test.mjs)"
rc=0
(
    cd "$BROWSER_DIR"
    PORTOLAN_LB_FEED_URL="http://127.0.0.1:$FEED_PORT/" \
    PORTOLAN_LB_ETCD="http://127.0.0.1:$ETCD_PORT" \
    PORTOLAN_LB_SERVICE_ID=host-a:web.1:80 \
    PORTOLAN_LB_OUT=$OUT_DIR \
    PORTOLAN_LB_PROFILE_DIR=$IT_DIR \
        timeout 90 node --test --test-force-exit --test-reporter=spec balancers-e2e.test.mjs
) >"$IT_DIR/browser.log" 2>&1 </dev/null || rc=$?
cat "$IT_DIR/browser.log"
[ "$rc" = 0 ] || fail "the browser test failed (status $rc; output above, screenshots in $OUT_DIR)"
[ -s "$OUT_DIR/figures.json" ] || fail "the browser test wrote no $OUT_DIR/figures.json"
assert_agent_alive

say "screenshots: $(cd "$OUT_DIR" && ls ./*.png | tr '\n' ' ')"
result "$("$IT_PY" - "$OUT_DIR/figures.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
print(f"balancer card in the page {f['cardMs']:.0f} ms after etcdctl put returned, "
      f"its error {f['errorMs']:.0f} ms, a health change {f['healthMs']:.0f} ms, "
      f"the card gone {f['goneMs']:.0f} ms after etcdctl del")
PY
)"
