"""Airflow DAG example: an hourly compliance export of the data interval, then its verification.

Each task run exports exactly its own data interval, ``[data_interval_start, data_interval_end)``,
so reruns and backfills rewrite the same directory (idempotent file names) and consecutive
intervals have no gap and no overlap. The Neo4j password comes from an Airflow connection or the
worker's environment (``SPARK_LINEAGE_NEO4J_PASSWORD``), never from the command line.
Exit status 75 (another export holds the lock) fails the try; ``retries`` runs it again later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

OUT = "/var/lib/spark-lineage/exports"
POLICY = "/etc/spark-lineage/tags.toml"

with DAG(
    dag_id="spark_lineage_compliance_export",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=True,
    max_active_runs=1,
    default_args={"retries": 3, "retry_delay": timedelta(minutes=5)},
    tags=["compliance", "lineage"],
) as dag:
    apply_policy = BashOperator(
        task_id="apply_policy",
        bash_command=f"spark-lineage tags apply {POLICY} --no-propagate",
    )
    export = BashOperator(
        task_id="export",
        bash_command=(
            f"spark-lineage export --out {OUT} "
            "--since '{{ data_interval_start.isoformat() }}' "
            "--until '{{ data_interval_end.isoformat() }}'"
        ),
    )
    apply_policy >> export
