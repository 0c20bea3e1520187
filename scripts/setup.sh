#!/usr/bin/env bash
# Idempotent set-up of everything the project needs on a fresh machine:
#   1. a project-local virtualenv (.venv) with the package and its pinned dev dependencies;
#   2. the locked Delta Lake jars of the installed Spark line (locks/spark-<line>.toml), fetched
#      once into .cache/jars/ and checked against their sha256; every session loads them with
#      spark.jars, so nothing is resolved when Spark starts;
#   3. the local Neo4j server (built from Maven Central by scripts/neo4j.sh build).
# Maven works in the project-local repository .cache/m2 (never ~/.m2), so a fresh clone really
# starts from an empty cache. The second run is fast: each step is skipped when it is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

log() { printf '[setup] %s\n' "$*" >&2; }
started=$SECONDS
# pip's download cache is project-local too, so that a fresh clone starts from an empty cache.
export PIP_CACHE_DIR=${PIP_CACHE_DIR:-$ROOT/.cache/pip}

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# 1. Python environment -----------------------------------------------------------------------
py_stamp="$VENV/.spark-lineage-stamp"
py_inputs=$(for f in pyproject.toml setup.py; do [ ! -f "$f" ] || cat "$f"; done | sha256sum | cut -d' ' -f1)
if ! stamp_ok "$py_stamp" "$py_inputs"; then
    log "creating the Python environment in .venv (pyspark, delta-spark, neo4j driver, dev tools)"
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[dev]"
    echo "$py_inputs" > "$py_stamp"
else
    log "Python environment up to date"
fi
"$VENV/bin/python" -c "import pyspark, delta, neo4j, openlineage.client, spark_lineage" \
    || { log "error: the Python environment in .venv is incomplete: delete .venv and run \`make setup\`"; exit 1; }

# 2. Delta Lake jars (locked, verified) ---------------------------------------------------------
"$VENV/bin/python" -m spark_lineage.tools.jarset fetch

# 3. Neo4j ---------------------------------------------------------------------------------------
scripts/neo4j.sh build
scripts/neo4j.sh check-build
log "ready in $((SECONDS - started)) s (Python environment, locked Delta jars, Neo4j build)"
