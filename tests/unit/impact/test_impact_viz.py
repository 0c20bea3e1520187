"""The lineage pictures from plain data: grouping, colours, escaping, no external resources."""

from __future__ import annotations

import re

from spark_lineage.impact.model import ColumnNode, DatasetInfo, Hop, LineageGraph, VersionSummary
from spark_lineage.viz import render
from spark_lineage.viz.edges import drawn_edges
from spark_lineage.viz.layout import layout

RAW = DatasetInfo("file::/lake/raw", "file", "/lake/raw", format="parquet")
EVIL = DatasetInfo(
    'file::/lake/<b>evil"',
    "file",
    '/lake/<b>evil"',
    table='db."<t>"',
    format="delta",
    versions=(VersionSummary(7, "MERGE"), VersionSummary(6, "WRITE")),
)
OUT = DatasetInfo("file::/lake/out", "file", "/lake/out", format="delta")


def graph() -> LineageGraph:
    raw_a, evil_b, out_c = (
        f"{RAW.key}::a",
        f"{EVIL.key}::<script>alert(1)</script>",
        f"{OUT.key}::c",
    )
    return LineageGraph(
        title='Lineage of db."<t>".x',
        datasets=(RAW, EVIL, OUT),
        columns=(
            ColumnNode(raw_a, "a", RAW.key, "upstream", 1),
            ColumnNode(evil_b, "<script>alert(1)</script>", EVIL.key, "target"),
            ColumnNode(out_c, "c", OUT.key, "downstream", 1),
        ),
        hops=(
            Hop(raw_a, evil_b, "spark::load", "DIRECT", "IDENTITY"),
            Hop(evil_b, out_c, "spark::agg", "DIRECT", "AGGREGATION", masking=True),
            Hop(raw_a, out_c, "spark::agg", "INDIRECT", "FILTER", via_dataset=OUT.key),
        ),
        max_depth=3,
        target_keys=(evil_b,),
    )


def test_dataset_wide_hops_become_one_edge_to_the_dataset() -> None:
    edges = drawn_edges(graph())
    assert {(e.subtype, e.target, e.dataset_wide, e.indirect) for e in edges} == {
        ("IDENTITY", f"{EVIL.key}::<script>alert(1)</script>", False, False),
        ("FILTER", OUT.key, True, True),
        ("AGGREGATION", f"{OUT.key}::c", False, False),
    }


def test_layout_puts_datasets_in_lineage_order() -> None:
    placed = layout(graph(), drawn_edges(graph()))
    x = {box.dataset.key: box.x for box in placed.boxes}
    assert x[RAW.key] < x[EVIL.key] < x[OUT.key]


def test_html_escapes_names_and_loads_nothing_from_outside() -> None:
    html = render(graph(), "html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "v7 MERGE, v6 WRITE" in html
    assert html.count('class="edge ') == 3 and 'class="edge indirect"' in html


def test_mermaid_groups_columns_and_colours_edges() -> None:
    text = render(graph(), "mermaid")
    assert text.startswith("flowchart LR\n")
    assert text.count("subgraph ") == 3 and text.count("  end") == 3
    assert "<script>" not in text and "#lt;script#gt;" in text
    assert '-.->|"FILTER · agg"| d0' in text  # to the /lake/out subgraph (sorted first)
    assert "stroke:#2e7d32" in text and "stroke:#6a1b9a" in text


def test_mermaid_codes_hash_and_ampersand_so_a_name_shows_as_written() -> None:
    name = "a#b &lt; c"
    odd = ColumnNode(f"{RAW.key}::{name}", name, RAW.key, "target")
    text = render(LineageGraph("t", (RAW,), (odd,), (), 1, target_keys=(odd.key,)), "mermaid")

    assert '(["a#35;b #38;lt; c"])' in text


def test_dot_has_one_cluster_per_dataset_and_escaped_labels() -> None:
    text = render(graph(), "dot")
    assert text.count("subgraph cluster_") == 3
    assert 'label="db.\\"<t>\\"\\ndelta · v7 MERGE, v6 WRITE";' in text
    assert 'color="#c62828", style=dashed' in text
