#!/bin/sh
# Usage: tests/fuzz/run.sh [seconds]   Builds the libFuzzer targets (tests/fuzz/fuzz_*.cpp) with
# clang in build-fuzz and runs each for the given time (default 30 s): ctest's fuzz.short passes
# 10, so six targets take 60 s of fuzzing (the long runs are by hand). Seeds: tests/fuzz/corpus/<target without fuzz_>/,
# plus tests/fuzz/dict/<same>.dict when present. Exits non-zero when a target finds a crash or
# breaks an invariant; the reproducer is in build-fuzz/artifacts/<target>/.
set -eu
SECONDS_PER_TARGET=${1:-30}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="$ROOT/build-fuzz"

CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPORTOLAN_FUZZ=ON -DPORTOLAN_DASHBOARD=OFF >"$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log"; exit 1; }

targets=""
for src in "$ROOT"/tests/fuzz/fuzz_*.cpp; do
    targets="$targets $(basename "$src" .cpp)"
done
# shellcheck disable=SC2086 # one word per target
cmake --build "$BUILD" --target $targets

status=0
summary=""
for name in $targets; do
    corpus_name=${name#fuzz_}
    seeds="$ROOT/tests/fuzz/corpus/$corpus_name"
    dict="$ROOT/tests/fuzz/dict/$corpus_name.dict"
    work="$BUILD/corpus/$name"        # grows while fuzzing; the checked-in seeds stay untouched
    artifacts="$BUILD/artifacts/$name/"
    log="$BUILD/fuzz-$name.log"
    mkdir -p "$work" "$artifacts"
    set -- -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -artifact_prefix="$artifacts" \
        -rss_limit_mb=1024 -timeout=25
    [ -f "$dict" ] && set -- "$@" -dict="$dict"
    echo "== $name for ${SECONDS_PER_TARGET}s (seeds: $seeds)"
    if ! "$BUILD/tests/fuzz/$name" "$@" "$work" "$seeds" >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "!! $name failed; reproducer(s) in $artifacts" >&2
        status=1
    fi
    # One line per target: runs, coverage and corpus from libFuzzer's own last status line.
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed 's/^#[0-9]*[[:space:]]*[A-Z]*[[:space:]]*//')
    line="$name: ${runs:-?} runs in ${SECONDS_PER_TARGET}s, $last"
    echo "   $line"
    summary="$summary$line
"
done
printf 'fuzz summary:\n%s' "$summary"
exit $status
