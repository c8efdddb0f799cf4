#!/usr/bin/env bash
# The local stack: Apache Kafka (KRaft, from Maven Central), Apicurio Registry (from Maven
# Central, Confluent-compatible API) and PostgreSQL (already running, or Debian's package).
#
#   stack.sh up       resolve what is missing (once), start what is not running, wait until ready
#   stack.sh down     stop what this script started (nothing else)
#   stack.sh status   where each service runs, whether it answers, where its logs are
#   stack.sh cluster up|down|status, broker kill|stop|start|restart ID, registry stop|start:
#                     the three-node cluster and the faults the fault suite injects
#
# Settings (environment): CONSENT_LEDGER_HOME (cache and state, default ~/.cache/consent-ledger),
# KAFKA_VERSION (the pom's 3.9.x; 4.x supported), KAFKA_PORT (9092),
# KAFKA_CONTROLLER_PORT (9093), REGISTRY_PORT (8081), DATABASE_URL.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$HERE/lib.sh"

APICURIO_VERSION="${APICURIO_VERSION:-3.0.9}"
APICURIO_DIST="$CL_HOME/dist/apicurio-registry-$APICURIO_VERSION"
KAFKA_DATA="$STATE_DIR/kafka-$KAFKA_VERSION-data"
# The three-node cluster for the fault suite: node N serves clients on 1909N, the quorum on 1919N.
CLUSTER_NODES=(1 2 3)
CLUSTER_DATA="$STATE_DIR/cluster-$KAFKA_VERSION"
cluster_broker_port() { echo $((19090 + $1)); }
cluster_controller_port() { echo $((19190 + $1)); }
CLUSTER_BOOTSTRAP="127.0.0.1:19091,127.0.0.1:19092,127.0.0.1:19093"
REGISTRY_DB="consent_ledger_registry"

# ---------------------------------------------------------------- resolving artifacts (once)

resolve_kafka() {
  [[ -f "$KAFKA_DIST/.complete" ]] && return 0
  ensure_command java openjdk-17-jre-headless
  ensure_command mvn maven
  log "resolving Apache Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central"
  rm -rf "$KAFKA_DIST" && mkdir -p "$KAFKA_DIST"
  local logging=()
  ((${KAFKA_VERSION%%.*} >= 4)) && logging=(-Dkafka.logging=log4j2)
  mvn -B -Dstyle.color=never -f "$HERE/maven/kafka.pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" "${logging[@]}" \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_DIST/libs" >"$LOG_DIR/maven-kafka-$KAFKA_VERSION.log" 2>&1 ||
    die "Maven could not resolve Kafka $KAFKA_VERSION; see $LOG_DIR/maven-kafka-$KAFKA_VERSION.log"
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

# broker_answers BOOTSTRAP: a real metadata round trip (DescribeCluster), not just an open port.
broker_answers() {
  port_open 127.0.0.1 "${1##*:}" || return 1
  kafka_tool org.apache.kafka.tools.ClusterTool cluster-id --bootstrap-server "$1" 2>/dev/null |
    grep -q 'Cluster ID'
}
kafka_answers() { broker_answers "127.0.0.1:$KAFKA_PORT"; }

# format_storage CONFIG DATA_DIR CLUSTER_ID LOGFILE: once per data directory.
format_storage() {
  [[ -f "$2/meta.properties" ]] && return 0
  kafka_tool kafka.tools.StorageTool format -t "$3" -c "$1" >>"$4" 2>&1 ||
    die "could not format the KRaft log directory $2; see $4"
  log "kafka: formatted KRaft log directory $2 (cluster $3)"
}
random_cluster_id() { kafka_tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1; }

# start_broker NAME CONFIG: one Kafka JVM; its command line carries the version it runs.
start_broker() {
  start_daemon "$1" "$LOG_DIR/$1.log" \
    java -Xms256m -Xmx768m -XX:+UseG1GC "-Dconsent-ledger.stack=$1" \
    "-Dconsent-ledger.kafka-version=$KAFKA_VERSION" "${KAFKA_LOG_OPTS[@]}" \
    -cp "$KAFKA_DIST/libs/*" kafka.Kafka "$2"
}
# running_version NAME: the Kafka version the process we started as NAME runs.
running_version() {
  tr '\0' '\n' <"/proc/$(cat "$PID_DIR/$1.pid")/cmdline" | sed -n 's/^-Dconsent-ledger.kafka-version=//p'
}

kafka_up() {
  resolve_kafka
  # A test freezes our broker with SIGSTOP for a moment; if that run was killed, thaw it.
  if pid_alive kafka && [[ "$(awk '{print $3}' "/proc/$(cat "$PID_DIR/kafka.pid")/stat")" == T ]]; then
    log "kafka: our broker was left stopped (SIGSTOP); resuming it"
    kill -CONT "$(cat "$PID_DIR/kafka.pid")"
  fi
  if pid_alive kafka && [[ "$(running_version kafka)" != "$KAFKA_VERSION" ]]; then
    log "kafka: ours runs Kafka $(running_version kafka); switching to $KAFKA_VERSION"
    stop_daemon kafka
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
  format_storage "$config" "$KAFKA_DATA" "$(random_cluster_id)" "$LOG_DIR/kafka.log"
  start_broker kafka "$config"
  wait_until 90 "Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT" kafka_answers ||
    die "Kafka did not become ready; see $LOG_DIR/kafka.log"
}

# ---------------------------------------------------------------- the three-node cluster

node_config() { echo "$CLUSTER_DATA/node-$1.properties"; }

cluster_node_start() {
  local id="$1" name="cluster-$1"
  if pid_alive "$name"; then
    [[ "$(running_version "$name")" == "$KAFKA_VERSION" ]] && return 0
    stop_daemon "$name"
  fi
  port_open 127.0.0.1 "$(cluster_broker_port "$id")" &&
    die "port $(cluster_broker_port "$id") is taken by something that is not cluster node $id"
  start_broker "$name" "$(node_config "$id")"
}

cluster_up() {
  resolve_kafka
  local id
  # Nodes of another Kafka line form another cluster: stop them all before starting this one.
  for id in "${CLUSTER_NODES[@]}"; do
    if pid_alive "cluster-$id" && [[ "$(running_version "cluster-$id")" != "$KAFKA_VERSION" ]]; then
      log "cluster: running Kafka $(running_version "cluster-$id"); switching to $KAFKA_VERSION"
      cluster_down
      break
    fi
  done
  mkdir -p "$CLUSTER_DATA"
  local voters=""
  for id in "${CLUSTER_NODES[@]}"; do voters+="${voters:+,}$id@127.0.0.1:$(cluster_controller_port "$id")"; done
  [[ -f "$CLUSTER_DATA/cluster-id" ]] || random_cluster_id >"$CLUSTER_DATA/cluster-id"
  for id in "${CLUSTER_NODES[@]}"; do
    sed -e "s|@NODE_ID@|$id|g" -e "s|@VOTERS@|$voters|g" \
      -e "s|@BROKER_PORT@|$(cluster_broker_port "$id")|g" \
      -e "s|@CONTROLLER_PORT@|$(cluster_controller_port "$id")|g" \
      -e "s|@DATA_DIR@|$CLUSTER_DATA/node-$id|g" \
      "$HERE/kafka/cluster-node.properties.template" >"$(node_config "$id")"
    format_storage "$(node_config "$id")" "$CLUSTER_DATA/node-$id" "$(cat "$CLUSTER_DATA/cluster-id")" \
      "$LOG_DIR/cluster-$id.log"
  done
  for id in "${CLUSTER_NODES[@]}"; do cluster_node_start "$id"; done
  for id in "${CLUSTER_NODES[@]}"; do
    wait_until 120 "cluster node $id on 127.0.0.1:$(cluster_broker_port "$id")" \
      broker_answers "127.0.0.1:$(cluster_broker_port "$id")" ||
      die "cluster node $id did not become ready; see $LOG_DIR/cluster-$id.log"
  done
  log "cluster: Kafka $KAFKA_VERSION, three KRaft nodes at $CLUSTER_BOOTSTRAP"
}

# All nodes at once: one by one, the last would wait for a quorum that is already gone.
cluster_down() {
  local id
  for id in "${CLUSTER_NODES[@]}"; do stop_daemon "cluster-$id" & done
  wait
}

# broker_fault ACTION ID: what the fault suite does to one node of the cluster.
broker_fault() {
  local action="$1" id="$2" name="cluster-$2"
  [[ " ${CLUSTER_NODES[*]} " == *" $id "* ]] || die "no cluster node '$id' (nodes: ${CLUSTER_NODES[*]})"
  case "$action" in
    kill)
      pid_alive "$name" || die "$name is not running"
      local pid
      pid="$(cat "$PID_DIR/$name.pid")"
      kill -KILL "$pid"
      wait_until 30 "$name to die" bash -c "! kill -0 $pid 2>/dev/null" || die "$name survived SIGKILL"
      log "$name: killed (SIGKILL)"
      ;;
    stop) stop_daemon "$name" ;;
    start)
      cluster_node_start "$id"
      # A node killed mid-write recovers its logs first: under the suite's load on 2 cores, slow.
      if ! wait_until 240 "cluster node $id" broker_answers "127.0.0.1:$(cluster_broker_port "$id")"; then
        # What the node last said goes where CI shows it, not only into a log file it discards.
        tail -n 40 "$LOG_DIR/$name.log" >&2 || true
        die "cluster node $id did not come back within 240 s (pid alive: $(pid_alive "$name" && echo yes || echo no)); see $LOG_DIR/$name.log"
      fi
      ;;
    restart) broker_fault stop "$id" && broker_fault start "$id" ;;
    *) die "broker: unknown action '$action' (kill, stop, start, restart)" ;;
  esac
}

# ---------------------------------------------------------------- Apicurio Registry

registry_answers() {
  curl -sf -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/config"
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
  cluster_down
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

usage() {
  cat >&2 <<USAGE
usage: $0 up|down|status
       $0 cluster up|down|status       three KRaft nodes on $CLUSTER_BOOTSTRAP (the fault suite's)
       $0 broker kill|stop|start|restart ID   one node of that cluster (ID 1, 2 or 3)
       $0 registry stop|start          the schema registry alone (the fault suite stops it)
Kafka $KAFKA_VERSION (KAFKA_VERSION chooses the line; default $KAFKA_DEFAULT_VERSION).
USAGE
  exit 2
}

cluster_status() {
  local id port
  for id in "${CLUSTER_NODES[@]}"; do
    port="$(cluster_broker_port "$id")"
    if broker_answers "127.0.0.1:$port"; then
      printf '%-12s %-5s %-52s %s\n' "cluster-$id" up "127.0.0.1:$port (Kafka $KAFKA_VERSION)" "$LOG_DIR/cluster-$id.log"
    else
      printf '%-12s %-5s %-52s %s\n' "cluster-$id" down "127.0.0.1:$port" "$LOG_DIR/cluster-$id.log"
    fi
  done
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  cluster)
    case "${2:-}" in
      up) postgres_up && registry_up && cluster_up ;;
      down) cluster_down ;;
      status) cluster_status ;;
      *) usage ;;
    esac
    ;;
  broker) [[ $# == 3 ]] || usage; broker_fault "$2" "$3" ;;
  registry)
    case "${2:-}" in
      stop) stop_daemon registry ;;
      start) registry_up ;;
      *) usage ;;
    esac
    ;;
  *) usage ;;
esac
