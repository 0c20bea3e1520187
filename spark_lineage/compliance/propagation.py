"""Carry tags downstream along the lineage: clear, masked (pseudonymised) or indirect.

Algorithm (pure, :func:`propagate_from`): a breadth-first search over (column, carry) states from
the tagged column in state ``clear``. A DIRECT unmasked hop keeps the carry, a DIRECT masking hop
turns ``clear`` into ``masked``, an INDIRECT hop (join, filter, group by... and every
``FEEDS_DATASET`` dependency) turns anything into ``indirect``. Each state is reached first by a
shortest path, which is the path recorded; a column reached in several states keeps the strongest
(clear > masked > indirect), so "indirect" means *only* indirect paths exist. Depth is bounded by
``MAX_PROPAGATION_DEPTH``.

Recomputation (:func:`propagate_tags`): why not a watermark on new lineage? ``FEEDS`` carries event
times, not arrival times: a spool replay or a late ``load`` adds old edges behind any watermark,
and an edge's ``masking`` can flip on an existing edge. So every run recomputes from the asserted
tags (reading only the bounded subgraph reachable from them, one statement per level) and writes
only the difference with what is stored: a rerun on unchanged lineage reads, compares and writes
nothing. ``spark-lineage tags propagate`` is therefore cheap to rerun (cron, after each batch, or
implicitly before each export).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spark_lineage.compliance.model import Carry, Hop, Propagated
from spark_lineage.compliance.queries import (
    ASSERTED_TAGS,
    DELETE_PROPAGATED,
    MAX_PROPAGATION_DEPTH,
    PROPAGATED_TAGS,
    WRITE_PROPAGATED,
)
from spark_lineage.impact.model import Direction
from spark_lineage.impact.traverse import traverse

if TYPE_CHECKING:
    import neo4j

BATCH = 2000

State = tuple[str, Carry]


def propagate_from(
    origin: str,
    tag: str,
    hops: Mapping[str, Sequence[Hop]],
    max_depth: int = MAX_PROPAGATION_DEPTH,
) -> list[Propagated]:
    """Every column downstream of ``origin`` (within ``max_depth`` hops) and how it carries ``tag``.

    ``hops`` maps a column key to its outgoing hops. The result is sorted by column; ``origin``
    itself is never in it (a cycle back to the source adds nothing).
    """
    start: State = (origin, Carry.CLEAR)
    depth: dict[State, int] = {start: 0}
    parent: dict[State, tuple[State, Hop]] = {}
    queue: deque[State] = deque([start])
    while queue:
        state = queue.popleft()
        if depth[state] >= max_depth:
            continue
        column, carry = state
        for hop in _ordered(hops.get(column, ())):
            if hop.target == origin:
                continue
            following: State = (hop.target, carry.through(hop))
            if following not in depth:
                depth[following] = depth[state] + 1
                parent[following] = (state, hop)
                queue.append(following)
    best: dict[str, Carry] = {}
    for column, carry in depth:
        if column != origin and (column not in best or carry.strength > best[column].strength):
            best[column] = carry
    jobs = _jobs_bringing(best, depth, hops, max_depth)
    return [
        _result(tag, origin, (column, best[column]), parent, jobs[column])
        for column in sorted(best)
    ]


def _ordered(hops: Iterable[Hop]) -> list[Hop]:
    """A deterministic order, so that equal-length paths are chosen the same way every time."""
    return sorted(hops, key=lambda h: (h.target, h.type, h.masking, h.subtype, h.job))


def _jobs_bringing(
    best: Mapping[str, Carry],
    depth: Mapping[State, int],
    hops: Mapping[str, Sequence[Hop]],
    max_depth: int,
) -> dict[str, set[str]]:
    """For each column, every job with an edge bringing the tag in with the column's final carry."""
    jobs: dict[str, set[str]] = {column: set() for column in best}
    for (column, carry), level in depth.items():
        if level >= max_depth:
            continue
        for hop in hops.get(column, ()):
            if hop.target in best and carry.through(hop) is best[hop.target]:
                jobs[hop.target].add(hop.job)
    return jobs


def _result(
    tag: str,
    origin: str,
    end: State,
    parent: Mapping[State, tuple[State, Hop]],
    jobs: set[str],
) -> Propagated:
    path_hops: list[Hop] = []
    state = end
    while state in parent:
        state, hop = parent[state]
        path_hops.append(hop)
    path_hops.reverse()
    return Propagated(
        tag=tag,
        origin=origin,
        column=end[0],
        carry=end[1],
        path=(origin, *(hop.target for hop in path_hops)),
        path_jobs=tuple(hop.job for hop in path_hops),
        path_subtypes=tuple(hop.subtype for hop in path_hops),
        jobs=tuple(sorted(jobs)),
    )


# --- against the graph ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PropagationReport:
    """What one propagation did: origins considered, tags now propagated, and the changes."""

    origins: int
    propagated: int
    written: int
    removed: int
    columns_read: int


def fetch_hops(
    session: neo4j.Session, sources: Iterable[str], max_depth: int = MAX_PROPAGATION_DEPTH
) -> dict[str, list[Hop]]:
    """The lineage reachable from ``sources`` within ``max_depth`` hops: the one bounded walk of
    :func:`spark_lineage.impact.traverse.traverse` (one statement per level, every column
    expanded once), without a node cap (every tag must reach every column it flows to)."""
    walk = traverse(
        session, Direction.DOWNSTREAM, sources, max_depth, max_nodes=sys.maxsize, keep_hops=True
    )
    hops: dict[str, list[Hop]] = {key: [] for key in walk.start | walk.reached.keys()}
    for hop in sorted(walk.hops, key=lambda h: (h.source, h.target, h.job, h.subtype, h.type)):
        steered = hop.via_dataset is not None  # a dataset-wide dependency: INDIRECT, in clear
        hops.setdefault(hop.source, []).append(
            Hop(
                hop.source,
                hop.target,
                hop.job,
                "INDIRECT" if steered else hop.type,
                hop.subtype,
                False if steered else hop.masking,
            )
        )
    return hops


def propagate_tags(
    driver: neo4j.Driver,
    database: str | None = None,
    tags: Sequence[str] | None = None,
    max_depth: int = MAX_PROPAGATION_DEPTH,
) -> PropagationReport:
    """Recompute propagated tags (all, or only ``tags``) and write the difference."""
    tag_filter = list(tags) if tags else None
    with driver.session(database=database) as session:
        datasets: dict[str, str] = {}
        origins: set[tuple[str, str]] = set()
        for record in session.run(
            ASSERTED_TAGS.text, tags=tag_filter, source=None, assigned_by=None
        ):
            origins.add((record["tag"], record["column_key"]))
            datasets[record["column_key"]] = record["dataset_key"]
        hops = fetch_hops(session, datasets, max_depth)
        desired = {
            (p.column, p.tag, p.origin): _row(p, datasets[p.origin])
            for tag, origin in sorted(origins)
            for p in propagate_from(origin, tag, hops, max_depth)
        }
        stored = {
            (r["column"], r["tag"], r["origin"]): _stored_row(r)
            for r in session.run(PROPAGATED_TAGS.text, tags=tag_filter)
        }
        changed = [row for key, row in desired.items() if stored.get(key) != _comparable(row)]
        gone = [
            {"column": column, "tag": tag, "origin": origin}
            for column, tag, origin in stored
            if (column, tag, origin) not in desired
        ]
        now = int(time.time() * 1000)
        for start in range(0, len(changed), BATCH):
            session.execute_write(
                _run, WRITE_PROPAGATED.text, rows=changed[start : start + BATCH], now=now
            )
        for start in range(0, len(gone), BATCH):
            session.execute_write(_run, DELETE_PROPAGATED.text, rows=gone[start : start + BATCH])
    return PropagationReport(len(origins), len(desired), len(changed), len(gone), len(hops))


def _run(tx: neo4j.ManagedTransaction, /, text: str, **params: Any) -> None:
    tx.run(text, **params).consume()


def _row(p: Propagated, origin_dataset: str) -> dict[str, Any]:
    return {
        "column": p.column,
        "tag": p.tag,
        "origin": p.origin,
        "origin_dataset": origin_dataset,
        "carry": p.carry.value,
        "depth": p.depth,
        "path": list(p.path),
        "path_jobs": list(p.path_jobs),
        "path_subtypes": list(p.path_subtypes),
        "jobs": list(p.jobs),
    }


_COMPARED = ("carry", "path", "path_jobs", "path_subtypes", "jobs")


def _comparable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in _COMPARED}


def _stored_row(record: neo4j.Record) -> dict[str, Any]:
    return {key: record[key] if key == "carry" else list(record[key] or []) for key in _COMPARED}
