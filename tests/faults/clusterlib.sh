# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# Helpers for the fault scenarios (issue 5), sourced after ../integration/lib.sh:
#   - a three-member etcd cluster on loopback (members n1 n2 n3), with SIGKILL and restart of
#     single members, leader lookup and the agent's registry URI naming all three endpoints;
#   - container churn in the background (a stream of containers started and removed, each
#     operation logged with a timestamp);
#   - a timestamped etcd watcher and the analysis that turns churn log + etcd history into
#     figures (registrations seen, lost, duplicated, delays).
# Every member runs under $IT_DIR, so lib.sh's teardown and its stale-run reaper find it.
#
# The helpers are in parts by theme, sourced below: clusterlib_etcd.sh, clusterlib_churn.sh,
# clusterlib_audit.sh and clusterlib_outage.sh.

FAULTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOAK=${PORTOLAN_SOAK:-0}

# shellcheck source=clusterlib_etcd.sh
source "$FAULTS_DIR/clusterlib_etcd.sh"
# shellcheck source=clusterlib_churn.sh
source "$FAULTS_DIR/clusterlib_churn.sh"
# shellcheck source=clusterlib_audit.sh
source "$FAULTS_DIR/clusterlib_audit.sh"
# shellcheck source=clusterlib_outage.sh
source "$FAULTS_DIR/clusterlib_outage.sh"

# fault_deadline SECONDS: the short variant's own watchdog. The "# timeout:" line (ctest) must
# also cover the soak variant, so without -soak the scenario fails after SECONDS instead.
fault_deadline() {
    [ "$SOAK" = 1 ] && return 0
    [ "$1" -lt "${PORTOLAN_IT_DEADLINE:-240}" ] || return 0
    local pid
    for pid in $(_children "$IT_WATCHDOG") "$IT_WATCHDOG"; do kill -KILL "$pid" 2>/dev/null; done
    PORTOLAN_IT_DEADLINE=$1
    (sleep "$1" && kill -TERM $$) 2>/dev/null &
    IT_WATCHDOG=$!
    disown "$IT_WATCHDOG"
}
