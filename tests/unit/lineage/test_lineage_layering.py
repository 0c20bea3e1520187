"""The lineage engine's modules depend one way: state, then expressions, then rules, then the
resolver and the entry point. No module imports one above it, so there is no import circle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "spark_lineage" / "lineage"

# Each module may import only the lineage modules listed for it (besides itself).
ALLOWED = {
    "fingerprint": {"tree"},
    "context": {"fingerprint", "origins", "tree"},
    "expressions": {"context", "origins", "tree"},
    "resolve": {"context", "tree"},
}


def _lineage_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        module = node.module if isinstance(node, ast.ImportFrom) else None
        if module and module.startswith("spark_lineage.lineage."):
            found.add(module.removeprefix("spark_lineage.lineage.").split(".")[0])
    return found


def test_state_expressions_and_resolver_import_only_what_is_below_them() -> None:
    for module, allowed in ALLOWED.items():
        imported = _lineage_imports(PACKAGE / f"{module}.py")
        assert imported <= allowed, f"{module} imports {sorted(imported - allowed)}"


def test_no_rule_imports_the_resolver_or_the_entry_point() -> None:
    for path in sorted((PACKAGE / "rules").glob("*.py")):
        imported = _lineage_imports(path)
        assert not imported & {"resolve"}, f"rules/{path.name} imports the resolver"
        text = path.read_text()
        assert "from spark_lineage.lineage import" not in text, f"rules/{path.name}"
