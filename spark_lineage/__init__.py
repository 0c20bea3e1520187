"""spark-lineage: column-level lineage and Delta versions from Spark queries, into Neo4j."""
