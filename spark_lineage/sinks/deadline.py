"""A deadline on each write to Neo4j: a connection that goes silent must not stall the worker.

The Neo4j Python driver has no client-side read timeout. On a path that drops packets without a
reset (a firewall, a dead NAT entry) a write waits until the server's
``connection.recv_timeout_seconds`` hint, two minutes on Neo4j 5, while every later event queues
behind it. :func:`call_with_deadline` runs the write on a daemon thread and stops waiting when
its deadline passes; the caller then abandons the connection (closing the driver on another
thread, since the stuck write still holds it) and spools the event. Writes are idempotent, so a
write that did reach the server before the path went silent is harmless when the spool delivers
it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["WriteTimeout", "call_with_deadline", "write_deadline_s"]

T = TypeVar("T")

#: Time allowed per column edge on top of the base deadline: a wide event's statements are
#: batched but still take longer (about 0.3 ms per edge measured on a fresh graph).
PER_EDGE_S = 0.002


class WriteTimeout(TimeoutError):
    """No answer from Neo4j within the write deadline."""


def write_deadline_s(base_s: float, edges: int) -> float:
    """The deadline of one event's write: ``base_s`` plus an allowance for its column edges."""
    return base_s + PER_EDGE_S * max(edges, 0)


def call_with_deadline(call: Callable[[], T], deadline_s: float) -> T:
    """``call()``'s result or exception, or :class:`WriteTimeout` when ``deadline_s`` passes first.

    The call runs on a daemon thread (a stuck call never holds up interpreter exit) and is not
    cancelled: it ends when its connection is closed or answers.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="spark-lineage-neo4j-write", daemon=True).start()
    if not done.wait(deadline_s):
        raise WriteTimeout(f"no answer from Neo4j within {deadline_s:.0f} s")
    if failure:
        raise failure[0]
    return outcome[0]
