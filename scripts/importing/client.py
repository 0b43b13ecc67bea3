"""The few register API calls that ``registry import`` and ``registry export`` make (HTTP only:
the scripts never import the API's code)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

API_URL_ENV = "CITY_REGISTRY_API_URL"
API_KEY_ENV = "CITY_REGISTRY_API_KEY"
DEFAULT_API_URL = "http://127.0.0.1:8000"
RETRIES = 5  # a network error or a 5xx answer: tried again (the keys make a repeat harmless)


class ApiError(Exception):
    """The API refused or could not be reached; ``problem`` is its problem+json, if any."""

    def __init__(self, message: str, problem: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.problem = problem or {}


def api_key(key_file: Path | None) -> str | None:
    if key_file is not None:
        return key_file.read_text(encoding="utf-8").strip()
    return os.environ.get(API_KEY_ENV) or None


class RegisterApi:
    def __init__(self, url: str, token: str | None, *, timeout: float = 120.0) -> None:
        headers = {"X-API-Key": token} if token else {}
        self._http = httpx.Client(base_url=url, headers=headers, timeout=timeout)
        self.url = url

    def __enter__(self) -> RegisterApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _send(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        content = orjson.dumps(body) if body is not None else None
        headers = {"content-type": "application/json"} if content is not None else {}
        for attempt in range(RETRIES):
            try:
                answer = self._http.request(
                    method, path, content=content, headers=headers, params=params or None
                )
            except httpx.TransportError as exc:
                if attempt == RETRIES - 1:
                    raise ApiError(f"the API at {self.url} cannot be reached: {exc}") from None
                time.sleep(0.5 * 2**attempt)
                continue
            if answer.status_code >= 500 and attempt < RETRIES - 1:
                time.sleep(0.5 * 2**attempt)
                continue
            if answer.status_code >= 400:
                try:
                    problem = answer.json()
                except ValueError:
                    problem = {"detail": answer.text[:300]}
                detail = problem.get("detail") if isinstance(problem, dict) else problem
                raise ApiError(
                    f"{method} {path}: {answer.status_code} {detail}",
                    problem if isinstance(problem, dict) else None,
                )
            return answer.json()
        raise AssertionError("unreachable")

    def register(self, register_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._send("GET", f"/registers/{register_id}")
        return result

    def bulk(
        self, register_id: str, records: Sequence[dict[str, Any]], keys: Sequence[str], amend: bool
    ) -> dict[str, Any]:
        body = {"records": list(records), "keys": list(keys), "amend_changed": amend}
        result: dict[str, Any] = self._send("POST", f"/registers/{register_id}/records/bulk", body)
        return result

    def writes_status(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), 1000):
            answer = self._send("POST", "/writes/status", {"ids": list(ids[start : start + 1000])})
            found += answer["data"]
        return found

    def archive(self, register_id: str, *, latest_only: bool) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self._send(
                "GET",
                f"/registers/{register_id}/archive",
                offset=offset,
                limit=1000,
                latest_only=str(latest_only).lower(),
            )
            yield from page["data"]
            offset += len(page["data"])
            if not page["data"] or offset >= page["count"]:
                return
