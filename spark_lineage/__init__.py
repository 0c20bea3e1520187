"""spark-lineage: column-level lineage and Delta versions from every query a Spark job runs.

The public face is deliberately tiny::

    from spark_lineage import attach
    agent = attach(spark)          # reads spark.lineage.* settings from the session
    ...
    agent.flush(timeout=30)        # everything so far delivered to the sinks
    agent.close()                  # also done at interpreter exit and on spark.stop()

    from spark_lineage import record_model
    record_model("churn", "3", training_df, uri="/models/churn/3", metrics={"auc": 0.83})

Zero code change: ``spark-submit --conf spark.lineage.enabled=true job.py`` attaches the agent to
the sessions the job creates (see docs/agent.md). Importing this package is cheap on purpose (the
start-up hook imports it in every interpreter): the agent is imported on first use.
"""

from __future__ import annotations

# Imported by the start-up hook in every interpreter: no runtime import of typing/collections.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from spark_lineage.agent import DisabledAgent, LineageAgent
    from spark_lineage.model import LineageEvent

__all__ = ["attach", "record_model"]

#: The version when the package runs from a source tree (kept equal to pyproject.toml's).
__version__ = "0.1.0"


def attach(spark: Any, conf: Mapping[str, str] | None = None) -> LineageAgent | DisabledAgent:
    """Attach the lineage agent to a SparkSession and return it (once per session; never raises).

    ``conf`` adds or overrides ``spark.lineage.*`` settings (full keys). With
    ``spark.lineage.enabled=false`` or an invalid setting, one log line says why and a no-op
    agent comes back, so the job runs on unchanged.
    """
    from spark_lineage.agent import attach as attach_agent

    return attach_agent(spark, conf)


def record_model(
    name: str,
    version: str | int | None,
    training_data: Any,
    *,
    uri: str | None = None,
    metrics: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    framework: str = "spark-ml",
) -> LineageEvent | None:
    """Record that model ``name@version`` was trained on the DataFrame ``training_data``.

    The exact dataset versions the DataFrame reads (time travel included) become the model's
    ``TRAINED_ON`` versions in the graph, so ``spark-lineage reproduce model:<name>@<version>``
    can rebuild it. ``version`` None: the next number for ``name``, given when the graph is
    written. Goes out through the session's agent; never raises into the job.
    """
    from spark_lineage.training import record_model as record

    return record(
        name,
        version,
        training_data,
        uri=uri,
        metrics=metrics,
        params=params,
        framework=framework,
    )
