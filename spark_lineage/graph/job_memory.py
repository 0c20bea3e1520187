"""The names the graph already gives an application's jobs: the job-name memory of earlier runs.

A path output outside the lake root is named by the shortest suffix of its path that no other
output of the application has (:mod:`spark_lineage.job_names`). Within one process the namer
remembers what it named; across processes that memory is the graph: before its first event, a
new run reads the application's single-output jobs here, so that it names each known output as
before and gives a new output a suffix no earlier output holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark_lineage.graph.queries import JOB_OUTPUT_NAMES
from spark_lineage.model import DatasetRef

if TYPE_CHECKING:
    import neo4j


def job_output_names(
    driver: neo4j.Driver, database: str | None, namespace: str, application: str
) -> list[tuple[DatasetRef, str]]:
    """(output dataset, job name) for each job of ``application`` in ``namespace`` that writes
    exactly one dataset (a read transaction, one query)."""

    def read(tx: neo4j.ManagedTransaction) -> list[tuple[DatasetRef, str]]:
        rows = tx.run(JOB_OUTPUT_NAMES.text, namespace=namespace, prefix=application + ".")
        return [
            (DatasetRef(row["namespace"], row["name"], table=row["table"]), row["job"])
            for row in rows
        ]

    with driver.session(database=database) as session:
        return session.execute_read(read)
