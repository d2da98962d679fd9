"""Log records as one JSON object a line, carrying the ids of what is being worked on.

The ids (delivery, run, phase, attempt, iteration) live in context variables, set at the job
boundary (workers.jobs, workers.intake) and per web request, so every line logged below,
in our code or a library's, carries them. The formatter redacts token shapes (and any secret
it was given) from the message and the traceback: a log line never holds a token.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from bot.core.redact import redact

# A dashboard address in an access log line: its operator token or link signature.
_QUERY_SECRETS = re.compile(r"([?&](?:token|sig)=)[^&\s\"]+")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Token shapes, the given secrets, and dashboard credentials in a URL, masked."""
    return _QUERY_SECRETS.sub(r"\1***", redact(text, secrets))


FIELDS = ("delivery_id", "run_id", "phase_id", "attempt", "iteration")
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("porch_log", default={})  # noqa: B039


@contextlib.contextmanager
def ids(**values: Any) -> Iterator[None]:
    """Within this block, every log record carries these ids (None values are left out)."""
    token = _context.set({**_context.get(), **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**values: Any) -> contextvars.Token[dict[str, Any]]:
    """As `ids`, for a scope that is not one block (a web request); `unbind` ends it."""
    return _context.set({**_context.get(), **{k: v for k, v in values.items() if v}})


def unbind(token: contextvars.Token[dict[str, Any]]) -> None:
    _context.reset(token)


def current() -> dict[str, Any]:
    return dict(_context.get())


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "role", "pid", "message", ids…, "exception"?}` per line."""

    def __init__(self, role: str, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.role = role
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "role": self.role,
            "pid": record.process,
            "message": scrub(record.getMessage(), self.secrets),
        }
        line.update(_context.get())
        for name in (*FIELDS, "github_event"):
            # Fields a call passed with `extra=`, as the webhook intake does.
            value = getattr(record, name, None)
            if value not in (None, ""):
                line[name] = value
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info), self.secrets)
        return json.dumps(line, default=str)


class RedactingFormatter(logging.Formatter):
    """The plain format, with the same redaction as the JSON one."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record), self.secrets)


def configure(level: str, role: str, json_lines: bool, secrets: Iterable[str] = ()) -> None:
    """The root logger of a process: JSON lines or the plain format, redacted either way."""
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(JsonFormatter(role, secrets))
    else:
        # The role in every line: `porch-parallel up` interleaves the logs of all its processes.
        handler.setFormatter(
            RedactingFormatter(
                f"%(asctime)s %(levelname)s %(name)s [{role} %(process)d] %(message)s", secrets
            )
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def adopt(logger: logging.Logger) -> None:
    """Send a library's own logger (gunicorn's) through the root's handler and format."""
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.propagate = True
