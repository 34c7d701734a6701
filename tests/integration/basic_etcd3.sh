#!/usr/bin/env bash
# registrator acceptance scenario through etcd v3 (see basic_common.sh).
BASIC_API=v3
source "$(dirname "$0")/basic_common.sh"
