#!/usr/bin/env bash
# A real local Neo4j 5.26 LTS (Community) server without Docker, for spark-lineage's tests, demo
# and users. The server is Neo4j's own kernel + Bolt server, assembled from Maven Central by
# tools/neo4j-server (see docs/neo4j.md). Run `scripts/neo4j.sh --help` for usage.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROJECT="$ROOT/tools/neo4j-server"
JAR="$PROJECT/target/neo4j-server-launcher.jar"
STAMP="$PROJECT/target/.build-stamp"
STATE=${SPARK_LINEAGE_NEO4J_HOME:-$ROOT/.neo4j}
# The project-local Maven repository (shared with the Delta jar set-up), never ~/.m2.
MAVEN_REPO=${SPARK_LINEAGE_CACHE:-$ROOT/.cache}/m2

usage() {
    cat <<EOF
usage: scripts/neo4j.sh COMMAND [OPTIONS]

A local Neo4j 5.26 Community server (Bolt on 127.0.0.1), built from Maven Central.

Commands:
  build                     build tools/neo4j-server (skipped when up to date)
  check-build               exit 1 unless the launcher and all its jars are in place
  start [OPTIONS]           start in the background and wait until Bolt answers
  stop  [--data DIR | --port P]
                            SIGTERM, then SIGKILL after \$NEO4J_STOP_TIMEOUT s (default 30)
  status [--data DIR | --port P]
                            exit 0 if running, 3 if not
  --help                    this text

Start options:
  --port P            Bolt port (default 7687)
  --http-port H       also enable the HTTP connector on H (see docs/neo4j.md for what it serves)
  --data DIR          database directory (default \$SPARK_LINEAGE_NEO4J_HOME/data); the pid file
                      neo4j.pid, the console log neo4j.log and Neo4j's logs/ go into its parent
  --tls DIR           Bolt TLS with DIR/private.key + DIR/public.crt; a self-signed certificate
                      for localhost/127.0.0.1 is generated there if missing (use bolt+ssc://,
                      or bolt+s:// trusting DIR/public.crt)
  --tls-level L       OPTIONAL (default: plain bolt:// and TLS on the same port) or REQUIRED
  --extra-user NAME   also create user NAME (password from \$NEO4J_EXTRA_USER_PASSWORD); in
                      Community edition every user has full rights (no roles)
  --reset-password    set user neo4j's password to \$NEO4J_PASSWORD even if already set
  --timeout S         seconds to wait for Bolt (default 180)
  --no-config         do not write the CLI's config file (test servers)

After a start (also of a server already running), the CLI's config file
(\$SPARK_LINEAGE_CONFIG, default ~/.config/spark-lineage/config.toml) names this server: its
URI, user neo4j, and a password_file (mode 0600, next to the data directory) holding
\$NEO4J_PASSWORD, so that spark-lineage commands and jobs log in without environment
variables. A config file this script did not write (no "# written by scripts/neo4j.sh" first
line) is left alone.

Environment:
  NEO4J_PASSWORD              password of user neo4j, set on first start (default spark-lineage)
  SPARK_LINEAGE_NEO4J_HOME    state directory (default <repo>/.neo4j)
  NEO4J_HEAP                  JVM max heap (default 768m); NEO4J_PAGE_CACHE (default 256m)
  NEO4J_JAVA_OPTS             extra JVM flags, space-separated (appended last, so they win)
  NEO4J_CDS                   0 disables the class-data-sharing archive in tools/neo4j-server/target/cds
  NEO4J_JAVA                  java binary (default \$JAVA_HOME/bin/java, else java on PATH; 17+)

Examples:
  scripts/neo4j.sh start                          # bolt://127.0.0.1:7687, data in .neo4j/data
  scripts/neo4j.sh start --port 17687 --data .neo4j/test/data --tls .neo4j/test/tls
  scripts/neo4j.sh stop --port 17687
EOF
}

log() { printf '[neo4j] %s\n' "$*" >&2; }
die() { printf '[neo4j] error: %s\n' "$*" >&2; exit 1; }

abspath() {  # absolute path of $1 (relative to the caller's cwd), without requiring it to exist
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}

java_bin() {
    if [ -n "${NEO4J_JAVA:-}" ]; then echo "$NEO4J_JAVA"
    elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin/java"
    else command -v java || die "java 17+ not found (set NEO4J_JAVA or JAVA_HOME)"
    fi
}

# --- build ----------------------------------------------------------------------------------------
build_is_current() {
    [ -f "$STAMP" ] && [ -f "$JAR" ] && [ -d "$PROJECT/target/lib" ] || return 1
    [ -z "$(find "$PROJECT/pom.xml" "$PROJECT/src" -newer "$STAMP" -print -quit)" ]
}

cmd_build() {
    if build_is_current; then
        log "server build up to date ($JAR)"
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn (Maven 3.8+) is needed to build the Neo4j server"
    log "building the local Neo4j server from Maven Central (tools/neo4j-server)"
    local started=$SECONDS
    # Maven 3.8 prints bare ANSI resets even with -q -B; strip them (pipefail keeps mvn's status).
    mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$MAVEN_REPO" -f "$PROJECT/pom.xml" package 2>&1 \
        | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2
    rm -rf "$PROJECT/target/cds"  # archives of the previous class path no longer apply
    touch "$STAMP"
    log "built in $((SECONDS - started)) s"
}

cmd_check_build() {  # the build is complete: the launcher jar and every jar its manifest names
    [ -f "$JAR" ] || die "the Neo4j server is not built ($JAR is missing): run \`make setup\`"
    local missing
    missing=$(python3 - "$JAR" <<'EOF'
import sys, zipfile
from pathlib import Path
jar = Path(sys.argv[1])
manifest = zipfile.ZipFile(jar).read("META-INF/MANIFEST.MF").decode().replace("\r\n ", "")
manifest = manifest.replace("\n ", "")
entries = next((ln.split(":", 1)[1].split() for ln in manifest.splitlines()
                if ln.startswith("Class-Path:")), [])
print(" ".join(e for e in entries if not (jar.parent / e).is_file())[:300])
EOF
    ) || die "cannot read the manifest of $JAR: delete $PROJECT/target and run \`make setup\`"
    [ -z "$missing" ] || die "the Neo4j build is incomplete ($missing missing in $PROJECT/target): delete $PROJECT/target and run \`make setup\`"
    log "server build complete ($JAR)"
}

# --- instance bookkeeping -------------------------------------------------------------------------
# An instance is identified by its data directory; its parent holds neo4j.pid, neo4j.port,
# neo4j.log (the launcher's console output) and Neo4j's own logs/.
INSTANCE=""
DATA=""

# Ports map to data directories through $STATE/ports/<port>, so that `stop --port P` finds an
# instance whose data directory lives anywhere.
PORTS="$STATE/ports"

select_instance() {  # $1 = data dir or "", $2 = port or ""
    local data=$1 port=$2
    if [ -z "$data" ] && [ -n "$port" ] && [ -f "$PORTS/$port" ]; then
        data=$(cat "$PORTS/$port")
    fi
    [ -n "$data" ] || data="$STATE/data"
    DATA=$(abspath "$data")
    INSTANCE=$(dirname "$DATA")
}

running_pid() {  # prints the pid of this instance's server if it is alive and really ours
    local pidfile="$INSTANCE/neo4j.pid" pid
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled pid: the process must be our launcher.
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "neo4j-server-launcher.jar" || return 1
    echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

make_self_signed_cert() {  # $1 = directory
    local dir=$1
    mkdir -p "$dir"
    if [ -f "$dir/private.key" ] && [ -f "$dir/public.crt" ]; then return 0; fi
    command -v openssl >/dev/null 2>&1 || die "openssl is needed to create a self-signed certificate"
    log "creating a self-signed certificate for localhost in $dir"
    openssl req -x509 -newkey rsa:2048 -sha256 -days 3650 -nodes \
        -keyout "$dir/private.key" -out "$dir/public.crt" -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 \
        || die "openssl could not create the certificate in $dir"
    chmod 600 "$dir/private.key"
}

# --- the CLI's config file ------------------------------------------------------------------------
CONFIG_MARK="# written by scripts/neo4j.sh"

bolt_uri() {  # $1 = port, $2 = TLS level: the URI a client uses for this server
    if [ "$2" = REQUIRED ]; then echo "bolt+ssc://127.0.0.1:$1"; else echo "bolt://127.0.0.1:$1"; fi
}

write_cli_config() {  # $1 = Bolt URI of the server just started
    local uri=$1 config password_file tmp
    config=${SPARK_LINEAGE_CONFIG:-$HOME/.config/spark-lineage/config.toml}
    if [ -e "$config" ]; then
        case "$(head -n 1 "$config" 2>/dev/null)" in
            "$CONFIG_MARK"*) ;;
            *) log "left your config file $config alone (it does not name this server)"; return 0 ;;
        esac
    fi
    password_file="$INSTANCE/neo4j.password"
    case "$password_file$uri" in  # TOML literal strings: no quote or newline inside
        *"'"*|*$'\n'*) log "not writing $config: the path $password_file cannot be quoted"; return 0 ;;
    esac
    tmp="$config.$$.tmp"
    if ! (
        umask 077  # new directories 0700, the files 0600
        mkdir -p "$(dirname "$config")"
        printf '%s\n' "${NEO4J_PASSWORD:-spark-lineage}" >"$password_file"
        chmod 600 "$password_file"
        {
            echo "$CONFIG_MARK start (data $DATA); it rewrites this file at each start."
            echo "# Delete the first line to keep your own settings: the script then leaves them alone."
            echo "# The password file holds \$NEO4J_PASSWORD of that start (the server's password is set"
            echo "# at its first start, or with --reset-password)."
            echo "[neo4j]"
            echo "uri = '$uri'"
            echo "user = 'neo4j'"
            echo "password_file = '$password_file'"
        } >"$tmp"
        chmod 600 "$tmp"
        mv -f "$tmp" "$config"
    ); then
        rm -f "$tmp"
        log "could not write the CLI's config file $config"
        return 0
    fi
    log "CLI config written to $config ($uri, user neo4j, password in $password_file)"
}

# --- start ----------------------------------------------------------------------------------------
cmd_start() {
    local port=7687 http="" data="" tls="" tls_level="OPTIONAL" timeout=180 extra=() reset=()
    local config=1
    while [ $# -gt 0 ]; do
        case "$1" in
            --port) port=${2:?--port needs a value}; shift 2 ;;
            --http-port) http=${2:?--http-port needs a value}; shift 2 ;;
            --data) data=${2:?--data needs a value}; shift 2 ;;
            --tls) tls=$(abspath "${2:?--tls needs a directory}"); shift 2 ;;
            --tls-level) tls_level=${2:?--tls-level needs a value}; shift 2 ;;
            --extra-user) extra+=(--extra-user "${2:?--extra-user needs a name}"); shift 2 ;;
            --reset-password) reset=(--reset-password); shift ;;
            --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
            --no-config) config=""; shift ;;
            -h|--help) usage; return 0 ;;
            *) die "unknown start option: $1 (see --help)" ;;
        esac
    done
    select_instance "$data" ""
    if [ ${#extra[@]} -gt 0 ] && [ -z "${NEO4J_EXTRA_USER_PASSWORD:-}" ]; then
        die "--extra-user needs the password in env NEO4J_EXTRA_USER_PASSWORD"
    fi

    local pid
    if pid=$(running_pid); then
        local running_port
        running_port=$(cat "$INSTANCE/neo4j.port" 2>/dev/null || echo "?")
        if [ "$running_port" = "$port" ]; then
            log "already running: bolt://127.0.0.1:$port (pid $pid, data $DATA)"
            [ -z "$config" ] || write_cli_config "$(bolt_uri "$port" "$tls_level")"
            return 0
        fi
        die "the instance with data $DATA is already running on port $running_port (pid $pid); stop it first"
    fi
    if port_in_use "$port"; then
        die "port $port is already in use by another process (choose another with --port)"
    fi
    if [ -n "$http" ] && port_in_use "$http"; then
        die "HTTP port $http is already in use"
    fi

    cmd_build
    mkdir -p "$DATA"
    local args=(--data "$DATA" --bolt-port "$port" --page-cache "${NEO4J_PAGE_CACHE:-256m}")
    [ -n "$http" ] && args+=(--http-port "$http")
    if [ -n "$tls" ]; then
        make_self_signed_cert "$tls"
        args+=(--tls "$tls" --tls-level "$tls_level")
    fi
    args+=("${extra[@]+"${extra[@]}"}" "${reset[@]+"${reset[@]}"}")

    local logfile="$INSTANCE/neo4j.log"
    [ -f "$logfile" ] && mv -f "$logfile" "$logfile.1"
    local java
    java=$(java_bin)
    # JVM flags follow Neo4j's own neo4j.conf defaults (add-opens for the page cache and Netty).
    local jvm=(
        -Xms256m "-Xmx${NEO4J_HEAP:-768m}" -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow
        -XX:+DisableExplicitGC -Djdk.nio.maxCachedBufferSize=1024
        -Dio.netty.tryReflectionSetAccessible=true -Djdk.tls.ephemeralDHKeySize=2048
        -Djdk.tls.rejectClientInitiatedRenegotiation=true -Dlog4j2.disable.jmx=true
        --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED
        --enable-native-access=ALL-UNNAMED
    )
    # Start-up cost matters more than peak speed for a local dev/test server on a busy 2-core
    # machine: the C1-only JIT halves the CPU a start needs (about 20 s -> 10 s measured), and a
    # class-data-sharing archive (written at the first clean stop, reused by later starts)
    # removes another quarter. NEO4J_JAVA_OPTS=-XX:TieredStopAtLevel=4 restores the full JIT.
    jvm+=(-XX:TieredStopAtLevel=1 -Xlog:cds=off -Xlog:cds+dynamic=off)
    local cds_dir="$PROJECT/target/cds" cds_name cds_new=""
    cds_name=$(basename "$(dirname "$(dirname "$(readlink -f "$java")")")")
    if [ "${NEO4J_CDS:-1}" = 1 ]; then
        if [ -s "$cds_dir/$cds_name.jsa" ]; then
            jvm+=("-XX:SharedArchiveFile=$cds_dir/$cds_name.jsa")
        else
            mkdir -p "$cds_dir"
            cds_new="$cds_dir/$cds_name.$$.jsa.tmp"
            jvm+=("-XX:ArchiveClassesAtExit=$cds_new")
        fi
    fi
    # shellcheck disable=SC2206  # NEO4J_JAVA_OPTS is a space-separated list of JVM flags
    [ -n "${NEO4J_JAVA_OPTS:-}" ] && jvm+=(${NEO4J_JAVA_OPTS})
    log "starting Neo4j on bolt://127.0.0.1:$port (data $DATA, log $logfile)"
    local started=$SECONDS
    # setsid: the server gets its own session, so a Ctrl-C in the caller's terminal does not
    # kill it half-way; `stop` (or the caller's trap) ends it cleanly.
    setsid nohup "$java" "${jvm[@]}" -jar "$JAR" "${args[@]}" >"$logfile" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$INSTANCE/neo4j.pid"
    echo "$port" >"$INSTANCE/neo4j.port"
    if [ -n "$cds_new" ]; then echo "$cds_new" >"$INSTANCE/neo4j.cds"; else rm -f "$INSTANCE/neo4j.cds"; fi
    mkdir -p "$PORTS"
    echo "$DATA" >"$PORTS/$port"

    while true; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$INSTANCE/neo4j.pid" "$INSTANCE/neo4j.cds" "$PORTS/$port" ${cds_new:+"$cds_new"}
            log "Neo4j exited during start-up; last lines of $logfile:"
            tail -n 40 "$logfile" >&2 || true
            exit 1
        fi
        if grep -q '^neo4j ready ' "$logfile" 2>/dev/null && port_in_use "$port"; then
            break
        fi
        if [ $((SECONDS - started)) -ge "$timeout" ]; then
            log "Bolt did not answer on port $port within $timeout s; last lines of $logfile:"
            tail -n 40 "$logfile" >&2 || true
            stop_pid "$pid"
            exit 1
        fi
        sleep 0.5
    done
    log "ready in $((SECONDS - started)) s: $(grep -m1 '^neo4j ready ' "$logfile") (pid $pid)"
    [ -z "$config" ] || write_cli_config "$(bolt_uri "$port" "$tls_level")"
}

# --- stop / status --------------------------------------------------------------------------------
stop_pid() {
    local pid=$1 waited=0 limit=${NEO4J_STOP_TIMEOUT:-30} extended="" killed=""
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge $((limit * 5)) ]; then
            # Neo4j closed its databases ("stopped") but the JVM is still writing the
            # class-data-sharing archive at exit: that is worth waiting for, once per build.
            if [ -z "$extended" ] && [ -s "$INSTANCE/neo4j.cds" ] \
                && grep -q '^\[local-neo4j\] stopped' "$INSTANCE/neo4j.log" 2>/dev/null; then
                extended=1
                limit=$((limit + ${NEO4J_CDS_DUMP_TIMEOUT:-120}))
                log "databases closed; waiting for the JVM to finish its class-data-sharing archive"
                continue
            fi
            log "no clean shutdown after $limit s; sending SIGKILL to $pid"
            kill -KILL "$pid" 2>/dev/null || true
            killed=1
            break
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    rm -f "$INSTANCE/neo4j.pid"
    # The JVM wrote a class-data-sharing archive at exit: publish it atomically for later starts.
    local cds_new
    cds_new=$(cat "$INSTANCE/neo4j.cds" 2>/dev/null || true)
    if [ -n "$cds_new" ]; then
        rm -f "$INSTANCE/neo4j.cds"
        # Publish only an archive the JVM finished (a killed JVM may leave half a file).
        if [ -z "$killed" ] && [ -s "$cds_new" ]; then mv -f "$cds_new" "${cds_new%.*.jsa.tmp}.jsa"; else rm -f "$cds_new"; fi
    fi
    local port
    port=$(cat "$INSTANCE/neo4j.port" 2>/dev/null || true)
    if [ -n "$port" ] && [ "$(cat "$PORTS/$port" 2>/dev/null)" = "$DATA" ]; then
        rm -f "$PORTS/$port"
    fi
}

parse_instance_opts() {
    local data="" port=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --data) data=${2:?--data needs a value}; shift 2 ;;
            --port) port=${2:?--port needs a value}; shift 2 ;;
            -h|--help) usage; exit 0 ;;
            *) die "unknown option: $1 (see --help)" ;;
        esac
    done
    select_instance "$data" "$port"
}

cmd_stop() {
    parse_instance_opts "$@"
    local pid
    if ! pid=$(running_pid); then
        rm -f "$INSTANCE/neo4j.pid"
        log "not running (data $DATA)"
        return 0
    fi
    log "stopping Neo4j (pid $pid, port $(cat "$INSTANCE/neo4j.port" 2>/dev/null || echo ?))"
    stop_pid "$pid"
    log "stopped"
}

cmd_status() {
    parse_instance_opts "$@"
    local pid
    if pid=$(running_pid); then
        local port
        port=$(cat "$INSTANCE/neo4j.port" 2>/dev/null || echo "?")
        echo "running: bolt://127.0.0.1:$port pid=$pid data=$DATA log=$INSTANCE/neo4j.log"
        return 0
    fi
    echo "not running (data $DATA)"
    return 3
}

case "${1:-}" in
    build) shift; cmd_build "$@" ;;
    check-build) shift; cmd_check_build "$@" ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    -h|--help|help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf '[neo4j] unknown command: %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
esac
