#!/usr/bin/env bash
# Bad command lines: each exits with status 2 and one clear line on stderr, at once, without
# touching Docker or etcd. --version exits 0.
source "$(dirname "$0")/lib.sh"

export DOCKER_HOST=unix:///nonexistent/portolan-it/docker.sock
E=etcd://127.0.0.1:1/services
failures=()
summary=()

# check TOKEN ARGS...: status 2, exactly one non-empty stderr line, mentioning TOKEN when given.
check() {
    local token=$1 rc=0 lines err
    shift
    timeout 10 "$PORTOLAN_BIN" "$@" >"$IT_DIR/out" 2>"$IT_DIR/err" </dev/null || rc=$?
    err=$(grep -v '^[[:space:]]*$' "$IT_DIR/err" || true)
    lines=$(printf '%s' "$err" | grep -c . || true)
    local what="portolan $*"
    if [ "$rc" = 124 ]; then
        failures+=("$what: still running after 10 s (must exit 2 at once)")
    elif [ "$rc" != 2 ]; then
        failures+=("$what: exit status $rc, expected 2; stderr: $(head -c 300 "$IT_DIR/err")")
    elif [ "$lines" != 1 ]; then
        failures+=("$what: $lines stderr lines, expected one: $(head -c 400 "$IT_DIR/err" | tr '\n' '|')")
    elif [ -n "$token" ] && ! grep -qiF -- "$token" <<<"$err"; then
        failures+=("$what: stderr does not mention '$token': $err")
    else
        summary+=("$what -> 2: $err")
    fi
}

check bogus-flag -bogus-flag "$E"
check ttl -ttl=abc "$E"
check foo foo://x
check "" etcd://
check "" # no URI at all
check extra "$E" extra
check "" "$E" -ip=10.0.0.5 # options after the URI are extra arguments (Go flag parsing)
check bogus -deregister=bogus "$E"

rc=0
timeout 10 "$PORTOLAN_BIN" --version >"$IT_DIR/out" 2>"$IT_DIR/err" </dev/null || rc=$?
if [ "$rc" != 0 ]; then
    failures+=("portolan --version: exit status $rc, expected 0; stderr: $(head -c 300 "$IT_DIR/err")")
elif ! grep -qE '[0-9]+\.[0-9]+' "$IT_DIR/out" "$IT_DIR/err"; then
    failures+=("portolan --version printed no version number: $(cat "$IT_DIR/out" "$IT_DIR/err")")
else
    summary+=("portolan --version -> 0: $(head -n 1 "$IT_DIR/out" "$IT_DIR/err" | grep -v '^==>' | grep . | head -n 1)")
fi

printf '  %s\n' "${summary[@]}"
if [ ${#failures[@]} -gt 0 ]; then
    printf '  BAD %s\n' "${failures[@]}"
    fail "${#failures[@]} of 9 command lines handled wrongly (BAD lines above)"
fi
result "PASS 8 bad command lines exit 2 with one stderr line each; --version exits 0"
