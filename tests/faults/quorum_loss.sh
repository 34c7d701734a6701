#!/usr/bin/env bash
# timeout: 600
# Issue 5, scenario 2: a three-member etcd cluster loses quorum (two members SIGKILLed, the
# leader among them) for 20 s (soak: 120 s) while containers start and stop; then both come back.
# Asserts: the agent stays up and keeps its Docker connection (no Docker complaint in its log),
# logs the fault at most 3 times during the whole outage (no flood), etcd equals Docker's running
# set after recovery (service keys, detail records, host record) with no stale key of the
# containers removed during the outage, within 10 s of quorum (the issue's target is 2 s: the
# figure is measured and printed; the looser bound keeps a loaded CI machine from flaking).
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/clusterlib.sh"
fault_deadline 150

HOST=core-01
OUTAGE=20 MAX_LINES=3 LIMIT_MS=10000
[ "$SOAK" = 1 ] && OUTAGE=120

outage_setup

leader=$(ec_leader) || fail "no etcd leader before the fault"
victims=("$leader")
for n in "${EC_NAMES[@]}"; do [ "$n" != "$leader" ] && [ ${#victims[@]} -lt 2 ] && victims+=("$n"); done
outage_run "$OUTAGE" "${victims[@]}"

[ "$OUT_LINES" -le "$MAX_LINES" ] ||
    fail "the agent logged $OUT_LINES lines during the $OUTAGE s quorum loss (at most $MAX_LINES expected: no flood); see $IT_DIR/outage-log.txt"
[ "$OUT_CONV_MS" -le "$LIMIT_MS" ] ||
    fail "etcd equalled Docker only $OUT_CONV_MS ms after quorum returned (bound $LIMIT_MS ms, target 2 s)"
result "quorum lost for $OUTAGE s (${victims[*]} killed, leader $leader) while $OUT_STARTED containers started and $OUT_REMOVED went away;" \
    "agent up, $OUT_LINES log line(s) during the outage; quorum back $(ms_s "$OUT_QUORUM_MS") s after the restart," \
    "etcd = Docker $(ms_s "$OUT_CONV_MS") s after that ($(av keys "$AUDIT") keys, $(av details "$AUDIT") detail records, 0 stale)"
