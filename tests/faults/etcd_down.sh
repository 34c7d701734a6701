#!/usr/bin/env bash
# timeout: 600
# Issue 5, scenario 3: the whole etcd (all three members, SIGKILL) is down for 60 s (soak: 300 s)
# while containers start and stop; then every member restarts on its data dir.
# Asserts, as quorum_loss: the agent stays up with Docker, logs the outage at most 3 times (no
# flood over a minute of retries), and etcd equals Docker's running set within 10 s of the
# cluster being healthy again (target 2 s; the figure is printed), no stale key left.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/clusterlib.sh"
fault_deadline 170

HOST=core-01
OUTAGE=60 MAX_LINES=3 LIMIT_MS=10000
[ "$SOAK" = 1 ] && OUTAGE=300

outage_setup
outage_run "$OUTAGE" "${EC_NAMES[@]}"

[ "$OUT_LINES" -le "$MAX_LINES" ] ||
    fail "the agent logged $OUT_LINES lines during the $OUTAGE s etcd outage (at most $MAX_LINES expected: no flood); see $IT_DIR/outage-log.txt"
[ "$OUT_CONV_MS" -le "$LIMIT_MS" ] ||
    fail "etcd equalled Docker only $OUT_CONV_MS ms after the cluster was healthy again (bound $LIMIT_MS ms, target 2 s)"
result "all 3 etcd members down for $OUTAGE s while $OUT_STARTED containers started and $OUT_REMOVED went away;" \
    "agent up, $OUT_LINES log line(s) during the outage; cluster healthy $(ms_s "$OUT_QUORUM_MS") s after the restart," \
    "etcd = Docker $(ms_s "$OUT_CONV_MS") s after that ($(av keys "$AUDIT") keys, $(av details "$AUDIT") detail records, 0 stale)"
