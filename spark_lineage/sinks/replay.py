"""``spark-lineage replay``: deliver the spooled events into Neo4j, in order.

The spool is what the Neo4j sink (:mod:`spark_lineage.sinks.neo4j`) writes while Neo4j cannot
take events; this module empties it on demand, with the same writer and the same rule for what
counts as a rejected event.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spark_lineage.graph.connection import is_event_rejection, open_driver
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.sinks.spool import DeliveryReport, Spool


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """``spark-lineage replay``: the spool delivery, and the dead-letter retry when asked."""

    delivery: DeliveryReport
    rejected_sent: int = 0
    rejected_kept: int = 0


def replay_spool(
    settings: Neo4jSettings, spool_dir: Path, *, include_rejected: bool = False
) -> ReplayReport:
    """Deliver every spooled event no live process owns, in order (``spark-lineage replay``).

    With ``include_rejected``, the dead-lettered events are tried again too (after a fix).
    """
    with open_driver(settings) as driver:
        writer = GraphWriter(driver, settings.database)
        spool = Spool(spool_dir)
        try:
            delivery = spool.deliver(writer.write, is_event_rejection)
            if not include_rejected or delivery.error is not None:
                return ReplayReport(delivery)
            sent, kept = spool.retry_rejected(writer.write)
            return ReplayReport(delivery, sent, kept)
        finally:
            spool.close()
