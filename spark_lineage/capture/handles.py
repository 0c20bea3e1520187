"""Cached py4j handles to JVM classes and static methods.

A py4j path such as ``jvm.org.apache.spark.sql.delta.DeltaLog.forTable(...)`` is one round trip
to the JVM per dot: each package step and the class are looked up by reflection, then the member,
then the call (8 round trips for that one). Capture makes such calls for every query, so it holds
the class and the method once per gateway instead, and a call is then one round trip.

The handles are py4j's own objects (``JavaClass``, and ``JavaMember`` as ``JavaClass`` itself
makes it for a static method), built without asking the JVM; a wrong name fails at the call,
as the py4j path would.
"""

from __future__ import annotations

import threading
from typing import Any

from py4j import protocol
from py4j.java_gateway import JavaClass, JavaMember

_LOCK = threading.Lock()
_HANDLES: dict[tuple[int, str, str], Any] = {}
_THREAD_BEANS: dict[int, Any] = {}  # the JVM's ThreadMXBean, per gateway client
_CLIENTS: dict[int, Any] = {}  # keeps each gateway client alive while its handles are cached


def _client() -> Any:
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is None:
        raise RuntimeError("no Spark gateway: capture needs the driver's JVM")
    return gateway._gateway_client


def java_class(fqn: str) -> Any:
    """The class ``fqn`` (``java.io.StringWriter``): call it to construct, one round trip."""
    return _handle(fqn, "")


def static_method(fqn: str, name: str) -> Any:
    """The static method ``name`` of class ``fqn``: one round trip per call."""
    return _handle(fqn, name)


def _handle(fqn: str, member: str) -> Any:
    client = _client()
    key = (id(client), fqn, member)
    with _LOCK:
        handle = _HANDLES.get(key)
        if handle is None:
            if member:
                handle = JavaMember(member, None, protocol.STATIC_PREFIX + fqn, client)
            else:
                handle = JavaClass(fqn, client)
            _HANDLES[key] = handle
            _CLIENTS[id(client)] = client
        return handle


def is_instance(obj: Any, fqn: str) -> bool:
    """``obj instanceof fqn`` on the JVM (class, superclass or interface): one round trip."""
    return bool(static_method("py4j.reflection.TypeUtil", "isInstanceOf")(fqn, obj))


def jvm_thread_cpu_ns() -> int:
    """CPU time (ns) of the JVM thread that serves the calling Python thread's py4j calls (PySpark
    pins one JVM thread to each Python thread): one round trip."""
    client = _client()
    with _LOCK:
        bean = _THREAD_BEANS.get(id(client))
    if bean is None:
        bean = static_method("java.lang.management.ManagementFactory", "getThreadMXBean")()
        with _LOCK:
            _THREAD_BEANS[id(client)] = bean
    return int(bean.getCurrentThreadCpuTime())


__all__ = ["is_instance", "java_class", "jvm_thread_cpu_ns", "static_method"]
