"""Where lineage events go: the sink contract, the registry of sink types and the built-ins.

See :mod:`spark_lineage.sinks.base` for the contract every sink follows.
"""

from spark_lineage.sinks.base import Sink, SinkSettings
from spark_lineage.sinks.composite import CompositeSink
from spark_lineage.sinks.registry import build_sinks, register_sink

__all__ = ["CompositeSink", "Sink", "SinkSettings", "build_sinks", "register_sink"]
