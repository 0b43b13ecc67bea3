"""Every request gets an id (the caller's ``X-Request-ID``, or a new one), echoed in the answer
and written into every log line made while it is handled; and it is counted in the metrics by
route template (``/registers/{register_id}/records``, never the path with its values) and status.
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry_api.core.logs import request_id
from registry_api.metrics.definitions import REQUEST_SECONDS, REQUESTS

HEADER = "x-request-id"
# A caller's id is taken only if it cannot break a log line or a header (else a new one is made).
ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route: its path is not a label (anyone could make new ones)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER, "")
        rid = given if ACCEPTED_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500  # if the app fails before answering, the server answers 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            route = route_template(scope)
            REQUESTS.labels(method, route, str(status)).inc()
            REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)
            request_id.reset(token)
