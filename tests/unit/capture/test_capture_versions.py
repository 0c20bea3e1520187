"""The per-line differences of capture: which Spark line runs, and where a file-stream
micro-batch's source directory comes from on each line (real Spark runs these in
tests/integration/test_lineage_live.py; here the JVM objects are small stand-ins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from spark_lineage.capture.versions import file_stream_dir, spark_line


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
    """A streaming ``LogicalRelation`` over a ``HadoopFsRelation`` of Spark ``version``; on
    Spark 4 it names its ``stream_source`` (``LogicalRelation.stream``)."""

    def __init__(self, version: str, streaming: bool = True, stream_source: Any = None) -> None:
        self._version = version
        self._streaming = streaming
        self._source = stream_source

    def relation(self) -> Leaf:
        return self

    def sparkSession(self) -> Leaf:
        return self

    def version(self) -> str:
        return self._version

    def isStreaming(self) -> bool:
        return self._streaming

    def stream(self) -> Option:
        if spark_line(self._version) < (4, 0):
            raise AttributeError("no LogicalRelation.stream before Spark 4.0")
        return Option(self._source)


def leaf(version: str, **kwargs: Any) -> Leaf:
    return Leaf(version, **kwargs)


SOURCE = Named("FileStreamSource", "FileStreamSource[file:/data/events]")
FILES = ["file:/data/events/part-0.parquet", "file:/data/events/day=1/part-1.parquet"]


@dataclass
class Execution:
    sources_: list[Any]

    def sources(self) -> Seq:
        return Seq(self.sources_)


def test_spark_4_names_the_source_on_the_relation() -> None:
    found = file_stream_dir(leaf("4.1.4", stream_source=SOURCE), FILES, [])

    assert found == "file:/data/events"


def test_spark_4_a_relation_without_a_file_stream_is_its_own_paths() -> None:
    assert file_stream_dir(leaf("4.0.5"), FILES, [Execution([SOURCE])]) is None
    other = Named("KafkaSource", "KafkaSource[x]")
    assert file_stream_dir(leaf("4.0.5", stream_source=other), FILES, []) is None


def test_spark_3_5_finds_the_followed_stream_whose_directory_holds_the_batch_files() -> None:
    elsewhere = Named("FileStreamSource", "FileStreamSource[file:/data/other]")
    streams = [Execution([Named("RateStreamSource")]), Execution([elsewhere, SOURCE])]

    assert file_stream_dir(leaf("3.5.9"), FILES, streams) == "file:/data/events"


def test_spark_3_5_a_batch_no_followed_stream_holds_is_its_own_paths() -> None:
    prefix_only = Named("FileStreamSource", "FileStreamSource[file:/data/event]")

    assert file_stream_dir(leaf("3.5.9"), FILES, [Execution([prefix_only])]) is None
    assert file_stream_dir(leaf("3.5.9", streaming=False), FILES, [Execution([SOURCE])]) is None
