"""Impact, upstream and path results as a text table, JSON or CSV.

Lists (jobs, types, subtypes) are joined with ``;`` in the table and CSV, and stay lists in
JSON. The table shows job names without their namespace (JSON and CSV keep the full job key).
The JSON carries the target and the options, so a saved answer explains itself.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from spark_lineage.impact.model import Direction, Hop, LineageReport, PathReport, Target
from spark_lineage.textui.table import render_table

FORMATS = ("table", "json", "csv")

_COLUMNS = (
    "depth",
    "dataset",
    "column",
    "direct",
    "direct_depth",
    "types",
    "subtypes",
    "masking",
    "jobs",
    "dataset_key",
    "column_key",
)
_UPSTREAM_EXTRA = ("raw_source",)
_TABLE_COLUMNS = ("depth", "dataset", "column", "direct", "subtypes", "jobs")


#: A table row shows at most this many jobs and subtypes, and counts the rest (JSON and CSV list
#: them all, jobs with their full keys; so does the table with ``full_lists``, for ``--wide``).
TABLE_JOBS = 1
TABLE_SUBTYPES = 3


def abbreviated(items: Sequence[str], shown: int | None) -> str:
    """The first ``shown`` items joined with ``;`` and a count of the rest: ``a;b +3`` (all of
    them when ``shown`` is None)."""
    if shown is None:
        return ";".join(items)
    more = len(items) - shown
    return ";".join(items[:shown]) + (f" +{more}" if more > 0 else "")


def short_jobs(job_keys: Sequence[str], shown: int | None = TABLE_JOBS) -> str:
    """Job names without their namespace, abbreviated: ``churn_clean.customers +2``."""
    return abbreviated([key.split("::", 1)[-1] for key in job_keys], shown)


def target_dict(target: Target) -> dict[str, Any]:
    return {
        "label": target.label,
        "dataset_key": target.dataset.key,
        "dataset": target.dataset.label,
        "column": target.column,
    }


def report_rows(report: LineageReport) -> list[dict[str, Any]]:
    """Each row as a JSON-ready dict (lists kept as lists)."""
    rows = []
    for row in report.rows:
        item: dict[str, Any] = {
            "depth": row.depth,
            "dataset": row.dataset,
            "column": row.column,
            "direct": row.direct,
            "direct_depth": row.direct_depth,
            "types": list(row.types),
            "subtypes": list(row.subtypes),
            "masking": row.masking,
            "jobs": list(row.jobs),
            "dataset_key": row.dataset_key,
            "column_key": row.column_key,
        }
        if report.direction is Direction.UPSTREAM:
            item["raw_source"] = row.raw_source
        rows.append(item)
    return rows


def format_report(
    report: LineageReport, fmt: str, *, width: int | None = None, full_lists: bool = False
) -> str:
    """The report in ``fmt`` (table, json or csv), ending with a newline.

    A table fits ``width`` terminal cells (None: no limit) and abbreviates the jobs and subtypes
    of a row unless ``full_lists``.
    """
    rows = report_rows(report)
    if fmt == "json":
        document = {
            "direction": report.direction.value,
            "target": target_dict(report.target),
            "max_depth": report.max_depth,
            "direct_only": report.direct_only,
            "truncated": report.truncated,
            "count": len(rows),
            "total": report.count,
            "limit": report.limit,
            "more": report.more,
            "rows": rows,
        }
        return json.dumps(document, indent=2) + "\n"
    fields = _COLUMNS + (_UPSTREAM_EXTRA if report.direction is Direction.UPSTREAM else ())
    if fmt == "csv":
        return _csv(fields, rows)
    if fmt == "table":
        what = "impact of" if report.direction is Direction.DOWNSTREAM else "upstream of"
        mode = ", direct only" if report.direct_only else ""
        head = (
            f"{what} {report.target.label} (depth <= {report.max_depth}{mode}): "
            f"{report.count:,} column(s)" + (" [TRUNCATED]" if report.truncated else "")
        )
        jobs, kinds = (None, None) if full_lists else (TABLE_JOBS, TABLE_SUBTYPES)
        table_fields = _TABLE_COLUMNS + (
            ("raw_source",) if report.direction is Direction.UPSTREAM else ()
        )
        shown = [
            r | {"jobs": short_jobs(r["jobs"], jobs), "subtypes": abbreviated(r["subtypes"], kinds)}
            for r in rows
        ]
        return head + "\n" + _table(table_fields, shown, width) if rows else head + "\n"
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def format_path(report: PathReport, fmt: str, *, width: int | None = None) -> str:
    """The shortest paths in ``fmt``: one row per hop, numbered by path and step (a table fits
    ``width`` terminal cells, None: no limit)."""
    rows = [
        {"path": number, "step": step} | _hop_dict(hop)
        for number, hops in enumerate(report.paths, start=1)
        for step, hop in enumerate(hops, start=1)
    ]
    if fmt == "json":
        document = {
            "source": target_dict(report.source),
            "target": target_dict(report.target),
            "max_depth": report.max_depth,
            "direct_only": report.direct_only,
            "length": report.length,
            "truncated": report.truncated,
            "paths": [[_hop_dict(h) for h in hops] for hops in report.paths],
        }
        return json.dumps(document, indent=2) + "\n"
    fields = (
        "path",
        "step",
        "source",
        "target",
        "job",
        "type",
        "subtype",
        "masking",
        "via_dataset",
    )
    if fmt == "csv":
        return _csv(fields, rows)
    if fmt == "table":
        if not report.paths:
            return (
                f"no path from {report.source.label} to {report.target.label} "
                f"within {report.max_depth} hop(s)\n"
            )
        head = (
            f"{len(report.paths)} shortest path(s) of {report.length} hop(s) from "
            f"{report.source.label} to {report.target.label}"
            + (" [TRUNCATED]" if report.truncated else "")
        )
        return head + "\n" + _table(fields, rows, width)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def _hop_dict(hop: Hop) -> dict[str, Any]:
    return {
        "source": hop.source,
        "target": hop.target,
        "job": hop.job,
        "type": hop.type,
        "subtype": hop.subtype,
        "masking": hop.masking,
        "via_dataset": hop.via_dataset,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def _csv(fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(
            [
                "true"
                if row.get(f) is True
                else "false"
                if row.get(f) is False
                else _cell(row.get(f))
                for f in fields
            ]
        )
    return buffer.getvalue()


def _table(fields: Sequence[str], rows: Sequence[dict[str, Any]], width: int | None) -> str:
    cells = [[_cell(row.get(f)) for f in fields] for row in rows]
    return render_table([f.upper() for f in fields], cells, width)


def paging_note(report: LineageReport) -> str | None:
    """``showing 200 of 14,749 columns (--limit to change)``, or ``more than`` when the walk
    stopped at its node cap (the total is then unknown); None when every row is shown."""
    if not report.more:
        return None
    if report.truncated:
        return (
            f"showing {len(report.rows):,} of more than {report.count:,} columns (the walk "
            "stopped at its node cap: narrow it with --depth or --direct-only)"
        )
    return f"showing {len(report.rows):,} of {report.count:,} columns (--limit to change)"
