"""The compliance commands of ``spark-lineage``: ``tag``, ``tags ...`` and ``export [verify]``.

:func:`add_commands` registers the sub-parsers (:mod:`spark_lineage.cli.app` calls it); each
handler opens the driver, calls one function of :mod:`spark_lineage.compliance` and prints a
one-line summary. Exit status: 0 done, 1 failed (message on stderr), 2 bad usage,
:data:`~spark_lineage.compliance.state.EXIT_LOCKED` (75) another export holds the lock. Nothing
prompts: safe under cron, systemd and Airflow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spark_lineage.compliance.export import (
    ExportRequest,
    resolve_scope,
    run_export,
    tagged_columns,
)
from spark_lineage.compliance.formats import (
    FORMATS,
    LISTING_FORMATS,
    format_listing,
    parquet_available,
)
from spark_lineage.compliance.manifest import verify_manifest
from spark_lineage.compliance.policy import PolicyError, load_policy, validate_tag
from spark_lineage.compliance.propagation import propagate_tags
from spark_lineage.compliance.state import EXIT_LOCKED, LockedError, current_ms, parse_time
from spark_lineage.compliance.tagging import apply_policy, tag_columns
from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.textui.progress import Progress
from spark_lineage.textui.table import output_width

if TYPE_CHECKING:
    import neo4j


def tag_name(text: str) -> str:
    """The argument type of every ``-t``/``--tag``: the tag-name rule of :func:`validate_tag`."""
    try:
        return validate_tag(text)
    except PolicyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register ``tag``, ``tags`` and ``export`` on the CLI's sub-parsers."""
    tag = commands.add_parser(
        "tag", parents=[common], help="tag (or untag) columns of a dataset, e.g. as pii"
    )
    tag.add_argument("dataset", help="dataset: graph key, path, file:/path or catalog table")
    tag.add_argument("--column", "-c", action="append", required=True, help="column (repeat)")
    tag.add_argument(
        "--tag", "-t", action="append", type=tag_name, required=True, help="tag name (repeat)"
    )
    tag.add_argument("--remove", action="store_true", help="remove these command-line tags")
    tag.add_argument("--note", default="", help="free text stored with the tag (who, why)")
    tag.set_defaults(handler=_tag)

    tags = commands.add_parser("tags", help="tag policy, propagation and listing")
    tags_commands = tags.add_subparsers(
        dest="tags_command", required=True, metavar="{apply,propagate,list}"
    )
    apply = tags_commands.add_parser(
        "apply", parents=[common], help="apply a TOML policy file (synchronises policy tags)"
    )
    apply.add_argument("policy", type=Path, help="policy file, e.g. policy/tags.toml")
    apply.add_argument(
        "--no-prune", action="store_true", help="keep policy tags the file no longer asserts"
    )
    apply.add_argument("--no-propagate", action="store_true", help="do not propagate afterwards")
    apply.set_defaults(handler=_apply)
    propagate = tags_commands.add_parser(
        "propagate", parents=[common], help="recompute propagated tags (writes only changes)"
    )
    propagate.add_argument(
        "--tag", "-t", action="append", type=tag_name, help="only these tags (repeat)"
    )
    propagate.set_defaults(handler=_propagate)
    listing = tags_commands.add_parser(
        "list", parents=[common], help="tagged source columns and the columns carrying them"
    )
    listing.add_argument(
        "--tag", "-t", action="append", type=tag_name, help="only these tags (repeat)"
    )
    listing.add_argument("--dataset", help="only flows touching this dataset")
    listing.add_argument("--format", choices=LISTING_FORMATS, default="table")
    listing.add_argument("--wide", action="store_true", help="do not cut long cells to fit")
    listing.set_defaults(handler=_list)
    delta = tags_commands.add_parser(
        "from-delta",
        parents=[common],
        help="tags from a Delta table's column metadata and table properties",
    )
    delta.add_argument("path", type=Path, help="the Delta table directory (with _delta_log)")
    delta.set_defaults(handler=_from_delta)

    export = commands.add_parser(
        "export",
        parents=[common],
        help="compliance export of a time window (CSV, JSON, Parquet, OpenLineage) + manifest",
        description="Export every tagged source column, every column carrying its tag, and the "
        "runs and versions in [since, until). 'export verify MANIFEST' checks an export.",
    )
    export.add_argument("--out", type=Path, help="output directory (required for an export)")
    export.add_argument(
        "--since",
        default="last",
        help="start (inclusive): YYYY-MM-DD, ISO date-time (UTC) or 'last' = the stored "
        "watermark of this scope (the epoch if none); default last",
    )
    export.add_argument("--until", default="now", help="end (exclusive); default now")
    export.add_argument(
        "--lag",
        type=float,
        default=0.0,
        help="seconds subtracted from --until, for events still in flight (default 0)",
    )
    export.add_argument(
        "--late-horizon",
        type=float,
        default=7.0,
        help="days an incremental export looks back for runs that arrived late (default 7)",
    )
    export.add_argument(
        "--tag", "-t", action="append", type=tag_name, help="only these tags (repeat)"
    )
    export.add_argument("--dataset", help="only flows touching this dataset")
    export.add_argument(
        "--format",
        "-f",
        action="append",
        choices=FORMATS,
        help="formats (repeat; default all: csv, json, parquet when pyarrow is installed, "
        "openlineage)",
    )
    export.add_argument(
        "--no-propagate", action="store_true", help="export the stored propagation as is"
    )
    export.set_defaults(handler=_export)
    export_commands = export.add_subparsers(dest="export_command", metavar="verify")
    verify = export_commands.add_parser(
        "verify", parents=[common], help="check a manifest: files, sizes, SHA-256, row counts"
    )
    verify.add_argument("manifest", type=Path, nargs="?", help="manifest.json or its directory")
    verify.add_argument(
        "--out", type=Path, dest="verify_out", help="the export directory (instead of MANIFEST)"
    )
    verify.set_defaults(handler=_verify)


@contextmanager
def _driver(settings: Neo4jSettings) -> Iterator[neo4j.Driver]:
    driver = open_driver(settings)
    try:
        yield driver
    finally:
        driver.close()


def _tag(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    with _driver(settings) as driver:
        change = tag_columns(
            driver,
            args.dataset,
            args.column,
            args.tag,
            remove=args.remove,
            note=args.note,
            database=settings.database,
        )
    if args.remove:
        print(f"tag: removed {change.removed} of {change.matched} command-line tag(s)")
    else:
        print(f"tag: {change.created} new, {change.matched - change.created} already present")
    print("tag: run `spark-lineage tags propagate` (or an export) to update propagated tags")
    return 0


def _apply(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    policy = load_policy(args.policy)
    with _driver(settings) as driver:
        with Progress("tags apply", "tag(s) written") as progress:
            change = apply_policy(
                driver,
                policy,
                database=settings.database,
                prune=not args.no_prune,
                progress=progress.update,
            )
        print(
            f"tags apply: {len(policy.rules)} rule(s), {change.matched} tag(s) asserted "
            f"({change.created} new), {change.removed} stale removed"
        )
        if not args.no_propagate:
            _print_propagation(propagate_tags(driver, settings.database))
    return 0


def _propagate(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    with _driver(settings) as driver:
        _print_propagation(propagate_tags(driver, settings.database, args.tag))
    return 0


def _print_propagation(report: Any) -> None:
    print(
        f"tags propagate: {report.origins} tagged source(s), {report.propagated} propagated "
        f"tag(s); {report.written} written, {report.removed} removed "
        f"({report.columns_read} columns read)"
    )


def _list(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    with _driver(settings) as driver:
        scope = resolve_scope(driver, args.tag, args.dataset, settings.database)
        with driver.session(database=settings.database) as session:
            rows = tagged_columns(session, scope)
    sys.stdout.write(format_listing(rows, args.format, output_width(wide=args.wide)))
    return 0


def _from_delta(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.compliance.delta_metadata import sync_delta_tags

    with _driver(settings) as driver:
        dataset_key, change = sync_delta_tags(driver, args.path, settings.database)
    print(
        f"tags from-delta: {dataset_key}: {change.matched} metadata tag(s) ({change.created} new)"
        f", {change.removed} stale removed"
    )
    return 0


def _export(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    if args.out is None:
        print("spark-lineage export: --out is required", file=sys.stderr)
        return 2
    now = current_ms()
    try:
        since = None if args.since == "last" else parse_time(args.since, now)
        until = parse_time(args.until, now) - int(args.lag * 1000)
    except ValueError as exc:
        print(f"spark-lineage export: {exc}", file=sys.stderr)
        return 2
    formats = tuple(args.format or [f for f in FORMATS if f != "parquet" or parquet_available()])
    with _driver(settings) as driver:
        scope = resolve_scope(driver, args.tag, args.dataset, settings.database)
        request = ExportRequest(
            args.out,
            scope,
            until,
            since,
            tuple(dict.fromkeys(formats)),
            not args.no_propagate,
            int(args.late_horizon * 86_400_000),
        )
        try:
            with Progress("export", "step(s)") as progress:
                result = run_export(driver, request, settings.database, progress.update)
        except LockedError as exc:
            print(f"spark-lineage export: {exc}", file=sys.stderr)
            return EXIT_LOCKED
    outcome = verify_manifest(result.manifest)
    for problem in outcome.problems:
        print(f"spark-lineage export: verification: {problem}", file=sys.stderr)
    print(
        f"export: {result.rows['tagged_columns']} tagged column row(s), "
        f"{result.rows['activity']} activity row(s) from {result.runs} run(s) "
        f"({result.late_runs} arrived late) -> {result.directory}"
    )
    print(
        f"export: manifest {result.manifest} "
        f"({'verified' if outcome.ok else 'VERIFICATION FAILED'}"
        f"{'' if result.watermark_moved else ', watermark unchanged'})"
    )
    return 0 if outcome.ok else 1


def _verify(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    if (args.manifest is None) == (args.verify_out is None):
        raise ValueError("give the manifest (or its directory) or --out DIR, once")
    outcome = verify_manifest(args.manifest or args.verify_out)
    for problem in outcome.problems:
        print(f"spark-lineage export verify: {problem}", file=sys.stderr)
    state = "OK" if outcome.ok else f"FAILED ({len(outcome.problems)} problem(s))"
    print(f"verify: {outcome.manifest}: {outcome.files_checked} file(s) checked: {state}")
    return 0 if outcome.ok else 1
