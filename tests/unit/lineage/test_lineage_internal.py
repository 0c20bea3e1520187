"""The engine's own queries are told apart from the user's, so they never become Runs."""

from __future__ import annotations

from spark_lineage.lineage.internal import is_engine_internal
from spark_lineage.model import DatasetRef, InputDataset, OutputDataset, QueryLineage

TABLE = DatasetRef("file", "/lake/orders", "delta")
DELTA_LOG = DatasetRef("file", "/lake/orders/_delta_log/00000000000000000003.json", "json")
RANGE = DatasetRef("memory", "range/1a2b3c", None)
LOG_STATE = DatasetRef("memory", "rdd/f8363af7a7b4", None)


def reads(*datasets: DatasetRef) -> QueryLineage:
    return QueryLineage(inputs=tuple(InputDataset(d) for d in datasets))


def test_deltas_inner_write_and_snapshot_cache_queries_are_internal() -> None:
    assert is_engine_internal("deltaTransactionalWrite", reads(TABLE))
    assert is_engine_internal("Cache Delta Table State #3", reads(DELTA_LOG))


def test_a_read_of_the_delta_log_or_of_in_memory_rdds_only_is_internal() -> None:
    assert is_engine_internal("collect", reads(DELTA_LOG))
    assert is_engine_internal("head", reads(LOG_STATE))
    assert is_engine_internal("collect", reads(DELTA_LOG, LOG_STATE))


def test_user_reads_are_not_internal_even_of_in_memory_data() -> None:
    assert not is_engine_internal("collect", reads(TABLE, LOG_STATE))
    assert not is_engine_internal("count", reads(RANGE))


def test_a_query_whose_lineage_is_unknown_is_not_internal() -> None:
    assert not is_engine_internal("collect", reads())


def test_a_write_is_never_internal_even_from_in_memory_data() -> None:
    lineage = QueryLineage(inputs=(InputDataset(RANGE),), outputs=(OutputDataset(TABLE),))

    assert not is_engine_internal("command", lineage)


def test_a_micro_batch_is_internal_unless_its_sink_is_a_dataset() -> None:
    """foreachBatch / memory sinks: the writes inside the function are the events."""
    assert is_engine_internal("microBatch", reads(TABLE))
    written = QueryLineage(inputs=(InputDataset(TABLE),), outputs=(OutputDataset(RANGE),))
    assert not is_engine_internal("microBatch", written)
