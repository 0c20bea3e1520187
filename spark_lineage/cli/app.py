"""The ``spark-lineage`` command line: the parser, the shared options and the error handling.

The lineage commands (impact, upstream, path, graph) are in :mod:`spark_lineage.cli.lineage`,
the compliance commands (tag, tags, export) in :mod:`spark_lineage.cli.compliance`.

Every command calls one function elsewhere (graph, sinks, loaders) and prints its result. Neo4j
settings come from flags, then ``SPARK_LINEAGE_NEO4J_URI/USER/PASSWORD/DATABASE``, then the config
file (``--config``, ``SPARK_LINEAGE_CONFIG`` or ``~/.config/spark-lineage/config.toml``, section
``[neo4j]``). There is deliberately no ``--password`` flag (it would show in ``ps`` and shell
history): use the environment, the config file or ``--password-file``.

Tables fit the terminal (``--wide`` cuts nothing; :mod:`spark_lineage.textui.table`), and ``load``,
``export`` and ``tags apply`` show progress on stderr when it is a terminal.

Exit status: 0 success, 1 the command failed (message on stderr), 2 bad usage, 130 interrupted
(Ctrl-C; ``load`` says what it loaded), 141 the reader of standard output went away (``| head``:
quietly, as a Unix tool killed by SIGPIPE).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from spark_lineage.cli.args import depth_arg, limit_arg
from spark_lineage.cli.compliance import add_commands as add_compliance_commands
from spark_lineage.cli.timeline import add_commands as add_timeline_commands
from spark_lineage.graph.settings import (
    Neo4jSettings,
    SettingsError,
    default_spool_dir,
    resolve_settings,
)
from spark_lineage.reproduce import DEFAULT_DEPTH as REPRODUCE_DEFAULT_DEPTH
from spark_lineage.reproduce import MAX_DEPTH as REPRODUCE_MAX_DEPTH

Handler = Callable[[argparse.Namespace, Neo4jSettings], int]

#: What the Neo4j driver imports when it is installed, for ``Result.to_df``/``to_arrow`` and numpy
#: values, none of which the CLI uses: most of the second the driver's import takes.
DRIVER_EXTRAS = ("numpy", "pandas", "pyarrow")


class _Parser(argparse.ArgumentParser):
    """A usage error is one line on stderr (what is wrong, and where to read more), exit 2; its
    sub-parsers are of this class too (argparse builds them with the parent's class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common_options() -> _Parser:
    common = _Parser(add_help=False)
    group = common.add_argument_group("Neo4j connection")
    group.add_argument(
        "--uri",
        help="Bolt URI (bolt://, neo4j://, bolt+s://, neo4j+s://, "
        "bolt+ssc://...); default bolt://127.0.0.1:7687",
    )
    group.add_argument("--user", help="Neo4j user (default neo4j)")
    group.add_argument(
        "--password-file",
        type=Path,
        help="read the password from this file (else SPARK_LINEAGE_NEO4J_PASSWORD "
        "or the config file)",
    )
    group.add_argument("--database", help="Neo4j database (default: the server's default)")
    group.add_argument("--config", type=Path, help="TOML config file with a [neo4j] section")
    return common


def _spool_option() -> _Parser:
    """``--spool-dir``, only on the commands that read the spool (replay, doctor)."""
    spool = _Parser(add_help=False)
    spool.add_argument(
        "--spool-dir",
        type=Path,
        help="spool directory (default SPARK_LINEAGE_SPOOL_DIR or ~/.spark-lineage/spool)",
    )
    return spool


def version() -> str:
    """The installed distribution's version, else the package's own ``__version__``."""
    from importlib import metadata  # only for --version: it takes a while to import

    try:
        return metadata.version("spark-lineage")
    except metadata.PackageNotFoundError:
        from spark_lineage import __version__

        return __version__


class _VersionAction(argparse.Action):
    """``--version``: the version is looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS) -> None:
        super().__init__(option_strings, dest, nargs=0, default=default,
                         help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"spark-lineage {version()}")  # on stdout, as argparse's own version action
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """The full parser; later commands (impact, upstream, ...) add their sub-parsers here."""
    common = _common_options()
    spool = _spool_option()
    parser = _Parser(
        prog="spark-lineage", description="Column-level lineage of Spark jobs, in Neo4j."
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    schema = commands.add_parser("schema", help="manage the graph schema")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True, metavar="init")
    init = schema_commands.add_parser(
        "init", parents=[common], help="create constraints and indexes (idempotent)"
    )
    init.set_defaults(handler=_schema_init)

    replay = commands.add_parser(
        "replay", parents=[common, spool], help="deliver spooled events to Neo4j, in order"
    )
    replay.add_argument(
        "--rejected",
        action="store_true",
        help="also retry events Neo4j rejected before (kept in spool/rejected)",
    )
    replay.set_defaults(handler=_replay)

    load = commands.add_parser(
        "load", parents=[common], help="load an OpenLineage JSON-lines file into the graph"
    )
    load.add_argument(
        "file", help="OpenLineage RunEvents, one JSON object per line ('-': standard input)"
    )
    load.set_defaults(handler=_load)

    check = commands.add_parser(
        "doctor", parents=[common, spool], help="check configuration, connection, schema and spool"
    )
    check.set_defaults(handler=_doctor)

    prune = commands.add_parser(
        "prune", parents=[common], help="delete runs and dataset versions older than a date"
    )
    prune.add_argument("--before", required=True, help="YYYY-MM-DD (UTC) or ISO date-time")
    prune.add_argument("--dry-run", action="store_true", help="only count what would go")
    prune.set_defaults(handler=_prune)

    migrate = commands.add_parser(
        "migrate",
        parents=[common],
        help="rewrite a graph built by earlier versions into today's dataset and job identities",
    )
    migrate.add_argument("--dry-run", action="store_true", help="only show what would change")
    migrate.add_argument(
        "--lake-root",
        help="path or URI under which outputs are named by their relative path "
        "(as the agent's spark.lineage.lake.root)",
    )
    migrate.add_argument("--format", choices=["text", "json"], default="text")
    migrate.set_defaults(handler=_migrate)
    _add_impact_commands(commands, common)

    rebuild = commands.add_parser(
        "reproduce",
        parents=[common],
        help="the jobs and exact input versions that built a table version or a model",
    )
    rebuild.add_argument(
        "target",
        help="<table or path>@<version or label> (newest if no @), or model:<name>@<version>",
    )
    rebuild.add_argument(
        "--depth",
        type=depth_arg(REPRODUCE_MAX_DEPTH),
        default=REPRODUCE_DEFAULT_DEPTH,
        help=f"producing levels (default {REPRODUCE_DEFAULT_DEPTH}, at most {REPRODUCE_MAX_DEPTH})",
    )
    rebuild.add_argument("--format", choices=["text", "json"], default="text")
    rebuild.set_defaults(handler=_reproduce)
    add_timeline_commands(commands, common)  # label, history, diff (docs/versions.md)
    add_compliance_commands(commands, common)  # tag, tags, export (docs/compliance.md)
    return parser


def _settings(args: argparse.Namespace) -> Neo4jSettings:
    password = None
    if args.password_file is not None:
        try:
            password = args.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                f"cannot read --password-file {args.password_file}: {exc.strerror}"
            ) from None
        except UnicodeDecodeError as exc:  # its text would show part of the password: not shown
            raise SettingsError(
                f"--password-file {args.password_file} is not UTF-8 text (byte {exc.start})"
            ) from None
        if not password:  # else the password would silently come from somewhere else
            raise SettingsError(f"--password-file {args.password_file} is empty")
    explicit = {"uri": args.uri, "user": args.user, "password": password, "database": args.database}
    return resolve_settings(explicit, config_path=args.config)


def _spool_dir(args: argparse.Namespace) -> Path:
    return Path(args.spool_dir) if args.spool_dir else default_spool_dir()


def _schema_init(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.graph.schema import init_schema

    state = init_schema(settings)
    print(
        f"schema: {len(state.present)} constraints/indexes present"
        + (f", missing {', '.join(state.missing)}" if state.missing else "")
        + (f", still populating {', '.join(state.not_online)}" if state.not_online else "")
    )
    return 0 if state.complete else 1


def _replay(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.graph.connection import describe_failure
    from spark_lineage.sinks.replay import replay_spool

    result = replay_spool(settings, _spool_dir(args), include_rejected=args.rejected)
    report = result.delivery
    print(
        f"replay: delivered {report.delivered} event(s), {report.remaining} remaining, "
        f"{report.rejected} rejected (kept in the spool's rejected/), "
        f"{report.skipped_corrupt} damaged entr(y/ies) set aside in rejected/, "
        f"{report.files_removed} spool file(s) removed"
    )
    if args.rejected:
        print(
            f"replay: {result.rejected_sent} previously rejected event(s) delivered, "
            f"{result.rejected_kept} still rejected"
        )
    if report.error is not None:
        print(f"replay stopped: {describe_failure(report.error, settings)}", file=sys.stderr)
        return 1
    return 1 if report.rejected or result.rejected_kept else 0


def _load(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.openlineage_load import (
        LoadReport,
        load_openlineage_file,
        load_openlineage_stream,
    )
    from spark_lineage.textui.interrupt import SafeInterrupt
    from spark_lineage.textui.progress import Progress

    stdin = args.file == "-"
    report = LoadReport(Path("<stdin>") if stdin else Path(args.file))
    try:
        with Progress("load", "line(s)") as progress, SafeInterrupt() as interrupt:
            if stdin:
                text = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
                load_openlineage_stream(
                    settings, text, report, progress.update, interrupt.shielded
                )
            else:
                load_openlineage_file(
                    settings, report.path, report, progress.update, interrupt.shielded
                )
    except KeyboardInterrupt:
        print(
            f"spark-lineage load: interrupted after {report.loaded} event(s) loaded "
            f"({report.already_present} already present), {len(report.errors)} line(s) rejected;"
            " loading the file again skips the events already in the graph",
            file=sys.stderr,
        )
        return 130
    for error in report.errors:
        print(f"{report.path}:{error.line_no}: {error.message}", file=sys.stderr)
    print(
        f"load: {report.loaded} event(s) loaded ({report.already_present} already present, "
        f"{report.column_edges} column edges), {len(report.errors)} line(s) rejected"
    )
    return 1 if report.errors else 0


def _doctor(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.doctor import doctor

    checks = doctor(settings, _spool_dir(args))
    for check in checks:
        print(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    return 0 if all(check.ok for check in checks) else 1


def _prune(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.graph.prune import prune_before

    report = prune_before(settings, args.before, dry_run=args.dry_run)
    verb = "would delete" if report.dry_run else "deleted"
    print(
        f"prune: {verb} {report.runs} run(s), {report.versions} dataset version(s), "
        f"{report.jobs} orphan job(s) older than {args.before}"
    )
    return 0


def _migrate(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.compliance.propagation import propagate_tags
    from spark_lineage.graph.connection import open_driver
    from spark_lineage.graph.migrate import format_report, migrate_graph

    report = migrate_graph(settings, dry_run=args.dry_run, lake_root=args.lake_root)
    if report.plan.changes and not report.dry_run:
        # Propagated tags record the columns and jobs along their path: derive them again.
        with open_driver(settings) as driver:
            propagation = propagate_tags(driver, settings.database)
        tags = {"written": propagation.written, "removed": propagation.removed}
        report = dataclasses.replace(report, extra={"tags_propagated": tags})
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        sys.stdout.write(format_report(report))
    return 0


def _add_impact_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """impact, upstream, path, graph (spark_lineage.impact; docs/impact.md)."""
    from spark_lineage.impact.traverse import DEFAULT_DEPTH, MAX_DEPTH

    walk = argparse.ArgumentParser(add_help=False)
    walk.add_argument(
        "--depth",
        type=depth_arg(MAX_DEPTH),
        default=DEFAULT_DEPTH,
        help=f"max hops (default {DEFAULT_DEPTH}, at most {MAX_DEPTH})",
    )
    walk.add_argument("--direct-only", action="store_true", help="only all-DIRECT paths")
    walk.add_argument("--format", choices=("table", "json", "csv"), default="table")
    walk.add_argument("--wide", action="store_true", help="do not cut long cells to fit")
    target_help = "<dataset>.<column> or a dataset (table name, path, file:/path or key)"
    for name, direction, text in (
        ("impact", "downstream", "every column downstream of a column or dataset"),
        ("upstream", "upstream", "every column a column or dataset comes from"),
    ):
        command = commands.add_parser(name, parents=[common, walk], help=text)
        command.add_argument("target", help=target_help)
        command.add_argument(
            "--column",
            action="append",
            help="a column (repeat for several; then TARGET is only the dataset)",
        )
        command.add_argument(
            "--limit",
            type=limit_arg,
            help="print the first N columns, nearest first (default 200 in a table, all in "
            "json and csv; 0: all); the total count is always shown",
        )
        command.set_defaults(handler=_lineage, direction=direction)
    route = commands.add_parser(
        "path", parents=[common, walk], help="shortest ways one column reaches another"
    )
    route.add_argument("source", help=target_help)
    route.add_argument("target", help=target_help)
    route.add_argument("--source-column", help="the source column (SOURCE is the dataset)")
    route.add_argument("--target-column", help="the target column (TARGET is the dataset)")
    route.set_defaults(handler=_path)
    picture = commands.add_parser(
        "graph", parents=[common], help="picture of the lineage around a dataset or column"
    )
    picture.add_argument("target", help=target_help)
    picture.add_argument(
        "--column",
        action="append",
        help="a column (repeat for several; then TARGET is only the dataset)",
    )
    picture.add_argument(
        "--depth", type=depth_arg(MAX_DEPTH), default=3, help="hops each way (default 3)"
    )
    picture.add_argument(
        "--html",
        type=Path,
        help="write a standalone offline HTML page here (missing folders are created)",
    )
    picture.add_argument(
        "--format",
        choices=("mermaid", "dot", "html"),
        help="text printed when --html is not given (default mermaid; not with --html)",
    )
    picture.set_defaults(handler=_graph)


def _lineage(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.cli.lineage import run_lineage

    return run_lineage(
        settings,
        args.direction,
        args.target,
        columns=args.column or [],
        depth=args.depth,
        direct_only=args.direct_only,
        fmt=args.format,
        wide=args.wide,
        limit=args.limit,
    )


def _path(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.cli.lineage import run_path

    return run_path(
        settings,
        args.source,
        args.target,
        source_column=args.source_column,
        target_column=args.target_column,
        depth=args.depth,
        direct_only=args.direct_only,
        fmt=args.format,
        wide=args.wide,
    )


def _graph(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.cli.lineage import run_graph

    if args.html is not None and args.format not in (None, "html"):
        print(
            f"spark-lineage graph: --html writes HTML; drop --format {args.format} "
            "(or drop --html to print it)",
            file=sys.stderr,
        )
        return 2
    return run_graph(
        settings,
        args.target,
        columns=args.column or [],
        depth=args.depth,
        fmt=args.format or "mermaid",
        html=args.html,
    )


def _reproduce(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    from spark_lineage.reproduce import run_reproduce

    return run_reproduce(settings, args.target, depth=args.depth, fmt=args.format)


def import_driver() -> None:
    """Import the Neo4j driver without its :data:`DRIVER_EXTRAS`, which stay importable after.

    A command starts after its arguments are parsed (``--help`` never gets here); hiding the
    extras from the driver's one optional-import module cuts about 0.5 s from every command.
    """
    if "neo4j" in sys.modules:
        return
    hidden = [name for name in DRIVER_EXTRAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError
    try:
        import neo4j  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``spark-lineage`` console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)  # failures are reported once, by us
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        settings = _settings(args)
    except SettingsError as exc:
        print(f"spark-lineage: configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        import_driver()
        status = handler(args, settings)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except BrokenPipeError:  # the driver wraps its own socket errors: this is stdout or stderr
        return _output_closed()
    except KeyboardInterrupt:
        print(f"{command_prefix(args)}: interrupted", file=sys.stderr)
        return 130
    except (SettingsError, ValueError, FileNotFoundError) as exc:
        print(f"{command_prefix(args)}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{command_prefix(args)}: {_os_failure(exc, settings)}", file=sys.stderr)
        return 1
    except Exception as exc:  # driver and server failures: one clear line, no stack trace
        if _caused_by_ctrl_c(exc):  # the driver's clean-up failed because Ctrl-C cut it short
            print(f"{command_prefix(args)}: interrupted", file=sys.stderr)
            return 130
        from spark_lineage.graph.connection import describe_failure

        print(f"{command_prefix(args)}: {describe_failure(exc, settings)}", file=sys.stderr)
        return 1


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    """Whether a ``KeyboardInterrupt`` is in the chain of exceptions that led to ``exc``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _os_failure(exc: OSError, settings: Neo4jSettings) -> str:
    """A local file's error names the file; any other OSError is a connection failure."""
    if exc.filename is None:
        from spark_lineage.graph.connection import describe_failure

        return describe_failure(exc, settings)
    second = f" -> {exc.filename2}" if exc.filename2 is not None else ""
    return f"{exc.filename}{second}: {exc.strerror or exc}"


def command_prefix(args: argparse.Namespace) -> str:
    """``spark-lineage tags apply``: the command as typed, sub-command included, for messages."""
    words = [args.command]
    sub = getattr(args, f"{args.command}_command", None)
    if isinstance(sub, str):
        words.append(sub)
    return " ".join(["spark-lineage", *words])


def _output_closed() -> int:
    """End quietly when the reader of our output is gone; the exit-time flush goes to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):  # ValueError: stdout is not a real file
        os.dup2(devnull, sys.stdout.fileno())
    return 141

