"""A bare FastAPI app with one small POST endpoint: the ceiling ``scripts.bench_scale`` measures
the API's single-record writes against (same machine, same uvicorn settings, same clients).

It validates a body shaped like a record (pydantic, as the API does) and answers 202 with a
fresh id, touching no store or chain: what FastAPI and uvicorn cost per request, nothing else.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Body(BaseModel):
    content: dict[str, Any]


@app.post("/echo", status_code=202)
def echo(body: Body) -> dict[str, Any]:
    return {"write_id": secrets.token_hex(16), "status": "pending", "fields": len(body.content)}


@app.get("/registers")
def ready() -> list[Any]:
    """What ``bench_registers.start_api`` polls until the server answers."""
    return []
