#!/usr/bin/env bash
# `npm run test:faults [-- --seed N --only TEXT --rate N]`: the fault suite on a three-broker
# cluster of the Kafka line KAFKA_VERSION chooses (default: the pom's). Starts what it needs
# (cluster, registry, PostgreSQL), runs every scenario, prints the table, stops the cluster again
# unless KEEP_CLUSTER=1. Exit 0: every promise kept; 1: a scenario broke one; 2: the suite failed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
export NODE_ENV=test
ensure_node_modules "$ROOT"
bash "$ROOT/deploy/local/stack.sh" cluster up
# Topics of earlier runs (each run's environment deletes its own; a killed run leaves them): every
# partition a broker holds makes its restart, and the rolling-restart scenario, slower.
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:19091 --delete --if-exists \
  --topic 't-.*' >/dev/null 2>&1 || log "could not delete the cluster's leftover topics (continuing)"
cd "$ROOT"
status=0
TS_NODE_TRANSPILE_ONLY=true node -r ts-node/register -r tsconfig-paths/register \
  test/faults/fault-suite.ts --kafka-version "$KAFKA_VERSION" "$@" || status=$?
[[ "${KEEP_CLUSTER:-0}" == 1 ]] || bash "$ROOT/deploy/local/stack.sh" cluster down >/dev/null
exit "$status"
