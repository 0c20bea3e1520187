"""``spark-lineage doctor``: is the configuration complete, does Neo4j answer, is the spool empty?

Each check is one line a person can act on; the checks never raise, so that one failure does not
hide the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from spark_lineage.graph.connection import DriverOptions, describe_failure, open_driver
from spark_lineage.graph.schema import SchemaState, schema_state
from spark_lineage.graph.settings import Neo4jSettings, password_not_set
from spark_lineage.sinks.spool import Spool, SpoolStatus


@dataclass(frozen=True, slots=True)
class DoctorCheck:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str


def doctor(settings: Neo4jSettings, spool_dir: Path) -> list[DoctorCheck]:
    """Check configuration, connectivity, login, schema and spool backlog; never raises."""
    sources = ", ".join(f"{k} from {v}" for k, v in settings.sources.items() if k != "password")
    if "config file" in settings.sources.values() and settings.config_path is not None:
        sources += f"; config file {settings.config_path}"
    checks = [
        DoctorCheck(
            "configuration", True, f"{settings.describe()}" + (f" ({sources})" if sources else "")
        )
    ]
    if not settings.password:
        checks.append(DoctorCheck("password", False, password_not_set(settings)))
    checks.extend(_connection_checks(settings))
    checks.append(_spool_check(spool_dir))
    return checks


def _connection_checks(settings: Neo4jSettings) -> list[DoctorCheck]:
    try:
        driver = open_driver(settings, DriverOptions(connection_timeout_s=5.0))
    except Exception as exc:
        return [DoctorCheck("connection", False, describe_failure(exc, settings))]
    with driver:
        try:
            driver.verify_connectivity()
            info = driver.get_server_info()
        except Exception as exc:
            return [DoctorCheck("connection", False, describe_failure(exc, settings))]
        checks = [
            DoctorCheck(
                "connection",
                True,
                f"reached {info.agent} at {settings.display_uri} as {settings.user!r} "
                f"(TLS {'on' if settings.uses_tls else 'off'})",
            )
        ]
        try:
            state: SchemaState = schema_state(driver, settings.database)
        except Exception as exc:
            checks.append(DoctorCheck("schema", False, describe_failure(exc, settings)))
            return checks
        if state.complete:
            detail = f"all {len(state.present)} constraints and indexes online"
        elif state.missing:
            detail = (
                f"missing {', '.join(state.missing)}: run `spark-lineage schema init` "
                "(the sink also creates them on first write)"
            )
        else:
            detail = f"still populating: {', '.join(state.not_online)}"
        checks.append(DoctorCheck("schema", state.complete, detail))
    return checks


def _spool_check(spool_dir: Path) -> DoctorCheck:
    existing = next((p for p in (spool_dir, *spool_dir.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return DoctorCheck(
            "spool",
            False,
            f"the spool directory {spool_dir} cannot be created or written: "
            "events could not be kept while Neo4j is unreachable",
        )
    try:
        status: SpoolStatus = Spool(spool_dir).status()
    except OSError as exc:
        return DoctorCheck("spool", False, f"cannot read the spool {spool_dir}: {exc}")
    detail = (
        f"{status.pending_entries} undelivered event(s) in {status.files} file(s) "
        f"({status.pending_bytes} bytes) in {spool_dir}"
    )
    if status.locked_files:
        detail += f"; {status.locked_files} file(s) owned by running processes"
    if status.rejected_entries:
        detail += (
            f"; {status.rejected_entries} event(s) rejected by Neo4j wait in "
            f"{spool_dir / 'rejected'} (fix, then `spark-lineage replay --rejected`)"
        )
    if status.corrupt_lines or status.torn_tails:
        detail += (
            f"; {status.corrupt_lines} damaged entr(y/ies) and {status.torn_tails} torn "
            "tail(s) will be skipped (replay copies them to rejected/)"
        )
    if status.pending_entries and not status.locked_files:
        detail += ": run `spark-lineage replay`"
    return DoctorCheck("spool", status.pending_entries + status.rejected_entries == 0, detail)
