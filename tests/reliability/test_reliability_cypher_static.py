"""The package's Cypher is parameterised end to end: a static check of every statement sent.

Three rules over the syntax tree of every module of ``spark_lineage/``:

1. The query argument of every ``session.run`` / ``tx.run`` / ``driver.execute_query`` call is an
   attribute of a named statement (``QUERY.text``, ``rule.statement``) or a parameter that is
   passed through -- never an f-string, a ``+``/``%`` concatenation, a ``.format()`` call or an
   inline literal.
2. Where it is a passed-through parameter, every call of that function in the module hands it a
   ``.text`` attribute as well (so no runtime value reaches the text by the back door).
3. Any f-string that builds Cypher (contains a clause keyword) interpolates only module-level
   constants (``MAX_LINEAGE_DEPTH``, ``_AGGREGATE_EDGE``...), fixed when the module is imported,
   or, in the one schema-rule builder, the rule's own constant fields.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from reliability_helpers import figure

pytestmark = pytest.mark.reliability

PACKAGE = Path(__file__).resolve().parents[2] / "spark_lineage"
RUN_METHODS = {"run", "execute_query"}
CYPHER = re.compile(r"\b(MATCH|MERGE|UNWIND|RETURN|DETACH DELETE|CREATE CONSTRAINT|CREATE INDEX)\b")
CONSTANT_NAME = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
#: (module, class) whose ``self.<field>`` may appear in Cypher f-strings: the schema rules, built
#: from the literal SCHEMA tuple of the same module (labels, property and rule names).
SCHEMA_BUILDERS = {("graph/queries.py", "SchemaRule")}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield str(path.relative_to(PACKAGE)), ast.parse(path.read_text(), filename=str(path))


def _is_db_call(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in RUN_METHODS:
        return False
    owner = func.value
    name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
    return any(word in name.lower() for word in ("session", "tx", "driver", "transaction"))


def _enclosing_functions(tree: ast.Module) -> dict[ast.AST, ast.FunctionDef]:
    parents: dict[ast.AST, ast.FunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for child in ast.walk(node):
                parents.setdefault(child, node)
    # ast.walk is breadth first: inner functions overwrite nothing, so re-map them innermost last
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for child in ast.walk(node):
                if child is not node:
                    parents[child] = node
    return parents


def _is_statement_attribute(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in {"text", "statement"}


def _call_sites(tree: ast.Module, function: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        direct = isinstance(node.func, ast.Name) and node.func.id == function
        # session.execute_write(_run, QUERY.text, ...) passes the function by reference
        by_reference = any(isinstance(a, ast.Name) and a.id == function for a in node.args)
        if direct or by_reference:
            yield node


def _argument_for(call: ast.Call, function: ast.FunctionDef, param: str) -> ast.AST | None:
    names = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
    for keyword in call.keywords:
        if keyword.arg == param:
            return keyword.value
    args = list(call.args)
    if isinstance(call.func, ast.Name) and call.func.id == function.name:
        position = names.index(param)
    else:  # by reference: the arguments after the function itself
        start = next(i for i, a in enumerate(args) if isinstance(a, ast.Name)
                     and a.id == function.name)
        args = args[start + 1 :]
        position = names.index(param) - 1  # the transaction is the first parameter
    return args[position] if 0 <= position < len(args) else None


def _db_call_violations(
    modules: Iterable[tuple[str, ast.Module]] | None = None,
) -> tuple[int, list[str]]:
    checked, problems = 0, []
    for module, tree in _modules() if modules is None else modules:
        parents = _enclosing_functions(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _is_db_call(node)):
                continue
            checked += 1
            where = f"{module}:{node.lineno}"
            query = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg in {"query", "query_"}), None
            )
            if query is None:
                problems.append(f"{where}: no query argument found")
            elif _is_statement_attribute(query):
                continue
            elif isinstance(query, ast.Name):
                function = parents.get(node)
                params = [] if function is None else [
                    a.arg for a in [*function.args.posonlyargs, *function.args.args]
                ]
                if function is None or query.id not in params:
                    problems.append(f"{where}: query {query.id!r} is not a passed-in parameter")
                    continue
                sites = list(_call_sites(tree, function.name))
                if not sites:
                    problems.append(f"{where}: {function.name}() is never called in its module")
                for site in sites:
                    argument = _argument_for(site, function, query.id)
                    if not _is_statement_attribute(argument or ast.Constant(None)):
                        problems.append(
                            f"{where}: {function.name}() called at line {site.lineno} with a "
                            f"query that is not a named statement's .text"
                        )
            else:
                problems.append(f"{where}: query built as {type(query).__name__}")
    return checked, problems


def test_every_statement_sent_to_neo4j_is_a_named_parameterised_query() -> None:
    checked, problems = _db_call_violations()

    figure("Cypher call sites checked", checked)
    assert checked >= 30, "the scan found too few calls: is it still looking at the package?"
    assert problems == []


def _class_of(tree: ast.Module) -> dict[ast.AST, str]:
    owners: dict[ast.AST, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for child in ast.walk(node):
                owners[child] = node.name
    return owners


def test_cypher_text_interpolates_only_import_time_constants() -> None:
    problems, cypher_fstrings = [], 0
    for module, tree in _modules():
        owners = _class_of(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            literal = "".join(
                v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(
                    v.value, str)
            )
            if not CYPHER.search(literal):
                continue
            cypher_fstrings += 1
            for value in node.values:
                if not isinstance(value, ast.FormattedValue):
                    continue
                expr = value.value
                if isinstance(expr, ast.Name) and CONSTANT_NAME.match(expr.id):
                    continue
                if (
                    isinstance(expr, ast.Attribute)
                    and isinstance(expr.value, ast.Name)
                    and expr.value.id == "self"
                    and (module, owners.get(node, "")) in SCHEMA_BUILDERS
                ) or (
                    isinstance(expr, ast.Name)
                    and expr.id == "pattern"
                    and (module, owners.get(node, "")) in SCHEMA_BUILDERS
                ):
                    continue
                problems.append(f"{module}:{node.lineno}: {ast.unparse(expr)} in Cypher text")
    figure("Cypher f-strings checked", cypher_fstrings)
    assert cypher_fstrings >= 1
    assert problems == []


@pytest.mark.parametrize(
    "source",
    [
        "def find(session, name):\n"
        "    return session.run(f\"MATCH (d {{name: '{name}'}}) RETURN d\")\n",
        "def find(session, name):\n"
        "    return session.run(\"MATCH (d {name: '\" + name + \"'}) RETURN d\")\n",
        "def find(tx, name):\n"
        "    return tx.run(\"MATCH (d {{name: '{}'}}) RETURN d\".format(name))\n",
        "def _run(tx, text):\n"
        "    return tx.run(text)\n"
        "def find(session, name):\n"
        "    return session.execute_read(_run, 'MATCH (d) WHERE d.name = ' + name)\n",
    ],
    ids=["f-string", "concatenation", "format", "passed-through concatenation"],
)
def test_the_check_catches_a_value_formatted_into_cypher(source: str) -> None:
    """The rule is not vacuous: each way of building Cypher from a value is reported."""
    checked, problems = _db_call_violations([("bad.py", ast.parse(source))])
    assert checked == 1
    assert len(problems) == 1, problems
