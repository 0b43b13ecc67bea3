"""Logging of the API and its worker: JSON lines or plain text, and only what an operator needs.

One line is one JSON object (``time``, ``level``, ``logger``, ``message``, ``request_id`` when the
line was written while a request was handled, ``exception`` with the traceback) or, with
``CITY_API_LOG_FORMAT=text``, the same fields as plain text. Request bodies, query strings and
paths are never logged (they can carry personal data): code logs ids, counts and reasons only,
and uvicorn's access log is off.

httpx and httpcore log every JSON-RPC round trip at INFO (the workers poll the chain several
times a second), so they are held at WARNING.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal

import orjson

# The request being handled in this task or thread (api/request_context.py sets it; anyio copies
# the context into the threads that run sync endpoints).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

QUIET = ("httpx", "httpcore", "hpack", "multipart")
# uvicorn's own loggers keep their handlers unless told to propagate to ours.
UVICORN = ("uvicorn", "uvicorn.error")
# uvicorn's access log writes each request's raw path and query, which can name a citizen (a DID,
# a record id): it stays off (``/metrics`` counts requests by route template instead).
ACCESS = "uvicorn.access"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid is not None:
            document["request_id"] = rid
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(document).decode()


HANDLER_NAME = "city-api"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure(fmt: Literal["json", "text"], level: str = "INFO") -> None:
    """Send the process's log lines to stderr in ``fmt``. Called again, it replaces its own handler
    only (others, e.g. pytest's log capture, stay)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == HANDLER_NAME:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in UVICORN:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    access = logging.getLogger(ACCESS)
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
