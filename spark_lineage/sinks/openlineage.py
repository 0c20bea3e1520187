"""OpenLineage JSON-lines file sink: one RunEvent per line, appended to a local file.

``spark.lineage.openlineage.path`` is either a file (``/data/lineage.jsonl``) or a directory
(an existing one, or any path ending in ``/``), in which case each application writes
``<dir>/<app id>.jsonl``. Unset, it is ``./spark-lineage-events/``: the embedded default when no
sink is configured, so that lineage is never silently discarded. Each line is written with one
``write`` call on a file opened for appending, so several processes can share one file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TextIO

from spark_lineage.events import to_openlineage_json
from spark_lineage.model import LineageEvent
from spark_lineage.sinks.base import Sink, SinkSettings

DEFAULT_DIRECTORY = "spark-lineage-events/"


class OpenLineageFileSink(Sink):
    """Appends each event as one OpenLineage RunEvent JSON line to :attr:`path`."""

    type_name = "openlineage"
    settings_keys = ("path", "fsync")

    def __init__(self, path: Path, *, fsync: bool = False) -> None:
        self.path = path
        self.fsync = fsync
        self._file: TextIO | None = None

    @classmethod
    def from_settings(cls, settings: SinkSettings) -> OpenLineageFileSink:
        settings.check_known(cls.settings_keys)
        raw = settings.get("path", DEFAULT_DIRECTORY) or DEFAULT_DIRECTORY
        app_id = settings.app.app_id if settings.app is not None else "spark-application"
        return cls(resolve_path(raw, app_id), fsync=settings.get_bool("fsync", False))

    def emit(self, event: LineageEvent) -> None:
        handle = self._open()
        handle.write(to_openlineage_json(event) + "\n")
        handle.flush()

    def flush(self, timeout: float | None = None) -> bool:
        if self._file is not None:
            self._file.flush()
            if self.fsync:
                os.fsync(self._file.fileno())
        return True

    def close(self, timeout: float | None = None) -> None:
        if self._file is not None:
            try:
                self.flush(timeout)
            finally:
                self._file.close()
                self._file = None

    def describe(self) -> str:
        return f"openlineage file {self.path}"

    def _open(self) -> TextIO:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        return self._file


_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")


def resolve_path(raw: str, app_id: str) -> Path:
    """The file to append to: ``raw`` itself, or ``raw/<app id>.jsonl`` for a directory."""
    path = Path(os.path.expanduser(raw))
    if raw.endswith(("/", os.sep)) or path.is_dir():
        return (path / f"{_UNSAFE.sub('_', app_id) or 'spark-application'}.jsonl").absolute()
    return path.absolute()
