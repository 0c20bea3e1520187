"""Where a value comes from: sets of (source column, subtype, masked) and how they compose.

Every attribute (exprId) of a plan resolves once to an :data:`Origins` set, expressed directly in
terms of source columns, so that looking up a column later never walks the plan again.

Composition (an expression uses an attribute in some *mode*):

* the mode is INDIRECT (a filter, a join key, a CASE condition...): every source becomes that
  INDIRECT subtype, because the whole value now steers rows;
* the source is already INDIRECT: it stays so (a CASE condition stays a condition);
* both DIRECT: the stronger wins, IDENTITY < TRANSFORMATION < AGGREGATION;
* ``masked`` is sticky: once a value passed through a hash or mask, it stays masked.
"""

from __future__ import annotations

from spark_lineage.model import TransformationSubtype, TransformationType

Subtype = TransformationSubtype
IDENTITY = Subtype.IDENTITY
TRANSFORMATION = Subtype.TRANSFORMATION
AGGREGATION = Subtype.AGGREGATION

Origin = tuple[int, Subtype, bool]
"""(source column id, subtype, masked)."""
Origins = frozenset[Origin]
EMPTY: Origins = frozenset()

_DIRECT_RANK = {IDENTITY: 0, TRANSFORMATION: 1, AGGREGATION: 2}


def is_indirect(subtype: Subtype) -> bool:
    return subtype.type is TransformationType.INDIRECT


def escalate(mode: Subtype, to: Subtype) -> Subtype:
    """The mode below a node of kind ``to``: INDIRECT modes and stronger DIRECT modes stick."""
    if is_indirect(mode):
        return mode
    if is_indirect(to):
        return to
    return mode if _DIRECT_RANK[mode] >= _DIRECT_RANK[to] else to


def compose(origins: Origins, mode: Subtype, masked: bool) -> Origins:
    """The origins of a value used in ``mode`` (optionally through a mask)."""
    if mode is IDENTITY and not masked:
        return origins
    out = set()
    for source, subtype, was_masked in origins:
        if is_indirect(mode):
            new = mode
        elif is_indirect(subtype):
            new = subtype
        else:
            new = subtype if _DIRECT_RANK[subtype] >= _DIRECT_RANK[mode] else mode
        out.add((source, new, was_masked or masked))
    return frozenset(out)


class Deps:
    """Dataset-wide INDIRECT dependencies (filters, join keys...) as a shared DAG.

    Each plan node links to its children's ``Deps`` instead of copying them, so that a 200-node
    plan costs linear time; :meth:`flatten` walks the DAG once at the end.
    """

    __slots__ = ("own", "parents")

    def __init__(self, own: Origins = EMPTY, parents: tuple[Deps, ...] = ()) -> None:
        self.own = own
        self.parents = parents

    @staticmethod
    def of(own: Origins, parents: tuple[Deps, ...]) -> Deps:
        """A node's deps; reuses the single parent's when the node adds nothing."""
        live = tuple(p for p in parents if p is not NO_DEPS)
        if not own and len(live) == 1:
            return live[0]
        if not own and not live:
            return NO_DEPS
        return Deps(own, live)

    def flatten(self) -> set[Origin]:
        seen: set[int] = set()
        out: set[Origin] = set()
        stack: list[Deps] = [self]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            out.update(current.own)
            stack.extend(current.parents)
        return out


NO_DEPS = Deps()
