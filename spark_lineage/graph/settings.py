"""Where the graph lives and how to log in: Neo4j settings from flags, environment or a config file.

One resolution order for every entry point (CLI, sink, benchmark): explicit values (CLI flags or
``spark.lineage.neo4j.*`` Spark settings) win over the environment (``SPARK_LINEAGE_NEO4J_URI``,
``_USER``, ``_PASSWORD``, ``_DATABASE``), which wins over a TOML config file (``--config``,
``SPARK_LINEAGE_CONFIG`` or ``~/.config/spark-lineage/config.toml``, section ``[neo4j]``), which
wins over the defaults (``bolt://127.0.0.1:7687``, user ``neo4j``).

The password never appears in ``repr``, logs or error messages: it is never put into one, so
nothing has to be searched for and scrubbed afterwards. :func:`redact_uri` (what messages show of
a URI) drops any ``user:password@`` part and the values of its query string (``?password=***``),
and :class:`Neo4jSettings` hides the password field.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URI = "bolt://127.0.0.1:7687"
DEFAULT_USER = "neo4j"
ENV_PREFIX = "SPARK_LINEAGE_NEO4J_"
CONFIG_ENV = "SPARK_LINEAGE_CONFIG"
SPOOL_ENV = "SPARK_LINEAGE_SPOOL_DIR"
SPARK_CONF_PREFIX = "spark.lineage.neo4j."

#: URI schemes the official driver accepts; ``+s`` verifies the server certificate, ``+ssc``
#: accepts a self-signed one. ``neo4j`` schemes route (clusters), ``bolt`` ones talk to one server.
SUPPORTED_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class SettingsError(ValueError):
    """The configuration cannot work as given (bad URI scheme, unreadable config file...)."""


@dataclass(frozen=True, slots=True, repr=False)
class Neo4jSettings:
    """Connection settings for the lineage graph (password hidden from ``repr``)."""

    uri: str = DEFAULT_URI
    user: str = DEFAULT_USER
    password: str = field(default="", repr=False)
    database: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        validate_uri(self.uri)

    def __repr__(self) -> str:
        return f"Neo4jSettings({self.describe()})"

    @property
    def display_uri(self) -> str:
        """The URI with any embedded credentials removed: safe to print and log."""
        return redact_uri(self.uri)

    @property
    def uses_tls(self) -> bool:
        return "+" in urlsplit(self.uri).scheme

    def describe(self) -> str:
        """One safe line for logs and ``doctor``: URI, user, database, never the password."""
        database = self.database or "(server default)"
        password = "set" if self.password else "NOT SET"
        return f"uri={self.display_uri} user={self.user} database={database} password={password}"


def validate_uri(uri: str) -> None:
    """Reject URIs the driver cannot use, with a message that names the accepted schemes."""
    parts = urlsplit(uri)
    if parts.scheme not in SUPPORTED_SCHEMES:
        raise SettingsError(
            f"unsupported Neo4j URI {redact_uri(uri)!r}: the scheme must be one of "
            f"{', '.join(s + '://' for s in SUPPORTED_SCHEMES)}"
        )
    if not parts.hostname:
        raise SettingsError(f"Neo4j URI {redact_uri(uri)!r} has no host")
    if "@" in parts.netloc:
        raise SettingsError(
            f"Neo4j URI {redact_uri(uri)!r} must not carry credentials: give the user and "
            "password as settings (SPARK_LINEAGE_NEO4J_USER / _PASSWORD or the config file)"
        )
    if parts.query and parts.scheme.startswith("bolt"):  # the driver would refuse, quoting it
        raise SettingsError(
            f"Neo4j URI {redact_uri(uri)!r} has a query string: only neo4j:// URIs take one "
            "(routing context); give the password as a setting, never in the URI"
        )


def redact_uri(uri: str) -> str:
    """The URI as people and logs may see it: no ``user:password@``, no query value, no fragment.

    ``neo4j://host?policy=eu&password=x`` shows as ``neo4j://host?policy=***&password=***``.
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<unparseable uri>"
    host = parts.netloc.rsplit("@", 1)[-1]
    fields = parts.query.split("&") if parts.query else []
    query = "&".join(f"{f.split('=', 1)[0]}=***" if "=" in f else "***" for f in fields)
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def default_config_path() -> Path:
    return Path.home() / ".config" / "spark-lineage" / "config.toml"


def default_spool_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where spooled events wait: ``SPARK_LINEAGE_SPOOL_DIR`` or ``~/.spark-lineage/spool``.

    A directory under the home directory (not the working directory) so that the next start of a
    job, or ``spark-lineage replay`` run from anywhere, finds what an earlier process left.
    """
    env = os.environ if environ is None else environ
    configured = env.get(SPOOL_ENV)
    return Path(configured) if configured else Path.home() / ".spark-lineage" / "spool"


def load_config_file(path: Path | None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read the TOML config file (explicit path, ``SPARK_LINEAGE_CONFIG`` or the default).

    A missing default file is fine (empty config); a missing explicit file or invalid TOML is an
    error, because the user asked for it.
    """
    env = os.environ if environ is None else environ
    explicit = path or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    candidate = explicit or default_config_path()
    if not candidate.exists():
        if explicit is not None:
            raise SettingsError(f"config file {candidate} does not exist")
        return {}
    try:
        with candidate.open("rb") as handle:
            return tomllib.load(handle)
    except UnicodeDecodeError as exc:  # its text would quote bytes of the file (the password?)
        raise SettingsError(
            f"config file {candidate} is not UTF-8 text (byte {exc.start})"
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read config file {candidate}: {exc}") from exc


#: The keys of the config file's ``[neo4j]`` section.
FILE_KEYS = ("uri", "user", "password", "database")


def _check_known(what: str, table: Mapping[str, Any], known: Sequence[str], where: str) -> None:
    """A typo (``pasword``) must not pass silently as 'authentication failed' later on."""
    for name in table:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SettingsError(
                f"unknown {what} {name!r} {where}of the config file{hint}; "
                f"known: {', '.join(known)}"
            )


def resolve_settings(
    explicit: Mapping[str, str | None] | None = None,
    *,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Neo4jSettings:
    """Merge flags > environment > config file > defaults into one :class:`Neo4jSettings`.

    ``explicit`` holds ``uri``, ``user``, ``password``, ``database`` (None = not given).
    ``sources`` on the result records where each value came from (for ``doctor``).
    """
    env = os.environ if environ is None else environ
    given = {k: v for k, v in (explicit or {}).items() if v}
    config = load_config_file(config_path, env)
    _check_known("section", config, ("neo4j",), "")
    file_section = config.get("neo4j", {})
    if not isinstance(file_section, dict):
        raise SettingsError("the [neo4j] section of the config file must be a table")
    _check_known("key", file_section, FILE_KEYS, "in [neo4j] ")
    defaults: dict[str, str | None] = {
        "uri": DEFAULT_URI,
        "user": DEFAULT_USER,
        "password": "",
        "database": None,
    }
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for name, default in defaults.items():
        env_value = env.get(ENV_PREFIX + name.upper())
        if name in given:
            values[name], sources[name] = given[name], "flag"
        elif env_value:
            values[name], sources[name] = env_value, "environment"
        elif file_section.get(name):
            values[name], sources[name] = str(file_section[name]), "config file"
        else:
            values[name], sources[name] = default, "default"
    return Neo4jSettings(
        uri=str(values["uri"]),
        user=str(values["user"]),
        password=str(values["password"] or ""),
        database=values["database"] or None,
        sources=sources,
    )


def settings_from_spark_conf(
    conf: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> Neo4jSettings:
    """Settings from ``spark.lineage.neo4j.{uri,user,password,database}`` (then env, file)."""
    explicit = {
        name: conf.get(SPARK_CONF_PREFIX + name) for name in ("uri", "user", "password", "database")
    }
    return resolve_settings(explicit, environ=environ)


def with_password(settings: Neo4jSettings, password: str) -> Neo4jSettings:
    """A copy with another password (tests of the wrong-password path)."""
    return replace(settings, password=password)
