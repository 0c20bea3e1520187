"""Which Delta commit did this query create? Pure matching of a query's fingerprint to commits.

Delta has no API that returns the version a write created (delta-io/delta#1236), and "the latest
version after the write" is wrong as soon as another application commits to the same table. What
the agent does know about its own query is enough to recognise its commit among the table's
recent commits: the operation (from the command class), some operation parameters (save mode,
``replaceWhere`` predicate), the command's SQL metrics (for UPDATE / DELETE / MERGE: row and file
counts and timings, the very values Delta copies into ``commitInfo.operationMetrics``), the version
the command analysed before writing, and the query's own time window.

This module is pure (no py4j): ``capture.delta`` reads the commits and the fingerprint from the
JVM, :func:`match_write` decides. The answer is never a guess: exactly one consistent commit gives
status ``exact``; several give ``ambiguous`` with ``version=None`` and the candidates; none gives
``unknown``. See docs/delta-versions.md for the exactness argument.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_lineage.model import VersionInfo

EXACT = "exact"
AMBIGUOUS = "ambiguous"
UNKNOWN = "unknown"

#: Operations Delta records for a (re)creation from a query; Delta names the same command
#: differently depending on whether the table existed and on ``CREATE OR REPLACE`` vs ``REPLACE``.
CREATE_OPERATIONS = frozenset({"CREATE TABLE AS SELECT"})
REPLACE_OPERATIONS = frozenset({"REPLACE TABLE AS SELECT", "CREATE OR REPLACE TABLE AS SELECT"})
#: The operation of a streaming micro-batch's commit (Delta's sink).
STREAMING_OPERATIONS = frozenset({"STREAMING UPDATE"})


@dataclass(frozen=True, slots=True)
class Commit:
    """One Delta commit: its version and the parsed ``commitInfo`` action of its log file."""

    version: int
    info: Mapping[str, Any]

    @property
    def timestamp_ms(self) -> int | None:
        value = self.info.get("timestamp")
        return int(value) if value is not None else None

    @property
    def operation(self) -> str | None:
        value = self.info.get("operation")
        return str(value) if value is not None else None

    @property
    def read_version(self) -> int | None:
        value = self.info.get("readVersion")
        return int(value) if value is not None else None

    @classmethod
    def from_log_text(cls, version: int, text: str) -> Commit:
        """Parse a ``_delta_log/<version>.json`` file (newline-delimited actions)."""
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            action = json.loads(line)
            if "commitInfo" in action:
                return cls(version=version, info=action["commitInfo"] or {})
        return cls(version=version, info={})

    def to_version_info(self, status: str = EXACT, candidates: tuple[int, ...] = ()) -> VersionInfo:
        """This commit as a model ``VersionInfo`` (parameters and metrics as strings)."""
        return VersionInfo(
            version=self.version,
            timestamp_ms=self.timestamp_ms,
            operation=self.operation,
            operation_parameters=_str_map(self.info.get("operationParameters")),
            operation_metrics=_str_map(self.info.get("operationMetrics")),
            status=status,
            candidates=candidates,
            user_metadata=_text_or_none(self.info.get("userMetadata")),
            engine=_text_or_none(self.info.get("engineInfo")),
            user_name=_text_or_none(self.info.get("userName")),
        )


@dataclass(frozen=True, slots=True)
class WriteFingerprint:
    """What the agent knows of its own write, to recognise its commit.

    ``operations``: the acceptable ``commitInfo.operation`` values (a command maps to one or a few).
    ``started_at_ms`` / ``ended_at_ms``: the query's window on the writer's clock; the commit's
    ``timestamp`` comes from the same clock, so our own commit always lies inside it.
    ``after_version``: a version known to exist before the write (the target snapshot analysed by
    the command); the commit must be newer. ``parameters`` must equal the commit's
    ``operationParameters`` entries; ``metrics`` must equal the commit's ``operationMetrics``
    entries that the commit has (Delta versions differ in which metrics they record).
    ``clock_slack_ms`` widens the window on both sides (millisecond rounding); it can only add
    candidates, never remove our own commit.
    """

    operations: frozenset[str]
    started_at_ms: int | None = None
    ended_at_ms: int | None = None
    after_version: int | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, int] = field(default_factory=dict)
    clock_slack_ms: int = 5

    def to_dict(self) -> dict[str, Any]:
        return {
            "operations": sorted(self.operations),
            "started_at_ms": self.started_at_ms,
            "ended_at_ms": self.ended_at_ms,
            "after_version": self.after_version,
            "parameters": dict(self.parameters),
            "metrics": dict(self.metrics),
            "clock_slack_ms": self.clock_slack_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WriteFingerprint:
        return cls(
            operations=frozenset(data.get("operations") or ()),
            started_at_ms=data.get("started_at_ms"),
            ended_at_ms=data.get("ended_at_ms"),
            after_version=data.get("after_version"),
            parameters=dict(data.get("parameters") or {}),
            metrics={k: int(v) for k, v in (data.get("metrics") or {}).items()},
            clock_slack_ms=int(data.get("clock_slack_ms", 5)),
        )


def mismatches(fingerprint: WriteFingerprint, commit: Commit) -> list[str]:
    """Why ``commit`` cannot be the fingerprint's write (empty list: it is consistent with it)."""
    reasons: list[str] = []
    if fingerprint.after_version is not None and commit.version <= fingerprint.after_version:
        reasons.append(f"version {commit.version} <= {fingerprint.after_version} known before")
    if commit.operation not in fingerprint.operations:
        reasons.append(f"operation {commit.operation!r}")
    reasons.extend(_window_mismatch(fingerprint, commit.timestamp_ms))
    params = commit.info.get("operationParameters") or {}
    for key, expected in fingerprint.parameters.items():
        if _as_str(params.get(key)) != expected:
            reasons.append(f"parameter {key}={params.get(key)!r} != {expected!r}")
    recorded = commit.info.get("operationMetrics") or {}
    for key, expected_value in fingerprint.metrics.items():
        if key in recorded and _as_int(recorded[key]) != expected_value:
            reasons.append(f"metric {key}={recorded[key]} != {expected_value}")
    return reasons


def match_write(fingerprint: WriteFingerprint, commits: Iterable[Commit]) -> VersionInfo:
    """The commit the fingerprinted write created, or an honest ambiguous/unknown answer.

    ``commits`` should hold every commit that could be ours (all versions newer than what was
    known before the write whose timestamp is in the window); extra commits are harmless.
    """
    matching = sorted(
        (c for c in commits if not mismatches(fingerprint, c)), key=lambda c: c.version
    )
    if len(matching) == 1:
        return matching[0].to_version_info(EXACT)
    if not matching:
        return VersionInfo(version=None, status=UNKNOWN)
    operations = {c.operation for c in matching}
    return VersionInfo(
        version=None,
        operation=operations.pop() if len(operations) == 1 else None,
        status=AMBIGUOUS,
        candidates=tuple(c.version for c in matching),
    )


def _window_mismatch(fingerprint: WriteFingerprint, timestamp_ms: int | None) -> list[str]:
    if timestamp_ms is None:
        return []
    slack = fingerprint.clock_slack_ms
    if fingerprint.started_at_ms is not None and timestamp_ms < fingerprint.started_at_ms - slack:
        return [f"timestamp {timestamp_ms} before the query started ({fingerprint.started_at_ms})"]
    if fingerprint.ended_at_ms is not None and timestamp_ms > fingerprint.ended_at_ms + slack:
        return [f"timestamp {timestamp_ms} after the query ended ({fingerprint.ended_at_ms})"]
    return []


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _text_or_none(value: Any) -> str | None:
    """A commitInfo text field, None when absent or empty (open-source Delta often leaves
    ``userName`` out)."""
    text = _as_str(value)
    return text if text else None


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): s for k, v in value.items() if (s := _as_str(v)) is not None}
