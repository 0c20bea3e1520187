"""What the engine says about written datasets: names, formats, modes and target columns."""

from __future__ import annotations

from typing import Any

from lineage_assertions import golden_cases, lineage_of

from spark_lineage.model import DatasetRef, WriteStep

CASES = dict(golden_cases())


def case(name: str) -> dict[str, Any]:
    return CASES[name]


def only_output(name: str) -> Any:
    lineage = lineage_of(case(name))
    assert len(lineage.outputs) == 1
    return lineage.outputs[0]


def test_save_to_a_path_names_the_file_dataset_with_format_and_mode() -> None:
    output = only_output("writes: save(path) in parquet")
    assert output.dataset == DatasetRef("file", "/tmp/spark-lineage-fixtures/out/out", "parquet")
    assert output.write_mode == "Overwrite"
    assert [f.name for f in output.schema] == ["dept_id", "dept_name"]


def test_save_as_table_names_the_table_by_its_warehouse_location() -> None:
    output = only_output("writes: saveAsTable (parquet) names the table")
    assert output.dataset == DatasetRef(
        "file", "/tmp/spark-lineage-fixtures/warehouse/dept_copy", "parquet", "default.dept_copy"
    )
    assert output.write_mode == "Overwrite"


def test_insert_into_reports_the_table_column_names_not_the_query_names() -> None:
    output = only_output("writes: insertInto matches columns by position, not by name")
    assert [(f.name, f.type) for f in output.schema] == [("label", "string"), ("code", "bigint")]
    assert output.write_mode == "Append"


def test_delta_writes_are_format_delta() -> None:
    by_path = only_output("writes: Delta save(path)")
    assert by_path.dataset == DatasetRef(
        "file", "/tmp/spark-lineage-fixtures/data/ledger2", "delta"
    )
    append = only_output("writes: Delta INSERT INTO (AppendData) by position")
    assert append.dataset.format == "delta" and append.dataset.table == "default.accounts"
    assert append.write_mode == "Append"
    overwrite = only_output("writes: Delta INSERT OVERWRITE (OverwriteByExpression)")
    assert overwrite.write_mode == "Overwrite"
    merge = only_output("writes: Delta MERGE with a query source")
    assert merge.write_mode == "Merge"


def test_a_read_only_query_has_no_output_but_reports_inputs_with_schemas() -> None:
    lineage = lineage_of(case("relations: a query that writes nothing still reports its inputs"))
    assert lineage.outputs == ()
    people = next(i for i in lineage.inputs if i.dataset.table == "default.people")
    assert people.dataset.namespace == "file"
    assert people.dataset.name == "/tmp/spark-lineage-fixtures/warehouse/people"
    types = {f.name: f.type for f in people.schema}
    assert types["address"] == "struct<city:string,zip:string>"
    assert types["tags"] == "array<string>"


def test_masked_and_unmasked_paths_to_one_column_stay_distinct() -> None:
    output = only_output(
        "projection: hashes and masks set the masking flag, only on the hashed input"
    )
    mixed = {
        (e.source.name, e.transformation.masking) for e in output.edges if e.target.name == "mixed"
    }
    assert mixed == {("email", True), ("name", False)}


def test_edges_round_trip_through_the_model_dicts() -> None:
    from spark_lineage.model import OutputDataset

    output = only_output("join: inner join: values pass through, join keys are dataset-wide JOIN")
    assert OutputDataset.from_dict(output.to_dict()) == output


def test_captured_facts_document_every_relation() -> None:
    recorded = case("join: self-join with aliases resolves both sides to the same table")
    facts = recorded["plan"]["facts"]
    assert facts["schema"] == 1 and facts["plan"] == "analyzed" and facts["errors"] == []
    assert len(facts["relations"]) == 2
    for relation in facts["relations"]:
        assert relation["table"] == "spark_catalog.default.people"
        assert relation["format"] == "parquet"
        assert relation["paths"] == ["file:/tmp/spark-lineage-fixtures/warehouse/people"]


HIVE_WAREHOUSE = "/tmp/spark-lineage-fixtures/hive/warehouse"


def hive_table(name: str) -> DatasetRef:
    return DatasetRef("file", f"{HIVE_WAREHOUSE}/{name}", "hive", f"default.{name}")


def test_a_hive_insert_names_the_table_by_its_location_with_mode_and_table_columns() -> None:
    append = only_output(
        "hive: INSERT INTO a Hive text table (InsertIntoHiveTable) matches columns by position"
    )
    assert append.dataset == hive_table("h_depts")
    assert append.write_mode == "Append"
    assert [(f.name, f.type) for f in append.schema] == [("label", "string"), ("code", "bigint")]
    overwrite = only_output(
        "hive: INSERT OVERWRITE a Hive table keeps the query's filter as a dependency"
    )
    assert overwrite.write_mode == "Overwrite"


def test_a_hive_table_is_one_dataset_with_and_without_spark_s_parquet_conversion() -> None:
    hive = "hive: INSERT INTO a Hive parquet table without conversion runs InsertIntoHiveTable"
    converted = (
        "hive: INSERT INTO a Hive parquet table with the default conversion (a file-source write)"
    )
    assert write_node(hive) == "InsertIntoHiveTable"
    assert write_node(converted) == "InsertIntoHadoopFsRelationCommand"
    assert only_output(hive).dataset == only_output(converted).dataset == hive_table("h_codes")


def write_node(name: str) -> str:
    """The command a recorded case ran (its capture facts say)."""
    return str(case(name)["plan"]["facts"]["write"]["node"])


def test_a_hive_ctas_and_a_hive_save_as_table_name_the_table_they_created_by_location() -> None:
    text = only_output(
        "hive: Hive CTAS STORED AS TEXTFILE (CreateHiveTableAsSelectCommand) takes"
        " the query's names"
    )
    assert text.dataset == hive_table("h_adults")
    assert text.write_mode == "ErrorIfExists"
    converted = only_output(
        "hive: Hive CTAS STORED AS PARQUET, converted to a file-source write inside"
    )
    assert converted.dataset == hive_table("h_adults_pq")
    saved = only_output(
        "hive: saveAsTable in Hive format (SaveAsV1TableCommand around a Hive CTAS)"
    )
    assert saved.dataset == hive_table("h_dept_copy")


def test_a_hive_table_read_is_named_by_its_location() -> None:
    lineage = lineage_of(
        case("hive: reading a Hive table (HiveTableRelation) gives its columns as sources")
    )
    (read,) = lineage.inputs
    assert read.dataset == hive_table("h_people")
    assert [c.name for c in read.schema] == ["id", "name", "age"]


def test_a_hive_insert_records_its_partition_spec_static_or_dynamic() -> None:
    def partition(name: str) -> Any:
        return case(name)["plan"]["facts"]["write"]["partition"]

    assert partition(
        "hive: INSERT OVERWRITE a static partition of a Hive table: the partition value is a"
        " literal"
    ) == {"day": "2024-01-02"}
    assert partition(
        "hive: INSERT OVERWRITE dynamic partitions of a Hive table: the partition column by"
        " position"
    ) == {"day": None}


def test_hive_inserts_and_ctas_wait_for_an_enclosing_write_a_save_as_table_does_not() -> None:
    def step(name: str) -> WriteStep:
        return lineage_of(case(name)).write_step

    insert = "hive: INSERT INTO a Hive text table (InsertIntoHiveTable) matches columns by position"
    ctas = (
        "hive: Hive CTAS STORED AS TEXTFILE (CreateHiveTableAsSelectCommand)"
        " takes the query's names"
    )
    saved = "hive: saveAsTable in Hive format (SaveAsV1TableCommand around a Hive CTAS)"
    assert step(insert) is WriteStep.NESTABLE  # the inner step of a CTAS
    assert step(ctas) is WriteStep.NESTABLE  # the inner step of a saveAsTable
    assert step(saved) is WriteStep.WHOLE
