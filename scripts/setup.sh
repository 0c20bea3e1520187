#!/usr/bin/env bash
# Idempotent set-up of everything the project needs on a fresh machine:
#   1. a project-local virtualenv (.venv) with the package and its pinned dev dependencies;
#   2. the Delta Lake jars, fetched from Maven Central into ~/.m2 so Spark starts offline;
#   3. the local Neo4j server (built from Maven Central by scripts/neo4j.sh build).
# The second run is fast: each step is skipped when its stamp matches its inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

log() { printf '[setup] %s\n' "$*" >&2; }

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

# 2. Delta Lake jars ----------------------------------------------------------------------------
delta_coords=$("$VENV/bin/python" -m spark_lineage.tools.delta_coordinates)
delta_stamp="$VENV/.delta-stamp"
if ! stamp_ok "$delta_stamp" "$delta_coords"; then
    for coord in $delta_coords; do
        log "fetching $coord from Maven Central into ~/.m2"
        mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get -Dartifact="$coord" \
            -Dtransitive=true
    done
    echo "$delta_coords" > "$delta_stamp"
else
    log "Delta jars present in ~/.m2"
fi

# 3. Neo4j ---------------------------------------------------------------------------------------
if [ -x scripts/neo4j.sh ]; then
    scripts/neo4j.sh build
fi
log "ready"
