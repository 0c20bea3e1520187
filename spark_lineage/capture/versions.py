"""What capture reads differently on each supported Spark line, in one place.

The lineage rules see the same facts on every line; where the JVM objects behind those facts
differ between Spark versions, the difference is one function here, keyed by the running Spark's
``major.minor`` (:func:`spark_line`). Measured differences (the Spark 3.5, 4.0 and 4.1 lines):

- **The source of a file-stream micro-batch.** Spark 4 keeps the stream on the batch's relation
  (``LogicalRelation.stream``: the ``FileStreamSource``); Spark 3.5's ``LogicalRelation`` has no
  such field, and the batch's relation only lists the batch's files. There the source is the
  ``FileStreamSource`` of a stream the agent follows whose directory holds those files.
"""

from __future__ import annotations

from typing import Any

from spark_lineage.capture.scala import seq

#: The first line whose relations name their stream source (``LogicalRelation.stream``).
RELATION_KNOWS_ITS_STREAM = (4, 0)
FILE_STREAM_SOURCE = "FileStreamSource"


def spark_line(version: str) -> tuple[int, int]:
    """``major.minor`` of a Spark version string: ``"3.5.9"`` is ``(3, 5)``."""
    major, minor = version.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def running_line(relation: Any) -> tuple[int, int]:
    """The line of the Spark that runs ``relation`` (a ``BaseRelation`` with a session)."""
    return spark_line(str(relation.sparkSession().version()))


def file_stream_dir(leaf: Any, root_paths: list[str], executions: list[Any]) -> str | None:
    """The directory of the file stream source a streaming micro-batch's ``leaf`` reads, or None
    when ``leaf`` is no batch of a file stream (then its own root paths are its identity).

    ``executions`` are the ``StreamExecution``s the agent follows, newest first (Spark 3.5 only).
    """
    if running_line(leaf.relation()) >= RELATION_KNOWS_ITS_STREAM:
        stream = leaf.stream()  # Option[SparkDataStream]
        if stream.isEmpty() or _simple_name(stream.get()) != FILE_STREAM_SOURCE:
            return None
        return _source_dir(stream.get())
    if not leaf.isStreaming() or not root_paths:
        return None
    for execution in executions:
        for source in seq(execution.sources()):
            if _simple_name(source) != FILE_STREAM_SOURCE:
                continue
            folder = _source_dir(source).rstrip("/")
            if all(path.startswith(folder + "/") for path in root_paths):
                return folder
    return None


def _source_dir(source: Any) -> str:
    """``FileStreamSource`` keeps its path private; it prints as ``FileStreamSource[<dir>]``."""
    return str(source.toString()).removeprefix("FileStreamSource[").removesuffix("]")


def _simple_name(obj: Any) -> str:
    return str(obj.getClass().getSimpleName())
