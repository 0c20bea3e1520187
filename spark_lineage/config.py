"""The agent's ``spark.lineage.*`` settings, read once at attach time and validated.

Every setting is a Spark conf key under ``spark.lineage.`` (so ``spark-submit --conf`` and
``SparkSession.builder.config`` both work). Each key also has an environment-variable equivalent,
``SPARK_LINEAGE_`` + the key upper-cased with dots as underscores (``spark.lineage.neo4j.password``
-> ``SPARK_LINEAGE_NEO4J_PASSWORD``), used when the conf does not set it; that is the place for
secrets, which then never appear in the Spark UI or event log.

Keys are either core agent settings (:data:`CORE_KEYS`), capture settings (``capture.*``, handed
to the capture layer as they are) or the settings of one sink type (``<type>.*``, validated by that
sink). A malformed value raises :class:`ConfigError` whose message names the key; the agent turns
it into one log line and stays off, it never fails the job.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

LINEAGE_PREFIX = "spark.lineage."
ENV_PREFIX = "SPARK_LINEAGE_"
CAPTURE_NAMESPACE = "capture"


class ConfigError(ValueError):
    """A ``spark.lineage.*`` setting is missing or malformed; the message names the key."""


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def parse_bool(key: str, raw: str) -> bool:
    """Read a boolean the way people write them in confs; reject anything else by name."""
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(f"{key} must be true or false, got {raw!r}")


def env_name(key: str) -> str:
    """The environment variable equivalent of a ``spark.lineage.*`` key (or relative key)."""
    relative = key[len(LINEAGE_PREFIX) :] if key.startswith(LINEAGE_PREFIX) else key
    return ENV_PREFIX + relative.upper().replace(".", "_").replace("-", "_")


#: Core settings: relative key -> one-line description (docs/agent.md lists them with defaults).
CORE_KEYS: Mapping[str, str] = {
    "enabled": "turn the agent on (true) or off (false, the kill switch)",
    "sinks": "comma-separated sink types; default: the types that have settings, else openlineage",
    "namespace": "OpenLineage job namespace",
    "queue.size": "captured queries waiting for the worker; beyond it queries are skipped",
    "flush.timeout": "seconds to wait for delivery at close, interpreter exit and context stop",
    "warn.interval": "seconds between two repeated warnings of the same kind",
    "emit.readOnly": "also report queries that write nothing (collect, count, show...)",
    "log.level": "level of the agent's own log lines (DEBUG, INFO, WARNING, ERROR)",
    "application": "the application's name in job names (default: spark.app.name)",
    "lake.root": "path or URI under which outputs are named by their relative path in job names",
    "model.name": "the name of the model versions a saved fit() records (default: the save path)",
    "model.version": "the version of those model versions (default: the path, else the next one)",
    "profile.jvm": "also measure the JVM CPU time of each worker stage (two py4j calls a stage)",
}


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """Validated agent settings. ``sink_values`` keep each sink type's raw relative keys."""

    enabled: bool = True
    sinks: tuple[str, ...] = ()
    namespace: str = "spark"
    queue_size: int = 1000
    flush_timeout_s: float = 30.0
    warn_interval_s: float = 60.0
    emit_read_only: bool = True
    log_level: str = "INFO"
    application: str | None = None
    lake_root: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    profile_jvm: bool = False
    sink_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    capture_values: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    def sink_env(self, type_name: str) -> Mapping[str, str]:
        """Environment values of one sink type, keyed by upper-case env suffix (for secrets)."""
        prefix = env_name(type_name) + "_"
        return {k[len(prefix) :]: v for k, v in self.env.items() if k.startswith(prefix)}


def lineage_settings(conf: Mapping[str, str]) -> dict[str, str]:
    """The ``spark.lineage.*`` entries of a Spark conf, keyed relative to the prefix."""
    return {
        key[len(LINEAGE_PREFIX) :]: value
        for key, value in conf.items()
        if key.startswith(LINEAGE_PREFIX)
    }


def is_enabled(conf: Mapping[str, str], env: Mapping[str, str] | None = None) -> bool | None:
    """The kill switch alone: True/False when set (conf first, then env), None when unset.

    Cheap and tolerant on purpose (the start-up hook calls it for every session): an unreadable
    value counts as unset here and is reported by :func:`load_config`.
    """
    environ = os.environ if env is None else env
    raw = conf.get(LINEAGE_PREFIX + "enabled")
    if raw is None:
        raw = environ.get(env_name("enabled"))
    if raw is None:
        return None
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def load_config(
    conf: Mapping[str, str], env: Mapping[str, str] | None = None, *, default_enabled: bool = True
) -> AgentConfig:
    """Build and validate the agent settings from a Spark conf and the environment.

    ``conf`` holds full keys (``spark.lineage.queue.size``); keys of other prefixes are ignored.
    ``default_enabled`` is the value of ``enabled`` when neither conf nor env sets it (True for an
    explicit :func:`spark_lineage.attach`). Raises :class:`ConfigError` on the first bad key.
    """
    environ = dict(os.environ if env is None else env)
    values = lineage_settings(conf)

    def raw(key: str) -> str | None:
        value = values.get(key)
        if value is None:
            value = environ.get(env_name(key))
        return value

    core: dict[str, str] = {}
    sink_values: dict[str, dict[str, str]] = {}
    capture_values: dict[str, str] = {}
    for key, value in values.items():
        if key in CORE_KEYS:
            core[key] = value
        elif key.startswith(CAPTURE_NAMESPACE + "."):
            capture_values[key[len(CAPTURE_NAMESPACE) + 1 :]] = value
        elif "." in key:
            type_name, rest = key.split(".", 1)
            sink_values.setdefault(type_name, {})[rest] = value
        else:
            raise ConfigError(_unknown_key_message(key))

    enabled_raw = raw("enabled")
    enabled = default_enabled if enabled_raw is None else parse_bool(_full("enabled"), enabled_raw)
    return AgentConfig(
        enabled=enabled,
        sinks=_parse_sinks(raw("sinks")),
        namespace=_nonblank("namespace", raw("namespace"), "spark"),
        queue_size=_int("queue.size", raw("queue.size"), 1000, minimum=1, maximum=1_000_000),
        flush_timeout_s=_float("flush.timeout", raw("flush.timeout"), 30.0, minimum=0.0),
        warn_interval_s=_float("warn.interval", raw("warn.interval"), 60.0, minimum=0.0),
        emit_read_only=_bool("emit.readOnly", raw("emit.readOnly"), True),
        log_level=_log_level(raw("log.level")),
        application=_optional_nonblank("application", raw("application")),
        lake_root=_optional_nonblank("lake.root", raw("lake.root")),
        model_name=_optional_nonblank("model.name", raw("model.name")),
        model_version=_optional_nonblank("model.version", raw("model.version")),
        profile_jvm=_bool("profile.jvm", raw("profile.jvm"), False),
        sink_values=sink_values,
        capture_values=capture_values,
        env=environ,
    )


def _full(key: str) -> str:
    return LINEAGE_PREFIX + key


def _unknown_key_message(key: str) -> str:
    close = difflib.get_close_matches(key, list(CORE_KEYS), n=1)
    hint = f" (did you mean {_full(close[0])}?)" if close else ""
    return (
        f"unknown setting {_full(key)}{hint}; core settings are "
        f"{', '.join(_full(k) for k in CORE_KEYS)}, sink settings are spark.lineage.<sink>.<key>"
    )


def _parse_sinks(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    names = tuple(dict.fromkeys(n.strip().lower() for n in raw.split(",") if n.strip()))
    for name in names:
        if not name.replace("_", "").replace("-", "").isalnum() and ":" not in name:
            raise ConfigError(f"{_full('sinks')} has an invalid sink name {name!r}")
    return names


def _nonblank(key: str, raw: str | None, default: str) -> str:
    if raw is None:
        return default
    if not raw.strip():
        raise ConfigError(f"{_full(key)} must not be blank")
    return raw.strip()


def _optional_nonblank(key: str, raw: str | None) -> str | None:
    return None if raw is None else _nonblank(key, raw, "")


def _int(key: str, raw: str | None, default: int, *, minimum: int, maximum: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{_full(key)} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{_full(key)} must be between {minimum} and {maximum}, got {value}")
    return value


def _float(key: str, raw: str | None, default: float, *, minimum: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{_full(key)} must be a number of seconds, got {raw!r}") from None
    if value < minimum or value != value:  # NaN compares unequal to itself
        raise ConfigError(f"{_full(key)} must be at least {minimum}, got {raw!r}")
    return value


def _bool(key: str, raw: str | None, default: bool) -> bool:
    return default if raw is None else parse_bool(_full(key), raw)


_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_level(raw: str | None) -> str:
    if raw is None:
        return "INFO"
    level = raw.strip().upper()
    if level not in _LEVELS:
        raise ConfigError(f"{_full('log.level')} must be one of {', '.join(_LEVELS)}, got {raw!r}")
    return level
