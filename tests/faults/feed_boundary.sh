#!/usr/bin/env bash
# timeout: 300
# Issue 15 (security review of the feed), the fast findings, against the behaviour in
# /work/feed-contract.md (the feed's own strict HTTP reader). A real agent (-feed on 127.0.0.1,
# private dockerd and etcd; 8 seeded 2 KiB services make the snapshot ~21 KB) is attacked with
# tools/feed_attack.py (raw sockets, own WebSocket framing):
#   1. 3 connections each sending "GET /api/v1/hosts", a Host and "X-A: " + 200 MB of 'a' (for
#      at least 3 s, a new connection whenever one is cut): each gets 431 or is closed after at
#      most 32 MB; a 200 MB request target: 414; 70,000 small header fields: 431.
#   5. five pipelined GETs (/api/v1/key, hosts, services, /index.html, /api/v1/tree) come back
#      in request order; 20,000 pipelined GETs of the snapshot on a connection that never reads
#      leave the agent's RSS bounded, and it is back after the close.
#   3. Host and Origin: upgrades with Origin http://evil.example, Origin null, Host evil.example,
#      and GET / or /api with Host evil.example (or a foreign Origin): 403, no 101; Host
#      127.0.0.1:P / localhost:P / [::1]:P with no or a matching Origin: 200 / 101; an Origin
#      that does not match the request's own Host: 403; -feed-allowed-hosts=feed.example makes
#      Host feed.example:P (any case) work, other names still 403.
#   9. HEAD / has GET's status and headers and no body (a second request on the connection
#      works); "Connection: close" and HTTP/1.0 are closed within 2 s of the answer;
#      Content-Length 51 twice, "0, 51", "+0", 0 twice: 400; an unmasked client frame: close 1002.
#   8. with -feed-token-file: 200 upgrades with a wrong token (401) and, with 256 clients held,
#      200 over the cap (503) add at most 2 log lines each.
#  12. ?%74oken=T and ?tok%65n=T: 401 (API and /ws); ?token=T: 200; at *.debug=true a request
#      for /api/v1/hosts?token%3DT does not put T in the log.
# For every attack the agent's RSS is sampled every 100 ms: peak growth < 40 MB, < 16 MB left 3 s
# after; a container started during the attack is registered in etcd within 2 s. Every check is
# made; the scenario fails once at the end, naming each failed check with its figures.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/security_lib.sh"
source "$(dirname "$0")/feed_attack_lib.sh"

FA_HOST=fb
start_dockerd
start_etcd
build_image example/redis 6379
seed_services
read -r PA PB PC PD <<<"$("$IT_PY" "$IT_LIB_DIR/ittool.py" free-ports 4)"
TOKEN="tok$RANDOM$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$TOKEN" >"$IT_DIR/token"

FA_PORT=$PA
fa_start_agent -feed=127.0.0.1:$PA
P=$PA
say "agent pid $AGENT_PID, feed 127.0.0.1:$P, RSS $(($(rss_now) / 1024)) MB, snapshot $(curl -s -m 5 "http://127.0.0.1:$P/api/v1/snapshot" | wc -c) bytes"

# ---------------------------------------------------------------- 1. oversized heads
# bighead_case LABEL KIND EXPECTED_STATUS ARGS...
bighead_case() {
    local label=$1 kind=$2 want=$3 out statuses s bad=0 seen=0
    shift 3
    attack_begin "$label"
    out=$(fa "$P" bighead --kind "$kind" --pid "$AGENT_PID" --rss-cap-mb 1500 "$@" | tail -n 1)
    attack_end
    say "$label: $out"
    statuses=$(field "$out" statuses)
    for s in ${statuses//,/ }; do
        case ${s%%:*} in
        "$want") seen=1 ;;
        closed | reset) ;;
        *) bad=1 ;;
        esac
    done
    check "$label: every connection answered $want or closed (got $statuses; stopped: $(field "$out" stopped))" \
        [ "$bad" = 0 -a "$seen" = 1 ]
    check "$label: cut after at most 32 MB sent (max $(field "$out" max_sent_mb) MB of $(field "$out" total_sent_mb) MB)" \
        lt "$(field "$out" max_sent_mb)" 32
    figure "$label: $statuses, max $(field "$out" max_sent_mb) MB sent per connection, $FA_RSS_TEXT"
    restart_if_bloated
}
bighead_case "F1 3x200 MB header" header 431 --conns 3 --mb 200 --min-seconds 3 --max-seconds 40
bighead_case "F1 200 MB URL" url 414 --conns 1 --mb 200 --min-seconds 3 --max-seconds 30
bighead_case "F1 70000 headers" many 431 --conns 1 --min-seconds 3 --max-seconds 30

# ---------------------------------------------------------------- 5. pipelining
out=$(fa "$P" pipeline --targets "/api/v1/key?key=/portolan/hosts/$FA_HOST,/api/v1/hosts,/api/v1/services,/index.html,/api/v1/tree?prefix=/portolan/")
say "F5 five pipelined GETs: $out"
check "F5: five pipelined answers in request order ($out)" [ "$(field "$out" order)" = ok ]
figure "F5 pipelined order: $(field "$out" order) ($(sed 's/.*got=//' <<<"$out"))"

attack_begin "F5 20000 pipelined, never read"
out=$(fa "$P" pipeflood --n 20000 --target /api/v1/snapshot --send-seconds 5 --hold 5 | tail -n 1)
attack_end
say "F5 flood: $out"
figure "F5 20000 pipelined unread: $(field "$out" requests_sent) sent, $FA_RSS_TEXT"
restart_if_bloated

# ---------------------------------------------------------------- 3. Host and Origin
# status_of ARGS...: the status of one raw request (request subcommand).
status_of() { field "$(fa "$P" request "$@")" status; }
# want STATUS LABEL ARGS...
HO_BAD=()
want() {
    local expected=$1 label=$2 got
    shift 2
    got=$(status_of "$@")
    check "F3 $label -> $expected (got $got)" [ "$got" = "$expected" ]
    [ "$got" = "$expected" ] || HO_BAD+=("$label=$got")
}
attack_begin "F3 Host/Origin"
want 403 "upgrade, Origin http://evil.example" --ws --header "Origin: http://evil.example"
want 403 "upgrade, Origin null" --ws --header "Origin: null"
want 403 "upgrade, Host evil.example:P" --ws --host "evil.example:$P"
want 403 "GET /api/v1/snapshot, Host evil.example:P" --target /api/v1/snapshot --host "evil.example:$P"
want 403 "GET /, Host evil.example" --target / --host evil.example
want 403 "GET /api/v1/hosts, Origin http://evil.example" --target /api/v1/hosts --header "Origin: http://evil.example"
want 403 "GET /, Host localhost:P, Origin http://127.0.0.1:P (not its own Host)" --target / --host "localhost:$P" --header "Origin: http://127.0.0.1:$P"
want 101 "upgrade, Host 127.0.0.1:P, Origin http://127.0.0.1:P" --ws --header "Origin: http://127.0.0.1:$P"
want 200 "GET /, Host 127.0.0.1:P" --target /
want 200 "GET /api/v1/snapshot, Host localhost:P" --target /api/v1/snapshot --host "localhost:$P"
want 200 "GET /api/v1/hosts, Host [::1]:P" --target /api/v1/hosts --host "[::1]:$P"
want 200 "GET /, Origin https://127.0.0.1:P" --target / --header "Origin: https://127.0.0.1:$P"
body=$(fa "$P" request --target /api/v1/hosts --host "evil.example:$P" --show-body)
check "F3: the 403 for a foreign Host names -feed-allowed-hosts ($body)" grep -q "feed-allowed-hosts" <<<"$body"
attack_end 1
figure "F3 Host/Origin: ${#HO_BAD[@]} of 12 probes wrong${HO_BAD[*]:+ (${HO_BAD[*]})}"

# ---------------------------------------------------------------- 9. framing
attack_begin "F9 framing"
out=$(fa "$P" head --target /)
say "F9 HEAD: $out"
check "F9: HEAD / has GET's status and headers ($out)" [ "$(field "$out" same_headers)" = yes ]
check "F9: HEAD / has no body and the next request on the connection works" \
    [ "$(field "$out" body_after_head)" = 0 -a "$(field "$out" second_request)" = 200 ]
F9=("HEAD: $(field "$out" head_status), body $(field "$out" body_after_head) bytes, next request $(field "$out" second_request)")
out=$(fa "$P" request --target / --header "Connection: close" --eof-within 2)
say "F9 Connection: close: $out"
check "F9: Connection: close -> answer, then EOF within 2 s ($out)" \
    [ "$(field "$out" status)" = 200 -a "$(field "$out" eof)" != none ]
F9+=("Connection: close: eof $(field "$out" eof)")
out=$(fa "$P" request --target / --version HTTP/1.0 --eof-within 2)
say "F9 HTTP/1.0: $out"
check "F9: HTTP/1.0 -> answer, then EOF within 2 s ($out)" \
    [ "$(field "$out" status)" = 200 -a "$(field "$out" eof)" != none ]
F9+=("HTTP/1.0: eof $(field "$out" eof)")
s1=$(status_of --target / --header "Content-Length: 51" --header "Content-Length: 51" --body 51)
s2=$(status_of --target / --header "Content-Length: 0, 51" --body 51)
s3=$(status_of --target / --header "Content-Length: +0")
# no body at all: only the duplicate itself can make this one a 400 (not "GET with a body")
s4=$(status_of --target / --header "Content-Length: 0" --header "Content-Length: 0")
check "F9: Content-Length 51 twice -> 400 (got $s1)" [ "$s1" = 400 ]
check "F9: Content-Length '0, 51' -> 400 (got $s2)" [ "$s2" = 400 ]
check "F9: Content-Length '+0' -> 400 (got $s3)" [ "$s3" = 400 ]
check "F9: Content-Length 0 twice -> 400 (got $s4)" [ "$s4" = 400 ]
F9+=("Content-Length 51x2/'0, 51'/'+0'/0x2: $s1/$s2/$s3/$s4")
out=$(fa "$P" unmasked)
say "F9 unmasked frame: $out"
check "F9: an unmasked client frame -> close 1002 ($out)" [ "$(field "$out" close)" = 1002 ]
F9+=("unmasked frame: close $(field "$out" close)")
attack_end 1
figure "F9 $(printf '%s, ' "${F9[@]}" | sed 's/, $//')"
stop_agent

# ---------------------------------------------------------------- 3b. -feed-allowed-hosts
FA_PORT=$PC P=$PC
if fa_start_agent -feed=127.0.0.1:$PC -feed-allowed-hosts=feed.example; then
    HO_BAD=()
    want 200 "allowed host: GET /api/v1/hosts, Host feed.example:P" --target /api/v1/hosts --host "feed.example:$P"
    want 200 "allowed host: GET /, Host FEED.example:P" --target / --host "FEED.example:$P"
    want 101 "allowed host: upgrade, Host feed.example:P, Origin http://feed.example:P" --ws --host "feed.example:$P" --header "Origin: http://feed.example:$P"
    want 403 "allowed host: GET /, Host other.example:P" --target / --host "other.example:$P"
    figure "F3 -feed-allowed-hosts=feed.example: ${#HO_BAD[@]} of 4 probes wrong${HO_BAD[*]:+ (${HO_BAD[*]})}"
    stop_agent
else
    check "F3: the agent starts with -feed-allowed-hosts=feed.example ($FA_START_ERROR)" false
    figure "F3 -feed-allowed-hosts: agent refused to start ($FA_START_ERROR)"
fi

# ---------------------------------------------------------------- 8 and 12: token
FA_PORT=$PB P=$PB
fa_start_agent -feed=127.0.0.1:$PB -feed-token-file="$IT_DIR/token"
lines() { wc -l <"$AGENT_LOG"; }

attack_begin "F8 200 wrong-token upgrades"
l0=$(lines)
out=$(fa "$P" upgrades --n 200 --query "token=x$TOKEN")
sleep 1
l1=$(lines)
attack_end 1
say "F8 wrong token: $out; log lines added: $((l1 - l0))"
check "F8: 200 wrong-token upgrades all refused 401 ($(field "$out" statuses))" [ "$(field "$out" statuses)" = "401:200" ]
check "F8: 200 wrong-token upgrades add at most 2 log lines (added $((l1 - l0)))" [ $((l1 - l0)) -le 2 ]
figure "F8 wrong token: $(field "$out" statuses), $((l1 - l0)) log lines, $FA_RSS_TEXT"

rm -f "$IT_DIR/hold.stop"
start_helper "$IT_DIR/hold.log" "$IT_PY" "$FA_TOOLS/feed_attack.py" "$P" hold --n 256 --query "token=$TOKEN" \
    --seconds 60 --stop-file "$IT_DIR/hold.stop"
HOLD_PID=$HELPER_PID
wait_until 40 grep -q '^held=' "$IT_DIR/hold.log" || fail "the 256 clients were not up within 40 s: $(cat "$IT_DIR/hold.log")"
held=$(field "$(grep '^held=' "$IT_DIR/hold.log")" held)
say "F8: $held clients held ($(cat "$IT_DIR/hold.log"))"
sleep 1
attack_begin "F8 200 upgrades over the cap"
l0=$(lines)
out=$(fa "$P" upgrades --n 200 --query "token=$TOKEN")
sleep 1
l1=$(lines)
attack_end 1
touch "$IT_DIR/hold.stop"
wait_pid_exit "$HOLD_PID" 15 || true
say "F8 over the cap: $out; log lines added: $((l1 - l0))"
check "F8: with $held clients held, 200 more upgrades refused 503 ($(field "$out" statuses))" \
    [ "$held" = 256 -a "$(field "$out" statuses)" = "503:200" ]
check "F8: 200 over-cap upgrades add at most 2 log lines (added $((l1 - l0)))" [ $((l1 - l0)) -le 2 ]
figure "F8 over the cap ($held held): $(field "$out" statuses), $((l1 - l0)) log lines, $FA_RSS_TEXT"

attack_begin "F12 token names"
t1=$(status_of --target "/api/v1/hosts?%74oken=$TOKEN")
t2=$(status_of --target "/api/v1/hosts?tok%65n=$TOKEN")
t3=$(status_of --target "/api/v1/hosts?token=$TOKEN")
t4=$(status_of --ws --target "/ws?%74oken=$TOKEN")
attack_end 1
check "F12: ?%74oken=T -> 401 (got $t1)" [ "$t1" = 401 ]
check "F12: ?tok%65n=T -> 401 (got $t2)" [ "$t2" = 401 ]
check "F12: ?token=T -> 200 (got $t3)" [ "$t3" = 200 ]
check "F12: /ws?%74oken=T upgrade -> 401 (got $t4)" [ "$t4" = 401 ]
stop_agent

# shellcheck disable=SC2034 # read by feed_attack_lib.sh
FA_PORT=$PD P=$PD
export QT_LOGGING_RULES='*.debug=true'
fa_start_agent -feed=127.0.0.1:$PD -feed-token-file="$IT_DIR/token"
unset QT_LOGGING_RULES
d1=$(status_of --target "/api/v1/hosts?token%3D$TOKEN")
d2=$(status_of --target "/api/v1/hosts?x=1&token%3d$TOKEN")
sleep 0.5
tok_debug=$(log_count "$TOKEN")
say "F12 at *.debug=true: ?token%3DT -> $d1, ?x=1&token%3dT -> $d2; token in the log: $tok_debug line(s)"
check "F12: at *.debug=true a mis-encoded ?token%3DT is not logged ($tok_debug lines hold the token)" [ "$tok_debug" = 0 ]
figure "F12 ?%74oken/?tok%65n/?token: $t1/$t2/$t3, /ws?%74oken: $t4; token%3D at debug: $tok_debug log line(s) with the token"
stop_agent

fa_finish
