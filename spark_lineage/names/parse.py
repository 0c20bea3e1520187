"""Reading a user's text as ``<dataset>[<sep><column>]`` without the graph (pure, unit-tested).

What people type for a dataset: a graph key (``file::/lake/customers``), an absolute path, a path
relative to the current directory (``../lake/customers``, resolved like a shell does, ``..``
included), a URI (``file:/lake/customers``, ``s3a://bucket/t``), a catalog table name
(``crm.customers``, any case, or ``customers`` when that is unique), or a spelling the CLI prints
itself: ``memory:<name>`` (``reproduce``, :func:`location`) and ``<name>`` (tables).

Column names and table names both contain dots, so text that may end with a column is split at
*every* dot (and every ``::`` of a graph key): each prefix is a candidate, longest first; the
longest prefix that names a dataset wins and the rest is the column.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass

from spark_lineage.dataset_names import split_location

#: Namespaces that are plain words: printed as ``<namespace>:<name>`` by :func:`location`.
_URI_NAMESPACES = ("file", "dbfs")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One way to read the text: ``text[:end]`` is the dataset part.

    ``location_key`` is the graph key that part has when read as a path or URI (None when it is
    no path: a table name or a graph key, matched as they are).
    """

    text: str
    location_key: str | None
    end: int

    def to_parameters(self) -> dict[str, object]:
        return {"text": self.text, "location_key": self.location_key, "end": self.end}


def candidates(text: str, explicit_column: bool = False, cwd: str | None = None) -> list[Candidate]:
    """Every way to read ``text`` as ``<dataset><sep><column>``, longest dataset part first.

    The separator is a dot, or ``::`` as in a column key; a column never starts with ``.`` or
    ``/`` (so ``../x`` is not split inside its ``..``). With ``explicit_column`` only the whole
    text is a candidate. Relative paths are resolved against ``cwd`` (default: the current
    directory).
    """
    ends = {len(text)}
    if not explicit_column:
        ends |= {
            i
            for i, char in enumerate(text)
            if char == "." and text[i + 1 : i + 2] not in ("", ".", "/")
        }
        start = text.find("::")
        while start != -1:
            ends.add(start)
            start = text.find("::", start + 1)
    found: list[Candidate] = []
    for end in sorted(ends, reverse=True):
        prefix = text[:end]
        if prefix:
            keys: list[str | None] = [*_location_keys(prefix, cwd)] or [None]
            found.extend(Candidate(prefix, key, end) for key in keys)
    return found


def column_part(text: str, end: int) -> str | None:
    """What follows the dataset part ``text[:end]``: None when the text is the dataset itself."""
    rest = text[end:]
    if not rest:
        return None
    return rest[2:] if rest.startswith("::") else rest[1:]


def location_key(prefix: str, cwd: str | None = None) -> str | None:
    """The dataset key a path or URI would have (``file:/x``, ``/x``, ``../x`` -> ``file::/x``),
    with ``.``, ``..`` and doubled slashes resolved as a shell and Hadoop's ``Path`` do.

    ``memory:<name>`` (what :func:`location` prints) is the key ``memory::<name>``. A graph key
    or a table name gives None: they are matched as they are.
    """
    keys = _location_keys(prefix, cwd)
    return keys[0] if keys else None


def _location_keys(prefix: str, cwd: str | None) -> list[str]:
    """The normalised location key first, then the key of the path exactly as typed when that
    differs: a name loaded from elsewhere (OpenLineage ``load``) may keep a ``//`` that
    normalising would lose."""
    if "::" in prefix:
        return []
    scheme, sep, rest = prefix.partition(":")
    if sep and scheme and _plain_word(scheme) and not rest.startswith("/"):
        return [f"{scheme}::{rest}"] if rest else []  # memory:<name>, spark_catalog:<table>
    if _relative_path(prefix):
        prefix = posixpath.join(cwd or os.getcwd(), prefix)
    elif not (prefix.startswith("/") or ":/" in prefix):
        return []  # a table name
    try:
        namespace, name = split_location(prefix)
    except ValueError:
        return []
    if namespace not in _URI_NAMESPACES:
        return [f"{namespace}::{name}"]
    normalised = "/" + posixpath.normpath(name).lstrip("/")
    keys = [f"{namespace}::{normalised}"]
    as_typed = name.startswith("/") and not {".", ".."} & set(name.split("/"))
    if as_typed and name != normalised:
        keys.append(f"{namespace}::{name}")
    return keys


def location(namespace: object, name: object) -> str:
    """The path or URI a user passes to Spark for a dataset named per OpenLineage; other
    namespaces print as ``<namespace>:<name>`` (``memory:app/range/1a2b``), which
    :func:`location_key` reads back."""
    ns, path = str(namespace or ""), str(name or "")
    if ns == "file":
        return path
    if "://" in ns:
        return f"{ns.rstrip('/')}/{path.lstrip('/')}"
    return f"{ns}:{path}" if ns else path


def _plain_word(scheme: str) -> bool:
    """A namespace such as ``memory`` (not ``file``, not a URI scheme with ``//``, not a path)."""
    return scheme not in _URI_NAMESPACES and all(c.isalnum() or c in "_-" for c in scheme)


def _relative_path(text: str) -> bool:
    """``./x``, ``../x``, ``.``, ``..`` or ``dir/x``: a path relative to the current directory."""
    if text in (".", "..") or text.startswith(("./", "../")):
        return True
    return "/" in text and not text.startswith("/") and ":" not in text
