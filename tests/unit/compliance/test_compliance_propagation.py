"""Propagation as a specification: how a tag travels along hand-written lineage hops (no Neo4j)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from spark_lineage.compliance.model import Carry, Hop, Propagated
from spark_lineage.compliance.propagation import propagate_from


def hops(*edges: tuple[str, str, str]) -> dict[str, list[Hop]]:
    """(source, target, kind) with kind: id (DIRECT), mask (DIRECT masking), filter (INDIRECT)."""
    result: dict[str, list[Hop]] = {}
    for source, target, kind in edges:
        hop = {
            "id": Hop(source, target, f"job-{source}", "DIRECT", "IDENTITY"),
            "agg": Hop(source, target, f"job-{source}", "DIRECT", "AGGREGATION"),
            "mask": Hop(source, target, f"job-{source}", "DIRECT", "TRANSFORMATION", True),
            "filter": Hop(source, target, f"job-{source}", "INDIRECT", "FILTER"),
            "join": Hop(source, target, f"job-{source}", "INDIRECT", "JOIN"),
        }[kind]
        result.setdefault(source, []).append(hop)
    return result


def carries(found: Sequence[Propagated]) -> dict[str, tuple[str, int]]:
    return {p.column: (p.carry.value, p.depth) for p in found}


def test_direct_edges_carry_the_tag_in_clear() -> None:
    found = propagate_from("a", "pii", hops(("a", "b", "id"), ("b", "c", "agg")))
    assert carries(found) == {"b": ("clear", 1), "c": ("clear", 2)}


def test_a_masking_edge_makes_everything_downstream_masked() -> None:
    found = propagate_from("a", "pii", hops(("a", "b", "mask"), ("b", "c", "id")))
    assert carries(found) == {"b": ("masked", 1), "c": ("masked", 2)}


def test_an_indirect_hop_anywhere_makes_the_rest_indirect() -> None:
    found = propagate_from("a", "pii", hops(("a", "b", "filter"), ("b", "c", "id")))
    assert carries(found) == {"b": ("indirect", 1), "c": ("indirect", 2)}


def test_the_strongest_carry_wins_even_on_a_longer_path() -> None:
    found = propagate_from(
        "a", "pii", hops(("a", "c", "filter"), ("a", "b", "id"), ("b", "c", "id"))
    )
    assert carries(found)["c"] == ("clear", 2)


def test_clear_beats_masked_and_masked_beats_indirect() -> None:
    found = propagate_from(
        "a",
        "pii",
        hops(("a", "x", "mask"), ("a", "x", "join"), ("a", "y", "mask"), ("a", "y", "id")),
    )
    assert carries(found) == {"x": ("masked", 1), "y": ("clear", 1)}


def test_the_path_names_every_column_job_and_subtype() -> None:
    [b, c] = propagate_from("a", "pii", hops(("a", "b", "mask"), ("b", "c", "agg")))
    assert (c.origin, c.tag, c.path) == ("a", "pii", ("a", "b", "c"))
    assert c.path_jobs == ("job-a", "job-b")
    assert c.path_subtypes == ("TRANSFORMATION", "AGGREGATION")
    assert b.jobs == ("job-a",)


def test_jobs_are_every_job_bringing_the_final_carry_in() -> None:
    lineage = hops(("a", "b", "id"), ("a", "c", "id"), ("b", "d", "id"), ("c", "d", "mask"))
    lineage["c"][0] = Hop("c", "d", "other-job", "DIRECT", "IDENTITY")
    found = {p.column: p for p in propagate_from("a", "pii", lineage)}
    assert found["d"].jobs == ("job-b", "other-job")


def test_cycles_terminate_and_never_tag_the_origin() -> None:
    found = propagate_from("a", "pii", hops(("a", "b", "id"), ("b", "a", "id"), ("b", "b", "id")))
    assert carries(found) == {"b": ("clear", 1)}


def test_depth_is_bounded() -> None:
    chain = hops(*((f"c{i}", f"c{i + 1}", "id") for i in range(20)))
    found = propagate_from("c0", "pii", chain, max_depth=12)
    assert max(p.depth for p in found) == 12
    assert "c13" not in carries(found)


def test_a_column_the_tag_does_not_reach_is_not_reported() -> None:
    assert propagate_from("a", "pii", hops(("b", "c", "id"))) == []


KINDS = st.sampled_from(["id", "agg", "mask", "filter", "join"])
NODES = st.sampled_from(["a", "b", "c", "d", "e", "f"])


@given(st.lists(st.tuples(NODES, NODES, KINDS), max_size=25))
def test_every_result_is_justified_by_its_own_path(edges: list[tuple[str, str, str]]) -> None:
    lineage = hops(*edges)
    for found in propagate_from("a", "pii", lineage):
        carry = Carry.CLEAR
        for source, target, subtype, job in zip(
            found.path[:-1], found.path[1:], found.path_subtypes, found.path_jobs, strict=True
        ):
            hop = next(
                h
                for h in lineage[source]
                if h.target == target and h.subtype == subtype and h.job == job
            )
            carry = carry.through(hop)
        assert carry is found.carry
        assert found.path[0] == "a" and found.path[-1] == found.column


@given(st.lists(st.tuples(NODES, NODES, KINDS), max_size=25))
def test_no_stronger_carry_exists_than_the_one_reported(edges: list[tuple[str, str, str]]) -> None:
    """Brute force over all simple walks: the reported carry is the best reachable one."""
    lineage = hops(*edges)
    best: dict[str, int] = {}

    def walk(column: str, carry: Carry, seen: frozenset[tuple[str, Carry]]) -> None:
        for hop in lineage.get(column, []):
            if hop.target == "a":
                continue
            following = carry.through(hop)
            best[hop.target] = max(best.get(hop.target, 0), following.strength)
            if (hop.target, following) not in seen:
                walk(hop.target, following, seen | {(hop.target, following)})

    walk("a", Carry.CLEAR, frozenset({("a", Carry.CLEAR)}))
    found = {p.column: p.carry.strength for p in propagate_from("a", "pii", lineage)}
    assert found == best
