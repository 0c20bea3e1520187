"""The dependency rules of the package: the command layer sits on top and nothing below it
imports it; ``viz`` draws the lineage data model and imports no analysis or command code (no
impact <-> viz cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "spark_lineage"


def imported_modules(path: Path) -> set[str]:
    """Every ``spark_lineage`` module a source file imports, at any level of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] == "spark_lineage"}


def sources(under: str = "") -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_command_layer_imports_the_command_layer(path: Path) -> None:
    if path.relative_to(PACKAGE).parts[0] == "cli":
        return
    assert not {m for m in imported_modules(path) if m.startswith("spark_lineage.cli")}


@pytest.mark.parametrize("path", sources("viz"), ids=lambda p: p.name)
def test_viz_imports_only_itself_and_the_data_it_draws(path: Path) -> None:
    allowed = ("spark_lineage.viz", "spark_lineage.impact.model")
    assert {m for m in imported_modules(path) if not m.startswith(allowed)} == set()


def test_the_data_model_viz_draws_does_not_import_viz() -> None:
    assert not {
        m
        for m in imported_modules(PACKAGE / "impact" / "model.py")
        if m.startswith("spark_lineage.viz")
    }


def test_the_rules_see_imports() -> None:
    """The checker itself: the entry point's package does import the command code."""
    assert "spark_lineage.cli.app" in imported_modules(PACKAGE / "cli" / "__init__.py")
