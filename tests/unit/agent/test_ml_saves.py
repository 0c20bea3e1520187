"""A Spark ML model save writes files, not datasets: the agent leaves them out of the graph."""

from __future__ import annotations

from spark_lineage.ml_saves import ModelSaveFilter
from spark_lineage.model import DatasetRef, InputDataset, OutputDataset, QueryLineage, SchemaField

LOCAL_ROWS = InputDataset(DatasetRef("memory", "local_relation/6cf835759c5b"))
FEATURES = InputDataset(DatasetRef("file", "/lake/features/churn", "delta"))


def write(path: str, fmt: str, *columns: tuple[str, str],
          source: InputDataset = LOCAL_ROWS) -> QueryLineage:
    schema = tuple(SchemaField(n, t) for n, t in columns)
    return QueryLineage(inputs=(source,),
                        outputs=(OutputDataset(DatasetRef("file", path, fmt), schema=schema),))


def pipeline_model_save(root: str) -> list[QueryLineage]:
    """The writes of ``PipelineModel.save(root)`` as Spark 4.1 reports them, in order."""
    meta = ("_1", "string")
    return [
        write(f"{root}/metadata", "text", meta),
        write(f"{root}/stages/0_StringIndexer_17/metadata", "text", meta),
        write(f"{root}/stages/0_StringIndexer_17/data", "parquet", ("labelsArray", "array")),
        write(f"{root}/stages/3_LogisticRegression_e6/metadata", "text", meta),
        write(f"{root}/stages/3_LogisticRegression_e6/data", "parquet", ("numClasses", "int")),
    ]


def test_every_file_of_a_pipeline_model_save_is_recognised_and_its_folder_kept() -> None:
    saves = ModelSaveFilter()

    verdicts = [saves.is_model_save(q) for q in pipeline_model_save("/lake/models/churn/1")]

    assert verdicts == [True] * 5
    assert saves.model_folders == ("file::/lake/models/churn/1",)


def test_a_single_model_save_is_its_metadata_then_its_data() -> None:
    saves = ModelSaveFilter()

    assert saves.is_model_save(write("/m/lr/metadata", "text", ("_1", "string")))
    assert saves.is_model_save(write("/m/lr/data", "parquet", ("coefficients", "udt")))


def test_a_save_announced_by_its_call_needs_no_metadata_query() -> None:
    """Spark 3.5 writes the metadata through the RDD API: no query, so the save() call itself
    announces the folder, and the stages' data files that follow are the model's."""
    saves = ModelSaveFilter()
    saves.expect("file::/lake/models/churn/1")

    stage_data = [q for q in pipeline_model_save("/lake/models/churn/1")
                  if q.outputs[0].dataset.name.endswith("/data")]

    assert [saves.is_model_save(q) for q in stage_data] == [True, True]
    assert not saves.is_model_save(write("/lake/models/churn/2/data", "parquet",
                                         ("numClasses", "int")))  # another folder
    assert saves.model_folders == ("file::/lake/models/churn/1",)


def test_ordinary_writes_stay_datasets() -> None:
    saves = ModelSaveFilter()
    saves.is_model_save(write("/lake/models/churn/1/metadata", "text", ("_1", "string")))

    table_named_data = write("/lake/clean/data", "delta", ("id", "bigint"), source=FEATURES)
    text_from_a_table = write("/lake/x/metadata", "text", ("_1", "string"), source=FEATURES)
    two_columns = write("/lake/y/metadata", "text", ("_1", "string"), ("_2", "string"))

    assert not saves.is_model_save(table_named_data)
    assert not saves.is_model_save(text_from_a_table)
    assert not saves.is_model_save(two_columns)
    assert not saves.is_model_save(QueryLineage(inputs=(FEATURES,)))  # a read
    assert not saves.is_model_save(write("/lake/models/churn", "delta", ("id", "bigint"),
                                         source=FEATURES))  # the folder's parent
