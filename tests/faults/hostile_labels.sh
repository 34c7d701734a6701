#!/usr/bin/env bash
# timeout: 300
# Issue 5, item 8b: containers with hostile names, labels and env under a running agent.
# Each either gets a clear skip (one log line naming the container and why) or a bounded, valid
# record (docs/compatibility.md, "Hostile input"): unicode names and labels, newlines and control
# characters in SERVICE_NAME / SERVICE_TAGS / labels, '/', '..', spaces, a 300-byte name, a 1 MiB
# label, 500 labels, 1 MiB of tags, a 1 MiB env var. Container names Docker itself refuses are
# tried and listed. Afterwards: the agent still runs, every key under /services and /portolan is
# a valid key with a bounded value, the log has no flood, and a normal container started last
# registers within the usual time.
source "$(dirname "$0")/../integration/lib.sh"

HOST=core-01
TOOL=$(dirname "$0")/tools/hostile_tool.py
MAX_VALUE=$((16 * 1024 + 24 * 1024)) # ServiceBuilder::kMaxRecordBytes + the fixed fields

start_dockerd
start_etcd
build_image example/redis 6379
start_agent -ip=10.0.0.5 -hostname=$HOST "etcd://127.0.0.1:$ETCD_PORT/services"
expect_log 'Connected to etcd' 20

REFUSED=()   # what Docker (or the kernel) would not run
SKIPPED=()   # containers the agent skipped, as it should
KEPT=()      # containers registered with a bounded record

run() { # NAME LABEL/ENV OPTIONS...: docker run -d -P; status 1 when Docker refuses
    local name=$1 out
    shift
    local attempt
    for attempt in 1 2 3 4; do # a -P port another test's dockerd holds: Docker picks the next
        out=$(dk run -d -P --name "$name" "$@" example/redis 2>&1) && return 0
        grep -q 'address already in use' <<<"$out" || break
        dk rm -f "$name" >/dev/null 2>&1 || true
    done
    REFUSED+=("$(printf '%q' "$name"): $(head -n 1 <<<"$out" | cut -c1-140)")
    dk rm -f "$name" >/dev/null 2>&1 || true
    return 1
}

api_run() { # NAME CASE: create through the Engine API (the body is too big for an argv)
    local name=$1 sock=${DOCKER_HOST#unix://} out
    "$IT_PY" "$TOOL" body example/redis "$2" >"$IT_DIR/body.$2.json"
    out=$(curl -s -m 60 --unix-socket "$sock" -H 'Content-Type: application/json' \
        --data-binary @"$IT_DIR/body.$2.json" "http://x/v1.41/containers/create?name=$name")
    grep -q '"Id"' <<<"$out" || { REFUSED+=("$name ($2): create: ${out:0:120}"); return 1; }
    out=$(curl -s -m 60 --unix-socket "$sock" -X POST -w '%{http_code}' "http://x/v1.41/containers/$name/start")
    if [ "${out: -3}" != 204 ]; then
        REFUSED+=("$name ($2): start: $(tr -d '\n' <<<"${out%???}" | cut -c1-160)")
        dk rm -f "$name" >/dev/null 2>&1 || true
        return 1
    fi
    sleep 1
    if [ "$(dk inspect -f '{{.State.Running}}' "$name")" != true ]; then
        REFUSED+=("$name ($2): started, then exited: $(dk inspect -f 'exit {{.State.ExitCode}} {{.State.Error}}' "$name" | cut -c1-120) $(dk logs "$name" 2>&1 | tail -n 1 | cut -c1-120)")
        dk rm -f "$name" >/dev/null 2>&1 || true
        return 1
    fi
}

svc_key() { echo "/services/$1/$HOST:$2:6379"; }

expect_kept() { # CONTAINER SERVICE_NAME: the key appears with the right address
    local key
    key=$(svc_key "$2" "$1")
    expect_value "$key" "10.0.0.5:$(host_port "$1" 6379)" 20
    KEPT+=("$1")
}

expect_skipped() { # CONTAINER LOG_REGEX: a note in the log, and no key of that container
    local id
    id=$(id12 "$1")
    expect_log "ignored: $id .*$2" 20
    if etcd_get_prefix / | grep -qF ":$1:"; then
        fail "container $1 should have been skipped, but etcd has: $(etcd_get_prefix / | grep -F ":$1:" | head -c 300)"
    fi
    SKIPPED+=("$1")
}

# A normal container first: the agent works.
run normal.0
expect_kept normal.0 redis

# Names Docker itself refuses (only [a-zA-Z0-9][a-zA-Z0-9_.-]+ is allowed).
for name in "ünïcode" "a/b" ".." "my svc" $'ctl\x01x' $'nl\nx'; do
    if run "$name"; then fail "Docker accepted the container name $(printf %q "$name"); extend this test"; fi
done
LONG=n$(printf 'n%.0s' $(seq 1 299))
if run "$LONG"; then
    # id "core-01:<300 bytes>:6379" is over the 255-byte limit of one key segment
    expect_skipped "$LONG" 'service id ".*is [0-9]+ bytes long \(limit 255\)'
fi

# Unicode in the service name, tags and an attribute: kept as is (valid UTF-8).
run uni.1 --label 'SERVICE_NAME=rédis-東京-😀' --label 'SERVICE_TAGS=é,日本' --label 'SERVICE_NOTE=ünï'
expect_kept uni.1 'rédis-東京-😀'
run space.1 --label 'SERVICE_NAME=my svc'
expect_kept space.1 'my svc'

# Newlines and control characters.
run nl-name.1 --label $'SERVICE_NAME=a\nb'
expect_skipped nl-name.1 'service name "a\\x0ab" contains control characters'
run ctl-name.1 --label $'SERVICE_NAME=x\x1b[31my'
expect_skipped ctl-name.1 'contains control characters'
run nl-tags.1 --label $'SERVICE_TAGS=good,ba\nd,\x07bell' --label $'SERVICE_NOTE=multi\nline' \
    --env $'SERVICE_ENVNOTE=tab\there'
expect_kept nl-tags.1 redis
expect_log "tags: $(id12 nl-tags.1) 2 tags dropped; the first, tag \"ba\\\\x0ad\": it contains control characters" 10
# Invisible and reordering characters (Unicode Cf, Zl, Zp): refused like control characters,
# escaped in the note ("rtl<U+202E>exe.txt" would read as "rtltxt.exe").
run rlo-name.1 --label $'SERVICE_NAME=rtl\xe2\x80\xaeexe.txt'
expect_skipped rlo-name.1 'service name "rtl\\u202eexe.txt" contains the invisible character U\+202E'
run zw-tags.1 --label $'SERVICE_TAGS=good,zero\xe2\x80\x8bwidth,line\xe2\x80\xa8sep'
expect_kept zw-tags.1 redis
expect_log "tags: $(id12 zw-tags.1) 2 tags dropped; the first, tag \"zero\\\\u200bwidth\": it contains the invisible character U\\+200B" 10

# Path tricks.
run slash.1 --label 'SERVICE_NAME=a/b'
expect_skipped slash.1 "service name \"a/b\" contains '/'"
run dots.1 --label 'SERVICE_NAME=..'
expect_skipped dots.1 'service name "\.\." is a path step'
run id-dots.1 --label 'SERVICE_ID=../../etc'
expect_skipped id-dots.1 "service id \"\.\./\.\./etc\" contains '/'"
run longname.1 --label "SERVICE_NAME=$LONG"
expect_skipped longname.1 'is 300 bytes long \(limit 255\)'

# Sizes: through the API (one argv string is at most 128 KiB). A label over 1 MiB also makes
# Docker's create/start events (which carry the labels) longer than the agent's 1 MiB event-line
# limit: the agent drops that one event (never buffering it) and resyncs, keeping the stream,
# so the container is registered by the resync, which logs the notes of a container it sees
# first.
expect_note() { # CONTAINER REGEX
    wait_for_log "$2" 10 || fail "agent log has no line matching /$2/ within 10 s (notes of $1)"
}
api_run big-label.1 big-label && {
    expect_kept big-label.1 redis
    expect_note big-label.1 "attributes: $(id12 big-label.1) SERVICE_\"BLOB\" dropped: it is 1048576 bytes long"
}
api_run many-labels.1 many-labels && {
    expect_kept many-labels.1 redis
    expect_note many-labels.1 "attributes: $(id12 many-labels.1) 436 attributes dropped"
}
api_run big-tags.1 big-tags && {
    expect_kept big-tags.1 redis
    expect_note big-tags.1 "tags: $(id12 big-tags.1) [0-9]+ tags dropped"
}
api_run big-env.1 big-env && { # the kernel refuses one env string over 128 KiB at exec
    expect_kept big-env.1 redis
}
api_run env-100k.1 env-100k && {
    expect_kept env-100k.1 redis
    expect_note env-100k.1 "attributes: $(id12 env-100k.1) SERVICE_\"NOTE\" dropped: it is 102400 bytes long"
}
dropped=$(grep -c 'sent an event longer than .* it was dropped - resyncing' "$AGENT_LOG" || true)
[ "$dropped" -ge 1 ] || fail "the 1 MiB label's events were not reported as dropped"
! grep -q 'Docker event stream closed' "$AGENT_LOG" || fail "the event stream was closed: $(grep 'Docker event stream closed' "$AGENT_LOG" | head -n 1)"

assert_agent_alive

# Records: counts as the bounds say.
ectl get --prefix -w json / >"$IT_DIR/all.json"
many=$("$IT_PY" "$TOOL" detail ":many-labels.1:" <"$IT_DIR/all.json")
tags=$("$IT_PY" "$TOOL" detail ":big-tags.1:" <"$IT_DIR/all.json")
say "many-labels.1: $many; big-tags.1: $tags"
grep -q '^attributes=64 ' <<<"$many" || fail "many-labels.1 should keep 64 attributes: $many"
grep -q ' tags=100 ' <<<"$tags" || fail "big-tags.1 should keep 100 tags: $tags"
for c in big-label.1 env-100k.1; do
    d=$("$IT_PY" "$TOOL" detail ":$c:" <"$IT_DIR/all.json")
    grep -q '^attributes=0 ' <<<"$d" || fail "$c should keep no attribute (the big one dropped): $d"
done

# Every key valid, every value bounded.
check=$("$IT_PY" "$TOOL" check-keys "$MAX_VALUE" <"$IT_DIR/all.json") || {
    echo "$check"
    fail "etcd holds an invalid key or an unbounded value (BAD lines above)"
}
say "etcd: $check"

# No log flood: a few lines per container, and no etcd write refused.
lines=$(wc -l <"$AGENT_LOG")
say "agent log: $lines lines"
[ "$lines" -lt 200 ] || fail "agent log has $lines lines after $((${#KEPT[@]} + ${#SKIPPED[@]})) containers"
if grep -qiE 'too large|request is too|invalid.*request|etcd.*(rejected|refused)' "$AGENT_LOG"; then
    fail "etcd refused a write: $(grep -iE 'too large|request is too|invalid.*request|rejected|refused' "$AGENT_LOG" | head -n 3)"
fi

# A normal container started last still registers within the usual time.
t0=$(now_ms)
run normal.1
expect_kept normal.1 redis
normal_ms=$(($(now_ms) - t0))
assert_agent_alive

printf '  Docker refused: %s\n' "${REFUSED[@]}"
result "PASS ${#KEPT[@]} kept with bounded records, ${#SKIPPED[@]} skipped with a note, ${#REFUSED[@]} refused by Docker; $(cut -d' ' -f1-2 <<<"$check"); agent alive, $lines log lines; a normal container after them registered in ${normal_ms} ms; $dropped over-long Docker event(s) dropped and resynced, 0 event-stream reconnects"
