#!/usr/bin/env bash
# Runs Portolan's whole test suite: installs what it needs (Debian 12), builds, and runs every
# test through ctest: unit tests, integration tests against a private dockerd and etcd, and a
# short fuzz run. Output of each run goes to $PORTOLAN_TEST_OUT (default build/test-output).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${PORTOLAN_BUILD_DIR:-$ROOT/build}"
export PORTOLAN_TEST_OUT="${PORTOLAN_TEST_OUT:-$BUILD/test-output}"

"$ROOT/packaging/install-deps.sh"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
mkdir -p "$PORTOLAN_TEST_OUT"

cd "$BUILD"
# One test at a time: several tests measure delays or wait on real daemons, and on a 2-core
# machine running them side by side only trades minutes for flakes.
ctest --output-on-failure "$@"
