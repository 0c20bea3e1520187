"""The label convention of a Delta commit's ``userMetadata`` (pure).

People describe a change with ``option("userMetadata", ...)`` or
``spark.databricks.delta.commitInfo.userMetadata``. When that description starts with
``label:``, its first word after the prefix names the version it created, and the rest is the
label's note::

    label:v1.1 dedup + fill gaps   ->  label "v1.1", note "dedup + fill gaps"
    label:prod                     ->  label "prod", no note
    dedup + fill gaps              ->  no label (the text stays the version's description)

The prefix is matched without regard to case and may be followed by spaces; the label name is
the first run of non-space characters, and must be a name ``spark-lineage label`` accepts
(:func:`validate_label`, the one rule for label names): otherwise there is no label. A
``label:`` with nothing after it is no label. The whole text is always kept as the version's
``user_metadata``. See docs/delta-versions.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What a ``userMetadata`` text starts with when it labels the version it created.
LABEL_PREFIX = "label:"
#: Letters, digits, ``.``, ``_`` and ``-``; starts with a letter or digit; at most 64.
LABEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: What a version number looks like (``3``, ``v3``): no label may, so ``@v3`` always means 3.
VERSION_LIKE = re.compile(r"[vV]?[0-9]+")


def label_key(target: str, label: str) -> str:
    """Graph key of a (:VersionLabel): unique per dataset key or ``model:<name>``."""
    return f"{target}#{label}"


class LabelError(ValueError):
    """A label name or note that cannot be used, or a label that is on another version."""


def validate_label(name: str) -> str:
    """``name`` if it can be a label; ``3`` or ``v3`` cannot (they read as a version)."""
    if not LABEL_NAME.fullmatch(name):
        raise LabelError(
            f"invalid label {name!r}: use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit, at most 64)"
        )
    if VERSION_LIKE.fullmatch(name):
        raise LabelError(f"invalid label {name!r}: it reads as a version number")
    return name


@dataclass(frozen=True, slots=True)
class MetadataLabel:
    """A label taken from a commit's ``userMetadata``: its name and optional note."""

    name: str
    note: str | None = None


def label_from_user_metadata(text: str | None) -> MetadataLabel | None:
    """The label a ``userMetadata`` text gives its version, or None when it gives none."""
    if text is None:
        return None
    stripped = text.strip()
    if stripped[: len(LABEL_PREFIX)].lower() != LABEL_PREFIX:
        return None
    rest = stripped[len(LABEL_PREFIX) :].strip()
    if not rest:
        return None
    parts = rest.split(None, 1)
    try:
        name = validate_label(parts[0])
    except LabelError:
        return None
    note = parts[1].strip() if len(parts) > 1 else ""
    return MetadataLabel(name=name, note=note or None)
