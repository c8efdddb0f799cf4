#!/usr/bin/env bash
# `npm test`: the whole test suite on a fresh machine. Installs what is missing, checks types,
# lint and layering, brings the local stack up if it is not running, then runs the unit tests
# and the integration tests (against the real broker, registry and database).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$HERE/lib.sh"

export KAFKA_REPLICATION_FACTOR="${KAFKA_REPLICATION_FACTOR:-1}"
export NODE_ENV=test

ensure_node_modules "$ROOT"
cd "$ROOT"

log "type-checking"
npx tsc -p tsconfig.json --noEmit
log "lint and layering rules (eslint)"
npx eslint . --max-warnings 0
log "formatting (prettier)"
npx prettier --check . --log-level warn

bash "$HERE/stack.sh" up

# Each integration test makes its own database (cl_test_*) and drops it; a run that was killed
# leaves some behind. One test run per server at a time is assumed.
leftovers="$(psql "$PG_ADMIN_URL" -qAtc "SELECT datname FROM pg_database WHERE datname LIKE 'cl\_test\_%'")"
for db in $leftovers; do psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null; done

# Topics of killed test runs (tests delete their own): t-<run>.* prefixes and test.* names.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/maven/kafka.pom.xml")"
java -cp "$CL_HOME/dist/kafka-$KAFKA_VERSION/libs/*" -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" \
  org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --delete --if-exists \
  --topic '(t-|test\.|probe-).*' >/dev/null 2>&1 || log "could not clean up leftover test topics (continuing)"

report="$(mktemp --suffix=.json)"
status=0
npx jest --runInBand --json --outputFile="$report" "$@" || status=$?
node -e '
  const r = require(process.argv[1]);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }
' "$report" || status=1
exit "$status"
