"""``spark-lineage label``: human names on versions (``features@3`` is ``v1.2``).

A label belongs to one dataset or one model and is on one of its versions at a time. Putting a
label that is already on another version of the same target is refused unless ``move`` is given,
so a typo cannot silently take ``prod`` away from the version it was on. Once set, the label is
accepted wherever a version is (``reproduce features@v1.2``, ``diff``, ``history``).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spark_lineage.names.queries import LABELLED_VERSION
from spark_lineage.names.resolve import UnknownName
from spark_lineage.names.versions import ResolvedVersion, resolve_version, split_ref
from spark_lineage.timeline.queries import REMOVE_LABEL, SET_LABEL
from spark_lineage.version_labels import LabelError, label_key, validate_label

if TYPE_CHECKING:
    import neo4j

__all__ = ["LabelError", "LabelOutcome", "remove_label", "set_label", "validate_label"]

#: The longest note kept with a label.
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class LabelOutcome:
    """What ``label`` did: ``moved_from`` is the version the label was on before, if another."""

    label: str
    version: ResolvedVersion
    moved_from: str | None = None

    def describe(self) -> str:
        where = f"{self.version.target}@{self.version.version}"
        if self.moved_from is not None:
            return f"label {self.label} moved to {where} (it was on version {self.moved_from})"
        return f"label {self.label} is on {where}"


def set_label(
    session: neo4j.Session,
    version_text: str,
    label: str,
    *,
    note: str | None = None,
    move: bool = False,
    labelled_by: str | None = None,
) -> LabelOutcome:
    """Put ``label`` on the version ``version_text`` names; raises :class:`LabelError` or
    :class:`~spark_lineage.names.UnknownName`."""
    validate_label(label)
    if note is not None and len(note) > MAX_NOTE:
        raise LabelError(f"the note has {len(note):,} characters; at most {MAX_NOTE:,} are kept")
    if split_ref(version_text)[1] is None and not version_text.startswith("model:"):
        raise LabelError(f"say which version to label: {version_text}@<version>")
    version = resolve_version(session, version_text)
    key = label_key(version.target, label)
    holder = session.run(LABELLED_VERSION.text, label_key=key).single()
    moved_from = None
    if holder is not None and holder["key"] != version.key:
        moved_from = str(holder["version"])
        if not move:
            raise LabelError(
                f"label {label} is already on {version.target}@{moved_from}; give --move to move it"
            )
    session.run(
        SET_LABEL.text,
        version_key=version.key,
        label_key=key,
        name=label,
        target=version.target,
        note=note,
        labelled_by=labelled_by if labelled_by is not None else _user(),
    ).consume()
    return LabelOutcome(label, version, moved_from)


def remove_label(session: neo4j.Session, target_text: str, label: str) -> str:
    """Take ``label`` off ``target_text`` (a dataset or ``model:<name>``, any version part is
    ignored); returns the version it was on. Raises :class:`UnknownName` when there is none."""
    version = resolve_version(session, target_text)
    key = label_key(version.target, label)
    holder = session.run(LABELLED_VERSION.text, label_key=key).single()
    if holder is None:
        raise UnknownName(f"{version.target} has no label {label!r}")
    session.run(REMOVE_LABEL.text, label_key=key).consume()
    return str(holder["version"])


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return None
