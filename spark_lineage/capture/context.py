"""Session-level facts and hooks read through py4j: app context, settings, listener wiring.

Everything here runs at attach/close time or on the agent's worker thread, never on Spark's
listener thread. Functions take a PySpark ``SparkSession`` (typed ``Any``: pyspark is optional
for the rest of the package).
"""

from __future__ import annotations

import logging
from typing import Any

from spark_lineage.model import AppContext

log = logging.getLogger(__name__)

LISTENER_INTERFACE = "org.apache.spark.sql.util.QueryExecutionListener"


def read_app_context(spark: Any) -> AppContext:
    """The application the session belongs to (id, name, user, master, Spark version)."""
    sc = spark.sparkContext
    return AppContext(
        app_id=str(sc.applicationId),
        app_name=str(sc.appName),
        user=str(sc.sparkUser()),
        master=str(sc.master),
        spark_version=str(spark.version),
    )


def read_lineage_conf(spark: Any) -> dict[str, str]:
    """Every ``spark.lineage.*`` entry: the SparkConf, overlaid with the session's runtime conf."""
    prefix = "spark.lineage."
    values = {k: v for k, v in spark.sparkContext.getConf().getAll() if k.startswith(prefix)}
    try:
        runtime = spark.conf.getAll
    except Exception:  # older or remote sessions: the SparkConf alone is enough
        runtime = {}
    values.update({k: v for k, v in dict(runtime).items() if k.startswith(prefix)})
    return values


def lineage_enabled_flag(spark: Any) -> str | None:
    """The raw ``spark.lineage.enabled`` value (one py4j call), or None when unset."""
    value = spark.sparkContext.getConf().get("spark.lineage.enabled")
    return None if value is None else str(value)


def register_listener(spark: Any, listener: Any) -> Any:
    """Register a py4j QueryExecutionListener proxy on the session's listener manager; returns
    the JVM-side listener, which :func:`unregister_listener` needs.

    py4j wraps a Python object in a new JVM proxy each time it is passed, and Spark removes a
    listener by reference, so unregistering with the Python object again would remove nothing:
    the proxy Spark holds is read back from the manager (the one just appended).
    """
    from pyspark import java_gateway

    start_callback_server: Any = java_gateway.ensure_callback_server_started
    start_callback_server(spark.sparkContext._gateway)
    manager = spark._jsparkSession.listenerManager()
    manager.register(listener)
    registered = manager.listListeners()
    return registered[len(registered) - 1]


def unregister_listener(spark: Any, registered: Any) -> None:
    """Remove the listener :func:`register_listener` returned; harmless when the session or JVM
    is already gone."""
    try:
        spark._jsparkSession.listenerManager().unregister(registered)
    except Exception:
        log.debug("spark-lineage: unregistering the listener failed", exc_info=True)


def drain_listener_bus(spark: Any, timeout_s: float) -> bool:
    """Wait until Spark's listener bus has delivered every posted event (e.g. the last query's
    ``onSuccess``) so that a flush right after an action sees that action. False on timeout."""
    try:
        spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(int(timeout_s * 1000))
    except Exception:
        log.debug("spark-lineage: waiting for the listener bus failed", exc_info=True)
        return False
    return True


def describe_exception(spark: Any, exception: Any, max_chars: int = 8000) -> tuple[str, str | None]:
    """(``toString()``, stack trace) of a JVM Throwable in two py4j calls; never raises."""
    try:
        message = str(exception.toString())
    except Exception:
        return (f"{type(exception).__name__}: {exception}", None)
    try:
        text = str(spark.sparkContext._jvm.org.apache.spark.util.Utils.exceptionString(exception))
    except Exception:
        return (message, None)
    _, _, stack = text.partition("\n")
    return (message, stack[:max_chars] or None)


def read_sql_text(query_execution: Any) -> str | None:
    """The SQL text the query was parsed from, when it came from ``spark.sql`` (else None)."""
    try:
        origin_sql = query_execution.logical().origin().sqlText()
        if origin_sql.isDefined():
            return str(origin_sql.get())
    except Exception:
        log.debug("spark-lineage: reading the SQL text failed", exc_info=True)
    return None


def query_start_ms(query_execution: Any) -> int | None:
    """When Spark started working on the query (earliest phase of its ``QueryPlanningTracker``).

    Used for failed queries, where Spark's callback gives no duration. Worker thread only; a few
    py4j calls; None when the tracker has no phases.
    """
    try:
        phases = query_execution.tracker().phases().values().iterator()
        starts: list[int] = []
        while phases.hasNext():
            starts.append(int(phases.next().startTimeMs()))
    except Exception:
        log.debug("spark-lineage: reading the query's phase times failed", exc_info=True)
        return None
    return min(starts) if starts else None
