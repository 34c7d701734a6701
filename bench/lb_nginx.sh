#!/usr/bin/env bash
# portolan-lb's nginx path (issue 12): how long NginxDriver::apply() takes (render, rename in,
# nginx -T, SIGHUP, wait until the master's workers are all new) and apply() -> the first
# request answered by the new membership, p50/p99 over ROUNDS reload-applies; then wrk across
# 9 reloads with keep-alive and with a connection per request (failed requests counted).
# A private Debian nginx and busybox httpd backends on loopback, under a temp dir.
#
#   bench/lb_nginx.sh [ROUNDS]          (default 30; PORTOLAN_BUILD_DIR defaults to ./build;
#                                        PORTOLAN_TEST_KEEP=1 keeps the dir with nginx's error.log)
#
# The debounce of portolan-lb's controller comes on top of these figures.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PORTOLAN_BUILD_DIR:-$REPO/build}
BIN=$BUILD/tests/integration/lb_nginx_bench
for tool in nginx busybox wrk; do
    command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null || {
        echo "lb_nginx.sh: $tool is missing (apt-get install nginx-light libnginx-mod-stream busybox-static wrk)" >&2
        exit 1
    }
done
[ -x "$BIN" ] || {
    echo "lb_nginx.sh: $BIN is missing: cmake --build $BUILD --target lb_nginx_bench" >&2
    exit 1
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
timeout 300 "$BIN" "${1:-30}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
