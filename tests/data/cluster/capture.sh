#!/bin/sh
# Re-records the watch fixtures of tst_clusterstate_recorded and _events from a private etcd
# on loopback:
#   snapshot-1.json   range of /portolan/ before the changes
#   watch-1.ndjson    the /v3/watch stream from snapshot-1's revision + 1 (puts, a changed
#                     service, deletes, a malformed record, a txn, a lease expiring)
#   snapshot-2.json   range after watch-1 (what a reconnect would list)
#   watch-compacted.ndjson  a watch from snapshot-2's revision + 1 after a compaction
#   snapshot-3.json   the listing that follows it
# Usage: tests/data/cluster/capture.sh   (needs etcd, etcdctl, curl, base64)
set -eu
OUT=$(cd "$(dirname "$0")" && pwd)
D=$(mktemp -d)
P=${PORT:-23971}
trap 'kill $ETCD 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
etcd --name c --data-dir "$D/data" --listen-client-urls http://127.0.0.1:$P \
     --advertise-client-urls http://127.0.0.1:$P --listen-peer-urls http://127.0.0.1:$((P + 1)) \
     --initial-advertise-peer-urls http://127.0.0.1:$((P + 1)) \
     --initial-cluster c=http://127.0.0.1:$((P + 1)) \
     --experimental-watch-progress-notify-interval 2s >"$D/log" 2>&1 &
ETCD=$!
URL=http://127.0.0.1:$P
until curl -sf $URL/health >/dev/null; do sleep 0.1; done
export ETCDCTL_API=3
ctl() { etcdctl --endpoints=$URL "$@" >/dev/null; }
b64() { printf %s "$1" | base64 -w0; }
rev() { curl -s $URL/v3/kv/range -d "{\"key\":\"$(b64 /)\"}" | sed 's/.*"revision":"\([0-9]*\)".*/\1/'; }
range() { curl -s $URL/v3/kv/range -d "{\"key\":\"$(b64 /portolan/)\",\"range_end\":\"$(b64 /portolan0)\"}"; echo; }
watch() { # from-revision seconds
    curl -sN -m "$2" $URL/v3/watch -d "{\"create_request\":{\"key\":\"$(b64 /portolan/)\",\"range_end\":\"$(b64 /portolan0)\",\"start_revision\":\"$1\",\"prev_kv\":true,\"progress_notify\":true}}" || true
}
host() { printf '{"hostname":"%s","address":"%s","agentVersion":"0.1.0","dockerVersion":"20.10.24","feedUrl":"http://%s:8080/","startedAt":"2026-11-27T05:00:00.000Z"}' "$1" "$2" "$2"; }
svc() { # host ip name container port hostport
    printf '{"id":"%s:%s:%s","name":"%s","host":"%s","ip":"%s","port":%s,"protocol":"tcp","tags":["db"],"attributes":{"env":"prod"},"containerId":"8f1c%s","containerName":"%s","image":"example/%s:latest","key":"/services/%s/%s:%s:%s","registeredAt":"2026-11-27T05:00:01.000Z"}' \
        "$1" "$4" "$5" "$3" "$1" "$2" "$6" "$4" "$4" "$3" "$3" "$1" "$4" "$5"
}
S=/portolan/services
L1=$(etcdctl --endpoints=$URL lease grant 600 | awk '{print $2}')
ctl put --lease=$L1 /portolan/hosts/core-01 "$(host core-01 10.0.0.5)"
ctl put --lease=$L1 $S/core-01/core-01:redis.1:6379 "$(svc core-01 10.0.0.5 redis redis.1 6379 49153)"
ctl put --lease=$L1 $S/core-01/core-01:web.1:80 "$(svc core-01 10.0.0.5 web web.1 80 49154)"
ctl put --lease=$L1 $S/core-01/core-01:old.1:22 "$(svc core-01 10.0.0.5 old old.1 22 49155)"
ctl put /unrelated/key x
range >"$OUT/snapshot-1.json"
R1=$(rev)

watch $((R1 + 1)) 9 >"$OUT/watch-1.ndjson" &
W=$!
sleep 0.5
L2=$(etcdctl --endpoints=$URL lease grant 3 | awk '{print $2}')
ctl put --lease=$L2 /portolan/hosts/core-02 "$(host core-02 10.0.0.6)"
ctl put --lease=$L2 $S/core-02/core-02:redis.2:6379 "$(svc core-02 10.0.0.6 redis redis.2 6379 49160)"
ctl put --lease=$L1 $S/core-01/core-01:web.1:80 "$(svc core-01 10.0.0.5 web web.1 80 49999)"
ctl del $S/core-01/core-01:old.1:22
ctl put --lease=$L1 $S/core-01/core-01:broken.1:1 '{"id":"core-01:broken.1:1","name":'
ctl put /portolan/other/thing 1
printf '\nput %s/core-01/core-01:db.1:5432 %s\nput %s/core-01/core-01:db.2:5432 %s\n\n\n' \
    $S "$(svc core-01 10.0.0.5 db db.1 5432 49170)" $S "$(svc core-01 10.0.0.5 db db.2 5432 49171)" |
    etcdctl --endpoints=$URL txn >/dev/null
# core-02's lease (TTL 3 s) runs out: its host and service records go in one revision.
wait $W
range >"$OUT/snapshot-2.json"
R2=$(rev)

# While "disconnected": more changes, then a compaction past R2.
ctl put --lease=$L1 $S/core-01/core-01:cache.1:11211 "$(svc core-01 10.0.0.5 cache cache.1 11211 49180)"
ctl del $S/core-01/core-01:redis.1:6379
ctl put /portolan/hosts/core-03 "$(host core-03 10.0.0.7)"
ctl compact "$(rev)"
watch $((R2 + 1)) 2 >"$OUT/watch-compacted.ndjson"
range >"$OUT/snapshot-3.json"
echo "recorded: R1=$R1 R2=$R2 in $OUT"
