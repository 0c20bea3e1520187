"""What the ``impact``, ``upstream``, ``path`` and ``graph`` commands do once arguments are parsed.

Each function opens a driver from the resolved settings, runs one analysis, writes the formatted
answer to ``out`` (stdout by default) and returns the exit status. Errors naming a target are
``ValueError`` subclasses, which the CLI prints as one line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.impact.api import impact, neighbourhood, path, upstream
from spark_lineage.impact.formats import format_path, format_report
from spark_lineage.impact.model import LineageReport
from spark_lineage.viz import render


def run_lineage(
    settings: Neo4jSettings,
    direction: str,
    target: str,
    *,
    column: str | None,
    depth: int,
    direct_only: bool,
    fmt: str,
    out: TextIO | None = None,
) -> int:
    """``impact`` (direction ``downstream``) or ``upstream``: print the report in ``fmt``."""
    analyse = impact if direction == "downstream" else upstream
    with open_driver(settings) as driver:
        report: LineageReport = analyse(
            driver,
            target,
            column=column,
            depth=depth,
            direct_only=direct_only,
            database=settings.database,
        )
    (out or sys.stdout).write(format_report(report, fmt))
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
    out: TextIO | None = None,
) -> int:
    """``path``: print the shortest paths; exit 1 when there is none within ``depth``."""
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
    (out or sys.stdout).write(format_path(report, fmt))
    return 0 if report.paths else 1


def run_graph(
    settings: Neo4jSettings,
    target: str,
    *,
    column: str | None,
    depth: int,
    fmt: str,
    html: Path | None,
    out: TextIO | None = None,
) -> int:
    """``graph``: write the HTML picture to ``html``, or print mermaid/dot text."""
    with open_driver(settings) as driver:
        graph = neighbourhood(
            driver, target, column=column, depth=depth, database=settings.database
        )
    if html is not None:
        html.write_text(render(graph, "html"), encoding="utf-8")
        print(
            f"graph: wrote {html} ({len(graph.datasets)} dataset(s), {len(graph.columns)} "
            f"column(s), {len(graph.hops)} edge(s))",
            file=out or sys.stdout,
        )
        return 0
    (out or sys.stdout).write(render(graph, fmt))
    return 0
