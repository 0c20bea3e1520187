"""Text tables that fit the terminal: the widest cells are cut first, with "…".

A cell is cut in the middle, keeping its start and (the larger part) its end: the end of a path,
a column key or a job name is what tells two of them apart.

The width is chosen once per command by :func:`output_width`: ``--wide`` means no limit, else
``$COLUMNS``, else the terminal's width when standard output is a terminal, else
:data:`PIPE_WIDTH` (a pipe or a file has no width, and 160 columns still read well in a pager).
Widths are counted in terminal cells: East Asian wide characters take two, combining marks none.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TextIO

#: The width of a table written to a pipe or a file.
PIPE_WIDTH = 160
#: Cells are never cut below this many terminal cells (the "…" included).
MIN_CELL = 4
GAP = "  "
ELLIPSIS = "…"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def output_width(
    *, wide: bool, stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> int | None:
    """The width tables must fit, or None (``--wide``: nothing is cut)."""
    if wide:
        return None
    columns = (os.environ if environ is None else environ).get("COLUMNS", "")
    if columns.strip().isdigit() and int(columns) > 0:
        return int(columns)
    out = sys.stdout if stream is None else stream
    try:
        if out.isatty():
            return os.get_terminal_size(out.fileno()).columns or PIPE_WIDTH
    except (OSError, ValueError):  # not a real file (captured output) or no terminal after all
        pass
    return PIPE_WIDTH


def char_width(char: str) -> int:
    """Terminal cells one character takes: 2 for wide East Asian characters, 0 for marks."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Terminal cells ``text`` takes on one line."""
    return sum(char_width(c) for c in text)


def clean(text: str) -> str:
    """One line of printable text: control characters (newlines, escapes) become "�"."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells; when too long, its start and end around a "…"
    (a third of the room for the start, the rest for the end)."""
    if text_width(text) <= width:
        return text
    room = max(0, width - 1)
    head = _prefix(text, room // 3)
    tail = _prefix(text[len(head) :][::-1], room - text_width(head))[::-1]
    return head + ELLIPSIS + tail


def _prefix(text: str, width: int) -> str:
    """The longest start of ``text`` that takes at most ``width`` cells."""
    used = 0
    for index, char in enumerate(text):
        used += char_width(char)
        if used > width:
            return text[:index]
    return text


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` cells."""
    return text + " " * max(0, width - text_width(text))


def fit_widths(natural: Sequence[int], width: int | None) -> list[int]:
    """Column widths whose line (with two-space gaps) fits ``width``: the widest shrink first.

    Every column wider than a common cap is cut to that cap, the cap being the largest that
    fits; narrow columns keep their width. Columns are not cut below :data:`MIN_CELL`, so with
    very many columns the line can still be wider than ``width``.
    """
    if width is None or not natural:
        return list(natural)
    budget = width - len(GAP) * (len(natural) - 1)
    if sum(natural) <= budget:
        return list(natural)
    low, high = MIN_CELL, max(natural)
    while low < high:  # the largest cap whose total fits
        cap = (low + high + 1) // 2
        if sum(min(n, cap) for n in natural) <= budget:
            low = cap
        else:
            high = cap - 1
    widths = [min(n, low) for n in natural]
    spare = budget - sum(widths)
    for index, size in enumerate(natural):  # cells left of the cap get the remainder, in order
        if spare <= 0:
            break
        if size > widths[index]:
            grow = min(spare, size - widths[index])
            widths[index] += grow
            spare -= grow
    return widths


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None
) -> str:
    """Headers, a rule and the rows, aligned, each line fitting ``width`` (None: no limit)."""
    cells = [[clean(c) for c in row] for row in rows]
    heads = [clean(h) for h in headers]
    natural = [
        max([text_width(h), *(text_width(row[i]) for row in cells)]) for i, h in enumerate(heads)
    ]
    widths = fit_widths(natural, width)

    def line(values: Sequence[str]) -> str:
        parts = [pad(cut(v, w), w) for v, w in zip(values, widths, strict=True)]
        return GAP.join(parts).rstrip()

    lines = [line(heads), GAP.join("-" * w for w in widths)]
    lines.extend(line(row) for row in cells)
    return "\n".join(lines) + "\n"
