"""Cached JVM handles: a static call or a constructor is one py4j round trip, on real Spark."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from spark_lineage.capture.handles import java_class, jvm_thread_cpu_ns, static_method

pytestmark = pytest.mark.integration


@contextmanager
def round_trips(spark: Any) -> Iterator[list[int]]:
    """Counts the commands sent to the JVM inside the block (not a new connection's handshake),
    on either kind of py4j connection PySpark may use."""
    from py4j.clientserver import ClientServerConnection
    from py4j.java_gateway import GatewayConnection

    sent = [0]
    originals = {cls: cls.send_command for cls in (ClientServerConnection, GatewayConnection)}

    def counting(original: Any) -> Any:
        def send_command(self: Any, command: str) -> Any:
            if not command.startswith("A\n"):  # the authentication of a new connection
                sent[0] += 1
            return original(self, command)

        return send_command

    for cls, original in originals.items():
        cls.send_command = counting(original)
    try:
        yield sent
    finally:
        for cls, original in originals.items():
            cls.send_command = original


def test_a_static_method_is_called_in_one_round_trip(spark: Any) -> None:
    maximum = static_method("java.lang.Math", "max")
    assert maximum(3, 7) == 7  # the first call may be the JVM's first look at the method

    with round_trips(spark) as sent:
        assert maximum(11, 5) == 11

    assert sent[0] == 1


def test_the_py4j_path_to_the_same_method_costs_a_round_trip_per_dot(spark: Any) -> None:
    with round_trips(spark) as sent:
        assert spark.sparkContext._jvm.java.lang.Math.max(11, 5) == 11

    assert sent[0] >= 4  # java, lang, Math, max: then the call


def test_a_class_is_constructed_in_one_round_trip_and_is_the_same_handle(spark: Any) -> None:
    builder_class = java_class("java.lang.StringBuilder")
    assert java_class("java.lang.StringBuilder") is builder_class

    with round_trips(spark) as sent:
        builder = builder_class("lineage")

    assert sent[0] == 1
    assert builder.length() == len("lineage")


def test_a_wrong_name_fails_at_the_call_as_py4j_would(spark: Any) -> None:
    from py4j.protocol import Py4JError

    with pytest.raises(Py4JError):
        static_method("java.lang.Math", "noSuchMethod")(1)


def test_the_jvm_thread_clock_counts_the_jvm_work_done_for_this_python_thread(spark: Any) -> None:
    plan = spark.range(10).selectExpr(*[f"id + {i} AS c{i}" for i in range(300)]) \
        ._jdf.queryExecution().analyzed()
    before = jvm_thread_cpu_ns()
    for _ in range(5):
        plan.toJSON()  # built on the JVM thread that serves this Python thread
    after = jvm_thread_cpu_ns()

    assert after - before > 1_000_000  # over a millisecond of JVM CPU for five plan JSONs


def test_a_profiled_agent_reports_the_jvm_cpu_of_its_stages(spark: Any, tmp_path: Any) -> None:
    from spark_lineage.agent import LineageAgent, attach

    agent = attach(spark, {"spark.lineage.openlineage.path": str(tmp_path / "events.jsonl"),
                           "spark.lineage.profile.jvm": "true"})
    assert isinstance(agent, LineageAgent)
    try:
        spark.range(5).selectExpr("id", "id * 3 AS tripled").write.parquet(str(tmp_path / "t"))
        assert agent.flush(60)
        phases = agent.health().phases
    finally:
        agent.close(30)

    assert phases["capture.plan"]["jvm_cpu_ms"] > 0  # Spark building the plan's JSON for us
    assert "jvm_cpu_ms" in phases["capture.facts"]
