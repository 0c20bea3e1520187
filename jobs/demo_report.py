"""After the demo pipeline: ask the lineage graph the questions users open the tool for.

Every answer is printed with the ``spark-lineage`` command that produced it, so a newcomer can
run the same commands (and their ``--format json|csv`` variants) by hand afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "spark-lineage")

CYPHER_EXAMPLES = """\
// everything the raw email column flows into, with the jobs on the way
MATCH p = (c:Column {name: 'email'})-[:FEEDS*1..10]->(d:Column)
WHERE c.dataset_key ENDS WITH '/raw/customers'
RETURN p

// which exact table versions trained the model
MATCH (m:Model {name: 'churn-model'})-[:TRAINED_ON]->(v:DatasetVersion)-[:VERSION_OF]->(d)
RETURN m.version, d.name, v.version, v.operation"""


def section(title: str, *args: str) -> None:
    """Run one CLI command and print it with its output (never stops the report)."""
    shown = " ".join(a if " " not in a else repr(a) for a in args)
    print(f"\n== {title}\n$ spark-lineage {shown}")
    result = subprocess.run([CLI, *args], capture_output=True, text=True, check=False)
    print((result.stdout or "").rstrip())
    if result.returncode != 0:
        print(f"(exit {result.returncode}) {(result.stderr or '').strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="the demo folder")
    parser.add_argument("--http-port", type=int, default=7474)
    args = parser.parse_args()

    lake = args.root / "lake"
    raw_customers = lake / "raw" / "customers"
    html = args.root / "lineage-email.html"

    section(
        "What depends on the raw email column? (impact analysis)",
        "impact",
        f"{raw_customers}.email",
    )
    section(
        "Where does a training feature come from? (upstream)",
        "upstream",
        f"{lake / 'features' / 'churn'}.customer_key",
    )
    section(
        "Which exact table versions built the model? (reproduce)",
        "reproduce",
        "model:churn-model@1",
    )
    features = str(lake / "features" / "churn")
    section(
        "Name the feature version of model v1 (a label works wherever a version does)",
        "label",
        f"{features}@0",
        "v1.0",
        "--note",
        "day 1 features",
    )
    section("How did the features table change? (history)", "history", features)
    section(
        "What changed between model v1 and model v2? (diff)",
        "diff",
        "model:churn-model@1",
        "model:churn-model@2",
    )
    section("Tag PII columns from the policy file", "tags", "apply", str(ROOT / "policy/tags.toml"))
    section("Where does PII flow, in clear or masked?", "tags", "list", "-t", "pii")
    section(
        "A picture of the lineage around the email column",
        "graph",
        f"{raw_customers}.email",
        "--html",
        str(html),
    )

    uri = os.environ.get("SPARK_LINEAGE_NEO4J_URI", "bolt://127.0.0.1:7687")
    print("\n== Where to look next")
    print(f"HTML graph:       {html}  (open it in a browser, works offline)")
    print(f"Neo4j Browser:    http://127.0.0.1:{args.http_port}/browser/  (connect to {uri})")
    print("                  user neo4j, password from $NEO4J_PASSWORD (default spark-lineage)")
    config = os.environ.get("SPARK_LINEAGE_CONFIG") or "~/.config/spark-lineage/config.toml"
    print(f"CLI:              .venv/bin/spark-lineage doctor  (settings from {config},")
    print("                  written by scripts/neo4j.sh start: no environment variables needed)")
    print(f"Delta lake:       {lake}")
    print(f"OpenLineage file: {args.root / 'openlineage.jsonl'}")
    print(f"Job logs:         {lake / 'logs'}")
    print("\nCypher to try in Neo4j Browser (more in docs/cookbook.md):")
    print(CYPHER_EXAMPLES)


if __name__ == "__main__":
    main()
