#!/bin/sh
# Usage: tests/fuzz/run.sh [seconds]   Builds the libFuzzer targets with clang in build-fuzz and
# runs each for the given time (default 30 s). Exits non-zero when a target finds a crash.
set -eu
SECONDS_PER_TARGET=${1:-30}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="$ROOT/build-fuzz"

CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPORTOLAN_FUZZ=ON -DPORTOLAN_DASHBOARD=OFF >"$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log"; exit 1; }

status=0
for src in "$ROOT"/tests/fuzz/fuzz_*.cpp; do
    name=$(basename "$src" .cpp)
    cmake --build "$BUILD" --target "$name"
    corpus_name=${name#fuzz_}; corpus_name=${corpus_name%%_*}
    seeds="$ROOT/tests/fuzz/corpus/$corpus_name"
    work="$BUILD/corpus/$name"        # grows while fuzzing; the checked-in seeds stay untouched
    artifacts="$BUILD/artifacts/$name/"
    mkdir -p "$work" "$artifacts"
    echo "== $name for ${SECONDS_PER_TARGET}s (seeds: $seeds)"
    if ! "$BUILD/tests/fuzz/$name" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
        -artifact_prefix="$artifacts" -rss_limit_mb=1024 "$work" "$seeds"; then
        echo "!! $name failed; reproducer(s) in $artifacts" >&2
        status=1
    fi
done
exit $status
