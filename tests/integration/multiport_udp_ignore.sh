#!/usr/bin/env bash
# Naming rules on a real dockerd: port groups get "<image>-<port>", udp ids end in ":udp",
# SERVICE_IGNORE (env or label) skips a container, SERVICE_NAME/SERVICE_TAGS come from env or
# label (label wins) and reach the detail record, SERVICE_<port>_NAME names one port, and one
# port published on two addresses is one service.
source "$(dirname "$0")/lib.sh"

start_dockerd
start_etcd
build_image example/web 80 443
build_image example/dns 53/udp
build_image example/redis 6379
start_agent -ip=10.0.0.5 -hostname=core-01 "etcd://127.0.0.1:$ETCD_PORT/services"
wait_for_key /portolan/hosts/core-01 15 || fail "agent wrote no host record /portolan/hosts/core-01 within 15 s"

S=/services
dk run -d --name web.1 -P example/web >/dev/null
expect_value "$S/web-80/core-01:web.1:80" "10.0.0.5:$(host_port web.1 80)"
expect_value "$S/web-443/core-01:web.1:443" "10.0.0.5:$(host_port web.1 443)"

dk run -d --name dns.1 -P example/dns >/dev/null
expect_value "$S/dns/core-01:dns.1:53:udp" "10.0.0.5:$(host_port dns.1 53/udp)"

# Ignored containers start before a marker: once the marker is registered, the agent has seen
# the ignored ones too (events arrive in order).
dk run -d --name ignored.1 -P -e SERVICE_IGNORE=1 example/redis >/dev/null
dk run -d --name ignlabel.1 -P --label SERVICE_IGNORE=true example/redis >/dev/null
dk run -d --name unpub.1 example/redis >/dev/null # exposed, not published: not registered
dk run -d --name marker.1 -P example/redis >/dev/null
expect_value "$S/redis/core-01:marker.1:6379" "10.0.0.5:$(host_port marker.1 6379)"
sleep 0.5
for c in ignored.1 ignlabel.1 unpub.1; do
    if etcd_get_prefix "$S/" | grep -F ":$c:"; then fail "$c must not be registered"; fi
done

dk run -d --name named.1 -P -e SERVICE_NAME=cache -e SERVICE_TAGS=a,b example/redis >/dev/null
expect_value "$S/cache/core-01:named.1:6379" "10.0.0.5:$(host_port named.1 6379)"

dk run -d --name labelled.1 -P -e SERVICE_NAME=fromenv -e SERVICE_TAGS=envtag \
    --label SERVICE_NAME=fromlabel --label SERVICE_TAGS=labeltag example/redis >/dev/null
expect_value "$S/fromlabel/core-01:labelled.1:6379" "10.0.0.5:$(host_port labelled.1 6379)"
assert_key_absent "$S/fromenv/core-01:labelled.1:6379"

etcd_get_prefix /portolan/services/core-01/ >"$IT_DIR/details.txt"
"$IT_PY" "$IT_LIB_DIR/ittool.py" detail-check --container named.1 --name cache --tag a --tag b \
    <"$IT_DIR/details.txt" || fail "detail record of named.1 lacks SERVICE_NAME=cache / SERVICE_TAGS=a,b"
"$IT_PY" "$IT_LIB_DIR/ittool.py" detail-check --container labelled.1 --name fromlabel \
    --tag labeltag --no-tag envtag <"$IT_DIR/details.txt" ||
    fail "detail record of labelled.1: the label must win over the env (name fromlabel, tag labeltag)"

# A per-port name replaces "<image>-<port>" for that port only.
dk run -d --name web.2 -P -e SERVICE_443_NAME=https example/web >/dev/null
expect_value "$S/https/core-01:web.2:443" "10.0.0.5:$(host_port web.2 443)"
expect_value "$S/web-80/core-01:web.2:80" "10.0.0.5:$(host_port web.2 80)"

# 127.0.0.1 and ::1 bindings of one port (Docker may give them different host ports): one
# service, on the IPv4 binding's host port (docs/compatibility.md).
dk run -d --name dual.1 -p 127.0.0.1::6379 -p '[::1]::6379' example/redis >/dev/null
expect_value "$S/redis/core-01:dual.1:6379" "10.0.0.5:$(host_port dual.1 6379)"
n=$(etcd_get_prefix "$S/" | grep -cF ":dual.1:" || true)
assert_eq "$n" 1 "number of keys for dual.1 (one port bound on 127.0.0.1 and ::1)"

expect_etcd_matches_docker "$S" core-01 10.0.0.5 5
count=$(etcd_get_prefix "$S/" | wc -l)
assert_agent_alive
result "PASS $count services: web-80/web-443 group names, dns.1 id ends :udp," \
    "SERVICE_IGNORE env+label and unpublished ports skipped, SERVICE_NAME/TAGS env and label" \
    "(label wins) in detail records, SERVICE_443_NAME, dual binding -> 1 key; etcd matches Docker"
