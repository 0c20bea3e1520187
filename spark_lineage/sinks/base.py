"""The sink contract: where finished :class:`~spark_lineage.model.LineageEvent` objects go.

A sink is a small object with three methods (``emit``, ``flush``, ``close``) and one constructor
(``from_settings``) that builds it from the ``spark.lineage.<type>.*`` settings of its type. Sinks
are found by type name in :mod:`spark_lineage.sinks.registry` and combined by
:class:`spark_lineage.sinks.composite.CompositeSink`.

Contract (what the agent guarantees, and what it expects of every sink):

* **One thread at a time.** The agent calls ``emit`` and ``flush`` only from its single worker
  thread, and ``close`` after that worker has stopped, so a sink never sees two concurrent calls
  and needs no locking of its own (it may use its own threads internally).
* **emit(event)** hands over one finished event. It may buffer (batching is encouraged) and
  should return in bounded time: while it blocks, the agent's bounded queue fills and further
  queries are skipped with a count. It may raise; the composite logs the error (rate-limited),
  counts it against that sink and goes on with the other sinks. A sink that must not lose events
  while its backend is down should write them to a durable local spool instead of retrying inside
  ``emit`` forever.
* **flush(timeout)** delivers everything emitted so far, waiting at most ``timeout`` seconds
  (``None``: the sink's own default). It returns ``True`` when everything was delivered (or made
  durable), ``False`` when it gave up, and may raise like ``emit``.
* **close(timeout)** flushes within ``timeout`` and releases connections and file handles. It is
  called once; no call follows it. It must not raise for a backend that is down: log and return.
* **from_settings(settings)** validates the sink's settings and raises
  :class:`~spark_lineage.config.ConfigError` with a message naming the full ``spark.lineage.*``
  key when one is missing or malformed. An invalid setting disables the agent (one log line), it
  never fails the Spark job. Secrets come from the settings too: the config layer fills
  ``spark.lineage.<type>.<key>`` from the environment variable ``SPARK_LINEAGE_<TYPE>_<KEY>``
  (e.g. ``SPARK_LINEAGE_NEO4J_PASSWORD``) when the Spark conf does not set it. Never log them.
* **describe()** returns a one-line, secret-free description for the agent's health log.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from spark_lineage.config import LINEAGE_PREFIX, ConfigError, parse_bool
from spark_lineage.model import AppContext, DatasetRef, LineageEvent

__all__ = ["ConfigError", "Sink", "SinkSettings"]


@dataclass(frozen=True, slots=True)
class SinkSettings:
    """The settings of one sink type: ``spark.lineage.<type_name>.<key>`` with the prefix removed.

    ``values`` maps the relative key (``path``, ``uri``, ``batch.size``...) to its string value, as
    Spark confs are strings. ``env`` holds the type's environment variables keyed by their suffix
    (``SPARK_LINEAGE_NEO4J_PASSWORD`` -> ``PASSWORD``); :meth:`get` falls back to it. ``app`` is
    the application the agent runs in (for default file names, client identifiers...); it is
    ``None`` only in tests that do not need it. The typed getters
    raise :class:`ConfigError` naming the full key, so that messages point at the line to fix.
    """

    type_name: str
    values: Mapping[str, str] = field(default_factory=dict)
    app: AppContext | None = None
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    def full_key(self, key: str) -> str:
        """The user-facing name of a relative key, e.g. ``spark.lineage.neo4j.uri``."""
        return f"{LINEAGE_PREFIX}{self.type_name}.{key}"

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value (conf first, then environment), stripped, or ``default`` when unset/blank."""
        value = self.values.get(key)
        if value is None:
            value = self.env.get(key.upper().replace(".", "_").replace("-", "_"))
        if value is None or not value.strip():
            return default
        return value.strip()

    def require(self, key: str) -> str:
        """The value of a mandatory key; a clear :class:`ConfigError` when it is missing."""
        value = self.get(key)
        if value is None:
            raise ConfigError(f"{self.full_key(key)} is required by the {self.type_name} sink")
        return value

    def get_int(
        self, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        """An integer setting within ``[minimum, maximum]``."""
        raw = self.get(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{self.full_key(key)} must be an integer, got {raw!r}") from None
        _check_range(self.full_key(key), value, minimum, maximum)
        return value

    def get_float(
        self,
        key: str,
        default: float,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        """A number setting (seconds, ratios...) within ``[minimum, maximum]``."""
        raw = self.get(key)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{self.full_key(key)} must be a number, got {raw!r}") from None
        _check_range(self.full_key(key), value, minimum, maximum)
        return value

    def get_bool(self, key: str, default: bool) -> bool:
        """A boolean setting (``true``/``false``, ``1``/``0``, ``yes``/``no``)."""
        raw = self.get(key)
        if raw is None:
            return default
        return parse_bool(self.full_key(key), raw)

    def get_choice(self, key: str, default: str, choices: Iterable[str]) -> str:
        """One of a fixed set of (case-insensitive) words."""
        allowed = tuple(choices)
        raw = self.get(key)
        if raw is None:
            return default
        if raw.lower() not in allowed:
            raise ConfigError(
                f"{self.full_key(key)} must be one of {', '.join(allowed)}, got {raw!r}"
            )
        return raw.lower()

    def check_known(self, known: Iterable[str]) -> None:
        """Reject keys the sink does not know, so that a typo is reported, not ignored."""
        allowed = set(known)
        unknown = sorted(set(self.values) - allowed)
        if unknown:
            names = ", ".join(self.full_key(k) for k in unknown)
            expected = ", ".join(sorted(allowed)) or "none"
            raise ConfigError(
                f"unknown setting(s) {names} (the {self.type_name} sink knows: {expected})"
            )


def _check_range(key: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{key} must be at most {maximum}, got {value}")


class Sink(abc.ABC):
    """Receives finished lineage events; see the module docstring for the full contract."""

    #: The registry key and settings prefix (``spark.lineage.<type_name>.*``).
    type_name: ClassVar[str]

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: SinkSettings) -> Sink:
        """Build the sink from its validated settings; raise ConfigError when they are wrong."""

    @abc.abstractmethod
    def emit(self, event: LineageEvent) -> None:
        """Hand over one event (may buffer); may raise, the composite isolates the failure."""

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver everything emitted so far within ``timeout`` seconds; True when all went."""
        return True

    def close(self, timeout: float | None = None) -> None:  # noqa: B027 - optional hook
        """Flush within ``timeout`` and release resources; called once, must not raise."""

    def describe(self) -> str:
        """A one-line, secret-free description for the health log."""
        return self.type_name

    def job_names(self, namespace: str, application: str) -> list[tuple[DatasetRef, str]]:
        """What this sink's store already calls the application's jobs that write one dataset:
        (that output, job name) pairs, so that a new run of the application names its outputs
        as earlier runs did and never gives a new output an earlier output's name. A sink that
        keeps no store (the default) knows none. Called on the worker thread; may raise."""
        return []
