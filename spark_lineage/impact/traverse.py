"""Breadth-first lineage traversal, one hop per query, with exact shortest-path bookkeeping.

Two states are tracked per column: reached by *any* path (its depth, and the jobs, types and
subtypes of the edges on its shortest paths) and reached by an *all-DIRECT* path (the value
itself flows; dataset-wide hops are INDIRECT by definition). Each level sends the columns newly
reached in either state to one step query (:mod:`spark_lineage.impact.queries`), so a
column is expanded at most twice, whatever the number of paths through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spark_lineage.impact.model import Direction, Hop
from spark_lineage.impact.queries import DOWNSTREAM_STEP, UPSTREAM_STEP
from spark_lineage.names.queries import DATASET_COLUMNS

if TYPE_CHECKING:
    import neo4j

#: The fields of each hop a step query returns, in order.
_HOP_FIELDS = (
    "frontier",
    "next",
    "name",
    "dataset",
    "via_dataset",
    "job",
    "type",
    "subtype",
    "masking",
)

#: The one depth policy of every column walk (impact, upstream, path, graph and tag
#: propagation): DEFAULT_DEPTH hops unless asked for more, never more than MAX_DEPTH. Each level
#: is one query over the frontier, so the bound is what keeps a walk's cost known.
#: (``reproduce`` walks *versions*, not columns, and keeps its own documented bound.)
DEFAULT_DEPTH = 10
MAX_DEPTH = 25

#: Safety net: stop expanding once this many columns are reached (the result says truncated).
DEFAULT_MAX_NODES = 200_000


@dataclass(slots=True)
class Reach:
    """How one column was first reached: depth and what lies on its shortest paths."""

    depth: int
    jobs: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    subtypes: set[str] = field(default_factory=set)
    masking: bool = False
    predecessors: list[tuple[str, Hop]] = field(default_factory=list)


@dataclass(slots=True)
class Traversal:
    """Everything a traversal found; ``reached`` excludes the start columns."""

    direction: Direction
    start: frozenset[str]
    reached: dict[str, Reach]
    direct_depth: dict[str, int]
    hops: set[Hop]
    truncated: bool = False
    #: (name, dataset key) of every reached column, as the step queries returned them.
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)


def traverse(
    session: neo4j.Session,
    direction: Direction,
    start: Iterable[str],
    max_depth: int,
    *,
    direct_only: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    stop_at: frozenset[str] = frozenset(),
    keep_hops: bool = False,
    keep_predecessors: bool = False,
) -> Traversal:
    """Walk ``direction`` from ``start`` for at most ``max_depth`` hops.

    ``stop_at``: finish the level at which any of these columns is first reached, then stop
    (``path``). ``keep_hops`` records every edge walked between reached columns (pictures);
    ``keep_predecessors`` records the shortest-path predecessors (path enumeration).
    """
    starts = frozenset(start)
    result = Traversal(direction, starts, {}, {key: 0 for key in starts}, set())
    depth: dict[str, int] = {key: 0 for key in starts}
    frontier_any, frontier_direct = set(starts), set(starts)
    columns_of: dict[str, list[tuple[str, str]]] = {}
    step = DOWNSTREAM_STEP if direction is Direction.DOWNSTREAM else UPSTREAM_STEP
    for level in range(1, max_depth + 1):
        expand = frontier_any | frontier_direct
        if not expand:
            break
        record = session.run(step.text, frontier=sorted(expand), direct_only=direct_only).single(
            strict=True
        )
        rows = [dict(zip(_HOP_FIELDS, hop, strict=True)) for hop in record["hops"]]
        if direction is Direction.DOWNSTREAM:
            _load_dataset_columns(session, rows, columns_of)
        new_any: set[str] = set()
        new_direct: set[str] = set()
        for row in rows:
            frm = str(row["frontier"])
            for hop, nxt, name in _hops(direction, row, frm, columns_of):
                if nxt not in result.columns:
                    result.columns[nxt] = (name, str(row["dataset"] or hop.via_dataset or ""))
                if frm in frontier_any:
                    _reach(result, depth, frm, nxt, hop, level, new_any, keep_predecessors)
                direct_edge = hop.type == "DIRECT" and hop.via_dataset is None
                if frm in frontier_direct and direct_edge and nxt not in result.direct_depth:
                    result.direct_depth[nxt] = level
                    new_direct.add(nxt)
                if keep_hops:
                    result.hops.add(hop)
        frontier_any, frontier_direct = new_any, new_direct
        if len(depth) > max_nodes:
            result.truncated = bool(frontier_any or frontier_direct)
            break
        if stop_at & (new_any | new_direct):
            break
    return result


def _reach(
    result: Traversal,
    depth: dict[str, int],
    frm: str,
    nxt: str,
    hop: Hop,
    level: int,
    new_any: set[str],
    keep_predecessors: bool,
) -> None:
    """Record that ``nxt`` is reached from ``frm`` (depth ``level - 1``) through ``hop``."""
    if nxt not in depth:
        depth[nxt] = level
        result.reached[nxt] = Reach(level)
        new_any.add(nxt)
    if depth[nxt] != level or nxt in result.start:
        return
    reach = result.reached[nxt]
    before = result.reached.get(frm)
    if before is not None:
        reach.jobs |= before.jobs
        reach.types |= before.types
        reach.subtypes |= before.subtypes
        reach.masking = reach.masking or before.masking
    if hop.job:
        reach.jobs.add(hop.job)
    reach.types.add(hop.type)
    reach.subtypes.add(hop.subtype)
    reach.masking = reach.masking or hop.masking
    if keep_predecessors:
        reach.predecessors.append((frm, hop))


def _hops(
    direction: Direction,
    row: dict[str, Any],
    frm: str,
    columns_of: dict[str, list[tuple[str, str]]],
) -> list[tuple[Hop, str, str]]:
    """The hops one step row stands for, each with the column it leads to and its name."""
    via = row["via_dataset"]
    if direction is Direction.DOWNSTREAM and via is not None:
        nexts = columns_of.get(str(via), [])
    else:
        nexts = [(str(row["next"]), str(row["name"] or ""))]
    hops = []
    for nxt, name in nexts:
        source, target = (frm, nxt) if direction is Direction.DOWNSTREAM else (nxt, frm)
        hop = Hop(
            source=source,
            target=target,
            job=str(row["job"] or ""),
            type=str(row["type"] or "INDIRECT"),
            subtype=str(row["subtype"] or ""),
            masking=bool(row["masking"]),
            via_dataset=None if via is None else str(via),
        )
        hops.append((hop, nxt, name))
    return hops


def _load_dataset_columns(
    session: neo4j.Session,
    rows: Sequence[dict[str, Any]],
    columns_of: dict[str, list[tuple[str, str]]],
) -> None:
    """Fetch, once per dataset, the columns of datasets reached by a dataset-wide hop."""
    missing = sorted(
        {str(r["via_dataset"]) for r in rows if r["via_dataset"] is not None} - columns_of.keys()
    )
    if not missing:
        return
    for key in missing:
        columns_of[key] = []
    for record in session.run(DATASET_COLUMNS.text, dataset_keys=missing):
        columns_of[str(record["dataset_key"])] = [
            (str(key), str(name)) for key, name in record["columns"]
        ]


def shortest_paths(
    traversal: Traversal, targets: Iterable[str], max_paths: int
) -> tuple[list[tuple[Hop, ...]], bool]:
    """Up to ``max_paths`` shortest paths (in data direction) from the start to ``targets``.

    Needs a traversal with ``keep_predecessors``; returns the paths and whether more existed.
    """
    reached = [t for t in targets if t in traversal.reached]
    if not reached:
        return [], False
    best = min(traversal.reached[t].depth for t in reached)
    paths: list[tuple[Hop, ...]] = []
    truncated = False

    def walk(node: str, suffix: tuple[Hop, ...]) -> None:
        nonlocal truncated
        if len(paths) >= max_paths:
            truncated = True
            return
        if node in traversal.start:
            paths.append(suffix)
            return
        for previous, hop in traversal.reached[node].predecessors:
            walk(previous, (hop, *suffix))

    for target in sorted(t for t in reached if traversal.reached[t].depth == best):
        walk(target, ())
    if traversal.direction is Direction.UPSTREAM:
        paths = [tuple(reversed(p)) for p in paths]
    return paths, truncated
