"""The label convention of a Delta commit's ``userMetadata`` (pure).

People describe a change with ``option("userMetadata", ...)`` or
``spark.databricks.delta.commitInfo.userMetadata``. When that description starts with
``label:``, its first word after the prefix names the version it created, and the rest is the
label's note::

    label:v1.1 dedup + fill gaps   ->  label "v1.1", note "dedup + fill gaps"
    label:v2                       ->  label "v2", no note
    dedup + fill gaps              ->  no label (the text stays the version's description)

The prefix is matched without regard to case and may be followed by spaces; the label name is
the first run of non-space characters. A ``label:`` with nothing after it is no label. The whole
text is always kept as the version's ``user_metadata``. See docs/delta-versions.md.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What a ``userMetadata`` text starts with when it labels the version it created.
LABEL_PREFIX = "label:"


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
    note = parts[1].strip() if len(parts) > 1 else ""
    return MetadataLabel(name=parts[0], note=note or None)
