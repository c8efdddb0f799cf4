#!/usr/bin/env bash
# `npm run bench -- [ingest]`: brings the stack up if needed and runs a benchmark, printing a table
# and writing JSON to bench/results/. Kafka's own tools run from the same jars as the broker.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$ROOT/deploy/local/lib.sh"
export KAFKA_REPLICATION_FACTOR="${KAFKA_REPLICATION_FACTOR:-1}"
ensure_node_modules "$ROOT"
bash "$ROOT/deploy/local/stack.sh" up >/dev/null
cd "$ROOT"
mkdir -p bench/results
name="${1:-ingest}"
shift || true
# Benchmarks that run an app compiled, as in production, use dist/.
echo "building dist/ (npm run build)" >&2
npx tsc -p tsconfig.build.json
node_flags=()
# The view-memory bench measures the heap after full collections it asks for.
[[ "$name" == view-memory ]] && node_flags=(--expose-gc --max-old-space-size=8192)
TS_NODE_TRANSPILE_ONLY=true exec node "${node_flags[@]}" -r ts-node/register -r tsconfig-paths/register "bench/$name.bench.ts" \
  --kafka-libs "$KAFKA_DIST/libs" --bootstrap "127.0.0.1:$KAFKA_PORT" "$@"
