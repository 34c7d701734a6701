#!/usr/bin/env bash
# End-to-end test of the browser view against the real agent (the issue's scenario): headless
# Debian chromium, driven by playwright-core (tests/browser/e2e.test.mjs), opens the page served
# by agent A while two agents with different hostnames, each watching its own private dockerd,
# write to one private etcd:
#   1. open the page (host-a and host-b up, host-b already has a service);
#   2. docker run on host A: the row appears under host-a within a second;
#   3. docker stop: the row goes; "added" and "removed" are in the timeline;
#   4. SIGKILL agent B (-ttl=3): host-b turns "gone" once its lease expires;
#   5. screenshots in ${PORTOLAN_TEST_OUT:-/tmp}/browser_e2e/.
# Everything listens on loopback only; chromium is told to resolve nothing but 127.0.0.1.
source "$(dirname "$0")/lib.sh"

E2E_OUT=$IT_ROOT/browser_e2e
TTL_B=3

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (apt-get install chromium)"
need_browser_tooling playwright-core ws
mkdir -p "$E2E_OUT"
rm -f "$E2E_OUT"/*.png "$E2E_OUT/figures.json"

start_dockerd                 # host A
start_extra_dockerd b         # host B: its own daemon, data root, socket and bridge
start_etcd
build_image example/redis 6379
with_dockerd b build_image example/redis 6379

ETCD_URL="etcd://127.0.0.1:$ETCD_PORT/services"
FEED_PORT=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 1)

# Agent A serves the page. -ip is given to both: without it the agent resolves its hostname,
# which would send a DNS query off the machine.
start_agent -hostname=host-a -ip=127.0.0.1 -feed=127.0.0.1:$FEED_PORT "$ETCD_URL"
AGENT_A_PID=$AGENT_PID
AGENT_A_LOG=$AGENT_LOG
IT_PIDS+=("$AGENT_A_PID") # teardown stops it; AGENT_PID is left to agent B (killed below)
with_dockerd b start_agent -hostname=host-b -ip=127.0.0.1 -ttl=$TTL_B "$ETCD_URL"
AGENT_B_PID=$AGENT_PID
AGENT_B_LOG=$AGENT_LOG

wait_for_key /portolan/hosts/host-a 15 || { AGENT_LOG=$AGENT_A_LOG; fail "agent A wrote no host record"; }
wait_for_key /portolan/hosts/host-b 15 || fail "agent B wrote no host record"
wait_until 10 curl -sf -m 1 -o /dev/null "http://127.0.0.1:$FEED_PORT/api/v1/hosts" ||
    { AGENT_LOG=$AGENT_A_LOG; fail "agent A's feed does not answer on 127.0.0.1:$FEED_PORT"; }

# Host B has a service before the page opens (it then shows a card with a row, not an empty host).
with_dockerd b dk run -d --name redis.b1 -P example/redis >/dev/null
B_PORT=$(with_dockerd b host_port redis.b1 6379)
expect_value /services/redis/host-b:redis.b1:6379 "127.0.0.1:$B_PORT" 15
say "host B: redis.b1 registered at 127.0.0.1:$B_PORT"

# Its output goes to a file in the work dir and chromium's profile lives there too, so a later
# run's clean-up finds node and chromium (by open file / command line) if this one is SIGKILLed.
say "running the browser test (tests/browser/e2e.test.mjs)"
rc=0
(
    cd "$BROWSER_DIR"
    PORTOLAN_E2E_FEED_URL="http://127.0.0.1:$FEED_PORT/" \
    PORTOLAN_E2E_DOCKER_HOST_A=$DOCKER_HOST \
    PORTOLAN_E2E_AGENT_B_PID=$AGENT_B_PID \
    PORTOLAN_E2E_TTL_B=$TTL_B \
    PORTOLAN_E2E_OUT=$E2E_OUT \
    PORTOLAN_E2E_PROFILE_DIR=$IT_DIR \
    PORTOLAN_E2E_B_SERVICE_ID=host-b:redis.b1:6379 \
        timeout 150 node --test --test-force-exit --test-reporter=spec e2e.test.mjs
) >"$IT_DIR/browser.log" 2>&1 </dev/null || rc=$?
cat "$IT_DIR/browser.log"
# The test SIGKILLs agent B itself (exact moment of the kill) in step 4; the harness reaps it
# here. When the test failed before that step, agent B still runs and teardown stops it.
if [ "$rc" = 0 ] || ! _pid_alive "$AGENT_B_PID"; then
    { wait_pid_exit "$AGENT_B_PID" 5 || true; } 2>/dev/null
    _pid_alive "$AGENT_B_PID" || AGENT_PID=""
fi
if [ "$rc" != 0 ]; then
    AGENT_LOG=$AGENT_A_LOG
    echo "---- agent B log tail ($AGENT_B_LOG)"
    tail -n 20 "$AGENT_B_LOG"
    fail "the browser test failed (status $rc; output above, screenshots in $E2E_OUT)"
fi
[ -s "$E2E_OUT/figures.json" ] || fail "the browser test wrote no $E2E_OUT/figures.json"

# The browser saw the cluster picture; etcd must agree with it afterwards.
wait_for_no_key /portolan/hosts/host-b 1 || fail "host-b's record is still in etcd after the page showed it gone"
wait_for_no_key /services/redis/host-b:redis.b1:6379 1 || fail "host-b's service is still in etcd"
wait_for_key /portolan/hosts/host-a 0 || fail "host-a's record vanished"
_pid_alive "$AGENT_A_PID" || { AGENT_LOG=$AGENT_A_LOG; fail "agent A exited during the test"; }

# SIGTERM with the feed serving: a clean exit 0 (the feed reads through the registry's client,
# so teardown order matters; this once crashed with SIGSEGV).
kill -TERM "$AGENT_A_PID"
wait_pid_exit "$AGENT_A_PID" 10 || { AGENT_LOG=$AGENT_A_LOG; fail "agent A did not exit within 10 s of SIGTERM"; }
rc=0
wait "$AGENT_A_PID" 2>/dev/null || rc=$?
AGENT_LOG=$AGENT_A_LOG assert_eq "$rc" 0 "agent A (with -feed) exit status after SIGTERM"

say "screenshots: $(cd "$E2E_OUT" && ls ./*.png | tr '\n' ' ')"
result "$("$IT_PY" - "$E2E_OUT/figures.json" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))
print(f"service visible in page {f['addFromRunMs']:.0f} ms after docker run returned"
      f" ({f['addFromStartedMs']:.0f} ms after the container's StartedAt, "
      f"feed event {f['addFeedEventFromStartedMs']:.0f} ms after it); "
      f"row gone {f['removeFromFinishedMs']:.0f} ms after the container exited (FinishedAt); "
      f"host-b gone {f['goneFromKillMs'] / 1000:.1f} s after SIGKILL (ttl {f['ttl']} s)")
EOF
)"
