"""Opening the driver, and turning driver failures into messages people can act on.

The messages name the host and user but never the password; :func:`describe_failure` is what the
CLI, ``doctor`` and the sink log, so a wrong password, a wrong host or a TLS mismatch each read as
what they are instead of a driver stack trace. Secrets are kept out where a message is built (the
URI is shown as :attr:`~.Neo4jSettings.display_uri`; the driver's configuration errors, which quote
the URI as given, are not repeated), never by searching a finished message for the password.

The driver package is imported on first use, not with this module: the CLI parses its arguments
and prints ``--help`` without it (it takes a good part of a second to import).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spark_lineage.graph.settings import Neo4jSettings, default_config_path, password_not_set

if TYPE_CHECKING:
    import neo4j


@dataclass(frozen=True, slots=True)
class DriverOptions:
    """Timeouts that keep an unreachable server from stalling the caller for long."""

    connection_timeout_s: float = 5.0
    max_transaction_retry_time_s: float = 15.0
    connection_acquisition_timeout_s: float = 10.0


def open_driver(settings: Neo4jSettings, options: DriverOptions | None = None) -> neo4j.Driver:
    """A driver for ``settings`` (does not connect yet: the first query or verify does)."""
    from neo4j import GraphDatabase

    opts = options or DriverOptions()
    config: dict[str, Any] = {
        "connection_timeout": opts.connection_timeout_s,
        "max_transaction_retry_time": opts.max_transaction_retry_time_s,
        "connection_acquisition_timeout": opts.connection_acquisition_timeout_s,
        "user_agent": "spark-lineage",
    }
    return GraphDatabase.driver(
        settings.uri, auth=(settings.user, settings.password), **config
    )


def describe_failure(exc: BaseException, settings: Neo4jSettings) -> str:
    """One line saying what went wrong connecting to or writing to Neo4j, and what to check."""
    from neo4j import exceptions as neo4j_errors

    where = settings.display_uri
    text = _safe_text(exc)
    lowered = _chain_text(exc).lower()
    if isinstance(exc, neo4j_errors.AuthError):
        if not settings.password:
            return (
                f"wrong user or password for {settings.user} at {where}: "
                f"{password_not_set(settings)}"
            )
        config = settings.config_path or default_config_path()
        return (
            f"authentication failed for user {settings.user!r} at {where}: wrong user or "
            f"password (set SPARK_LINEAGE_NEO4J_PASSWORD or [neo4j] password in {config})"
        )
    code = getattr(exc, "code", None) or ""
    if code == "Neo.ClientError.Security.AuthenticationRateLimit":
        return (
            f"Neo4j at {where} refuses logins for user {settings.user!r} for now, after too many "
            "wrong passwords: fix the password, then retry in a few seconds"
        )
    if code == "Neo.ClientError.Database.DatabaseNotFound":
        database = settings.database or "(the server's default)"
        return (
            f"Neo4j at {where} has no database {database!r}: check --database or "
            "SPARK_LINEAGE_NEO4J_DATABASE (Neo4j Community has only 'neo4j' and 'system')"
        )
    if isinstance(exc, neo4j_errors.ConfigurationError):  # its text quotes the URI as given
        return f"the driver refuses the Neo4j settings for {where} (check the URI)"
    if _is_tls_failure(exc, lowered):
        if not settings.uses_tls:
            return (
                f"the server at {where} requires TLS: use bolt+s:// or neo4j+s:// "
                "(bolt+ssc:// / neo4j+ssc:// for a self-signed certificate)"
            )
        if "certificate" in lowered or "verify" in lowered:
            return (
                f"the TLS certificate of {where} is not trusted: use bolt+ssc:// or neo4j+ssc:// "
                "for a self-signed certificate, or install its CA in the system trust store"
            )
        return (
            f"TLS handshake with {where} failed: the server does not seem to have TLS enabled "
            "on this port (use bolt:// or neo4j://, or enable TLS on the server)"
        )
    if "routing information" in lowered:
        hint = (
            " -- with TLS (+s/+ssc) this is also what a server without TLS looks like"
            if settings.uses_tls
            else ""
        )
        return (
            f"cannot get routing information from {where}: the server is unreachable, refuses "
            f"the login or does not speak the neo4j:// protocol here (try bolt://){hint}"
        )
    if (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or ("temporary failure in name resolution" in lowered)
    ):
        return f"cannot resolve the host of {where}: check the host name in the URI"
    if "refused" in lowered:
        return (
            f"connection refused by {where}: is Neo4j running, and is the host/port right? "
            "(`scripts/neo4j.sh start` for the local server)"
        )
    if isinstance(exc, neo4j_errors.ServiceUnavailable | ConnectionError | TimeoutError):
        return f"cannot reach Neo4j at {where}: {text}"
    if isinstance(exc, neo4j_errors.Neo4jError):
        code = exc.code or type(exc).__name__
        return f"Neo4j at {where} rejected the request ({code}): {text}"
    return f"{type(exc).__name__} talking to {where}: {text}"


def _chain_text(exc: BaseException) -> str:
    """The messages of the exception and its causes (the driver wraps the socket/SSL error)."""
    parts: list[str] = []
    chain: BaseException | None = exc
    while chain is not None and len(parts) < 10:
        parts.append(f"{type(chain).__name__}: {chain}")
        chain = chain.__cause__ or chain.__context__
    return " | ".join(parts)


def _is_tls_failure(exc: BaseException, lowered: str) -> bool:
    chain: BaseException | None = exc
    while chain is not None:
        if isinstance(chain, ssl.SSLError):
            return True
        chain = chain.__cause__ or chain.__context__
    return "ssl" in lowered or "tls" in lowered or "certificate" in lowered


def _safe_text(exc: BaseException) -> str:
    """The exception text on one line (driver texts hold host and port, never the password)."""
    return " ".join((str(exc) or type(exc).__name__).split())


#: Server answers that refuse one event's content (not the connection, login or database):
#: retrying the same event cannot help, and it must not block the events behind it.
_EVENT_REJECTION_PREFIXES = (
    "Neo.ClientError.Statement.",
    "Neo.ClientError.Schema.ConstraintValidationFailed",
    "Neo.ClientError.Request.",
)


def is_event_rejection(exc: BaseException) -> bool:
    """True when Neo4j refused this event itself (bad value, type error), not the connection."""
    from neo4j import exceptions as neo4j_errors

    if isinstance(exc, neo4j_errors.Neo4jError):
        code = exc.code or ""
        return code.startswith(_EVENT_REJECTION_PREFIXES)
    # An event our own mapping cannot turn into parameters is just as undeliverable.
    return isinstance(exc, ValueError | TypeError | KeyError | ArithmeticError)
