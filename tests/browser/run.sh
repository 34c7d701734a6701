#!/bin/sh
# Browser-view tests: installs the npm test tooling when missing (npm ci, into
# tests/browser/node_modules) and runs node's test runner. Screenshots and figures go to
# $PORTOLAN_TEST_OUT (default /tmp/portolan-browser). Needs node >= 20 and /usr/bin/chromium.
set -eu
cd "$(dirname "$0")"
export PORTOLAN_TEST_OUT="${PORTOLAN_TEST_OUT:-/tmp/portolan-browser}"
mkdir -p "$PORTOLAN_TEST_OUT"
command -v node >/dev/null || { echo "run.sh: node is not installed (apt-get install nodejs npm)" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "run.sh: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 1; }
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/ws ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "browser tests: screenshots in $PORTOLAN_TEST_OUT"
# --test-force-exit: a failed assertion must end the run, not leave a stub server holding it open.
exec node --test --test-force-exit --test-concurrency=1 --test-reporter=spec "$@" view.test.mjs balancers.test.mjs
