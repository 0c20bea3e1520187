"""Impact analysis over the Neo4j lineage graph: impact, upstream, path, and a neighbourhood.

Each function takes an open driver, resolves the user's text to a :class:`Target` and returns
plain dataclasses (:mod:`spark_lineage.impact.model`); printing is the formatters' job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from spark_lineage.impact.model import (
    ColumnNode,
    DatasetInfo,
    Direction,
    LineageGraph,
    LineageReport,
    LineageRow,
    PathReport,
    Target,
)
from spark_lineage.impact.queries import COLUMN_DETAILS, DATASET_LABELS
from spark_lineage.impact.resolve import READ_ACCESS, dataset_details, resolve_target
from spark_lineage.impact.traverse import (
    DEFAULT_DEPTH,
    DEFAULT_MAX_NODES,
    MAX_DEPTH,
    Traversal,
    shortest_paths,
    traverse,
)

if TYPE_CHECKING:
    import neo4j

#: How far the lineage picture reaches by default on each side of its target.
DEFAULT_GRAPH_DEPTH = 3
#: How many shortest paths ``path`` lists at most.
DEFAULT_MAX_PATHS = 20
_DETAILS_CHUNK = 5000
_DETAIL_FIELDS = ("key", "name", "dataset_key", "dataset_name", "table_name", "has_upstream")


def check_depth(depth: int) -> int:
    """Depth must be 1..MAX_DEPTH: every traversal is bounded, however it is called."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"--depth must be between 1 and {MAX_DEPTH}, not {depth}")
    return depth


def impact(
    driver: neo4j.Driver,
    text: str,
    *,
    column: str | None = None,
    depth: int = DEFAULT_DEPTH,
    direct_only: bool = False,
    database: str | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> LineageReport:
    """Every column downstream of a column (or of every column of a dataset)."""
    target = resolve_target(driver, text, column, database)
    return lineage_report(
        driver, target, Direction.DOWNSTREAM, depth, direct_only, database, max_nodes
    )


def upstream(
    driver: neo4j.Driver,
    text: str,
    *,
    column: str | None = None,
    depth: int = DEFAULT_DEPTH,
    direct_only: bool = False,
    database: str | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> LineageReport:
    """Every column a column comes from, down to raw sources (``raw_source`` on each row)."""
    target = resolve_target(driver, text, column, database)
    return lineage_report(
        driver, target, Direction.UPSTREAM, depth, direct_only, database, max_nodes
    )


def lineage_report(
    driver: neo4j.Driver,
    target: Target,
    direction: Direction,
    depth: int = DEFAULT_DEPTH,
    direct_only: bool = False,
    database: str | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    limit: int | None = None,
) -> LineageReport:
    """The traversal of an already resolved target, as report rows sorted by depth and name:
    the first ``limit`` of them (None: all), with the total count. The walk itself is always
    complete (up to its node cap), so the count is exact and the first rows are the nearest."""
    check_depth(depth)
    if limit is not None and limit < 1:
        raise ValueError(f"--limit must be a positive number, not {limit}")
    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        walk = traverse(
            session,
            direction,
            target.column_keys,
            depth,
            direct_only=direct_only,
            max_nodes=max_nodes,
        )
        labels = dataset_labels(session, {dataset for _, dataset in walk.columns.values()})
        rows = [_row(key, walk, labels, None) for key in walk.reached]
        rows.sort(key=lambda r: (r.depth, r.dataset, r.column, r.column_key))
        shown = rows if limit is None else rows[:limit]
        # Raw-source flags only matter upstream, and only for the rows shown: one lookup each.
        if direction is Direction.UPSTREAM:
            details = column_details(session, (r.column_key for r in shown))
            shown = [
                replace(r, raw_source=not details[r.column_key]["has_upstream"])
                if r.column_key in details
                else r
                for r in shown
            ]
    return LineageReport(
        direction,
        target,
        depth,
        direct_only,
        tuple(shown),
        walk.truncated,
        total=len(rows),
        limit=limit,
    )


def path(
    driver: neo4j.Driver,
    source_text: str,
    target_text: str,
    *,
    source_column: str | None = None,
    target_column: str | None = None,
    depth: int = DEFAULT_DEPTH,
    direct_only: bool = False,
    database: str | None = None,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> PathReport:
    """The shortest ways (at most ``depth`` hops) the source reaches the target."""
    check_depth(depth)
    source = resolve_target(driver, source_text, source_column, database)
    target = resolve_target(driver, target_text, target_column, database)
    goals = frozenset(target.column_keys)
    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        walk = traverse(
            session,
            Direction.DOWNSTREAM,
            source.column_keys,
            depth,
            direct_only=direct_only,
            stop_at=goals,
            keep_predecessors=True,
        )
    found, truncated = shortest_paths(walk, goals, max_paths)
    return PathReport(source, target, depth, direct_only, tuple(found), truncated)


def neighbourhood(
    driver: neo4j.Driver,
    text: str,
    *,
    column: str | None = None,
    depth: int = DEFAULT_GRAPH_DEPTH,
    database: str | None = None,
    max_nodes: int = 2000,
) -> LineageGraph:
    """The lineage around a target (upstream and downstream, ``depth`` hops) for a picture."""
    check_depth(depth)
    target = resolve_target(driver, text, column, database)
    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        walks = [
            traverse(
                session, direction, target.column_keys, depth, max_nodes=max_nodes, keep_hops=True
            )
            for direction in (Direction.UPSTREAM, Direction.DOWNSTREAM)
        ]
        keys = set(target.column_keys) | {k for w in walks for k in w.reached}
        details = column_details(session, keys)
        dataset_keys = sorted(
            {str(d["dataset_key"]) for d in details.values() if d["dataset_key"]}
            | {h.via_dataset for w in walks for h in w.hops if h.via_dataset}
        )
        datasets = dataset_details(session, dataset_keys)
    columns = _graph_columns(target, walks, details)
    hops = sorted(
        {h for w in walks for h in w.hops}, key=lambda h: (h.source, h.target, h.job, h.subtype)
    )
    return LineageGraph(
        title=f"Lineage of {target.label}",
        datasets=tuple(datasets),
        columns=tuple(columns),
        hops=tuple(hops),
        max_depth=depth,
        truncated=any(w.truncated for w in walks),
        target_keys=target.column_keys,
    )


def _graph_columns(
    target: Target, walks: list[Traversal], details: dict[str, dict[str, object]]
) -> list[ColumnNode]:
    nodes: dict[str, ColumnNode] = {}
    for key in target.column_keys:
        nodes[key] = _node(key, "target", 0, details)
    for walk in walks:
        role = walk.direction.value
        for key, reach in walk.reached.items():
            if key not in nodes and key in details:
                nodes[key] = _node(key, role, reach.depth, details)
    return sorted(nodes.values(), key=lambda n: (n.dataset_key, n.name))


def _node(key: str, role: str, depth: int, details: dict[str, dict[str, object]]) -> ColumnNode:
    info = details.get(key, {})
    return ColumnNode(
        key=key,
        name=str(info.get("name") or key.rsplit("::", 1)[-1]),
        dataset_key=str(info.get("dataset_key") or ""),
        role=role,
        depth=depth,
    )


def column_details(session: neo4j.Session, keys: Iterable[str]) -> dict[str, dict[str, object]]:
    """Name, dataset and has_upstream of columns, by key (fetched in chunks)."""
    ordered = sorted(keys)
    details: dict[str, dict[str, object]] = {}
    for start in range(0, len(ordered), _DETAILS_CHUNK):
        chunk = ordered[start : start + _DETAILS_CHUNK]
        record = session.run(COLUMN_DETAILS.text, keys=chunk).single(strict=True)
        for values in record["columns"]:
            details[str(values[0])] = dict(zip(_DETAIL_FIELDS, values, strict=True))
    return details


def _row(key: str, walk: Traversal, labels: dict[str, str], raw_source: bool | None) -> LineageRow:
    reach = walk.reached[key]
    name, dataset_key = walk.columns.get(key, (key.rsplit("::", 1)[-1], ""))
    direct_depth = walk.direct_depth.get(key)
    return LineageRow(
        column_key=key,
        column=name,
        dataset_key=dataset_key,
        dataset=labels.get(dataset_key, dataset_key),
        depth=reach.depth,
        jobs=tuple(sorted(reach.jobs)),
        types=tuple(sorted(reach.types)),
        subtypes=tuple(sorted(reach.subtypes)),
        direct=direct_depth is not None,
        direct_depth=direct_depth,
        masking=reach.masking,
        raw_source=raw_source,
    )


def dataset_labels(session: neo4j.Session, keys: Iterable[str]) -> dict[str, str]:
    """What people call each dataset (table name, else its name), by key, in chunks."""
    ordered = sorted(k for k in keys if k)
    labels: dict[str, str] = {}
    for start in range(0, len(ordered), _DETAILS_CHUNK):
        for record in session.run(
            DATASET_LABELS.text, dataset_keys=ordered[start : start + _DETAILS_CHUNK]
        ):
            labels[str(record["key"])] = str(record["label"])
    return labels


__all__ = [
    "DEFAULT_DEPTH",
    "DEFAULT_GRAPH_DEPTH",
    "MAX_DEPTH",
    "DatasetInfo",
    "check_depth",
    "column_details",
    "impact",
    "lineage_report",
    "neighbourhood",
    "path",
    "upstream",
]
