"""Plain results of impact analysis: what a target is, what it reaches, and how.

Frozen dataclasses without any driver object, so that the formatters, the HTML/mermaid/dot
renderers and the tests work on them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Direction(StrEnum):
    """Which way a traversal walks the lineage edges."""

    DOWNSTREAM = "downstream"
    UPSTREAM = "upstream"


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """A dataset of the graph; ``label`` is what people call it (table name, else its name)."""

    key: str
    namespace: str
    name: str
    table: str | None = None
    format: str | None = None
    versions: tuple[VersionSummary, ...] = ()

    @property
    def label(self) -> str:
        return self.table or self.name


@dataclass(frozen=True, slots=True)
class VersionSummary:
    """One recorded version of a dataset (Delta), newest first in :class:`DatasetInfo`."""

    version: int
    operation: str | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """What the user asked about: one column of a dataset, or the whole dataset.

    ``column`` is None for a whole dataset; ``column_keys`` are the graph keys of the start
    columns (one, or every column of the dataset).
    """

    dataset: DatasetInfo
    column: str | None
    column_keys: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.dataset.label}.{self.column}" if self.column else self.dataset.label


@dataclass(frozen=True, slots=True)
class Hop:
    """One lineage edge as walked: ``source`` feeds ``target`` in ``job``.

    ``via_dataset`` is set when the hop is a dataset-wide dependency (``FEEDS_DATASET``): the
    source steers every row of that dataset, so every one of its columns is reached.
    """

    source: str
    target: str
    job: str
    type: str
    subtype: str
    masking: bool = False
    via_dataset: str | None = None


@dataclass(frozen=True, slots=True)
class LineageRow:
    """A column reached from the target, with how it is reached along the shortest paths.

    ``depth`` is the fewest hops; ``jobs``, ``types`` and ``subtypes`` collect the edges of every
    shortest path; ``direct`` says whether some path of at most the depth bound carries the value
    itself (all edges DIRECT, no dataset-wide hop), with ``direct_depth`` its length.
    ``raw_source`` (upstream only) is true when nothing at all feeds this column.
    """

    column_key: str
    column: str
    dataset_key: str
    dataset: str
    depth: int
    jobs: tuple[str, ...]
    types: tuple[str, ...]
    subtypes: tuple[str, ...]
    direct: bool
    direct_depth: int | None
    masking: bool = False
    raw_source: bool | None = None


@dataclass(frozen=True, slots=True)
class LineageReport:
    """The answer of ``impact`` (downstream) or ``upstream`` for one target.

    ``rows`` are the first ``limit`` rows (None: all) of the ``total`` columns the walk reached;
    ``truncated`` says the walk stopped at its node cap, so that ``total`` is only a lower bound.
    """

    direction: Direction
    target: Target
    max_depth: int
    direct_only: bool
    rows: tuple[LineageRow, ...]
    truncated: bool = False
    total: int | None = None
    limit: int | None = None

    @property
    def count(self) -> int:
        """How many columns the walk reached (at least that many when ``truncated``)."""
        return len(self.rows) if self.total is None else self.total

    @property
    def more(self) -> bool:
        """Whether more columns are reached than ``rows`` shows."""
        return self.truncated or self.count > len(self.rows)


@dataclass(frozen=True, slots=True)
class PathReport:
    """Shortest ways ``source`` reaches ``target`` (each path a tuple of hops), bounded."""

    source: Target
    target: Target
    max_depth: int
    direct_only: bool
    paths: tuple[tuple[Hop, ...], ...]
    truncated: bool = False

    @property
    def length(self) -> int | None:
        return len(self.paths[0]) if self.paths else None


@dataclass(frozen=True, slots=True)
class ColumnNode:
    """A column in a lineage picture; ``role`` is ``target``, ``upstream`` or ``downstream``."""

    key: str
    name: str
    dataset_key: str
    role: str
    depth: int = 0


@dataclass(frozen=True, slots=True)
class LineageGraph:
    """The neighbourhood of a target as plain data, for the HTML/mermaid/dot renderers."""

    title: str
    datasets: tuple[DatasetInfo, ...]
    columns: tuple[ColumnNode, ...]
    hops: tuple[Hop, ...]
    max_depth: int
    truncated: bool = False
    target_keys: tuple[str, ...] = field(default=())
