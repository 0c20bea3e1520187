"""Sink types by name: the built-in ones, any registered at run time, and ``module:Class`` paths.

Built-in types are registered as import paths so that a sink's dependencies (the Neo4j driver,
for instance) are imported only when that sink is configured. A third party adds a type with
:func:`register_sink`, or names its class directly in ``spark.lineage.sinks=my.module:MySink``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping

from spark_lineage.config import AgentConfig, ConfigError
from spark_lineage.model import AppContext
from spark_lineage.sinks.base import Sink, SinkSettings

log = logging.getLogger(__name__)

#: The sink used when nothing is configured, so lineage is never silently discarded.
DEFAULT_SINK = "openlineage"

_REGISTRY: dict[str, type[Sink] | str] = {
    "openlineage": "spark_lineage.sinks.openlineage:OpenLineageFileSink",
    "console": "spark_lineage.sinks.console:ConsoleSink",
    "neo4j": "spark_lineage.sinks.neo4j:Neo4jSink",
}


def register_sink(type_name: str, sink: type[Sink] | str) -> None:
    """Make ``type_name`` usable in ``spark.lineage.sinks`` (a class or a ``module:Class`` path)."""
    _REGISTRY[type_name.lower()] = sink


def registered_types() -> tuple[str, ...]:
    """The sink type names known to the registry, in registration order."""
    return tuple(_REGISTRY)


def sink_class(type_name: str) -> type[Sink]:
    """Resolve a sink type name (or ``module:Class`` path) to its class; ConfigError otherwise."""
    target = _REGISTRY.get(type_name.lower(), type_name if ":" in type_name else None)
    if target is None:
        known = ", ".join(_REGISTRY)
        raise ConfigError(
            f"spark.lineage.sinks names an unknown sink {type_name!r} (known: {known}, "
            "or a module:Class path)"
        )
    if isinstance(target, str):
        module_name, _, class_name = target.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"sink {type_name!r} cannot be loaded from {target}: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Sink)):
            raise ConfigError(f"sink {type_name!r} ({target}) is not a spark_lineage Sink")
        return cls
    return target


def selected_types(config: AgentConfig) -> tuple[str, ...]:
    """Which sinks run: ``spark.lineage.sinks`` if set, else every registered type that has
    ``spark.lineage.<type>.*`` settings, else :data:`DEFAULT_SINK`."""
    if config.sinks:
        return config.sinks
    configured = tuple(t for t in _REGISTRY if t in config.sink_values)
    return configured or (DEFAULT_SINK,)


def build_sinks(config: AgentConfig, app: AppContext | None) -> list[Sink]:
    """Instantiate the selected sinks from their settings.

    Raises :class:`ConfigError` for an unknown type, settings of a type nobody registered (a typo
    such as ``spark.lineage.neo4jj.uri``) or a sink that rejects its settings. Sinks built before
    the failure are closed again.
    """
    classes = [sink_class(type_name) for type_name in selected_types(config)]
    known = set(_REGISTRY) | {_type_of(cls) for cls in classes}
    unknown = sorted(t for t in config.sink_values if t not in known)
    if unknown:
        keys = ", ".join(f"spark.lineage.{t}.{next(iter(config.sink_values[t]))}" for t in unknown)
        raise ConfigError(
            f"unknown setting(s) {keys}: no sink type {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(known))})"
        )
    built: list[Sink] = []
    try:
        for cls in classes:
            type_name = _type_of(cls)
            settings = SinkSettings(
                type_name=type_name,
                values=_values_for(config.sink_values, type_name),
                app=app,
                env=config.sink_env(type_name),
            )
            built.append(cls.from_settings(settings))
    except Exception:
        for sink in built:
            _close_quietly(sink)
        raise
    return built


def _type_of(cls: type[Sink]) -> str:
    return str(getattr(cls, "type_name", cls.__name__)).lower()


def _values_for(sink_values: Mapping[str, Mapping[str, str]], type_name: str) -> dict[str, str]:
    return dict(sink_values.get(type_name, {}))


def _close_quietly(sink: Sink) -> None:
    try:
        sink.close(0)
    except Exception:  # a half-built sink must not hide the configuration error
        log.debug("closing %s after a configuration error failed", sink.describe(), exc_info=True)
