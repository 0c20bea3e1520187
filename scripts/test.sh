#!/usr/bin/env bash
# The project's test command (`make test`): set up the environment, start a throw-away local
# Neo4j for the run, run pytest with the given arguments, stop Neo4j, and exit with pytest's code.
#
#   scripts/test.sh                       # the whole suite
#   scripts/test.sh -x -q tests/unit      # any pytest arguments
#   SPARK=3.5 scripts/test.sh             # on another Spark line (`make test SPARK=3.5`)
#
# The test server: bolt://127.0.0.1:17687 (plain) and bolt+ssc://127.0.0.1:17687 (TLS with a
# self-signed certificate, tls_level OPTIONAL), data in .neo4j/test (wiped at each run), user
# neo4j with $NEO4J_PASSWORD (default spark-lineage). Another line has its own: port 17688 (3.5),
# 17689 (4.0) or 17690 (4.3), data in .neo4j/test-spark<line>. Override the port with
# SPARK_LINEAGE_TEST_NEO4J_PORT, or skip the server with SPARK_LINEAGE_TEST_NEO4J_URI set to a
# server you run yourself.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { printf '[test] %s\n' "$*" >&2; }

scripts/setup.sh
# The line's environment, as scripts/setup.sh builds it: .venv for the main line.
# Each line has its own test server (port and data), so that two lines can be tested at once.
case "${SPARK:-4.1}" in
    4.1) VENV="$ROOT/.venv"; TEST_NAME=test; DEFAULT_PORT=17687 ;;
    3.5) VENV="$ROOT/.venv-spark3.5"; TEST_NAME=test-spark3.5; DEFAULT_PORT=17688 ;;
    4.0) VENV="$ROOT/.venv-spark4.0"; TEST_NAME=test-spark4.0; DEFAULT_PORT=17689 ;;
    4.3) VENV="$ROOT/.venv-spark4.3"; TEST_NAME=test-spark4.3; DEFAULT_PORT=17690 ;;
esac
# The HTML lineage picture is checked in a real headless browser (Debian's chromium).
scripts/install_chromium.sh

export NEO4J_PASSWORD=${NEO4J_PASSWORD:-spark-lineage}
STARTED_NEO4J=""
if [ -z "${SPARK_LINEAGE_TEST_NEO4J_URI:-}" ]; then
    STATE=${SPARK_LINEAGE_NEO4J_HOME:-$ROOT/.neo4j}
    TEST_DIR="$STATE/$TEST_NAME"
    PORT=${SPARK_LINEAGE_TEST_NEO4J_PORT:-$DEFAULT_PORT}
    # A test server left over from an interrupted run would hold the data dir and the port.
    scripts/neo4j.sh stop --data "$TEST_DIR/data" >/dev/null 2>&1 || true
    rm -rf "$TEST_DIR"
    mkdir -p "$TEST_DIR"

    stop_test_neo4j() { "$ROOT/scripts/neo4j.sh" stop --data "$TEST_DIR/data" || true; }
    trap stop_test_neo4j EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    STARTED_NEO4J=1
    # --no-config: a test server must not become what the user's CLI logs in to.
    scripts/neo4j.sh start --port "$PORT" --data "$TEST_DIR/data" --tls "$TEST_DIR/tls" \
        --tls-level OPTIONAL --no-config

    export SPARK_LINEAGE_TEST_NEO4J_URI="bolt://127.0.0.1:$PORT"
    export SPARK_LINEAGE_TEST_NEO4J_TLS_URI="bolt+ssc://127.0.0.1:$PORT"
    export SPARK_LINEAGE_TEST_NEO4J_TLS_CERT="$TEST_DIR/tls/public.crt"
    export SPARK_LINEAGE_TEST_NEO4J_TLS_LEVEL=OPTIONAL
else
    log "using the Neo4j at $SPARK_LINEAGE_TEST_NEO4J_URI (not starting one)"
fi
export SPARK_LINEAGE_TEST_NEO4J_USER=${SPARK_LINEAGE_TEST_NEO4J_USER:-neo4j}
export SPARK_LINEAGE_TEST_NEO4J_PASSWORD=${SPARK_LINEAGE_TEST_NEO4J_PASSWORD:-$NEO4J_PASSWORD}

set +e
"$VENV/bin/python" -m pytest "$@"
status=$?
set -e
[ -n "$STARTED_NEO4J" ] && log "pytest exited with $status; stopping the test Neo4j"
exit "$status"
