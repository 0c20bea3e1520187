#!/usr/bin/env bash
# The README's main-job command (`make demo`): set up what is missing, start the local Neo4j,
# run the churn pipeline as separate spark-submit jobs with lineage turned on by one config line,
# then print an impact analysis, the model's reproduce tree and where to look next.
#
# Environment: DEMO_CUSTOMERS (default 20000), DEMO_ROOT (default var/demo), NEO4J_PASSWORD.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

scripts/setup.sh

export NEO4J_PASSWORD=${NEO4J_PASSWORD:-spark-lineage}
PORT=${DEMO_NEO4J_PORT:-7687}
HTTP_PORT=${DEMO_NEO4J_HTTP_PORT:-7474}
DATA=${SPARK_LINEAGE_NEO4J_HOME:-$ROOT/.neo4j}/demo/data
# A fresh lake (below) gets a fresh graph: the demo's own Neo4j data folder starts empty.
scripts/neo4j.sh stop --data "$DATA" >/dev/null
rm -rf "$DATA"
# The start also writes the CLI's config file for this server (URI, user, password file), so
# that the README's first commands work afterwards without environment variables.
scripts/neo4j.sh start --port "$PORT" --http-port "$HTTP_PORT" --data "$DATA"

export SPARK_LINEAGE_NEO4J_URI="bolt://127.0.0.1:$PORT"
export SPARK_LINEAGE_NEO4J_USER=neo4j
export SPARK_LINEAGE_NEO4J_PASSWORD="$NEO4J_PASSWORD"
DEMO_ROOT=${DEMO_ROOT:-$ROOT/var/demo}
rm -rf "$DEMO_ROOT/lake"
mkdir -p "$DEMO_ROOT"

.venv/bin/python jobs/run_pipeline.py --root "$DEMO_ROOT/lake" \
    --customers "${DEMO_CUSTOMERS:-20000}" --neo4j-uri "$SPARK_LINEAGE_NEO4J_URI" \
    --openlineage-path "$DEMO_ROOT/openlineage.jsonl"
.venv/bin/python jobs/demo_report.py --root "$DEMO_ROOT" --http-port "$HTTP_PORT"
