"""What the engine says about written datasets: names, formats, modes and target columns."""

from __future__ import annotations

from typing import Any

from lineage_assertions import golden_cases, lineage_of

from spark_lineage.model import DatasetRef

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
