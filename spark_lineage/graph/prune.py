"""Retention: remove runs and dataset versions older than a date, keeping lineage intact.

What goes: (:Run) nodes that ended before the date (with their READ/WROTE/OF_JOB links), then
(:DatasetVersion) nodes older than the date that no remaining run read or wrote, no model was
trained on, and that are not their dataset's newest version; finally jobs nothing refers to.

What stays, and why lineage does not break: datasets, columns and the aggregated
``FEEDS``/``FEEDS_DATASET`` edges (they carry first/last seen and run counts, not run links), the
job-level ``READS``/``WRITES`` edges, each dataset's current version, and every version a kept run
or model points to. Deletion runs in small batches so one prune never holds a huge transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.queries import (
    COUNT_PRUNABLE_RUNS,
    COUNT_PRUNABLE_VERSIONS,
    PRUNE_ORPHAN_JOBS,
    PRUNE_RUNS,
    PRUNE_VERSIONS,
    Query,
)
from spark_lineage.graph.settings import Neo4jSettings

if TYPE_CHECKING:
    import neo4j

BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class PruneReport:
    """How many runs, versions and jobs were (or, in a dry run, would be) deleted."""

    before_ms: int
    runs: int
    versions: int
    jobs: int
    dry_run: bool


def parse_before(text: str) -> int:
    """Epoch ms of ``YYYY-MM-DD`` (midnight UTC) or an ISO-8601 date-time (UTC if no zone)."""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"--before must be a date (YYYY-MM-DD) or an ISO date-time, got {text!r}"
        ) from None
    return int(moment.timestamp() * 1000)


def prune(
    driver: neo4j.Driver,
    before_ms: int,
    *,
    database: str | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> PruneReport:
    """Delete runs and superseded, unreferenced versions older than ``before_ms``."""
    if dry_run:
        with driver.session(database=database) as session:
            runs = session.run(COUNT_PRUNABLE_RUNS.text, before=before_ms).single(strict=True)
            versions = session.run(COUNT_PRUNABLE_VERSIONS.text, before=before_ms).single(
                strict=True
            )
        # Versions become prunable once the runs pointing at them are gone: count after runs.
        return PruneReport(before_ms, int(runs["runs"]), int(versions["versions"]), 0, True)
    runs_deleted = _delete_in_batches(driver, database, PRUNE_RUNS, before_ms, batch_size)
    versions_deleted = _delete_in_batches(driver, database, PRUNE_VERSIONS, before_ms, batch_size)
    with driver.session(database=database) as session:
        jobs = session.execute_write(
            lambda tx: int(tx.run(PRUNE_ORPHAN_JOBS.text).single(strict=True)["deleted"])
        )
    return PruneReport(before_ms, runs_deleted, versions_deleted, jobs, False)


def _delete_in_batches(
    driver: neo4j.Driver, database: str | None, query: Query, before_ms: int, batch_size: int
) -> int:
    total = 0
    with driver.session(database=database) as session:
        while True:
            deleted = session.execute_write(
                lambda tx: int(
                    tx.run(query.text, before=before_ms, batch_size=batch_size).single(strict=True)[
                        "deleted"
                    ]
                )
            )
            total += deleted
            if deleted < batch_size:
                return total


def prune_before(settings: Neo4jSettings, before: str, *, dry_run: bool = False) -> PruneReport:
    """``spark-lineage prune --before DATE``: parse the date, connect, prune."""
    before_ms = parse_before(before)
    with open_driver(settings) as driver:
        return prune(driver, before_ms, database=settings.database, dry_run=dry_run)
