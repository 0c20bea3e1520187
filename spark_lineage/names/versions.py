"""What a user's ``<name>@<version>`` names: one dataset version or one model version.

The forms, for ``reproduce``, ``label``, ``history`` and ``diff``:

* ``<dataset>@<ref>``: any dataset name :func:`~spark_lineage.names.resolve_dataset` takes, then
  after the last ``@`` a version number (``features@3`` or ``features@v3``) or a label
  (``features@v1.2``). No label looks like a number (``label`` refuses ``3`` and ``v3``).
* ``<dataset>``: its newest version.
* ``model:<name>@<ref>``: its version text (``model:churn@2``, also ``@v2``), else a label.
* ``model:<name>``: its newest recording.

A path may contain ``@`` itself: when the part before the last ``@`` names no dataset but the
whole text does, the whole text is the dataset. Every failure is an :class:`UnknownName` whose
message lists the versions and labels that exist.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spark_lineage.names.queries import (
    DATASET_VERSION,
    KNOWN_VERSIONS,
    LABELLED_VERSION,
    MODEL_NAMES,
    MODEL_VERSION,
)
from spark_lineage.names.resolve import (
    MAX_KNOWN_NAMES,
    MAX_SUGGESTIONS,
    UnknownName,
    resolve_dataset,
)
from spark_lineage.version_labels import label_key

if TYPE_CHECKING:
    import neo4j

MODEL_PREFIX = "model:"


@dataclass(frozen=True, slots=True)
class ResolvedVersion:
    """One version: ``target`` is the dataset key or ``model:<name>``, ``key`` the key of the
    DatasetVersion or Model node, ``version`` the version as stored, ``label`` the label it was
    named by (None: by number, or the newest)."""

    target: str
    key: str
    version: str
    label: str | None = None

    @property
    def is_model(self) -> bool:
        return self.target.startswith(MODEL_PREFIX)

    @property
    def spelling(self) -> str:
        """``<target>@<version>``: how messages and JSON name it."""
        return f"{self.target}@{self.version}"


def split_ref(text: str) -> tuple[str, str | None]:
    """``(name, ref)`` split at the last ``@``; ``ref`` None when there is no usable ``@``."""
    name, sep, ref = text.rpartition("@")
    if sep and name and ref:
        return name, ref
    return text, None


def version_number(ref: str) -> int | None:
    """``3`` or ``v3`` as a version number; None for anything else (a label)."""
    digits = ref[1:] if ref[:1] in ("v", "V") else ref
    return int(digits) if digits.isdigit() else None


def resolve_version(session: neo4j.Session, text: str) -> ResolvedVersion:
    """The dataset or model version ``text`` names; raises :class:`UnknownName`."""
    if text.startswith(MODEL_PREFIX):
        return _model_version(session, text.removeprefix(MODEL_PREFIX))
    name, ref = split_ref(text)
    if ref is None:
        return _dataset_version(session, resolve_dataset(session, text), None)
    try:
        dataset_key = resolve_dataset(session, name)
    except UnknownName as exc:
        try:
            whole = resolve_dataset(session, text)
        except UnknownName:
            raise UnknownName(f"{exc} (nor {text!r})", exc.suggestions) from None
        return _dataset_version(session, whole, None)
    return _dataset_version(session, dataset_key, ref)


def _dataset_version(session: neo4j.Session, dataset_key: str, ref: str | None) -> ResolvedVersion:
    number = None if ref is None else version_number(ref)
    if ref is not None and number is None:  # not a number: a label
        labelled = _labelled(session, dataset_key, ref)
        if labelled is None:
            raise _no_version(session, dataset_key, ref)
        return labelled
    record = session.run(DATASET_VERSION.text, dataset_key=dataset_key, version=number).single()
    if record is None:
        raise _no_version(session, dataset_key, ref)
    return ResolvedVersion(dataset_key, str(record["key"]), str(record["version"]))


def _model_version(session: neo4j.Session, rest: str) -> ResolvedVersion:
    name, ref = split_ref(rest)
    if not name:
        raise UnknownName("give a model as model:<name> or model:<name>@<version or label>")
    target = MODEL_PREFIX + name
    for wanted in _model_spellings(ref):  # a version text first (model versions are text)
        record = session.run(MODEL_VERSION.text, name=name, version=wanted).single()
        if record is not None:
            return ResolvedVersion(target, str(record["key"]), str(record["version"]))
    labelled = None if ref is None else _labelled(session, target, ref)
    if labelled is None:
        raise _no_version(session, target, ref)
    return labelled


def _model_spellings(ref: str | None) -> Sequence[str | None]:
    """The stored version texts ``ref`` may mean: as typed, and ``2`` for ``v2``."""
    if ref is None:
        return (None,)
    number = version_number(ref)
    return (ref,) if number is None or str(number) == ref else (ref, str(number))


def _labelled(session: neo4j.Session, target: str, ref: str) -> ResolvedVersion | None:
    record = session.run(LABELLED_VERSION.text, label_key=label_key(target, ref)).single()
    if record is None:
        return None
    return ResolvedVersion(target, str(record["key"]), str(record["version"]), ref)


def _no_version(session: neo4j.Session, target: str, ref: str | None) -> UnknownName:
    model_name = target.removeprefix(MODEL_PREFIX) if target.startswith(MODEL_PREFIX) else None
    record = session.run(KNOWN_VERSIONS.text, target=target, model_name=model_name).single()
    versions = [str(v) for v in (record["versions"] if record else []) if v is not None]
    labels = sorted(str(label) for label in (record["labels"] if record else []))
    if model_name is not None and not versions:
        return _no_model(session, model_name)
    if ref is None:
        what = "no recorded version"
    elif version_number(ref) is not None:
        what = f"no version or label {ref}" if ref[:1] in ("v", "V") else f"no version {ref}"
    else:
        what = f"no version or label {ref!r}"
    listed = f"; versions: {version_spans(versions)}" if versions else "; it has no version yet"
    named = f"; labels: {', '.join(labels)}" if labels else ""
    return UnknownName(f"{what} of {target}{listed}{named}", labels)


def _no_model(session: neo4j.Session, name: str) -> UnknownName:
    known = [str(r["name"]) for r in session.run(MODEL_NAMES.text, limit=MAX_KNOWN_NAMES)]
    near = [MODEL_PREFIX + n for n in difflib.get_close_matches(name, known, MAX_SUGGESTIONS, 0.6)]
    hint = f"; did you mean: {', '.join(near)}?" if near else ""
    return UnknownName(f"no model named {name!r} in the graph{hint}", near)


def version_spans(versions: Sequence[str]) -> str:
    """``0-3, 5`` (an en dash in the text) for numbers: runs of consecutive numbers joined."""
    numbers = sorted({int(v) for v in versions if v.isdigit()})
    others = sorted({v for v in versions if not v.isdigit()})
    spans: list[str] = []
    index = 0
    while index < len(numbers):
        end = index
        while end + 1 < len(numbers) and numbers[end + 1] == numbers[end] + 1:
            end += 1
        first, last = numbers[index], numbers[end]
        spans.append(str(first) if first == last else f"{first}\u2013{last}")
        index = end + 1
    return ", ".join([*spans, *others])
