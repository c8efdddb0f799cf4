#!/usr/bin/env bash
# The local stack: Apache Kafka (KRaft, from Maven Central), Apicurio Registry (from Maven
# Central, Confluent-compatible API) and PostgreSQL (already running, or Debian's package).
#
#   stack.sh up       resolve what is missing (once), start what is not running, wait until ready
#   stack.sh down     stop what this script started (nothing else)
#   stack.sh status   where each service runs, whether it answers, where its logs are
#
# Settings (environment): CONSENT_LEDGER_HOME (cache and state, default ~/.cache/consent-ledger),
# KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), REGISTRY_PORT (8081), DATABASE_URL.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$HERE/lib.sh"

KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/maven/kafka.pom.xml")"
APICURIO_VERSION="${APICURIO_VERSION:-3.0.9}"
KAFKA_DIST="$CL_HOME/dist/kafka-$KAFKA_VERSION"
APICURIO_DIST="$CL_HOME/dist/apicurio-registry-$APICURIO_VERSION"
KAFKA_DATA="$STATE_DIR/kafka-data"
REGISTRY_DB="consent_ledger_registry"

# ---------------------------------------------------------------- resolving artifacts (once)

resolve_kafka() {
  [[ -f "$KAFKA_DIST/.complete" ]] && return 0
  ensure_command java openjdk-17-jre-headless
  ensure_command mvn maven
  log "resolving Apache Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central"
  rm -rf "$KAFKA_DIST" && mkdir -p "$KAFKA_DIST"
  mvn -B -Dstyle.color=never -f "$HERE/maven/kafka.pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_DIST/libs" >"$LOG_DIR/maven-kafka.log" 2>&1 ||
    die "Maven could not resolve Kafka; see $LOG_DIR/maven-kafka.log"
  touch "$KAFKA_DIST/.complete"
}

resolve_apicurio() {
  [[ -f "$APICURIO_DIST/.complete" ]] && return 0
  ensure_command java openjdk-17-jre-headless
  ensure_command mvn maven
  log "resolving Apicurio Registry $APICURIO_VERSION (all tar.gz) from Maven Central"
  rm -rf "$APICURIO_DIST" && mkdir -p "$APICURIO_DIST"
  # dependency:copy fetches just the distribution; the artifact's parent POM is not on Central
  # for every release, and the tar.gz is self-contained anyway.
  mvn -B -Dstyle.color=never dependency:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
    -DoutputDirectory="$APICURIO_DIST" >"$LOG_DIR/maven-apicurio.log" 2>&1 ||
    die "Maven could not resolve Apicurio Registry; see $LOG_DIR/maven-apicurio.log"
  tar -xzf "$APICURIO_DIST"/apicurio-registry-app-*-all.tar.gz -C "$APICURIO_DIST"
  rm -f "$APICURIO_DIST"/apicurio-registry-app-*-all.tar.gz
  touch "$APICURIO_DIST/.complete"
}

# The 3.0.x distribution ships a runner jar; 3.1+ ships quarkus-run.jar (and needs Java 21).
apicurio_jar() {
  if [[ -f "$APICURIO_DIST/quarkus-run.jar" ]]; then echo "$APICURIO_DIST/quarkus-run.jar"
  else ls "$APICURIO_DIST"/apicurio-registry-app-*-runner.jar; fi
}

# ---------------------------------------------------------------- PostgreSQL

postgres_up() {
  ensure_command psql postgresql-client
  if ! psql "$PG_ADMIN_URL" -qAtc 'SELECT 1' >/dev/null 2>&1; then
    if [[ "$PG_HOST" =~ ^(127\.0\.0\.1|localhost)$ ]] && command -v pg_ctlcluster >/dev/null; then
      log "PostgreSQL is not answering on $PG_HOST:$PG_PORT; starting the local cluster"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start || true
    fi
    wait_until 30 "PostgreSQL at $PG_HOST:$PG_PORT" psql "$PG_ADMIN_URL" -qAtc 'SELECT 1' ||
      die "PostgreSQL is not reachable at $PG_ADMIN_URL. Start it, or set DATABASE_URL to a reachable server."
  fi
  for db in "$PG_DATABASE" "$REGISTRY_DB"; do
    if [[ "$(psql "$PG_ADMIN_URL" -qAtc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
      psql "$PG_ADMIN_URL" -qc "CREATE DATABASE \"$db\"" >/dev/null
      log "created database $db"
    fi
  done
}

# ---------------------------------------------------------------- Kafka

kafka_classpath() { echo "$KAFKA_DIST/libs/*"; }

kafka_answers() {
  port_open 127.0.0.1 "$KAFKA_PORT" || return 1
  # A real metadata round trip (DescribeCluster), not just an open port.
  java -cp "$(kafka_classpath)" org.apache.kafka.tools.ClusterTool cluster-id \
    --bootstrap-server "127.0.0.1:$KAFKA_PORT" 2>/dev/null | grep -q 'Cluster ID'
}

kafka_up() {
  resolve_kafka
  # A test freezes our broker with SIGSTOP for a moment; if that run was killed, thaw it.
  if pid_alive kafka && [[ "$(awk '{print $3}' "/proc/$(cat "$PID_DIR/kafka.pid")/stat")" == T ]]; then
    log "kafka: our broker was left stopped (SIGSTOP); resuming it"
    kill -CONT "$(cat "$PID_DIR/kafka.pid")"
  fi
  if kafka_answers; then
    log "kafka: reusing the broker already answering on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  port_open 127.0.0.1 "$KAFKA_PORT" &&
    die "port $KAFKA_PORT is taken by something that is not an answering Kafka broker"
  local config="$STATE_DIR/kafka-server.properties"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@DATA_DIR@|$KAFKA_DATA|g" "$HERE/kafka/server.properties.template" >"$config"
  if [[ ! -f "$KAFKA_DATA/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(java -cp "$(kafka_classpath)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    java -cp "$(kafka_classpath)" -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$config" >>"$LOG_DIR/kafka.log" 2>&1
    log "kafka: formatted KRaft log directory $KAFKA_DATA (cluster $cluster_id)"
  fi
  start_daemon kafka "$LOG_DIR/kafka.log" \
    java -Xms256m -Xmx1g -XX:+UseG1GC -Dconsent-ledger.stack=kafka \
    -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" \
    -cp "$(kafka_classpath)" kafka.Kafka "$config"
  wait_until 90 "Kafka on 127.0.0.1:$KAFKA_PORT" kafka_answers ||
    die "Kafka did not become ready; see $LOG_DIR/kafka.log"
}

# ---------------------------------------------------------------- Apicurio Registry

registry_answers() {
  curl -sf -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects"
}

registry_up() {
  resolve_apicurio
  if registry_answers; then
    log "registry: reusing the registry already answering on 127.0.0.1:$REGISTRY_PORT"
    return 0
  fi
  # Ours but not answering: it keeps its schemas in PostgreSQL and may not recover from a
  # restart of the database under it. Give it a moment, then start it again.
  if pid_alive registry; then
    if wait_until 20 "the running registry to answer" registry_answers; then
      log "registry: reusing the registry already answering on 127.0.0.1:$REGISTRY_PORT"
      return 0
    fi
    log "registry: ours but not answering (was PostgreSQL restarted under it?); restarting it"
    stop_daemon registry
  fi
  port_open 127.0.0.1 "$REGISTRY_PORT" &&
    die "port $REGISTRY_PORT is taken by something that is not an answering schema registry"
  # Schemas are stored in PostgreSQL so that ids survive a restart of the registry.
  QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$REGISTRY_PORT" \
    APICURIO_STORAGE_KIND=sql APICURIO_STORAGE_SQL_KIND=postgresql \
    APICURIO_DATASOURCE_URL="jdbc:postgresql://$PG_HOST:$PG_PORT/$REGISTRY_DB" \
    APICURIO_DATASOURCE_USERNAME="$PG_USER" APICURIO_DATASOURCE_PASSWORD="$PG_PASSWORD" \
    start_daemon registry "$LOG_DIR/registry.log" \
    java -Xms128m -Xmx512m -Dconsent-ledger.stack=registry -jar "$(apicurio_jar)"
  wait_until 90 "schema registry on 127.0.0.1:$REGISTRY_PORT" registry_answers ||
    die "the schema registry did not become ready; see $LOG_DIR/registry.log"
}

# ---------------------------------------------------------------- commands

cmd_up() {
  local started=$SECONDS
  postgres_up
  kafka_up
  registry_up
  log "stack ready in $((SECONDS - started)) s"
  cmd_status
}

cmd_down() {
  local index
  for ((index = ${#APPS[@]} - 1; index >= 0; index--)); do stop_daemon "${APPS[$index]}"; done
  stop_daemon registry
  stop_daemon kafka
  log "PostgreSQL is left running: this script does not manage it"
}

cmd_status() {
  local k r p
  kafka_answers && k="up" || k="down"
  registry_answers && r="up" || r="down"
  psql "$PG_ADMIN_URL" -qAtc 'SELECT 1' >/dev/null 2>&1 && p="up" || p="down"
  printf '%-12s %-5s %-52s %s\n' service state address logs
  printf '%-12s %-5s %-52s %s\n' kafka "$k" "127.0.0.1:$KAFKA_PORT (Kafka $KAFKA_VERSION, KRaft)" "$LOG_DIR/kafka.log"
  printf '%-12s %-5s %-52s %s\n' registry "$r" "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7" "$LOG_DIR/registry.log"
  printf '%-12s %-5s %-52s %s\n' postgres "$p" "$PG_HOST:$PG_PORT/$PG_DATABASE" "(managed outside this script)"
  local app
  for app in "${APPS[@]}"; do
    pid_alive "$app" && printf '%-12s %-5s %-52s %s\n' "$app" up "pid $(cat "$PID_DIR/$app.pid")" "$LOG_DIR/$app.log"
  done
  [[ "$k$r$p" == upupup ]]
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
