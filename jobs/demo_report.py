"""Print what the demo produced and where to look next: Neo4j Browser, Bolt, Cypher to try."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--http-port", type=int, default=7474)
    args = parser.parse_args()

    uri = os.environ.get("SPARK_LINEAGE_NEO4J_URI", "bolt://127.0.0.1:7687")
    print()
    print(f"Neo4j (Bolt):     {uri}   user neo4j, password from $NEO4J_PASSWORD")
    print(f"Neo4j Browser:    http://127.0.0.1:{args.http_port}/browser/")
    print(f"Delta lake:       {args.root / 'lake'}")
    print(f"OpenLineage file: {args.root / 'openlineage.jsonl'}")


if __name__ == "__main__":
    main()
