"""Dataset names follow the OpenLineage naming spec and stay stable between jobs."""

from __future__ import annotations

import pytest

from spark_lineage.dataset_names import split_location
from spark_lineage.lineage.datasets import (
    datasets_from_fact,
    memory_dataset,
    short_table,
    table_from_json,
)
from spark_lineage.model import DatasetRef


@pytest.mark.parametrize(
    ("location", "namespace", "name"),
    [
        ("file:/data/people", "file", "/data/people"),
        ("file:///data/people/", "file", "/data/people"),
        ("/data/people", "file", "/data/people"),
        ("hdfs://nn:8020/warehouse/t", "hdfs://nn:8020", "/warehouse/t"),
        ("s3a://bucket/raw/events", "s3://bucket", "raw/events"),
        ("s3://bucket/raw/events", "s3://bucket", "raw/events"),
        ("gs://bucket/x/y", "gs://bucket", "x/y"),
        (
            "abfss://c@acct.dfs.core.windows.net/p/q",
            "abfss://c@acct.dfs.core.windows.net",
            "/p/q",
        ),
        ("dbfs:/mnt/x", "dbfs", "/mnt/x"),
    ],
)
def test_locations_are_named_per_the_openlineage_spec(
    location: str, namespace: str, name: str
) -> None:
    assert split_location(location) == (namespace, name)


def test_a_catalog_table_is_named_by_its_location_and_keeps_its_table_name() -> None:
    fact = {
        "paths": ["file:/wh/people"],
        "format": "parquet",
        "table": "spark_catalog.default.people",
    }
    assert datasets_from_fact(fact) == [
        DatasetRef("file", "/wh/people", format="parquet", table="default.people")
    ]


def test_a_table_without_location_falls_back_to_the_catalog_namespace() -> None:
    assert datasets_from_fact({"paths": [], "table": "spark_catalog.db.t"}) == [
        DatasetRef("spark_catalog", "db.t", table="db.t")
    ]
    assert table_from_json({"identifier": {"table": "t", "database": "db"}}) == DatasetRef(
        "spark_catalog", "db.t", table="db.t"
    )


def test_other_catalogs_keep_their_prefix() -> None:
    assert short_table("spark_catalog.default.t") == "default.t"
    assert short_table("unity.sales.t") == "unity.sales.t"


def test_several_paths_are_several_datasets() -> None:
    refs = datasets_from_fact({"paths": ["file:/a", "file:/b"], "format": "csv"})
    assert [r.name for r in refs] == ["/a", "/b"]


def test_in_memory_data_is_named_by_kind_and_schema_stably() -> None:
    first = memory_dataset("rdd", [("k", "int"), ("v", "string")])
    again = memory_dataset("rdd", [("k", "int"), ("v", "string")])
    other = memory_dataset("rdd", [("k", "bigint")])
    assert first == again
    assert first.namespace == "memory" and first.name.startswith("rdd/")
    assert other != first
