"""``GET /metrics``: Prometheus' text exposition (registry_api/metrics).

Not in the OpenAPI document: it is for the operator's Prometheus, not for the API's clients, and
its body is not JSON. Like ``/health`` it needs no key; expose it only where Prometheus scrapes
(it shows signer addresses and counts, no personal data).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    # Reading the store and the chain blocks: off the event loop.
    body = await run_in_threadpool(request.app.state.metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
