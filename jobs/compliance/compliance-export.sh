#!/usr/bin/env bash
# Scheduled compliance export (cron, systemd timer): apply the tag policy, then export everything
# that finished since the last successful export, and verify it (the export command verifies its
# own manifest and exits non-zero if that fails).
#
# Exit status: 0 done; 1 failed (Neo4j unreachable, bad policy...); 2 bad usage;
# 75 another export still holds the lock (nothing was written: the next run catches up, because
# the window starts at the stored watermark).
#
# Settings (environment): SPARK_LINEAGE_NEO4J_URI / _USER / _PASSWORD (or a config file),
# SPARK_LINEAGE_EXPORT_DIR, SPARK_LINEAGE_POLICY, SPARK_LINEAGE_EXPORT_LAG (seconds of slack for
# events still in flight), SPARK_LINEAGE_BIN. Extra arguments go to `spark-lineage export`
# (e.g. --tag pii, --format csv).
set -euo pipefail

OUT=${SPARK_LINEAGE_EXPORT_DIR:-/var/lib/spark-lineage/exports}
POLICY=${SPARK_LINEAGE_POLICY:-/etc/spark-lineage/tags.toml}
LAG=${SPARK_LINEAGE_EXPORT_LAG:-300}
BIN=${SPARK_LINEAGE_BIN:-spark-lineage}

if [ -f "$POLICY" ]; then
    # Propagation runs inside the export (under its lock), so not here.
    "$BIN" tags apply "$POLICY" --no-propagate
fi
exec "$BIN" export --out "$OUT" --since last --lag "$LAG" "$@"
