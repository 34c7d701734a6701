# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# Harness for the Portolan integration scenarios, sourced by each scenario script.
#
# Every scenario gets its own work dir, its own dockerd (own data root, exec root, socket and
# bridge, no iptables changes, published ports bound to 127.0.0.1) and its own etcd on free
# loopback ports, so scenarios do not disturb each other or other daemons on the host. An EXIT
# trap tears everything down, even after a failure, and every wait is bounded.
#
# The harness is in parts by theme, sourced below: lib_process.sh, lib_teardown.sh,
# lib_dockerd.sh, lib_docker.sh, lib_etcd.sh, lib_assert.sh and lib_agent.sh.
#
# Environment:
#   PORTOLAN_BIN         the agent under test (required)
#   PORTOLAN_TEST_OUT    where work dirs go (default /tmp)
#   PORTOLAN_TEST_KEEP=1 keep the work dir (logs) even when the scenario passes
#   PORTOLAN_IT_DEADLINE seconds before the scenario's own watchdog fails it (default 240);
#                        kept below the ctest TIMEOUT so teardown still runs

set -Eeuo pipefail

IT_NAME=$(basename "$0" .sh)
IT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_ROOT=${PORTOLAN_TEST_OUT:-/tmp}
mkdir -p "$IT_ROOT"
IT_DIR=$(mktemp -d "$IT_ROOT/portolan-it.$IT_NAME.XXXXXX")
IT_PY=/usr/bin/python3
[ -x "$IT_PY" ] || IT_PY=python3
IT_PIDS=()          # background helpers (watchers) to stop on exit
IT_FAILED=0
IT_TORN_DOWN=0
AGENT_PID=""
IT_WATCHDOG=""
AGENT_LOG=""
AGENT_RUNS=0
DOCKERD_PID=""
DOCKER_BRIDGE=""
ETCD_PID=""
ETCD_PORT=""
REGISTRY_API=v3     # v3 or v2: how etcd_get / etcd_get_prefix read keys
WAITED_MS=0         # set by every wait_* function: how long it waited
# More dockerds in one scenario (start_extra_dockerd NAME), keyed by NAME.
declare -A XD_PID=() XD_RUN=() XD_DATA=() XD_BRIDGE=() XD_HOST=()

export DOCKER_CONFIG=$IT_DIR/docker-cli   # keep the CLI away from ~/.docker
export DOCKER_CLI_HINTS=false

# ---------------------------------------------------------------- output and failure

say() { printf '%s [%s] %s\n' "$(date +%H:%M:%S.%3N)" "$IT_NAME" "$*"; }

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# Prints the scenario's one-line result (the line ctest logs show and reports quote).
result() { echo "RESULT $IT_NAME: $*"; }

# The scenario's own stdout, kept so fail() is heard even when the failing command's output
# was redirected (the ERR trap runs inside that redirection).
exec {IT_OUT}>&1

fail() {
    set +e
    trap - ERR # a failing command in the dump below must not re-enter fail()
    exec 1>&"$IT_OUT" 2>&1
    IT_FAILED=1
    echo "FAIL $IT_NAME: $*"
    if [ -n "$AGENT_LOG" ] && [ -f "$AGENT_LOG" ]; then
        echo "---- agent log tail ($AGENT_LOG)"
        tail -n 40 "$AGENT_LOG"
    fi
    if [ -n "$ETCD_PORT" ] && _pid_alive "$ETCD_PID"; then
        echo "---- etcd keys (/services, /skydns, /portolan)"
        { etcd_get_prefix /services; etcd_get_prefix /skydns; etcd_get_prefix /portolan; } 2>&1 | head -n 40
    fi
    if [ -n "$DOCKERD_PID" ] && _pid_alive "$DOCKERD_PID"; then
        echo "---- docker ps"
        timeout 10 docker ps -a --format '{{.ID}} {{.Names}} {{.Status}} {{.Ports}}' 2>&1 | head -n 20
    fi
    echo "---- work dir kept: $IT_DIR"
    exit 1
}

_on_err() { fail "command failed (status $1) at line $2: $3"; }
trap '_on_err $? $LINENO "$BASH_COMMAND"' ERR
trap 'fail "interrupted (watchdog deadline of ${PORTOLAN_IT_DEADLINE:-240} s, ctest timeout or Ctrl-C)"' TERM INT
trap '_teardown' EXIT

need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 ||
            fail "'$t' is not installed; the integration tests need docker.io (dockerd 20.10+), etcd-server, etcd-client, busybox-static, curl, python3 and iproute2 (CI installs them)"
    done
}

# need_browser_tooling [PACKAGE...]: node, npm and tests/browser's npm packages (default: ws),
# installed with npm ci when one is missing. Sets BROWSER_DIR.
need_browser_tooling() {
    BROWSER_DIR=$(cd "$IT_LIB_DIR/../browser" && pwd)
    need_tools node npm
    local p missing=0
    for p in "${@:-ws}"; do
        [ -d "$BROWSER_DIR/node_modules/$p" ] || missing=1
    done
    [ "$missing" = 0 ] && return 0
    say "installing the browser test tooling (npm ci in $BROWSER_DIR)"
    (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $BROWSER_DIR failed"
}

need_root() {
    [ "$(id -u)" = 0 ] || fail "must run as root: the scenarios start a private dockerd"
}

# Each run records what it owns in /tmp/portolan-it-runs/<pid>, so a later run can clean up
# after one that was killed outright (ctest's TIMEOUT uses SIGKILL, no trap runs then).
IT_RUNS=/tmp/portolan-it-runs
mkdir -p "$IT_RUNS"

# shellcheck source=lib_process.sh
source "$IT_LIB_DIR/lib_process.sh"
# shellcheck source=lib_teardown.sh
source "$IT_LIB_DIR/lib_teardown.sh"
# shellcheck source=lib_dockerd.sh
source "$IT_LIB_DIR/lib_dockerd.sh"
# shellcheck source=lib_docker.sh
source "$IT_LIB_DIR/lib_docker.sh"
# shellcheck source=lib_etcd.sh
source "$IT_LIB_DIR/lib_etcd.sh"
# shellcheck source=lib_assert.sh
source "$IT_LIB_DIR/lib_assert.sh"
# shellcheck source=lib_agent.sh
source "$IT_LIB_DIR/lib_agent.sh"

# ---------------------------------------------------------------- start of every scenario

_reap_stale_runs
_record_run

need_tools curl "$IT_PY"
[ -n "${PORTOLAN_BIN:-}" ] || fail "PORTOLAN_BIN is not set (ctest sets it to the built portolan binary)"
[ -x "$PORTOLAN_BIN" ] || fail "PORTOLAN_BIN=$PORTOLAN_BIN is not an executable file; build the 'portolan' target first"

# Fails the scenario after PORTOLAN_IT_DEADLINE seconds, so teardown runs before ctest's
# TIMEOUT kills the script outright.
( sleep "${PORTOLAN_IT_DEADLINE:-240}" && kill -TERM $$ ) 2>/dev/null &
IT_WATCHDOG=$!
disown "$IT_WATCHDOG"
