#!/usr/bin/env bash
# The browser view with a feed token, in a real browser (issue 15, finding 6: with
# -feed-token-file, /?token=T loaded the page but its assets got 401, so no row was ever shown,
# and the security test only looked at status codes). One private dockerd and etcd, one agent with
# -feed=127.0.0.1:P -feed-token-file=F, one container with a published port; then headless
# Debian chromium, driven by playwright-core (tests/browser/token.test.mjs), opens:
#   a. /?token=T      the container's row is visible within 10 s; no request got a 4xx;
#   b. /              page and assets answer 200; the page says the agent requires a token; no rows;
#   c. /?token=wrong  page and assets answer 200; the page says the token was refused; no rows.
# One summary line with time to first row and every request's status (token redacted);
# screenshots and figures.json in ${PORTOLAN_TEST_OUT:-/tmp}/browser_token/.
# Everything listens on loopback only; chromium is told to resolve nothing but 127.0.0.1.
source "$(dirname "$0")/lib.sh"

OUT_DIR=$IT_ROOT/browser_token
HOST=host-tok
CONTAINER=redis.tok

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (apt-get install chromium)"
need_browser_tooling playwright-core ws
mkdir -p "$OUT_DIR"
rm -f "$OUT_DIR"/*.png "$OUT_DIR/figures.json"

start_dockerd
start_etcd
build_image example/redis 6379

TOKEN="tok-$RANDOM$RANDOM$RANDOM$RANDOM$RANDOM"
(umask 077 && printf '%s\n' "$TOKEN" >"$IT_DIR/token" && printf 'Authorization: Bearer %s\n' "$TOKEN" >"$IT_DIR/auth-header")
FEED_PORT=$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 1)
F=http://127.0.0.1:$FEED_PORT

# -ip is given: without it the agent resolves its hostname, which would send a DNS query off the machine.
start_agent -hostname=$HOST -ip=127.0.0.1 -feed=127.0.0.1:$FEED_PORT -feed-token-file="$IT_DIR/token" \
    "etcd://127.0.0.1:$ETCD_PORT/services"
wait_for_key /portolan/hosts/$HOST 15 || fail "the agent wrote no host record"
# The header comes from a file, so the token is not on any command line.
wait_until 10 curl -sf -m 1 -o /dev/null -H @"$IT_DIR/auth-header" "$F/api/v1/hosts" ||
    fail "the agent's feed does not answer /api/v1/hosts with the token on 127.0.0.1:$FEED_PORT"

dk run -d --name $CONTAINER -P example/redis >/dev/null
SVC_PORT=$(host_port $CONTAINER 6379)
SERVICE_ID=$HOST:$CONTAINER:6379
expect_value /services/redis/$SERVICE_ID "127.0.0.1:$SVC_PORT" 15
say "$CONTAINER registered at 127.0.0.1:$SVC_PORT"

# Its output goes to a file in the work dir and chromium's profiles live there too, so a later
# run's clean-up finds node and chromium (by open file / command line) if this one is SIGKILLed.
say "running the browser test (tests/browser/token.test.mjs)"
rc=0
(
    cd "$BROWSER_DIR"
    PORTOLAN_TOKEN_FEED_URL="$F/" \
    PORTOLAN_TOKEN_FILE=$IT_DIR/token \
    PORTOLAN_TOKEN_HOST=$HOST \
    PORTOLAN_TOKEN_SERVICE_ID=$SERVICE_ID \
    PORTOLAN_TOKEN_SERVICE_ADDR=127.0.0.1:$SVC_PORT \
    PORTOLAN_TOKEN_OUT=$OUT_DIR \
    PORTOLAN_TOKEN_PROFILE_DIR=$IT_DIR \
        timeout 75 node --test --test-force-exit --test-reporter=spec token.test.mjs
) >"$IT_DIR/browser.log" 2>&1 </dev/null || rc=$?
sed "s/$TOKEN/<token>/g" "$IT_DIR/browser.log"
grep -qF "$TOKEN" "$IT_DIR/browser.log" "$OUT_DIR/figures.json" 2>/dev/null &&
    fail "the token appears unredacted in the browser test's output"

# One line: what each case saw (also when it failed: that is the evidence).
summarize() {
    [ -s "$OUT_DIR/figures.json" ] || { echo "no figures.json"; return; }
    "$IT_PY" - "$OUT_DIR/figures.json" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))
parts = []
for name, c in f["cases"].items():
    # assets that loaded (200, or 304 when revalidated in the same visit) are counted by status
    ok = [r for r in c["requests"] if r["path"].startswith("/assets/") and r.get("status") in (200, 304)
          and not r.get("failed")]
    reqs = [f"{r['path']} {r.get('status') or 'no answer'}" + (f" ({r['failed']})" if r.get("failed") else "")
            for r in c["requests"] if r not in ok]
    if ok:
        counts = {}
        for r in ok: counts[r["status"]] = counts.get(r["status"], 0) + 1
        reqs.insert(min(1, len(reqs)), "/assets/* " + " ".join(f"{n}x{st}" for st, n in counts.items()))
    reqs += [f"{s['path']} {s.get('status') or 'no handshake answer'}" + (f" ({s['frames']} frames)" if s["frames"] else "")
             + (f" ({s['error']})" if s.get("error") else "") for s in c["sockets"]]
    if name.startswith("a"):
        seen = (f"first row {c['firstRowMs']} ms after navigation start" if c.get("firstRowMs") is not None
                else "no row within 10 s")
    else:
        seen = (f"message after {c['messageMs']} ms" if c.get("messageMs") is not None
                else "no message") + f", {c.get('rows', '?')} rows"
    parts.append(f"{name} {c['url']}: page {c.get('pageStatus')}, {seen}, state {c.get('connectionState')}; "
                 f"{len(c['requests']) + len(c['sockets'])} requests: {', '.join(reqs)}")
print(" | ".join(parts))
EOF
}
SUMMARY=$(summarize)
SUMMARY=${SUMMARY//$TOKEN/<token>}
say "screenshots: $(cd "$OUT_DIR" && ls ./*.png 2>/dev/null | tr '\n' ' ')"
[ "$rc" = 0 ] || fail "the browser test failed (status $rc; output above, screenshots in $OUT_DIR). Seen: $SUMMARY"
assert_agent_alive
result "$SUMMARY"
