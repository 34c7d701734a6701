#!/bin/sh
# Fills an etcd (v3, ETCDCTL) with what three agents would publish: host records and service
# detail records shaped like EtcdV3Registry writes them (with Docker health), plus the
# registrator-style keys, and the records of two load balancers (portolan-lb), one failing.
# Usage: seed.sh http://127.0.0.1:PORT
set -eu
EP=${1:?etcd endpoint}
put() { ETCDCTL_API=3 etcdctl --endpoints="$EP" put "$1" "$2" >/dev/null; }
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
ago() { date -u -d "-$1" +%Y-%m-%dT%H:%M:%S.000Z; }
host() { # name address docker started
    put "/portolan/hosts/$1" "{\"hostname\":\"$1\",\"address\":\"$2\",\"agentVersion\":\"0.1.0\",\"dockerVersion\":\"$3\",\"feedUrl\":\"http://$2:8080/\",\"startedAt\":\"$4\"}"
}
svc() { # host ip name container port hostport proto image tags registered [health]
    id="$1:$4:$5"
    [ "$7" = udp ] && id="$id:udp"
    put "/portolan/services/$1/$id" "{\"id\":\"$id\",\"name\":\"$3\",\"host\":\"$1\",\"ip\":\"$2\",\"port\":$6,\"protocol\":\"$7\",\"tags\":[$9],\"attributes\":{\"env\":\"prod\"},\"containerId\":\"$(echo "$id" | sha256sum | cut -c1-64)\",\"containerName\":\"$4\",\"image\":\"$8\",\"key\":\"/services/$3/$id\",\"registeredAt\":\"${10}\"${11:+,\"health\":\"${11}\"}}"
    put "/services/$3/$id" "$2:$6"
}
host core-01 10.0.0.5 20.10.24 "$(ago '3 days')"
host core-02 10.0.0.6 20.10.24 "$(ago '3 days')"
host edge-01 10.0.1.10 24.0.7 "$(ago '5 hours')"
svc core-01 10.0.0.5 redis redis.1 6379 49153 tcp example/redis:7.2 '"db","cache"' "$(ago '2 days')" healthy
svc core-02 10.0.0.6 redis redis.2 6379 49160 tcp example/redis:7.2 '"db","cache"' "$(ago '2 days')" unhealthy
svc core-02 10.0.0.6 redis redis.3 6379 49161 tcp example/redis:7.2 '"db","cache"' "$(ago '40 minutes')" starting
svc core-01 10.0.0.5 postgres pg-main 5432 49170 tcp example/postgres:16 '"db","primary"' "$(ago '3 days')"
svc core-02 10.0.0.6 postgres pg-replica 5432 49171 tcp example/postgres:16 '"db","replica"' "$(ago '1 days')"
svc core-01 10.0.0.5 api api.1 8080 49200 tcp registry.local/shop/api:1.14.2 '"http","v1"' "$(ago '3 hours')" healthy
svc core-02 10.0.0.6 api api.2 8080 49201 tcp registry.local/shop/api:1.14.2 '"http","v1"' "$(ago '3 hours')" none
svc edge-01 10.0.1.10 nginx edge-nginx 80 80 tcp example/nginx:1.25 '"http","edge"' "$(ago '5 hours')"
svc edge-01 10.0.1.10 nginx edge-nginx 443 443 tcp example/nginx:1.25 '"https","edge"' "$(ago '5 hours')"
svc edge-01 10.0.1.10 coredns dns.1 53 53 udp example/coredns:1.11 '"dns"' "$(ago '12 minutes')"
svc core-01 10.0.0.5 worker worker.1 9100 49300 tcp registry.local/shop/worker:1.14.2 '' "$now"
lb() { # name driver version method error routes
    err=""
    [ -n "$5" ] && err=",\"lastError\":\"$5\",\"lastErrorAt\":\"$(ago '2 minutes')\""
    put "/portolan/balancers/$1" "{\"driver\":\"$2\",\"driverVersion\":\"$3\",\"host\":\"edge-01\",\"lastApplyAt\":\"$(ago '40 seconds')\",\"lastApplyMethod\":\"$4\"$err,\"name\":\"$1\",\"routes\":[$6],\"startedAt\":\"$(ago '5 hours')\",\"version\":\"0.1.0\"}"
}
lb lb-1 haproxy 2.6.12 runtime "" '{"backend":"portolan_api","ready":2,"servers":2,"service":"api"},{"backend":"portolan_redis","ready":1,"servers":3,"service":"redis"}'
lb lb-2 nginx 1.22.1 reload "nginx -t refused the new upstreams (host not found in upstream); the previous file stays and nginx keeps serving" '{"backend":"api_upstream","ready":2,"servers":2,"service":"api"}'
