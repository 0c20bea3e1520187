"""What the ``impact``, ``upstream``, ``path`` and ``graph`` commands do once arguments are parsed.

Each function opens a driver from the resolved settings, runs one analysis, writes the formatted
answer to ``out`` (stdout by default) and returns the exit status. Errors naming a target are
``ValueError`` subclasses, which the CLI prints as one line. Several ``--column`` values make one
target whose start columns are all of them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.impact.api import lineage_report, neighbourhood, path
from spark_lineage.impact.formats import format_path, format_report, paging_note
from spark_lineage.impact.model import ColumnNode, Direction, LineageGraph, LineageReport, Target
from spark_lineage.impact.resolve import resolve_target
from spark_lineage.textui.table import output_width
from spark_lineage.viz import render

if TYPE_CHECKING:
    import neo4j

#: An HTML picture of more datasets than this is slow to draw: the command warns first.
LARGE_PICTURE = 1000
#: How many rows ``impact`` and ``upstream`` print in a table unless ``--limit`` says otherwise
#: (JSON and CSV are for programs: all rows by default).
DEFAULT_TABLE_LIMIT = 200


def default_limit(fmt: str, limit: int | None) -> int | None:
    """The row limit of a lineage report: ``limit`` (0: all), else the format's default."""
    if limit is None:
        return DEFAULT_TABLE_LIMIT if fmt == "table" else None
    return limit or None


def run_lineage(
    settings: Neo4jSettings,
    direction: str,
    target: str,
    *,
    columns: Sequence[str],
    depth: int,
    direct_only: bool,
    fmt: str,
    wide: bool = False,
    out: TextIO | None = None,
    limit: int | None = None,
) -> int:
    """``impact`` (direction ``downstream``) or ``upstream``: print the report in ``fmt``, the
    first ``limit`` rows (0: all; None: :func:`default_limit`) and how many there are in all."""
    stream = out or sys.stdout
    with open_driver(settings) as driver:
        start = several_columns(driver, target, columns, settings.database)
        report: LineageReport = lineage_report(
            driver,
            start,
            Direction(direction),
            depth,
            direct_only,
            settings.database,
            limit=default_limit(fmt, limit),
        )
    width = output_width(wide=wide, stream=stream)
    stream.write(format_report(report, fmt, width=width, full_lists=wide))
    note = paging_note(report)
    if note is not None and fmt != "json":
        print(note, file=stream if fmt == "table" else sys.stderr)
    if report.truncated:
        print(
            "warning: the walk stopped early (too many columns); narrow it with --depth "
            "or --direct-only",
            file=sys.stderr,
        )
    return 0


def run_path(
    settings: Neo4jSettings,
    source: str,
    target: str,
    *,
    source_column: str | None,
    target_column: str | None,
    depth: int,
    direct_only: bool,
    fmt: str,
    wide: bool = False,
    out: TextIO | None = None,
) -> int:
    """``path``: print the shortest paths; exit 1 when there is none within ``depth``."""
    stream = out or sys.stdout
    with open_driver(settings) as driver:
        report = path(
            driver,
            source,
            target,
            source_column=source_column,
            target_column=target_column,
            depth=depth,
            direct_only=direct_only,
            database=settings.database,
        )
    stream.write(format_path(report, fmt, width=output_width(wide=wide, stream=stream)))
    return 0 if report.paths else 1


def run_graph(
    settings: Neo4jSettings,
    target: str,
    *,
    columns: Sequence[str],
    depth: int,
    fmt: str,
    html: Path | None,
    out: TextIO | None = None,
) -> int:
    """``graph``: write the HTML picture to ``html`` (creating its folder), or print mermaid/dot
    text; a picture of more than :data:`LARGE_PICTURE` datasets is announced on stderr first."""
    starts: list[str | None] = [*columns] or [None]
    with open_driver(settings) as driver:
        graph = merged_graph(
            [
                neighbourhood(driver, target, column=c, depth=depth, database=settings.database)
                for c in starts
            ]
        )
    if (html is not None or fmt == "html") and len(graph.datasets) > LARGE_PICTURE:
        print(
            f"warning: the picture has {len(graph.datasets):,} datasets and may be slow to "
            "open in a browser; narrow it with --depth",
            file=sys.stderr,
        )
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render(graph, "html"), encoding="utf-8")
        print(
            f"graph: wrote {html} ({len(graph.datasets)} dataset(s), {len(graph.columns)} "
            f"column(s), {len(graph.hops)} edge(s))",
            file=out or sys.stdout,
        )
        return 0
    (out or sys.stdout).write(render(graph, fmt))
    return 0


def several_columns(
    driver: neo4j.Driver, text: str, columns: Sequence[str], database: str | None
) -> Target:
    """The target ``text`` names, started from every column given (none: the whole dataset)."""
    if len(columns) <= 1:
        return resolve_target(driver, text, columns[0] if columns else None, database)
    parts = [resolve_target(driver, text, column, database) for column in columns]
    keys = tuple(dict.fromkeys(key for part in parts for key in part.column_keys))
    return Target(parts[0].dataset, ",".join(dict.fromkeys(columns)), keys)


def merged_graph(graphs: Sequence[LineageGraph]) -> LineageGraph:
    """One picture of several neighbourhoods (one per ``--column``): every dataset, column and
    edge of any of them; a column is a target if it is one anywhere, else keeps its nearest
    depth."""
    if len(graphs) == 1:
        return graphs[0]
    datasets = {d.key: d for g in graphs for d in g.datasets}
    columns: dict[str, ColumnNode] = {}
    for node in (n for g in graphs for n in g.columns):
        seen = columns.get(node.key)
        if seen is None or _before(node, seen):
            columns[node.key] = node
    hops = {h for g in graphs for h in g.hops}
    return LineageGraph(
        title="Lineage of " + ", ".join(g.title.removeprefix("Lineage of ") for g in graphs),
        datasets=tuple(datasets[k] for k in sorted(datasets)),
        columns=tuple(sorted(columns.values(), key=lambda n: (n.dataset_key, n.name))),
        hops=tuple(sorted(hops, key=lambda h: (h.source, h.target, h.job, h.subtype))),
        max_depth=max(g.max_depth for g in graphs),
        truncated=any(g.truncated for g in graphs),
        target_keys=tuple(dict.fromkeys(k for g in graphs for k in g.target_keys)),
    )


def _before(node: ColumnNode, seen: ColumnNode) -> bool:
    """Whether ``node`` describes a column better than ``seen``: a target, else nearer."""
    if (node.role == "target") != (seen.role == "target"):
        return node.role == "target"
    return node.depth < seen.depth
