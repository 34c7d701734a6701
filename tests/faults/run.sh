#!/usr/bin/env bash
# Runs the fault-injection and security suite (tests/faults/*.sh) through the README's test
# command. -soak selects the long variants (PORTOLAN_SOAK=1); other arguments go to ctest.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
soak=0
if [ "${1:-}" = "-soak" ]; then
    soak=1
    shift
fi
PORTOLAN_SOAK=$soak exec bash "$ROOT/tests/run.sh" -L faults "$@"
