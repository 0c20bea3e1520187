"""Lineage coverage: our agent vs the OpenLineage Spark agent on the same pipeline run.

Both tools write OpenLineage RunEvents as JSON lines with the ``columnLineage`` output facet (ours:
the agent's OpenLineage file sink; theirs: the ``file`` transport). For every output dataset of the
pipeline this folds all events into one edge set per tool and reports: the output columns with
lineage, the DIRECT edges (output column <- input dataset column, with the transformation type),
the INDIRECT edges (column-level and dataset-wide), and every column whose DIRECT sources differ.

Dataset names are made comparable by cutting everything up to the lake root (each variant runs in
its own folder), so ``/tmp/x/off/lake/gold/a`` and ``/tmp/x/ol/lake/gold/a`` are both ``gold/a``.

    .venv/bin/python benchmarks/coverage.py OURS.jsonl THEIRS.jsonl [--marker /lake/]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

Edge = tuple[str, str, str, str]  # (output column, input dataset, input column, type/subtype)


def short(name: str, marker: str) -> str:
    """The dataset name relative to the lake root (``marker`` is the root's last path part)."""
    cut = name.rfind(marker)
    name = name[cut + len(marker):] if cut >= 0 else name
    return name.rstrip("/")


def read_events(path: Path) -> list[dict[str, Any]]:
    """JSON lines; lines that are not JSON objects are skipped (a file transport may interleave)."""
    events: list[dict[str, Any]] = []
    if not path.exists():
        return events
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def fold(events: list[dict[str, Any]], marker: str) -> dict[str, dict[str, set[Edge]]]:
    """output dataset -> {"direct": edges, "indirect": edges, "columns": {(col, "", "", "")}}."""
    result: dict[str, dict[str, set[Edge]]] = defaultdict(
        lambda: {"direct": set(), "indirect": set(), "columns": set()}
    )
    for event in events:
        for output in event.get("outputs") or []:
            name = short(output.get("name", ""), marker)
            if marker.strip("/") and marker not in output.get("name", "") + "/":
                continue  # outside the lake (e.g. a temp checkpoint)
            facet = (output.get("facets") or {}).get("columnLineage") or {}
            entry = result[name]
            for column, spec in (facet.get("fields") or {}).items():
                for source in spec.get("inputFields") or []:
                    src = short(source.get("name", ""), marker)
                    transformations = source.get("transformations") or [
                        {"type": "DIRECT", "subtype": "UNKNOWN"}
                    ]
                    for t in transformations:
                        kind = "direct" if t.get("type", "DIRECT") == "DIRECT" else "indirect"
                        entry[kind].add((column, src, source.get("field", ""),
                                         f"{t.get('type')}/{t.get('subtype')}"))
                    if any(t.get("type", "DIRECT") == "DIRECT" for t in transformations):
                        entry["columns"].add((column, "", "", ""))
            for source in facet.get("dataset") or []:
                src = short(source.get("name", ""), marker)
                for t in source.get("transformations") or [{"type": "INDIRECT"}]:
                    entry["indirect"].add(("*", src, source.get("field", ""),
                                           f"{t.get('type')}/{t.get('subtype')}"))
    return dict(result)


def direct_sources(edges: set[Edge]) -> dict[str, set[str]]:
    sources: dict[str, set[str]] = defaultdict(set)
    for column, dataset, field, _ in edges:
        sources[column].add(f"{dataset}.{field}")
    return sources


def compare(ours_path: Path, theirs_path: Path, marker: str = "/lake/") -> dict[str, Any]:
    """The per-output table and the list of disagreements (DIRECT sources per output column)."""
    ours = fold(read_events(ours_path), marker)
    theirs = fold(read_events(theirs_path), marker)
    rows, disagreements = [], []
    for output in sorted(set(ours) | set(theirs)):
        a = ours.get(output, {"direct": set(), "indirect": set(), "columns": set()})
        b = theirs.get(output, {"direct": set(), "indirect": set(), "columns": set()})
        rows.append({
            "output": output,
            "ours_columns": len(a["columns"]), "theirs_columns": len(b["columns"]),
            "ours_direct": len(a["direct"]), "theirs_direct": len(b["direct"]),
            "ours_indirect": len(a["indirect"]), "theirs_indirect": len(b["indirect"]),
        })
        sa, sb = direct_sources(a["direct"]), direct_sources(b["direct"])
        for column in sorted(set(sa) | set(sb)):
            if sa.get(column, set()) != sb.get(column, set()):
                disagreements.append({
                    "output": output, "column": column,
                    "only_ours": sorted(sa.get(column, set()) - sb.get(column, set())),
                    "only_theirs": sorted(sb.get(column, set()) - sa.get(column, set())),
                })
        ia = {(d, f) for _, d, f, _ in a["indirect"]}
        ib = {(d, f) for _, d, f, _ in b["indirect"]}
        if ia != ib:
            disagreements.append({
                "output": output, "column": "(INDIRECT sources, any column)",
                "only_ours": sorted(f"{d}.{f}" for d, f in ia - ib),
                "only_theirs": sorted(f"{d}.{f}" for d, f in ib - ia),
            })
    return {"outputs": rows, "disagreements": disagreements,
            "events": {"ours": len(read_events(ours_path)),
                       "theirs": len(read_events(theirs_path))}}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| output | columns with lineage (ours / OL) | DIRECT edges (ours / OL) |"
        " INDIRECT edges (ours / OL) |",
        "|---|---|---|---|",
    ]
    for row in result["outputs"]:
        lines.append(
            f"| {row['output']} | {row['ours_columns']} / {row['theirs_columns']} |"
            f" {row['ours_direct']} / {row['theirs_direct']} |"
            f" {row['ours_indirect']} / {row['theirs_indirect']} |"
        )
    lines += ["", "| output | column | only ours | only OpenLineage agent |", "|---|---|---|---|"]
    for d in result["disagreements"]:
        lines.append(f"| {d['output']} | {d['column']} | {', '.join(d['only_ours']) or '-'} |"
                     f" {', '.join(d['only_theirs']) or '-'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ours", type=Path)
    parser.add_argument("theirs", type=Path)
    parser.add_argument("--marker", default="/lake/")
    args = parser.parse_args()
    result = compare(args.ours, args.theirs, args.marker)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
