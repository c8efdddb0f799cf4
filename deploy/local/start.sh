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
# The demo data replays a year of choices through the live channels (web, app, email link), so the
# local stack lets a live channel backdate that far; the default is 30 days.
export CONSENT_MAX_BACKDATE_DAYS="${CONSENT_MAX_BACKDATE_DAYS:-400}"
DEVELOPMENT_KEY=dev-local-key-change-me

ensure_node_modules "$ROOT"
bash "$HERE/stack.sh" up

PROJECTOR_PORT="${PROJECTOR_PORT:-3001}"
CONNECTORS_PORT="${CONNECTORS_PORT:-3002}"
DECISION_API_PORT="${DECISION_API_PORT:-3003}"
AUDITOR_PORT="${AUDITOR_PORT:-3004}"
PREFERENCE_CENTRE_PORT="${PREFERENCE_CENTRE_PORT:-3005}"
DASHBOARD_PORT="${DASHBOARD_PORT:-3006}"
IDENTITY_PROVIDER_PORT="${IDENTITY_PROVIDER_PORT:-3980}"
export DASHBOARD_URL="${DASHBOARD_URL:-http://127.0.0.1:$DASHBOARD_PORT}"
export OIDC_ISSUER_URL="${OIDC_ISSUER_URL:-http://127.0.0.1:$IDENTITY_PROVIDER_PORT}"
export AUDITOR_URL="${AUDITOR_URL:-http://127.0.0.1:${AUDITOR_PORT:-3004}}"
export PREFERENCE_CENTRE_URL="${PREFERENCE_CENTRE_URL:-http://127.0.0.1:$PREFERENCE_CENTRE_PORT}"
export CONSENT_API_URL="${CONSENT_API_URL:-http://127.0.0.1:$HTTP_PORT}"

cd "$ROOT"
start_app consent-api "$HTTP_PORT" apps/consent-api/src/main.ts
start_app projector "$PROJECTOR_PORT" apps/projector/src/main.ts
if ! app_answers 3950; then
  TS_NODE_TRANSPILE_ONLY=true start_daemon fake-vendors "$LOG_DIR/fake-vendors.log" \
    node -r ts-node/register deploy/demo/fake-vendors.ts "--consent-ledger.stack=fake-vendors"
  wait_until 30 "the fake vendors" app_answers 3950 || die "the fake vendors did not start; see $LOG_DIR/fake-vendors.log"
fi
start_app connectors "$CONNECTORS_PORT" apps/connectors/src/main.ts
start_app decision-api "$DECISION_API_PORT" apps/decision-api/src/main.ts
start_app auditor "$AUDITOR_PORT" apps/auditor/src/main.ts
start_app preference-centre "$PREFERENCE_CENTRE_PORT" apps/preference-centre/src/main.ts
# The development OpenID provider (one user per role), as production's would be the company's.
start_app identity-provider "$IDENTITY_PROVIDER_PORT" deploy/demo/dev-identity-provider.ts
start_app compliance-dashboard "$DASHBOARD_PORT" apps/compliance-dashboard/src/main.ts

log "loading demo data through the API (idempotent: a second run adds nothing)"
TS_NODE_TRANSPILE_ONLY=true node -r ts-node/register deploy/demo/load-demo-data.ts --url "http://127.0.0.1:$HTTP_PORT"
# A link into the preference centre for one demo person, as the operator's backend would issue it.
DEMO_LINK="$(curl -sf -H "Authorization: Bearer $DEVELOPMENT_KEY" -H 'Content-Type: application/json' \
  -d '{"jurisdiction":"DE","purpose":"marketing.email"}' \
  "http://127.0.0.1:$HTTP_PORT/v1/subjects/demo-00042/preference-links" |
  sed -n 's/^{"url":"\([^"]*\)".*/\1/p')"

cat <<INFO

Consent Ledger is running.
  consent-api  http://127.0.0.1:$HTTP_PORT   (OpenAPI: http://127.0.0.1:$HTTP_PORT/docs, /health, /metrics)
  projector    http://127.0.0.1:$PROJECTOR_PORT/health   (/metrics, OpenAPI at /docs)
  connectors   http://127.0.0.1:$CONNECTORS_PORT/health   (/metrics, OpenAPI at /docs with training manifests; delivers to the fake vendors on :3950 and :3951,
               whose calls are logged in $LOG_DIR/fake-vendors.log)
  decision-api http://127.0.0.1:$DECISION_API_PORT   (OpenAPI: http://127.0.0.1:$DECISION_API_PORT/docs; decisions, filter, audiences)
  auditor      http://127.0.0.1:$AUDITOR_PORT   (OpenAPI: http://127.0.0.1:$AUDITOR_PORT/docs; replay, verify, proof, export, usage)
               CLI: npm run auditor -- --help
  preference centre  http://127.0.0.1:$PREFERENCE_CENTRE_PORT   (for people; open demo-00042's link below)
  compliance dashboard  http://127.0.0.1:$DASHBOARD_PORT   (sign in as compliance, auditor, admin or marketing; any password)
  identity provider     $OIDC_ISSUER_URL   (development OpenID provider; production uses the company's)
  logs         $LOG_DIR/
  stop         npm run stack:down

Open demo-00042's preference centre (a signed link, valid for a week):
  ${DEMO_LINK:-(the link could not be issued; see $LOG_DIR/consent-api.log)}

Try (development key; refused when NODE_ENV=production):
  curl -s -H 'Authorization: Bearer $DEVELOPMENT_KEY' http://127.0.0.1:$HTTP_PORT/v1/subjects/demo-00042/consents
  curl -s -H 'Authorization: Bearer $DEVELOPMENT_KEY' http://127.0.0.1:$HTTP_PORT/v1/subjects/demo-00042/events
  curl -s -H 'Authorization: Bearer $DEVELOPMENT_KEY' http://127.0.0.1:$HTTP_PORT/v1/purposes
  curl -s -H 'Authorization: Bearer $DEVELOPMENT_KEY' -H 'Content-Type: application/json' \
       -d '{"subjectId":"demo-00042","purpose":"marketing.email"}' http://127.0.0.1:$DECISION_API_PORT/v1/decisions
  curl -s -H 'Authorization: Bearer $DEVELOPMENT_KEY' 'http://127.0.0.1:$DECISION_API_PORT/v1/purposes/ml.training/audience?limit=5'
  curl -s -H 'Authorization: Bearer $DEVELOPMENT_KEY' -H 'Accept: text/html' http://127.0.0.1:$AUDITOR_PORT/v1/audit/subjects/demo-00042/proof > proof.html
  npm run -s auditor -- replay --as-of 2026-08-31 --time-zone Europe/Berlin --time-axis occurred --subject demo-00042
  npm run -s auditor -- verify
INFO
