"""Find the dataset, or the column of a dataset, a user's text names; the one resolver.

First every candidate reading of the text (:func:`~spark_lineage.names.parse.candidates`) is
looked up exactly, by index, in one query. Only when nothing matches is the (capped) list of
dataset names fetched, in one more query, for lenient matching: a table name in any case, a bare
table name that is unique among catalog tables (``customers`` for ``crm.customers``), and the end
of an in-memory name (``range/1a2b`` for ``memory::app/range/1a2b``). When that finds nothing
either, :class:`UnknownName` carries the nearest names (difflib). Every error text is written
here, once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spark_lineage.dataset_names import MEMORY
from spark_lineage.names.parse import Candidate, candidates, column_part, location
from spark_lineage.names.queries import DATASET_COLUMNS, DATASET_NAMES, RESOLVE_DATASETS

if TYPE_CHECKING:
    import neo4j

#: How many datasets lenient matching and suggestions look at (one query, a few MB at most).
MAX_KNOWN_NAMES = 50_000
#: How many "did you mean" names an error offers.
MAX_SUGGESTIONS = 5
#: How many column names an unknown-column error lists.
MAX_LISTED_COLUMNS = 20
_CUTOFF = 0.6


class UnknownName(ValueError):
    """The text names no dataset (or column) of the graph, or several; ``suggestions`` are the
    nearest names the graph has (possibly none)."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.suggestions = tuple(suggestions)


@dataclass(frozen=True, slots=True)
class ResolvedName:
    """A dataset and one of its columns (``column`` None: the whole dataset, every column)."""

    dataset_key: str
    column: str | None
    column_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KnownDataset:
    """A dataset as lenient matching sees it."""

    key: str
    namespace: str
    name: str
    table: str | None

    @property
    def spelling(self) -> str:
        """What a user types for it: the table name, else its path, URI or ``memory:<name>``."""
        return self.table or location(self.namespace, self.name)


# --- the error texts ------------------------------------------------------------------------------


def _empty() -> UnknownName:
    return UnknownName("give a dataset (table name, path or key) or <dataset>.<column>")


def _several(text: str, names: Iterable[str]) -> UnknownName:
    listed = sorted(set(names))
    return UnknownName(f"{text!r} names several datasets: {', '.join(listed)}", listed)


def _no_dataset(text: str, suggestions: Sequence[str]) -> UnknownName:
    hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
    return UnknownName(f"no dataset in the graph matches {text!r}{hint}", suggestions)


def _no_columns(dataset_key: str) -> UnknownName:
    return UnknownName(f"dataset {dataset_key} has no columns in the graph")


def _no_column(dataset_key: str, name: str, known: Sequence[str]) -> UnknownName:
    near = difflib.get_close_matches(name, known, MAX_SUGGESTIONS, _CUTOFF)
    hint = f"; did you mean: {', '.join(near)}?" if near else ""
    shown = ", ".join(known[:MAX_LISTED_COLUMNS]) or "none"
    more = f", ... ({len(known)} in all)" if len(known) > MAX_LISTED_COLUMNS else ""
    return UnknownName(
        f"dataset {dataset_key} has no column {name!r}{hint} (columns: {shown}{more})", near
    )


# --- resolution -----------------------------------------------------------------------------------


def resolve_dataset(session: neo4j.Session, text: str) -> str:
    """The key of the one dataset ``text`` names as a whole; raises :class:`UnknownName`."""
    if not text:
        raise _empty()
    return _dataset(session, text, explicit_column=True)[0]


def resolve_name(session: neo4j.Session, text: str, column: str | None = None) -> ResolvedName:
    """The dataset (longest prefix that names one) and column ``text`` names; with ``column``,
    ``text`` is only the dataset. Raises :class:`UnknownName`."""
    if not text:
        raise _empty()
    dataset_key, end = _dataset(session, text, explicit_column=column is not None)
    name = column if column is not None else column_part(text, end)
    columns = dataset_columns(session, dataset_key)
    if name is None:
        if not columns:
            raise _no_columns(dataset_key)
        return ResolvedName(dataset_key, None, tuple(columns[n] for n in sorted(columns)))
    found = match_column(dataset_key, name, columns)
    return ResolvedName(dataset_key, found, (columns[found],))


def resolve_column_keys(
    session: neo4j.Session, dataset_text: str, columns: Sequence[str]
) -> list[str]:
    """The keys of ``columns`` (each must exist) in the dataset ``dataset_text`` names."""
    dataset_key = resolve_dataset(session, dataset_text)
    known = dataset_columns(session, dataset_key)
    return [known[match_column(dataset_key, column, known)] for column in columns]


def dataset_columns(session: neo4j.Session, dataset_key: str) -> dict[str, str]:
    """Column name -> column key of one dataset."""
    return {
        str(name): str(key)
        for record in session.run(DATASET_COLUMNS.text, dataset_keys=[dataset_key])
        for key, name in record["columns"]
    }


def match_column(dataset_key: str, name: str, columns: dict[str, str]) -> str:
    """The column of ``columns`` that ``name`` names: exactly, else in any case when only one
    column has that name in any case (Spark's own default). Raises :class:`UnknownName`."""
    if name in columns:
        return name
    folded = [known for known in columns if known.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    raise _no_column(dataset_key, name, sorted(columns))


def _dataset(session: neo4j.Session, text: str, explicit_column: bool) -> tuple[str, int]:
    """(dataset key, end of the dataset part of ``text``)."""
    readings = candidates(text, explicit_column)
    rows = [
        dict(r)
        for r in session.run(
            RESOLVE_DATASETS.text, candidates=[c.to_parameters() for c in readings]
        )
    ]
    if rows:
        end = max(int(r["end"]) for r in rows)
        keys = sorted({str(r["key"]) for r in rows if int(r["end"]) == end})
        if len(keys) > 1:
            raise _several(text[:end], keys)
        return keys[0], end
    known = [
        KnownDataset(
            str(r["key"]), str(r["namespace"] or ""), str(r["name"] or ""), r["table_name"]
        )
        for r in session.run(DATASET_NAMES.text, limit=MAX_KNOWN_NAMES)
    ]
    for reading in readings:
        found = lenient_matches(reading.text, known)
        if len(found) > 1:
            raise _several(reading.text, (d.spelling for d in found))
        if found:
            return found[0].key, reading.end
    raise _no_dataset(text, suggestions(readings, known))


def lenient_matches(text: str, known: Sequence[KnownDataset]) -> list[KnownDataset]:
    """The datasets ``text`` names leniently, by the first rule that matches any: the table name
    in any case; a bare table name (``customers`` for ``crm.customers``); the end of an
    in-memory name (``range/1a2b`` for ``app/range/1a2b``)."""
    lowered = text.lower()
    rules: tuple[Callable[[KnownDataset], bool], ...] = (
        lambda d: d.table is not None and d.table.lower() == lowered,
        lambda d: d.table is not None and d.table.lower().endswith("." + lowered),
        lambda d: d.namespace == MEMORY and d.name.endswith("/" + text),
    )
    for rule in rules:
        found = [d for d in known if rule(d)]
        if found:
            return found
    return []


def suggestions(readings: Sequence[Candidate], known: Sequence[KnownDataset]) -> list[str]:
    """The nearest spellings of known datasets to any reading of the text (longest first)."""
    by_folded: dict[str, str] = {}
    for dataset in known:
        by_folded.setdefault(dataset.spelling.lower(), dataset.spelling)
    pool = list(by_folded)
    near: list[str] = []
    for reading in readings:
        words = [reading.text]
        if reading.location_key is not None:
            namespace, _, name = reading.location_key.partition("::")
            words.append(location(namespace, name))
        for word in words:
            for folded in difflib.get_close_matches(word.lower(), pool, MAX_SUGGESTIONS, _CUTOFF):
                if by_folded[folded] not in near:
                    near.append(by_folded[folded])
    return near[:MAX_SUGGESTIONS]
