"""Plain data of the compliance layer: tag assignments, lineage hops and propagated tags.

No driver, no I/O: the propagation algorithm and the export formats work on these values, so they
are unit-tested without Neo4j.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class TagSource(StrEnum):
    """Where a tag on a column comes from (stored as ``TAGGED.source``)."""

    POLICY = "policy"
    CLI = "cli"
    METADATA = "metadata"
    PROPAGATED = "propagated"


#: Sources a person or a file asserts (as opposed to what propagation derives).
DIRECT_SOURCES = frozenset({TagSource.POLICY, TagSource.CLI, TagSource.METADATA})


class Carry(StrEnum):
    """How a downstream column carries a tag.

    ``clear``: the value flows through DIRECT, unmasked edges only. ``masked``: every path is DIRECT
    but passes a masking function (hash, mask): pseudonymised. ``indirect``: the tagged column only
    steers the rows (filter, join, group by...): its value does not flow. A column reached several
    ways gets the strongest (clear > masked > indirect).
    """

    CLEAR = "clear"
    MASKED = "masked"
    INDIRECT = "indirect"

    @property
    def strength(self) -> int:
        return _STRENGTH[self]

    def through(self, hop: Hop) -> Carry:
        """The carry after one more hop: it can only weaken (clear -> masked -> indirect)."""
        if hop.type != "DIRECT":
            return Carry.INDIRECT
        if self is Carry.CLEAR and hop.masking:
            return Carry.MASKED
        return self


_STRENGTH = {Carry.CLEAR: 3, Carry.MASKED: 2, Carry.INDIRECT: 1}


@dataclass(frozen=True, slots=True)
class TagAssignment:
    """A tag asserted on a column (not derived): by a policy rule, a person or table metadata.

    Stored as one ``TAGGED {source, assigned_by}`` per column and tag, so that several policy
    files (``assigned_by`` = the policy name) and people can assert the same tag independently,
    and each one's removal only removes its own.
    """

    column_key: str
    tag: str
    source: TagSource
    detail: str = ""
    assigned_by: str = ""

    @property
    def authority(self) -> str:
        """Who asserts it: the policy's name, ``cli`` or the metadata kind (part of the key)."""
        return self.assigned_by or self.source.value


@dataclass(frozen=True, slots=True)
class Hop:
    """One lineage edge as propagation sees it.

    ``FEEDS_DATASET`` edges (a column steering every row of an output) arrive here expanded to
    one INDIRECT hop per column of the output dataset, with ``subtype`` kept (FILTER, JOIN...).
    """

    source: str
    target: str
    job: str
    type: str
    subtype: str
    masking: bool = False


@dataclass(frozen=True, slots=True)
class Propagated:
    """A tag carried by a downstream column, with where it came from and how.

    ``path`` is a shortest path of column keys from ``origin`` to ``column`` achieving ``carry``;
    ``path_jobs`` and ``path_subtypes`` describe its hops. ``jobs`` are all jobs whose edges bring
    the tag into ``column`` with this carry (the jobs whose runs write it).
    """

    tag: str
    origin: str
    column: str
    carry: Carry
    path: tuple[str, ...]
    path_jobs: tuple[str, ...]
    path_subtypes: tuple[str, ...]
    jobs: tuple[str, ...] = field(default=())

    @property
    def depth(self) -> int:
        return len(self.path) - 1
