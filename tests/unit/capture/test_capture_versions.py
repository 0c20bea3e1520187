"""The per-line differences of capture: which Spark line runs, and where a file-stream
micro-batch's source directory comes from on each line (real Spark runs these in
tests/integration/test_lineage_live.py; here the JVM objects are small stand-ins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from spark_lineage.capture.versions import change_feed_table, file_stream_dir, spark_line


@pytest.mark.parametrize(
    ("version", "line"),
    [("3.5.9", (3, 5)), ("4.0.5", (4, 0)), ("4.1.4", (4, 1)), ("4.2.0-preview1", (4, 2))],
)
def test_the_line_is_major_and_minor_of_the_version(version: str, line: tuple[int, int]) -> None:
    assert spark_line(version) == line


@dataclass
class Named:
    """A JVM object whose class has a simple name and whose ``toString`` is ``text``."""

    name: str
    text: str = ""

    def getClass(self) -> Any:
        return self

    def getSimpleName(self) -> str:
        return self.name

    def toString(self) -> str:
        return self.text


@dataclass
class Seq:
    items: list[Any]

    def size(self) -> int:
        return len(self.items)

    def apply(self, i: int) -> Any:
        return self.items[i]


@dataclass
class Option:
    value: Any = None

    def isEmpty(self) -> bool:
        return self.value is None

    def get(self) -> Any:
        return self.value


class Leaf:
    """A ``LogicalRelation`` over a ``HadoopFsRelation``; on Spark 4 it names its
    ``stream_source`` (``LogicalRelation.stream``), on 3.5 it has no such method."""

    def __init__(self, streaming: bool = True, stream_source: Any = None) -> None:
        self._streaming = streaming
        self._source = stream_source

    def isStreaming(self) -> bool:
        return self._streaming

    def stream(self) -> Option:
        return Option(self._source)


class Leaf35(Leaf):
    def stream(self) -> Option:
        raise AttributeError("no LogicalRelation.stream before Spark 4.0")


SOURCE = Named("FileStreamSource", "FileStreamSource[file:/data/events]")
FILES = ["file:/data/events/part-0.parquet", "file:/data/events/day=1/part-1.parquet"]


@dataclass
class Execution:
    sources_: list[Any]

    def sources(self) -> Seq:
        return Seq(self.sources_)


SPARK_35, SPARK_40, SPARK_41 = (3, 5), (4, 0), (4, 1)


def test_spark_4_names_the_source_on_the_relation() -> None:
    found = file_stream_dir(Leaf(stream_source=SOURCE), FILES, [], line=SPARK_41)

    assert found == "file:/data/events"


def test_spark_4_a_relation_without_a_file_stream_is_its_own_paths() -> None:
    assert file_stream_dir(Leaf(), FILES, [Execution([SOURCE])], line=SPARK_40) is None
    other = Named("KafkaSource", "KafkaSource[x]")
    assert file_stream_dir(Leaf(stream_source=other), FILES, [], line=SPARK_40) is None


def test_spark_3_5_finds_the_followed_stream_whose_directory_holds_the_batch_files() -> None:
    elsewhere = Named("FileStreamSource", "FileStreamSource[file:/data/other]")
    streams = [Execution([Named("RateStreamSource")]), Execution([elsewhere, SOURCE])]

    assert file_stream_dir(Leaf35(), FILES, streams, line=SPARK_35) == "file:/data/events"


def test_spark_3_5_a_batch_no_followed_stream_holds_is_its_own_paths() -> None:
    prefix_only = Named("FileStreamSource", "FileStreamSource[file:/data/event]")

    assert file_stream_dir(Leaf35(), FILES, [Execution([prefix_only])], line=SPARK_35) is None
    not_streaming = Leaf35(streaming=False)
    assert file_stream_dir(not_streaming, FILES, [Execution([SOURCE])], line=SPARK_35) is None


class CdfRelation:
    """A ``DeltaCDFRelation`` of Delta 3.3: no ``catalogTableOpt`` method."""


def test_a_change_feed_on_spark_3_5_names_no_table_and_asks_the_relation_nothing() -> None:
    assert change_feed_table(CdfRelation(), line=SPARK_35) is None
