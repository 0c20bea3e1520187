"""The tag policy file: dataset and column patterns mapped to tags (TOML, stdlib ``tomllib``).

```toml
name = "customer-data"                 # optional (default: the file name without .toml)

[[rule]]
name = "customer contact data"        # optional, recorded on each tag it sets
datasets = ["*/lake/customers", "shop.customers"]
columns = ["email", "phone*"]
tags = ["pii"]
```

A dataset pattern matches the dataset's graph key (``file::/lake/customers``), its name (the path)
or its catalog table (``shop.customers``); patterns are shell globs (``fnmatch``), compared case-
sensitively for keys and paths and case-insensitively for table names (Spark's catalog is
case-insensitive). Column patterns match the column name (nested fields dotted). Matching is pure:
:func:`match_columns` takes the columns the graph knows and returns the assignments.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from spark_lineage.compliance.model import TagAssignment, TagSource

#: Tag names: letters, digits, ``_ - . :`` (they appear in file names and Cypher parameters).
TAG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class PolicyError(ValueError):
    """The policy file is missing, not TOML, or a rule is malformed."""


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One rule: columns matching ``columns`` of datasets matching ``datasets`` get ``tags``."""

    name: str
    datasets: tuple[str, ...]
    columns: tuple[str, ...]
    tags: tuple[str, ...]

    def matches_dataset(self, key: str, name: str | None, table: str | None) -> bool:
        for pattern in self.datasets:
            if fnmatchcase(key, pattern) or (name is not None and fnmatchcase(name, pattern)):
                return True
            if table is not None and fnmatchcase(table.lower(), pattern.lower()):
                return True
        return False

    def matches_column(self, column: str) -> bool:
        return any(fnmatchcase(column, pattern) for pattern in self.columns)


@dataclass(frozen=True, slots=True)
class Policy:
    """The rules of one policy file, in file order."""

    rules: tuple[PolicyRule, ...]
    name: str = "policy"
    origin: str = ""


@dataclass(frozen=True, slots=True)
class DatasetColumns:
    """A dataset as the policy sees it: its identities and its column names."""

    key: str
    name: str | None
    table: str | None
    columns: tuple[tuple[str, str], ...]  # (column key, column name)


def validate_tag(name: str) -> str:
    """Return ``name`` if it is a valid tag name, else raise :class:`PolicyError`."""
    if not TAG_NAME.match(name):
        raise PolicyError(
            f"invalid tag name {name!r}: use letters, digits, '_', '-', '.', ':' (at most 64)"
        )
    return name


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; every problem names the rule it is in."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise PolicyError(f"policy file {path} is not UTF-8 text (byte {exc.start})") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc}") from exc
    return parse_policy(data, origin=str(path), default_name=path.stem)


def parse_policy(data: dict[str, Any], origin: str = "", default_name: str = "policy") -> Policy:
    """Validate the parsed TOML (``name``, ``[[rule]]`` tables) into a :class:`Policy`.

    ``name`` identifies the policy in the graph (``TAGGED.assigned_by``): applying a policy only
    adds and removes its own tags, so several policy files can coexist.
    """
    unknown = set(data) - {"rule", "name", "version"}
    if unknown:
        raise PolicyError(f"unknown top-level key(s) in policy: {', '.join(sorted(unknown))}")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise PolicyError("'rule' must be an array of tables ([[rule]])")
    rules = [_parse_rule(raw, index) for index, raw in enumerate(raw_rules, start=1)]
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise PolicyError("'name' must be a non-empty string")
    return Policy(tuple(rules), name, origin)


def _parse_rule(raw: Any, index: int) -> PolicyRule:
    if not isinstance(raw, dict):
        raise PolicyError(f"rule {index}: must be a table")
    name = str(raw.get("name") or f"rule {index}")
    unknown = set(raw) - {"name", "datasets", "columns", "tags"}
    if unknown:
        raise PolicyError(f"{name}: unknown key(s) {', '.join(sorted(unknown))}")
    fields = {key: _string_list(raw, key, name) for key in ("datasets", "columns", "tags")}
    for tag in fields["tags"]:
        try:
            validate_tag(tag)
        except PolicyError as exc:
            raise PolicyError(f"{name}: {exc}") from None
    return PolicyRule(name, fields["datasets"], fields["columns"], fields["tags"])


def _string_list(raw: dict[str, Any], key: str, rule: str) -> tuple[str, ...]:
    value = raw.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise PolicyError(f"{rule}: '{key}' must be a non-empty string or list of strings")
    return tuple(value)


def match_columns(policy: Policy, datasets: Iterable[DatasetColumns]) -> list[TagAssignment]:
    """Every (column, tag) the policy asserts over ``datasets``, sorted, one per pair.

    When several rules give the same tag to a column, the first rule (file order) is recorded.
    """
    found: dict[tuple[str, str], TagAssignment] = {}
    for dataset in datasets:
        for rule in policy.rules:
            if not rule.matches_dataset(dataset.key, dataset.name, dataset.table):
                continue
            for column_key, column_name in dataset.columns:
                if rule.matches_column(column_name):
                    for tag in rule.tags:
                        found.setdefault(
                            (column_key, tag),
                            TagAssignment(
                                column_key, tag, TagSource.POLICY, rule.name, policy.name
                            ),
                        )
    return [found[key] for key in sorted(found)]
