"""Zero-code-change start: attach the agent to sessions an unmodified job creates.

The package installs ``spark_lineage_autoattach.pth`` into site-packages (see ``setup.py``). Python
runs it at interpreter start, and it calls :func:`install`, which only adds a tiny import hook: when
(and if) the interpreter imports ``pyspark.sql.session``, ``SparkSession.Builder.getOrCreate`` is
wrapped so that, after the session exists, the agent attaches if ``spark.lineage.enabled=true``
(Spark conf, e.g. ``spark-submit --conf``, or the ``SPARK_LINEAGE_ENABLED`` environment variable).

Cost when not enabled: one string comparison per import until pyspark is imported, then one conf
lookup the first time each session comes out of ``getOrCreate``. ``SPARK_LINEAGE_AUTOATTACH=0``
removes even that. Nothing here may raise into the job: every step is guarded.

Why the conf is read after the session exists: under ``spark-submit`` the driver's settings live
in the JVM (the Python driver only gets ``PYSPARK_GATEWAY_PORT``), so they cannot be read earlier
without starting the gateway ourselves.
"""

from __future__ import annotations

import os
import sys

# Start-up cost matters here (every interpreter runs this module): only ``os`` and ``sys``, both
# already loaded, are imported eagerly; typing names are for type checkers only, and logging and
# threading are imported when pyspark is in use (by then they are loaded anyway).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import ModuleType
    from typing import Any

SESSION_MODULE = "pyspark.sql.session"
_OFF = frozenset({"0", "false", "no", "off"})
_TRUE = frozenset({"1", "true", "yes", "on"})

_CHECKED = "_spark_lineage_checked"
_installed = False


def install() -> None:
    """Arm the hook (idempotent): patch now if pyspark is loaded, else when it gets imported."""
    global _installed
    if _installed or os.environ.get("SPARK_LINEAGE_AUTOATTACH", "1").strip().lower() in _OFF:
        return
    _installed = True
    module = sys.modules.get(SESSION_MODULE)
    if module is not None:
        patch_session_module(module)
    else:
        sys.meta_path.insert(0, _SessionImportHook())


def when_imported(fullname: str, patch: Callable[[ModuleType], None]) -> None:
    """Run ``patch`` on module ``fullname`` now if it is loaded, else right after its import."""
    module = sys.modules.get(fullname)
    if module is not None:
        patch(module)
    else:
        sys.meta_path.insert(0, _ImportHook(fullname, patch))


class _LoaderWithPatch:
    """Delegates to the real loader, then patches the freshly executed module."""

    def __init__(self, inner: Any, patch: Callable[[ModuleType], None]) -> None:
        self._inner = inner
        self._patch = patch

    def create_module(self, spec: Any) -> ModuleType | None:
        create: Callable[[Any], ModuleType | None] | None = getattr(
            self._inner, "create_module", None
        )
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        self._patch(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename... for tools
        return getattr(self._inner, name)


class _ImportHook:
    """A meta-path finder that only reacts to one module, then removes itself."""

    def __init__(self, fullname: str, patch: Callable[[ModuleType], None]) -> None:
        self._fullname = fullname
        self._patch = patch

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> Any:
        if fullname != self._fullname:
            return None
        import contextlib

        with contextlib.suppress(ValueError):  # a concurrent import may have removed it already
            sys.meta_path.remove(self)
        try:
            import importlib.util

            spec = importlib.util.find_spec(fullname)
        except Exception:
            return None
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _LoaderWithPatch(spec.loader, self._patch)  # type: ignore[assignment]
        return spec


class _SessionImportHook(_ImportHook):
    """The start-up hook: patches ``pyspark.sql.session`` when it is imported."""

    def __init__(self) -> None:
        super().__init__(SESSION_MODULE, patch_session_module)


def patch_session_module(module: ModuleType) -> None:
    """Wrap ``SparkSession.Builder.getOrCreate`` in ``module`` once; never raises."""
    try:
        builder = module.SparkSession.Builder
        original = builder.getOrCreate
        if getattr(original, "_spark_lineage_wrapped", False):
            return

        def getOrCreate(self: Any) -> Any:  # keeps pyspark's method name
            session = original(self)
            maybe_attach(session)
            return session

        getOrCreate._spark_lineage_wrapped = True  # type: ignore[attr-defined]
        getOrCreate.__doc__ = original.__doc__
        getOrCreate.__wrapped__ = original  # type: ignore[attr-defined]
        builder.getOrCreate = getOrCreate
    except Exception:
        _log().debug("spark-lineage: could not patch SparkSession.Builder", exc_info=True)


def maybe_attach(session: Any) -> None:
    """Attach to ``session`` if ``spark.lineage.enabled`` says so; checks each session once."""
    try:
        if getattr(session, _CHECKED, False):
            return
        setattr(session, _CHECKED, True)  # on the object: ids are reused after a session dies
        if not hasattr(session, "_jsparkSession"):  # Spark Connect: no JVM in this process
            return
        if not _enabled(session):
            return
        from spark_lineage.agent import attach

        attach(session, default_enabled=False)
    except Exception:
        _log().warning("spark-lineage: automatic attach failed; the job continues", exc_info=True)


def _enabled(session: Any) -> bool:
    raw = session.conf.get("spark.lineage.enabled", None)
    if raw is None:
        raw = os.environ.get("SPARK_LINEAGE_ENABLED")
    return raw is not None and str(raw).strip().lower() in _TRUE


def _log() -> Any:
    import logging

    return logging.getLogger(__name__)
