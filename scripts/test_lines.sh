#!/usr/bin/env bash
# The other Spark lines' part of CI (`.ci/run`): for each line, its set-up (`make setup
# SPARK=<line>`) and then, on that line's environment and its own test Neo4j, the tests that
# show the line works:
#   - the golden replay (tests/unit/lineage: every recorded line's plans);
#   - the live lineage cases (tests/integration/test_lineage_live.py);
#   - the Delta version tests (tests/integration/test_delta_versions.py; skipped on a line
#     without Delta, with that reason);
#   - the one-config-line attach tests (tests/integration/test_agent_autoattach.py: a real
#     spark-submit, on local and local-cluster).
# The main line runs the whole suite (`make test`). The whole suite of another line is
# `make test SPARK=<line>`.
#
#   scripts/test_lines.sh              # 3.5, 4.0 and 4.3, one after the other
#   scripts/test_lines.sh 3.5          # only some lines
#
# Prints one summary line per line (set-up and test seconds, pytest's result) and exits non-zero
# when any line failed. Each line's own test server (scripts/test.sh) lets this run beside the
# main line's `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."

LINES=("$@")
[ ${#LINES[@]} -gt 0 ] || LINES=(3.5 4.0 4.3)
SUBSET=(
    tests/unit/lineage
    tests/integration/test_lineage_live.py
    tests/integration/test_delta_versions.py
    tests/integration/test_agent_autoattach.py
)

log() { printf '[lines] %s\n' "$*" >&2; }

failed=0
summary=()
for line in "${LINES[@]}"; do
    started=$SECONDS
    log "Spark $line: set-up"
    if ! SPARK=$line scripts/setup.sh; then
        summary+=("Spark $line: set-up FAILED after $((SECONDS - started)) s")
        failed=1
        continue
    fi
    set_up=$((SECONDS - started))
    log "Spark $line: ${SUBSET[*]}"
    result=$(mktemp)
    SPARK=$line scripts/test.sh -q -p no:cacheprovider "${SUBSET[@]}" 2>&1 | tee "$result"
    status=${PIPESTATUS[0]}
    outcome=$(grep -E '[0-9]+ (passed|failed|errors?|skipped).* in [0-9.]+s' "$result" \
        | tail -n 1 | sed -E 's/^=+ //; s/ =+$//')
    rm -f "$result"
    [ "$status" -eq 0 ] || failed=1
    tested=$((SECONDS - started - set_up))
    summary+=("Spark $line: set-up ${set_up} s, tests ${tested} s: ${outcome:-no result} (exit $status)")
done

log "summary"
for row in "${summary[@]}"; do
    printf '[lines] %s\n' "$row"
done
exit "$failed"
