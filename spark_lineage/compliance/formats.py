"""The two export tables, and writing/reading them as CSV, JSON, Parquet and OpenLineage events.

Every format holds the same rows: :func:`read_rows` turns any of the files back into canonical
rows (the shape :func:`canonical` gives), which is how ``export verify`` and the tests prove that
the formats match. CSV encodes lists as JSON arrays and null as an empty field. Parquet needs
``pyarrow`` (extra ``export``).
"""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from spark_lineage.textui.table import render_table

Row = dict[str, Any]

#: Field name -> kind ("str", "int", "list") for each table, in column order.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "tagged_columns": (
        ("tag", "str"),
        ("origin_column", "str"),
        ("origin_dataset", "str"),
        ("tag_sources", "list"),
        ("column", "str"),
        ("dataset", "str"),
        ("column_name", "str"),
        ("carry", "str"),
        ("depth", "int"),
        ("path", "list"),
        ("path_jobs", "list"),
        ("path_subtypes", "list"),
        ("jobs", "list"),
    ),
    "activity": (
        ("tag", "str"),
        ("origin_column", "str"),
        ("column", "str"),
        ("dataset", "str"),
        ("carry", "str"),
        ("depth", "int"),
        ("path", "list"),
        ("access", "str"),
        ("job", "str"),
        ("run_id", "str"),
        ("run_status", "str"),
        ("run_started_at", "str"),
        ("run_ended_at", "str"),
        ("version", "int"),
        ("version_status", "str"),
        ("version_timestamp", "str"),
        ("version_operation", "str"),
        ("arrival", "str"),
    ),
}

TABULAR_FORMATS = ("csv", "json", "parquet")
FORMATS = (*TABULAR_FORMATS, "openlineage")
SUFFIX = {
    "csv": ".csv",
    "json": ".json",
    "parquet": ".parquet",
    "openlineage": ".openlineage.jsonl",
}

PRODUCER = "https://github.com/spark-lineage/spark-lineage/tree/main/spark_lineage/compliance"
FACET = "spark_lineage_compliance"
FACET_SCHEMA = "https://spark-lineage.dev/spec/facets/1-0-0/ComplianceTagsFacet.json"
VERSION_FACET_SCHEMA = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


#: ``tags list --format``: rows on the terminal, or the ``tagged_columns`` rows as JSON or CSV.
LISTING_FORMATS = ("table", "json", "csv")
_LISTING_HEADERS = ("TAG", "CARRY", "COLUMN", "ORIGIN", "DEPTH", "VIA")


class FormatError(ValueError):
    """A format cannot be written here (e.g. Parquet without pyarrow)."""


def canonical(table: str, rows: Iterable[Mapping[str, Any]]) -> list[Row]:
    """Rows with exactly the table's fields, typed, empty strings as null."""
    fields = TABLES[table]
    result = []
    for row in rows:
        clean: Row = {}
        for name, kind in fields:
            value = row.get(name)
            if value == "":
                value = None
            if kind == "int" and value is not None:
                value = int(value)
            elif kind == "list":
                value = [str(v) for v in value] if value is not None else []
            elif value is not None:
                value = str(value)
            clean[name] = value
        result.append(clean)
    return result


def encode(table: str, fmt: str, rows: Sequence[Row]) -> bytes:
    """The file content of ``rows`` in ``fmt`` (byte-stable for the same rows)."""
    if fmt == "csv":
        return _csv(table, rows)
    if fmt == "json":
        return (json.dumps(rows, indent=1, sort_keys=False, ensure_ascii=False) + "\n").encode()
    if fmt == "parquet":
        return _parquet(table, rows)
    if fmt == "openlineage":
        lines = [
            json.dumps(e, sort_keys=True, ensure_ascii=False) for e in openlineage_events(rows)
        ]
        return "".join(line + "\n" for line in lines).encode()
    raise FormatError(f"unknown format {fmt!r}")


def format_listing(rows: Sequence[Row], fmt: str, width: int | None = None) -> str:
    """``tags list``: ``tagged_columns`` rows as a table fitting ``width`` (None: no limit) with
    a header line and a count (jobs without their namespace, as in ``impact``), or as JSON or
    CSV (the export's encoding, full keys)."""
    if fmt == "json":
        return json.dumps(list(rows), indent=1) + "\n"
    if fmt == "csv":
        return _csv("tagged_columns", rows).decode()
    if fmt != "table":
        raise FormatError(f"unknown format {fmt!r}: use one of {', '.join(LISTING_FORMATS)}")
    cells = [
        [
            str(row["tag"]),
            str(row["carry"]),
            str(row["column"]),
            str(row["origin_column"]),
            str(row["depth"]),
            " > ".join(job.split("::", 1)[-1] for job in row["path_jobs"]) or "-",
        ]
        for row in rows
    ]
    table = render_table(_LISTING_HEADERS, cells, width) if rows else ""
    return f"{table}{len(rows)} row(s)\n"


def _csv(table: str, rows: Sequence[Row]) -> bytes:
    buffer = io.StringIO()
    names = [name for name, _ in TABLES[table]]
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(
            [
                json.dumps(row[n])
                if isinstance(row[n], list)
                else ("" if row[n] is None else row[n])
                for n in names
            ]
        )
    return buffer.getvalue().encode()


def _pyarrow() -> Any:
    try:
        pyarrow = importlib.import_module("pyarrow")
        importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise FormatError(
            "Parquet needs pyarrow: pip install 'spark-lineage[export]' (or choose other formats)"
        ) from None
    return pyarrow


def parquet_available() -> bool:
    try:
        _pyarrow()
    except FormatError:
        return False
    return True


def _parquet(table: str, rows: Sequence[Row]) -> bytes:
    pa = _pyarrow()
    kinds = {"str": pa.string(), "int": pa.int64(), "list": pa.list_(pa.string())}
    schema = pa.schema([(name, kinds[kind]) for name, kind in TABLES[table]])
    data = pa.Table.from_pylist(list(rows), schema=schema)
    sink = pa.BufferOutputStream()
    pa.parquet.write_table(data, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def read_rows(table: str, fmt: str, path: Path) -> list[Row]:
    """The canonical rows of a table file (the inverse of :func:`encode` for tabular formats)."""
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8") as handle:
            raw = list(csv.DictReader(handle))
        kinds = dict(TABLES[table])
        for row in raw:
            for name, kind in kinds.items():
                if kind == "list" and row.get(name):
                    row[name] = json.loads(row[name])
        return canonical(table, raw)
    if fmt == "json":
        return canonical(table, json.loads(path.read_text(encoding="utf-8")))
    if fmt == "parquet":
        pa = _pyarrow()
        return canonical(table, pa.parquet.read_table(path).to_pylist())
    raise FormatError(f"{fmt} is not a tabular format")


# --- OpenLineage ----------------------------------------------------------------------------------


def split_key(dataset_key: str) -> tuple[str, str]:
    """``namespace::name`` -> (namespace, name), as the graph keys datasets."""
    namespace, _, name = dataset_key.partition("::")
    return namespace, name


def openlineage_events(activity: Sequence[Row]) -> list[Row]:
    """One OpenLineage RunEvent per run of the activity table, tags in a dataset facet.

    The datasets a run read (tagged sources) are inputs, the ones it wrote (carrying columns) are
    outputs; each carries ``facets.spark_lineage_compliance.tags`` (column, tag, origin, carry,
    depth, path) and the standard ``version`` facet when the version is known.
    """
    runs: dict[str, list[Row]] = {}
    for row in activity:
        runs.setdefault(row["run_id"], []).append(row)
    events = []
    for run_id in sorted(runs, key=lambda r: (runs[r][0]["run_ended_at"] or "", r)):
        rows = runs[run_id]
        first = rows[0]
        namespace, name = split_key(first["job"])
        status = first["run_status"]
        events.append(
            {
                "eventType": status if status in ("COMPLETE", "FAIL") else "OTHER",
                "eventTime": first["run_ended_at"],
                "producer": PRODUCER,
                "schemaURL": RUN_EVENT_SCHEMA,
                "run": {"runId": run_id, "facets": {}},
                "job": {"namespace": namespace, "name": name, "facets": {}},
                "inputs": _datasets([r for r in rows if r["access"] == "READ"]),
                "outputs": _datasets([r for r in rows if r["access"] == "WROTE"]),
            }
        )
    return events


def _datasets(rows: Sequence[Row]) -> list[Row]:
    by_dataset: dict[str, list[Row]] = {}
    for row in rows:
        by_dataset.setdefault(row["dataset"], []).append(row)
    result = []
    for key in sorted(by_dataset):
        namespace, name = split_key(key)
        items = by_dataset[key]
        facets: Row = {
            FACET: {
                "_producer": PRODUCER,
                "_schemaURL": FACET_SCHEMA,
                "tags": [
                    {
                        "column": r["column"][len(key) + 2 :],
                        "tag": r["tag"],
                        "origin": r["origin_column"],
                        "carry": r["carry"],
                        "depth": r["depth"],
                        "path": r["path"],
                    }
                    for r in sorted(
                        items, key=lambda r: (r["column"], r["tag"], r["origin_column"])
                    )
                ],
            }
        }
        if items[0]["version"] is not None:
            facets["version"] = {
                "_producer": PRODUCER,
                "_schemaURL": VERSION_FACET_SCHEMA,
                "datasetVersion": str(items[0]["version"]),
            }
        result.append({"namespace": namespace, "name": name, "facets": facets})
    return result


def activity_keys_from_openlineage(path: Path) -> list[tuple[str, str, str, str, str, str]]:
    """(run_id, access, column key, tag, origin, carry) for every tag entry of an events file."""
    keys = []
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        for side, access in (("inputs", "READ"), ("outputs", "WROTE")):
            for dataset in event.get(side, []):
                key = f"{dataset['namespace']}::{dataset['name']}"
                for tag in dataset["facets"][FACET]["tags"]:
                    keys.append(
                        (
                            event["run"]["runId"],
                            access,
                            f"{key}::{tag['column']}",
                            tag["tag"],
                            tag["origin"],
                            tag["carry"],
                        )
                    )
    return sorted(keys)


def activity_key(row: Mapping[str, Any]) -> tuple[str, str, str, str, str, str]:
    """What identifies one activity row: one run touching one tagged column from one origin."""
    return (
        row["run_id"],
        row["access"],
        row["column"],
        row["tag"],
        row["origin_column"],
        row["carry"],
    )
