#!/usr/bin/env bash
# registrator acceptance scenario through the etcd v2 keys API (see basic_common.sh).
BASIC_API=v2
source "$(dirname "$0")/basic_common.sh"
