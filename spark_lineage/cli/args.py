"""Argument types shared by the commands: a usage error (exit 2) for a bad value, like every
other bad argument."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def depth_arg(maximum: int) -> Callable[[str], int]:
    """An argparse type for ``--depth``: a whole number from 1 to ``maximum``, else a usage
    error (exit 2, like every other bad argument)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not 1 <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be between 1 and {maximum}, not {value}")
        return value

    return parse


def limit_arg(text: str) -> int:
    """An argparse type for ``--limit``: a whole number, 0 or more (0: no limit)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (all) or more, not {value}")
    return value
