#!/usr/bin/env bash
# `npm start`: the whole system on one machine. Installs what is missing, starts Kafka, the
# schema registry and (if needed) PostgreSQL, then every app, and loads the demo data.
# `npm run stack:down` stops it all again.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$HERE/lib.sh"

export KAFKA_REPLICATION_FACTOR="${KAFKA_REPLICATION_FACTOR:-1}"
export HTTP_PORT="${HTTP_PORT:-3000}"

ensure_node_modules "$ROOT"
bash "$HERE/stack.sh" up

cd "$ROOT"
start_app consent-api "$HTTP_PORT" apps/consent-api/src/main.ts

cat <<INFO

Consent Ledger is running.
  API          http://127.0.0.1:$HTTP_PORT   (OpenAPI: http://127.0.0.1:$HTTP_PORT/docs)
  health       http://127.0.0.1:$HTTP_PORT/health
  metrics      http://127.0.0.1:$HTTP_PORT/metrics
  logs         $LOG_DIR/
  stop         npm run stack:down
INFO
