# spark-lineage developer commands. Every target works from a fresh clone (run `make setup` first,
# or let `make test` do it).
.PHONY: help setup test lint neo4j-start neo4j-stop neo4j-status demo

# The Spark line: empty is the main line (4.1, in .venv); 3.5, 4.0 and 4.3 (no Delta) live in
# .venv-spark<line>/.
SPARK ?=
export SPARK

help:
	@echo "make setup        venv, Delta jars, local Neo4j build (idempotent)"
	@echo "                  SPARK=3.5, 4.0 or 4.3: that line's env in .venv-spark<line>/"
	@echo "make test         full test suite against a throw-away Neo4j (ARGS='-x -q tests/unit')"
	@echo "                  SPARK=3.5, 4.0 or 4.3: the suite on that line"
	@echo "make lint         ruff + mypy (strict)"
	@echo "make neo4j-start  local Neo4j on bolt://127.0.0.1:7687 (data in .neo4j/)"
	@echo "make neo4j-stop   stop it"
	@echo "make demo         end-to-end demo (scripts/demo.sh)"

setup:
	scripts/setup.sh

test:
	scripts/test.sh $(ARGS)

lint:
	.venv/bin/ruff check spark_lineage tests jobs scripts benchmarks
	.venv/bin/mypy

neo4j-start:
	scripts/neo4j.sh start

neo4j-stop:
	scripts/neo4j.sh stop

neo4j-status:
	scripts/neo4j.sh status

demo:
	scripts/demo.sh
