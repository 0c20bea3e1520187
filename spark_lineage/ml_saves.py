"""Spark ML model saves are not datasets: their stage files are left out of the graph.

``model.save(path)`` (any ``MLWritable``: a model, a ``PipelineModel``, an estimator) writes, as
ordinary Spark queries, ``<path>/metadata`` (one JSON line, a text file written from an in-memory
one-column ``_1`` frame) and then ``<path>/data`` and, for a pipeline,
``<path>/stages/<n>_<uid>/{metadata,data}``. None of them is a dataset anybody reads; reported as
such they added about a dozen Dataset nodes per saved model. This module recognises them from the
events alone (no file-system call): a metadata write marks its folder as a model folder, and
every later write inside a model folder of the same application is a model file. Spark 3.5 writes
the metadata through the RDD API (no query, so no event): there the ``save()`` call itself
announces its folder first (:meth:`ModelSaveFilter.expect`, from :mod:`spark_lineage.ml_hook`).

The saved folders are remembered (:attr:`ModelSaveFilter.model_folders`). The Model version of a
save comes from :mod:`spark_lineage.ml_hook`, which sees the ``save()`` call itself.
"""

from __future__ import annotations

import threading

from spark_lineage.dataset_names import MEMORY
from spark_lineage.model import OutputDataset, QueryLineage

_METADATA = "metadata"


class ModelSaveFilter:
    """Per application: which writes are a Spark ML model's own files."""

    def __init__(self) -> None:
        self._folders: dict[str, None] = {}  # dataset keys of model folders, in save order
        self._lock = threading.Lock()

    @property
    def model_folders(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._folders)

    def expect(self, folder_key: str) -> None:
        """A model is about to be saved into ``folder_key`` (a dataset key): its writes are
        model files, whether or not a metadata query announces the folder."""
        with self._lock:
            self._folders[folder_key] = None

    def is_model_save(self, lineage: QueryLineage) -> bool:
        """True when every output of the query is a file of a saved model (and remembers it)."""
        if not lineage.outputs:
            return False
        from_memory = all(i.dataset.namespace == MEMORY for i in lineage.inputs)
        with self._lock:
            verdicts = [self._classify(o, from_memory) for o in lineage.outputs]
        return all(verdicts)

    def _classify(self, output: OutputDataset, from_memory: bool) -> bool:
        folder_key = _parent_key(output)
        if folder_key is None:
            return False
        if self._inside_model_folder(folder_key):
            return True
        if from_memory and _is_metadata_write(output):
            self._folders[folder_key] = None
            return True
        return False

    def _inside_model_folder(self, key: str) -> bool:
        return any(key == folder or key.startswith(folder + "/") for folder in self._folders)


def _parent_key(output: OutputDataset) -> str | None:
    dataset = output.dataset
    if dataset.table or dataset.namespace == MEMORY or "/" not in dataset.name.strip("/"):
        return None
    parent = dataset.name.rstrip("/").rsplit("/", 1)[0]
    return f"{dataset.namespace}::{parent}"


def _is_metadata_write(output: OutputDataset) -> bool:
    """``<folder>/metadata`` as text, one string column ``_1``: what ML writers produce."""
    name = output.dataset.name.rstrip("/").rsplit("/", 1)[-1]
    schema = [(f.name, f.type) for f in output.schema]
    return (
        name == _METADATA
        and (output.dataset.format or "text") == "text"
        and schema == [("_1", "string")]
    )
