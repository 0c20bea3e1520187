"""Console sink: a one-line summary (or the full OpenLineage JSON) per event, for people.

Settings: ``spark.lineage.console.stream`` (``stderr``, default, or ``stdout``) and
``spark.lineage.console.format`` (``summary``, default, or ``json``).
"""

from __future__ import annotations

import sys
from typing import TextIO

from spark_lineage.events import to_openlineage_json
from spark_lineage.model import LineageEvent
from spark_lineage.sinks.base import Sink, SinkSettings


def summary_line(event: LineageEvent) -> str:
    """``spark-lineage COMPLETE <job> run=<id> 12ms in=[...] out=[...] edges=N``."""
    inputs = ",".join(i.dataset.table or i.dataset.name for i in event.inputs)
    outputs = ",".join(o.dataset.table or o.dataset.name for o in event.outputs)
    line = (
        f"spark-lineage {event.event_type.value} {event.job_name} run={event.run_id} "
        f"{event.ended_at_ms - event.started_at_ms}ms in=[{inputs}] out=[{outputs}] "
        f"edges={len(event.edges)}"
    )
    if event.error:
        line += f" error={event.error.splitlines()[0]}"
    return line


class ConsoleSink(Sink):
    """Writes each event to stdout or stderr."""

    type_name = "console"
    settings_keys = ("stream", "format")

    def __init__(self, stream: str = "stderr", output_format: str = "summary") -> None:
        self.stream_name = stream
        self.output_format = output_format

    @classmethod
    def from_settings(cls, settings: SinkSettings) -> ConsoleSink:
        settings.check_known(cls.settings_keys)
        return cls(
            stream=settings.get_choice("stream", "stderr", ("stderr", "stdout")),
            output_format=settings.get_choice("format", "summary", ("summary", "json")),
        )

    def _stream(self) -> TextIO:
        # Looked up per call: test runners and notebooks replace sys.stdout/sys.stderr.
        return sys.stdout if self.stream_name == "stdout" else sys.stderr

    def emit(self, event: LineageEvent) -> None:
        text = to_openlineage_json(event) if self.output_format == "json" else summary_line(event)
        stream = self._stream()
        stream.write(text + "\n")
        stream.flush()

    def describe(self) -> str:
        return f"console ({self.stream_name}, {self.output_format})"
