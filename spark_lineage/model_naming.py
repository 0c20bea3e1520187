"""The name and version of a saved model version: first match wins, pure and unit-tested.

Name: an explicit setting (``record_model``, ``spark.lineage.model.name``); MLflow's registered
model name; then the save path's last folder, without its version part (``/models/churn/v3`` and
``/models/churn-v3`` are both ``churn``).

Version: explicit; MLflow's registered version; the version part of the save path (``v3``, ``3``,
``churn-v3``, ``churn_v3``, ``churn.v3``, ``churn@3``); otherwise None, which the graph writer
turns into the next number for that name when it writes the event.
"""

from __future__ import annotations

import re

#: A whole path segment that is only a version: ``v3``, ``V3``, ``3``.
_VERSION_SEGMENT = re.compile(r"^v?(\d+)$", re.IGNORECASE)
#: A segment that ends with a version: ``churn-v3``, ``churn_v3``, ``churn.v3``, ``churn@3``.
_VERSION_SUFFIX = re.compile(r"^(?P<name>.+?)(?:[-_.]v|@v?)(?P<number>\d+)$", re.IGNORECASE)

#: The name of a model whose save path gives none (``/``, an empty string).
FALLBACK_NAME = "model"


def model_name(
    *, explicit: str | None = None, mlflow_name: str | None = None, save_path: str | None = None
) -> str:
    """The model's name: explicit, else MLflow's registered name, else from the save path."""
    for candidate in (explicit, mlflow_name):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    return name_from_path(save_path or "")


def model_version(
    *,
    explicit: str | int | None = None,
    mlflow_version: str | int | None = None,
    save_path: str | None = None,
) -> str | None:
    """The model's version, or None for "the next number for that name" (writer-assigned)."""
    for candidate in (explicit, mlflow_version):
        if candidate is not None and str(candidate).strip():
            return str(candidate).strip()
    return version_from_path(save_path or "")


def name_from_path(path: str) -> str:
    """The last folder of ``path`` without its version part (the folder above a bare ``v3``)."""
    segments = _segments(path)
    while len(segments) > 1 and _VERSION_SEGMENT.match(segments[-1]):
        segments.pop()
    if not segments:
        return FALLBACK_NAME
    last = segments[-1]
    suffixed = _VERSION_SUFFIX.match(last)
    return suffixed.group("name") if suffixed else last


def version_from_path(path: str) -> str | None:
    """The version a save path spells (``/models/churn/v3`` -> ``3``), or None."""
    segments = _segments(path)
    if not segments:
        return None
    last = segments[-1]
    whole = _VERSION_SEGMENT.match(last)
    if whole is not None and len(segments) > 1:
        return str(int(whole.group(1)))
    suffixed = _VERSION_SUFFIX.match(last)
    return str(int(suffixed.group("number"))) if suffixed else None


def _segments(path: str) -> list[str]:
    without_scheme = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*:(//[^/]*)?", "", path.strip())
    return [s for s in without_scheme.split("/") if s and s != "."]
