"""What capture reads differently on each supported Spark line, in one place.

The lineage rules see the same facts on every line; where the JVM objects behind those facts
differ between Spark versions, the difference is one function here, keyed by the running Spark's
``major.minor`` (:func:`spark_line`). Measured differences (the Spark 3.5, 4.0 and 4.1 lines):

- **The source of a file-stream micro-batch.** Spark 4 keeps the stream on the batch's relation
  (``LogicalRelation.stream``: the ``FileStreamSource``); Spark 3.5's ``LogicalRelation`` has no
  such field, and the batch's relation only lists the batch's files. There the source is the
  ``FileStreamSource`` of a stream the agent follows whose directory holds those files.
- **The catalog table of a change data feed read.** Delta 4 (Spark 4) keeps it on the relation
  (``DeltaCDFRelation.catalogTableOpt``); Delta 3.3 (the Spark 3.5 line) has no such field, so
  there the table comes from the ``LogicalRelation`` alone.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pyspark

from spark_lineage.capture.scala import catalog_name, seq

#: The first line whose relations name their stream source (``LogicalRelation.stream``) and
#: whose Delta (4.x) names a change feed's table (``DeltaCDFRelation.catalogTableOpt``).
SPARK_4 = (4, 0)
FILE_STREAM_SOURCE = "FileStreamSource"


def spark_line(version: str) -> tuple[int, int]:
    """``major.minor`` of a Spark version string: ``"3.5.9"`` is ``(3, 5)``."""
    major, minor = version.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


@cache
def running_line() -> tuple[int, int]:
    """The line of the Spark this driver runs. The agent talks to its own driver's JVM, whose
    pyspark is that Spark's (pip's pyspark ships its jars; ``spark-submit`` puts
    ``$SPARK_HOME/python`` first), so the Python package's version is the JVM's."""
    return spark_line(pyspark.__version__)


def file_stream_dir(
    leaf: Any, root_paths: list[str], executions: list[Any], line: tuple[int, int] | None = None
) -> str | None:
    """The directory of the file stream source a streaming micro-batch's ``leaf`` reads, or None
    when ``leaf`` is no batch of a file stream (then its own root paths are its identity).

    ``executions`` are the ``StreamExecution``s the agent follows, newest first (Spark 3.5 only);
    ``line`` is the running Spark's (default :func:`running_line`).
    """
    if (line or running_line()) >= SPARK_4:
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


def change_feed_table(relation: Any, line: tuple[int, int] | None = None) -> str | None:
    """The catalog name of the table a ``DeltaCDFRelation`` reads, or None (a path read, or
    Delta 3.3, whose relation does not say)."""
    if (line or running_line()) < SPARK_4:
        return None
    return catalog_name(relation.catalogTableOpt())


def _source_dir(source: Any) -> str:
    """``FileStreamSource`` keeps its path private; it prints as ``FileStreamSource[<dir>]``."""
    return str(source.toString()).removeprefix("FileStreamSource[").removesuffix("]")


def _simple_name(obj: Any) -> str:
    return str(obj.getClass().getSimpleName())
