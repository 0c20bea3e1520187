"""Name and version of a saved model version: explicit, then MLflow, then the save path, then
the writer's next number (version None)."""

from __future__ import annotations

import pytest

from spark_lineage.model_naming import model_name, model_version


@pytest.mark.parametrize(
    ("path", "name", "version"),
    [
        ("/models/churn/v3", "churn", "3"),
        ("/models/churn/V3/", "churn", "3"),
        ("/models/churn/3", "churn", "3"),
        ("/models/churn-v3", "churn", "3"),
        ("/models/churn_v12", "churn", "12"),
        ("/models/churn.v3", "churn", "3"),
        ("/models/churn@3", "churn", "3"),
        ("/models/churn@v007", "churn", "7"),
        ("file:///lake/models/churn-model", "churn-model", None),
        ("s3a://bucket/models/churn/v2", "churn", "2"),
        ("/models/churn-2024", "churn-2024", None),
        ("/models/v3-churn", "v3-churn", None),
        ("churn", "churn", None),
        ("v3", "v3", None),
        ("/", "model", None),
    ],
)
def test_the_save_path_gives_the_name_and_its_version_part(
    path: str, name: str, version: str | None
) -> None:
    assert model_name(save_path=path) == name
    assert model_version(save_path=path) == version


def test_an_explicit_name_wins_over_mlflow_and_the_path() -> None:
    assert model_name(explicit="churn", mlflow_name="reg", save_path="/m/other/v2") == "churn"


def test_mlflow_s_registered_name_wins_over_the_path() -> None:
    assert model_name(mlflow_name="churn-registered", save_path="/m/other/v2") == (
        "churn-registered"
    )


def test_a_blank_explicit_name_does_not_count() -> None:
    assert model_name(explicit="  ", save_path="/m/churn") == "churn"


def test_an_explicit_version_wins_over_mlflow_and_the_path() -> None:
    assert model_version(explicit=7, mlflow_version="4", save_path="/m/churn/v2") == "7"


def test_mlflow_s_registered_version_wins_over_the_path() -> None:
    assert model_version(mlflow_version="4", save_path="/m/churn/v2") == "4"


def test_without_any_version_the_writer_numbers_it() -> None:
    assert model_version(save_path="/m/churn") is None
    assert model_version() is None
