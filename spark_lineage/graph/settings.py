"""Where the graph lives and how to log in: Neo4j settings from flags, environment or a config file.

One resolution order for every entry point (CLI, sink, benchmark): explicit values (CLI flags or
``spark.lineage.neo4j.*`` Spark settings) win over the environment (``SPARK_LINEAGE_NEO4J_URI``,
``_USER``, ``_PASSWORD``, ``_DATABASE``), which wins over a TOML config file (``--config``,
``SPARK_LINEAGE_CONFIG`` or ``~/.config/spark-lineage/config.toml``, section ``[neo4j]``), which
wins over the defaults (``bolt://127.0.0.1:7687``, user ``neo4j``). The config file gives the
password inline (``password``) or as ``password_file``, the path of a file holding it (what
``scripts/neo4j.sh start`` writes for the server it started).

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
    """The configuration cannot work as given (bad URI scheme, unreadable config file...).

    ``key`` names the setting at fault (``uri``...) when there is one, so that each entry point
    can name it as its users spell it (``--uri``, ``spark.lineage.neo4j.uri``).
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True, repr=False)
class Neo4jSettings:
    """Connection settings for the lineage graph (password hidden from ``repr``)."""

    uri: str = DEFAULT_URI
    user: str = DEFAULT_USER
    password: str = field(default="", repr=False)
    database: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    #: The config file these settings were read from, or would have been (for messages).
    config_path: Path | None = field(default=None, compare=False)

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


def password_not_set(settings: Neo4jSettings) -> str:
    """What every message says when no password was configured, and where one can be given."""
    config = settings.config_path or default_config_path()
    return (
        "the password is NOT SET (set SPARK_LINEAGE_NEO4J_PASSWORD, [neo4j] password in "
        f"{config}, or --password-file)"
    )


def validate_uri(uri: str) -> None:
    """Reject URIs the driver cannot use, with a message that names the accepted schemes."""
    problem = _uri_problem(uri)
    if problem is not None:
        raise SettingsError(problem, key="uri")


def _uri_problem(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme not in SUPPORTED_SCHEMES:
        return (
            f"unsupported Neo4j URI {redact_uri(uri)!r}: the scheme must be one of "
            f"{', '.join(s + '://' for s in SUPPORTED_SCHEMES)}"
        )
    if not parts.hostname:
        return f"Neo4j URI {redact_uri(uri)!r} has no host"
    if "@" in parts.netloc:
        return (
            f"Neo4j URI {redact_uri(uri)!r} must not carry credentials: give the user and "
            "password as settings (SPARK_LINEAGE_NEO4J_USER / _PASSWORD or the config file)"
        )
    if parts.query and parts.scheme.startswith("bolt"):  # the driver would refuse, quoting it
        return (
            f"Neo4j URI {redact_uri(uri)!r} has a query string: only neo4j:// URIs take one "
            "(routing context); give the password as a setting, never in the URI"
        )
    return None


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


def config_file_path(path: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The config file in effect: ``path``, else ``SPARK_LINEAGE_CONFIG``, else the default."""
    env = os.environ if environ is None else environ
    return path or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else default_config_path())


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


#: The connection settings every entry point knows (CLI flags, ``spark.lineage.neo4j.*``).
CONNECTION_KEYS = ("uri", "user", "password", "database")

#: The keys of the config file's ``[neo4j]`` section.
FILE_KEYS = (*CONNECTION_KEYS, "password_file")


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
    explicit_source: str = "flag",
) -> Neo4jSettings:
    """Merge flags > environment > config file > defaults into one :class:`Neo4jSettings`.

    The one way every entry point reads Neo4j settings: the CLI passes its flags, the sink its
    ``spark.lineage.neo4j.*`` values. ``explicit`` holds ``uri``, ``user``, ``password``,
    ``database`` (None = not given); ``explicit_source`` is what ``sources`` calls them.
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
    used_path = config_file_path(config_path, env)
    if "password" not in given and not env.get(ENV_PREFIX + "PASSWORD"):
        file_section = _with_password_from_file(file_section, used_path)
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
            values[name], sources[name] = given[name], explicit_source
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
        config_path=used_path,
    )


def _with_password_from_file(section: Mapping[str, Any], config: Path) -> dict[str, Any]:
    """The ``[neo4j]`` section with ``password_file`` read into ``password`` (inline wins).

    Called only when neither a flag nor the environment gives the password, so that a stale
    ``password_file`` does not stand in the way of one given otherwise. The file is read only
    when no inline password is given (a relative path is relative to the
    config file); an unreadable file is an error that names both files, never their content.
    """
    values = {k: v for k, v in section.items() if k != "password_file"}
    named = section.get("password_file")
    if not named or values.get("password"):
        return values
    path = Path(str(named)).expanduser()
    if not path.is_absolute():  # relative to the config file, wherever the command runs
        path = config.parent / path
    try:
        values["password"] = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(
            f"cannot read the password_file {path} named in {config}: {exc.strerror}"
        ) from None
    except UnicodeDecodeError as exc:  # its text would quote bytes of the password
        raise SettingsError(
            f"the password_file {path} named in {config} is not UTF-8 text (byte {exc.start})"
        ) from None
    return values


def settings_from_spark_conf(
    conf: Mapping[str, str | None], environ: Mapping[str, str] | None = None
) -> Neo4jSettings:
    """Settings from ``spark.lineage.neo4j.{uri,user,password,database}`` (then env, file).

    What the Neo4j sink builds its connection from, so that a job and the CLI share defaults,
    validation and the config file.
    """
    explicit = {name: conf.get(SPARK_CONF_PREFIX + name) for name in CONNECTION_KEYS}
    return resolve_settings(explicit, environ=environ, explicit_source="spark conf")


def with_password(settings: Neo4jSettings, password: str) -> Neo4jSettings:
    """A copy with another password (tests of the wrong-password path)."""
    return replace(settings, password=password)
