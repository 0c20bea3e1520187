"""Uniqueness constraints and indexes: created once, idempotently, before the first MERGE.

``ensure_schema`` is safe to call from many processes at once (every statement is
``IF NOT EXISTS``; a lost race with an equivalent definition is ignored), and cheap once the
schema exists (one ``SHOW INDEXES`` round trip). Rules are recognised by what they cover (label,
property, kind), not only by name, so an equivalent rule created by someone else counts as present.
``schema_state`` tells ``doctor`` what is present, missing or still populating.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors

from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.queries import (
    AWAIT_INDEXES,
    RETIRED_INDEXES,
    SCHEMA,
    SHOW_SCHEMA,
    SchemaRule,
)
from spark_lineage.graph.settings import Neo4jSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Which of our constraints and indexes exist, which are missing, which are not online, and
    which indexes of earlier versions (:data:`RETIRED_INDEXES`) are still there."""

    present: tuple[str, ...]
    missing: tuple[str, ...]
    not_online: tuple[str, ...]
    retired: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing and not self.not_online


def _matches(rule: SchemaRule, index: dict[str, Any]) -> bool:
    entity = "RELATIONSHIP" if rule.relationship else "NODE"
    unique = index.get("owningConstraint") is not None
    return (
        index.get("entityType") == entity
        and list(index.get("labelsOrTypes") or []) == [rule.label]
        and list(index.get("properties") or []) == [rule.prop]
        and index.get("type") == "RANGE"
        and unique == (rule.kind == "UNIQUENESS")
    )


def schema_state(driver: neo4j.Driver, database: str | None = None) -> SchemaState:
    """Compare the server's constraints and indexes with the ones the graph model needs."""
    with driver.session(database=database) as session:
        indexes = [record.data() for record in session.run(SHOW_SCHEMA.text)]
    present: list[str] = []
    missing: list[str] = []
    not_online: list[str] = []
    for rule in SCHEMA:
        found = [index for index in indexes if _matches(rule, index)]
        if not found:
            missing.append(rule.name)
            continue
        present.append(rule.name)
        if all(index.get("state") != "ONLINE" for index in found):
            not_online.append(rule.name)
    retired = tuple(
        str(index["name"])
        for index in indexes
        if index.get("name") in RETIRED_INDEXES and index.get("owningConstraint") is None
    )
    return SchemaState(tuple(present), tuple(missing), tuple(not_online), retired)


def ensure_schema(
    driver: neo4j.Driver, database: str | None = None, *, wait_s: int = 120
) -> SchemaState:
    """Create whatever constraint or index is missing, drop retired indexes, wait until all are
    online, report state. A retired index that cannot be dropped (a user without schema rights)
    is only logged: it slows some writes, it does not make them wrong."""
    state = schema_state(driver, database)
    for name in state.retired:
        try:
            with driver.session(database=database) as session:
                session.run(RETIRED_INDEXES[name].text).consume()
        except neo4j_errors.Neo4jError as exc:
            log.warning("spark-lineage: could not drop the retired index %s (%s); run "
                        "`spark-lineage schema init` as an admin", name, exc.code)
    if state.retired:
        state = schema_state(driver, database)
    if state.missing:
        rules = {rule.name: rule for rule in SCHEMA}
        with driver.session(database=database) as session:
            for name in state.missing:
                try:
                    session.run(rules[name].statement).consume()
                except neo4j_errors.ClientError as exc:
                    # Another process created an equivalent rule between our SHOW and CREATE.
                    if "EquivalentSchemaRuleAlreadyExists" not in (exc.code or ""):
                        raise
    if state.missing or state.not_online:
        with driver.session(database=database) as session:
            session.run(AWAIT_INDEXES.text, timeout_s=wait_s).consume()
        state = schema_state(driver, database)
    return state


def init_schema(settings: Neo4jSettings) -> SchemaState:
    """``spark-lineage schema init``: connect and create the constraints and indexes."""
    with open_driver(settings) as driver:
        return ensure_schema(driver, settings.database)
