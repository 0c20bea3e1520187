"""The only code that talks to the JVM (py4j): the query listener, session context, plan capture.

``listener`` stashes references on Spark's listener thread; ``context`` reads application facts and
wires the listener; ``plan`` (and its helpers) turns a ``QueryExecution`` into a plain
:class:`~spark_lineage.model.CapturedPlan` on the agent's worker thread.
"""
