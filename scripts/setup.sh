#!/usr/bin/env bash
# Idempotent set-up of everything the project needs on a fresh machine:
#   1. a project-local virtualenv (.venv) with the package and its pinned dev dependencies;
#      SPARK=<line> (e.g. `make setup SPARK=3.5`) builds .venv-spark<line>/ instead, the same
#      project on that line's pinned PySpark/Delta pair (the spark<line> extra in pyproject.toml);
#      the main line (4.1) is .venv;
#   2. the locked Delta Lake jars of the installed Spark line (locks/spark-<line>.toml), fetched
#      once into .cache/jars/ and checked against their sha256; every session loads them with
#      spark.jars, so nothing is resolved when Spark starts;
#   3. the local Neo4j server (built from Maven Central by scripts/neo4j.sh build).
# Maven works in the project-local repository .cache/m2 (never ~/.m2), so a fresh clone really
# starts from an empty cache. The second run is fast: each step is skipped when it is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MAIN_LINE=4.1
LINE=${SPARK:-$MAIN_LINE}
case "$LINE" in
    "$MAIN_LINE") VENV="$ROOT/.venv"; EXTRAS="dev" ;;
    3.5|4.0|4.3) VENV="$ROOT/.venv-spark$LINE"; EXTRAS="devtools,spark${LINE/./}" ;;
    *) printf '[setup] error: unsupported Spark line %s (supported: 3.5, 4.0, %s, 4.3)\n' \
           "$LINE" "$MAIN_LINE" >&2; exit 2 ;;
esac
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

log() { printf '[setup] %s\n' "$*" >&2; }
started=$SECONDS
# pip's download cache is project-local too, so that a fresh clone starts from an empty cache.
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$ROOT/.cache/pip}

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# 1. Python environment -----------------------------------------------------------------------
py_stamp="$VENV/.spark-lineage-stamp"
py_inputs=$( (echo "$EXTRAS"; for f in pyproject.toml setup.py; do [ ! -f "$f" ] || cat "$f"; done) \
    | sha256sum | cut -d' ' -f1)
if ! stamp_ok "$py_stamp" "$py_inputs"; then
    log "creating the Python environment in ${VENV#"$ROOT/"} for Spark $LINE (.[$EXTRAS]: its pyspark/delta-spark pins, neo4j driver, dev tools)"
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[$EXTRAS]"
    echo "$py_inputs" > "$py_stamp"
else
    log "Python environment up to date"
fi
# (delta-spark is checked with the lock below: a line without Delta, 4.3, has none)
"$VENV/bin/python" -c "import pyspark, neo4j, openlineage.client, spark_lineage" \
    || { log "error: the Python environment in ${VENV#"$ROOT/"} is incomplete: delete it and run \`make setup\`"; exit 1; }
installed=$("$VENV/bin/python" -m spark_lineage.tools.jarset line)
[ "$installed" = "$LINE" ] \
    || { log "error: ${VENV#"$ROOT/"} has pyspark $installed, not $LINE: delete it and run \`make setup\`"; exit 1; }

# 2. Delta Lake jars (locked, verified) ---------------------------------------------------------
"$VENV/bin/python" -m spark_lineage.tools.jarset fetch

# 3. Neo4j ---------------------------------------------------------------------------------------
scripts/neo4j.sh build
scripts/neo4j.sh check-build
log "Spark $LINE ready in ${VENV#"$ROOT/"} in $((SECONDS - started)) s (Python environment, locked Delta jars, Neo4j build)"
