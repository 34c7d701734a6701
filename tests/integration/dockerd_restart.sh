#!/usr/bin/env bash
# dockerd stops under a running agent, first cleanly (SIGTERM: containers stop with events), then
# by SIGKILL (no events, containers die with their shims). Each time dockerd comes back (a
# --restart=always container returns, maybe on a new host port) and a new container starts;
# etcd must end equal to Docker's running set, and the agent must live through it.
source "$(dirname "$0")/lib.sh"

start_dockerd
start_etcd
build_image example/redis 6379
start_agent -ip=10.0.0.5 -hostname=core-01 "etcd://127.0.0.1:$ETCD_PORT/services"
dk run -d --name plain.1 -P example/redis >/dev/null
dk run -d --name always.1 --restart=always -P example/redis >/dev/null
expect_etcd_matches_docker /services core-01 10.0.0.5 15

round() { # how ("stop" or "kill"), new container name
    local t_up conv_ms left
    if [ "$1" = stop ]; then stop_dockerd; else kill_dockerd; fi
    sleep 2
    assert_agent_alive
    left=$(etcd_get_prefix /services/ | wc -l)
    say "with dockerd down ($1), etcd holds $left service key(s)"
    start_dockerd
    t_up=$(now_ms)
    dk run -d --name "$2" -P example/redis >/dev/null
    say "docker ps after restart: $(dk ps --format '{{.Names}} {{.Ports}}' | tr '\n' ';')"
    expect_etcd_matches_docker /services core-01 10.0.0.5 20
    conv_ms=$(($(now_ms) - t_up))
    assert_agent_alive
    dk inspect -f '{{.State.Running}}' always.1 | grep -q true ||
        say "note: always.1 did not come back after dockerd $1"
    ROUND_NOTE="$ROUND_NOTE dockerd $1: $left key(s) while down, etcd = Docker ${conv_ms} ms after dockerd was back;"
}
ROUND_NOTE=""
round stop second.1
round kill third.1
n=$(etcd_get_prefix /services/ | wc -l)
result "PASS$ROUND_NOTE $n services at the end; agent alive"
