"""``spark-lineage graph --html`` renders in a real browser (Debian's headless chromium), offline.

The page is produced by the CLI from the test pipeline of ``test_impact_pipeline`` on the real
Neo4j; chromium loads it with every host name unresolvable (no network), then the DOM it built
must hold the expected dataset boxes and column rows, and the screenshot must show the edge
colours of the transformation types actually present. ``scripts/install_chromium.sh`` installs
the browser.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from graph_inspect import delete_scope
from test_impact_pipeline import ImpactPipeline

from spark_lineage.cli import main
from spark_lineage.graph.schema import ensure_schema
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.viz.edges import SUBTYPE_COLOURS
from spark_lineage.viz.layout import TOP

pytestmark = pytest.mark.neo4j

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: no host name resolves
)


def chromium(*args: str) -> str:
    """Run headless chromium once with a fresh profile; returns its stdout."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run scripts/install_chromium.sh")
    profile = tempfile.mkdtemp(prefix="impact-chromium-")
    try:
        done = subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def png_pixels(path: Path, from_row: int = 0) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the RGB colours (rows ``from_row`` on) of an 8-bit RGB/RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    colours: set[tuple[int, int, int]] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        if row >= from_row:
            colours.update((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, channels))
        previous = line
    return width, height, colours


def shows(colours: set[tuple[int, int, int]], subtype: str) -> bool:
    """Some pixel is the subtype's stroke colour mixed with the page background.

    Thin anti-aliased strokes at 75 % opacity never reach their pure colour: a pixel counts when
    it lies on the line from the background (#fafafa) to the stroke colour, at least a third of
    the way, within a small tolerance.
    """
    hex_colour = SUBTYPE_COLOURS[subtype]
    target = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    direction = [t - 250 for t in target]
    axis = max(range(3), key=lambda i: abs(direction[i]))
    for colour in colours:
        share = (colour[axis] - 250) / direction[axis]
        if not 0.33 <= share <= 1.0:
            continue
        expected = [250 + share * d for d in direction]
        if sum(abs(c - e) for c, e in zip(colour, expected, strict=True)) <= 10:
            return True
    return False


@pytest.fixture(scope="module")
def built(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> Iterator[ImpactPipeline]:
    pipeline = ImpactPipeline(uuid.uuid4().hex[:10])
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        ensure_schema(driver)
        writer = GraphWriter(driver)
        for event in pipeline.events():
            writer.write(event)
        yield pipeline
        delete_scope(driver, f"file::{pipeline.root}", f"{pipeline.namespace}::")


@pytest.fixture
def page(
    built: ImpactPipeline,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
    out = tmp_path / "lineage.html"
    target = f"{built.label('enriched')}.amount"
    assert main(["graph", target, "--html", str(out), "--uri", neo4j_uri]) == 0
    return out


def test_the_page_is_standalone(page: Path) -> None:
    html = page.read_text()
    assert "<script src" not in html and "<link" not in html and "@import" not in html
    assert "url(" not in html
    # The only URL is the SVG namespace name, which browsers never fetch.
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}


def test_chromium_builds_the_expected_dataset_boxes_and_column_rows(
    page: Path, built: ImpactPipeline
) -> None:
    dom = chromium("--virtual-time-budget=3000", "--dump-dom", page.as_uri())
    datasets = set(re.findall(r'<g class="dataset" data-key="([^"]+)"', dom))
    assert datasets == {
        built.ds(name).key
        for name in (
            "raw/orders",
            "raw/orders_2020",
            "raw/customers",
            "all_orders",
            "enriched",
            "revenue",
        )
    }
    columns = {
        (role, key) for role, key in re.findall(r'<g class="column (\w+)" data-key="([^"]+)"', dom)
    }
    enriched, revenue = built.ds("enriched").key, built.ds("revenue").key
    assert ("target", f"{enriched}::amount") in columns
    assert ("downstream", f"{revenue}::revenue") in columns
    upstream = {key.split("::", 1)[1] for role, key in columns if role == "upstream"}
    assert upstream == {
        f"{built.root}/{path}::{column}"
        for path in ("raw/orders", "raw/orders_2020")
        for column in ("amount", "customer_id", "status")
    } | {f"{built.root}/silver/all_orders::{c}" for c in ("amount", "customer_id", "status")} | {
        f"{built.root}/raw/customers::id"
    }
    edges = re.findall(r'<g class="edge (direct|indirect)"[^>]*data-subtype="(\w+)"', dom)
    assert sorted(set(edges)) == [
        ("direct", "AGGREGATION"),
        ("direct", "IDENTITY"),
        ("indirect", "FILTER"),
        ("indirect", "JOIN"),
    ]
    assert "v1 WRITE, v0 WRITE" in dom  # the Delta versions of silver.all_orders


def test_chromium_screenshot_shows_the_edges_in_their_type_colours(
    page: Path, tmp_path: Path
) -> None:
    svg_size = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', page.read_text())
    assert svg_size is not None
    width, height = int(svg_size[1]), int(svg_size[2]) + 60
    shot = tmp_path / "lineage.png"
    chromium(f"--window-size={width},{height}", f"--screenshot={shot}", page.as_uri())
    # Below the title and legend (which show every colour): only the drawn boxes and edges.
    got_width, got_height, colours = png_pixels(shot, from_row=TOP)
    assert (got_width, got_height) == (width, height)
    assert len(colours) > 50  # text, boxes and strokes, not a blank page
    for subtype in ("IDENTITY", "AGGREGATION", "JOIN", "FILTER"):
        assert shows(colours, subtype), subtype
    for absent in ("TRANSFORMATION", "WINDOW", "GROUP_BY"):  # no such edge here
        assert not shows(colours, absent), absent
