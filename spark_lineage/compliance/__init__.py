"""Compliance: sensitive-column tags that follow the lineage, and scheduled audit exports.

- :mod:`.policy` reads a TOML policy file (dataset and column patterns -> tags);
- :mod:`.tagging` writes and removes tags in the graph (policy, command line, Delta metadata);
- :mod:`.propagation` carries each tag downstream along ``FEEDS`` (clear / masked / indirect),
  keeping its origin column and path;
- :mod:`.export` produces the windowed audit report (CSV, JSON, Parquet, OpenLineage) with a
  manifest (:mod:`.manifest`), a stored watermark and a lock (:mod:`.state`).

All Cypher of this package is in :mod:`.queries`. See ``docs/compliance.md``.
"""
