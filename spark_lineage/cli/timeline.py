"""The version commands of ``spark-lineage``: ``label``, ``history`` and ``diff``
(docs/versions.md).

:func:`add_commands` registers the sub-parsers (:mod:`spark_lineage.cli.app` calls it); each
handler opens the driver, calls one function of :mod:`spark_lineage.timeline` and prints the
answer. Exit status: 0 done, 1 failed (message on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from spark_lineage.cli.args import limit_arg
from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.textui.table import output_width
from spark_lineage.timeline.diff import diff, format_diff
from spark_lineage.timeline.history import DEFAULT_LIMIT, format_history, history
from spark_lineage.timeline.labels import LabelError, remove_label, set_label, validate_label

if TYPE_CHECKING:
    import neo4j

#: ``--limit 0`` means every version; this is the number that stands for it in the query.
ALL_VERSIONS = 2**31 - 1


def label_name(text: str) -> str:
    """The argument type of a label: the rule of :func:`validate_label`."""
    try:
        return validate_label(text)
    except LabelError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register ``label``, ``history`` and ``diff`` on the CLI's sub-parsers."""
    label = commands.add_parser(
        "label",
        parents=[common],
        help="name a version of a table or model (v1.1), usable wherever a version is",
    )
    label.add_argument(
        "version", help="<table or path>@<version or label>, or model:<name>@<version>"
    )
    label.add_argument("label", type=label_name, help="the label, e.g. v1.1 or prod")
    label.add_argument("--note", help="why this version matters (kept with the label)")
    label.add_argument(
        "--move", action="store_true", help="move the label if it is on another version"
    )
    label.add_argument(
        "--remove", action="store_true", help="take the label off (the version part is ignored)"
    )
    label.set_defaults(handler=_label)

    log = commands.add_parser(
        "history",
        parents=[common],
        help="the versions of a table or model, newest first: who, when, what, why",
    )
    log.add_argument("target", help="<table or path>, or model:<name>")
    log.add_argument(
        "--limit",
        type=limit_arg,
        default=DEFAULT_LIMIT,
        help=f"newest versions shown (default {DEFAULT_LIMIT}; 0: all)",
    )
    log.add_argument("--format", choices=["table", "json"], default="table")
    log.add_argument("--wide", action="store_true", help="do not cut cells to the terminal")
    log.set_defaults(handler=_history)

    compare = commands.add_parser(
        "diff",
        parents=[common],
        help="what changed between two versions of a table or model: inputs, columns, commits",
    )
    compare.add_argument("first", help="<table>@<version or label>, or model:<name>@<version>")
    compare.add_argument("second", help="another version of the same table or model")
    compare.add_argument("--format", choices=["table", "json"], default="table")
    compare.set_defaults(handler=_diff)


@contextmanager
def _session(settings: Neo4jSettings) -> Iterator[neo4j.Session]:
    with open_driver(settings) as driver, driver.session(database=settings.database) as session:
        yield session


def _label(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    with _session(settings) as session:
        if args.remove:
            was_on = remove_label(session, args.version, args.label)
            print(f"label: {args.label} removed (it was on version {was_on})")
            return 0
        outcome = set_label(session, args.version, args.label, note=args.note, move=args.move)
    print(f"label: {outcome.describe()}")
    return 0


def _history(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    limit = args.limit or ALL_VERSIONS
    with _session(settings) as session:
        result = history(session, args.target, limit)
    width = output_width(wide=args.wide, stream=sys.stdout)
    sys.stdout.write(format_history(result, args.format, width))
    return 0


def _diff(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    with _session(settings) as session:
        result = diff(session, args.first, args.second)
    sys.stdout.write(format_diff(result, args.format))
    return 0
