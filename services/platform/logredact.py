"""Keeping event contents out of library debug logs.

At DEBUG, kafka-python logs every record it sends (key, value, headers) and the raw produce and
fetch requests, and SQLAlchemy logs every row it reads: an operator who turns debugging on to chase
a broker problem would otherwise write sealed identifiers, vault keys and subject ids into log
files that are shipped, kept and read far more widely than the vault. The filters below keep
those log lines (what happened, to which partition, how long it took) but replace their payload
arguments with a placeholder naming only the type and size.

SQL parameters are hidden at the engine (``hide_parameters``, see ``services.platform.sql``),
which also keeps them out of exception messages.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_SAFE = (str, int, float, bool, type(None))
# Loggers whose records may carry event bytes or rows. kafka-python creates one per module.
_PREFIXES = ("kafka", "sqlalchemy.engine", "sqlalchemy.pool")


def placeholder(value: Any) -> Any:
    """A value a log may show: plain scalars pass, anything else becomes its type and size."""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, _SAFE):
        return value
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"  # SQL parameters are hidden at the engine
    if isinstance(value, list | tuple | set | frozenset):
        # Topic-partitions, node lists, offsets: plain scalars inside pass as they are.
        if all(isinstance(item, _SAFE) for item in value):
            return value
        return f"<{type(value).__name__} of {len(value)}>"
    if isinstance(value, dict):
        if all(isinstance(k, _SAFE) and isinstance(v, _SAFE) for k, v in value.items()):
            return value
        return f"<dict of {len(value)}>"
    return f"<{type(value).__name__}>"


class RedactPayloads(logging.Filter):
    """Replaces every argument of a record that is not a plain scalar with a placeholder.

    Strings pass unchanged, so a line that formats an event's text itself would still leak:
    none of the libraries filtered here does (they format ``%r`` of bytes, requests and rows).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {k: placeholder(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(placeholder(a) for a in record.args)
        return True


_FILTER = RedactPayloads()


def redact_library_logs() -> None:
    """Attach the filter to every kafka-python and SQLAlchemy engine logger there is now.

    A logger's filters see only records logged on that logger, not those of its children, so
    each module logger gets it; call again after importing more of those libraries (cheap).
    """
    manager = logging.Logger.manager
    names = [n for n in list(manager.loggerDict) if n.startswith(_PREFIXES)]
    for name in [*names, *_PREFIXES, "sqlalchemy.engine.Engine"]:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


# An HTTP server's access log writes each request line: a path may name a subject
# (``/v1/subjects/<id>/identity``), a query an id or, by a caller's mistake, a token.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_QUERY_SECRET = re.compile(r"((?:token|secret|key|password)=)[^&\s]*", re.IGNORECASE)
_TOKEN = re.compile(r"pvz_[A-Za-z0-9_-]+")  # the API's tokens (services.api.tokens.PREFIX)
ACCESS_LOGGERS = ("uvicorn.access",)


def redact_request_line(text: str) -> str:
    """A request line with every id, token and secret-looking query value replaced."""
    text = _UUID.sub("<id>", text)
    text = _QUERY_SECRET.sub(r"\1<redacted>", text)
    return _TOKEN.sub("<token>", text)


class RedactRequestLines(logging.Filter):
    """Redacts the string arguments of an access-log record (method, path with query, …)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_request_line(a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str) and not record.args:
            record.msg = redact_request_line(record.msg)
        return True


_ACCESS_FILTER = RedactRequestLines()


def redact_access_logs() -> None:
    """Attach the filter to the HTTP server's access logger (idempotent)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if _ACCESS_FILTER not in logger.filters:
            logger.addFilter(_ACCESS_FILTER)
