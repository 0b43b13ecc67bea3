"""Operations: GET /metrics (Prometheus text), request ids, JSON log lines, quiet idle workers.

One API with its default worker process on SQLite, against the session's chain and gateway.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete
from sqlmodel import col

from registry_api.chain.idle import IdleBackoff
from registry_api.core import logs
from registry_api.core.config import Settings
from registry_api.core.db import session_scope
from registry_api.main import create_app
from registry_api.models.tables import Write
from tests.api.conftest import PASSPHRASE, Departments, make_key
from tests.api.test_registers import SCHEMA
from tests.api_process import poll


@pytest.fixture(scope="module")
def client(
    gateway_url: str,
    deployments_dir: Path,
    departments: Departments,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("obs-data")
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data,
        database_url=f"sqlite:///{data / 'registry.db'}",
        keys_dir=departments.keys_dir,
        keystore_passphrase=PASSPHRASE,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def samples(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_metrics_count_requests_writes_and_the_chain(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    register_id = "OBS" + secrets.token_hex(3).upper()
    headers = {"X-API-Key": make_key(engine, "FB02", [register_id])}
    created = client.post(
        "/registers", json={"id": register_id, "name": "Beobachtet / Observed", "schema": SCHEMA},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 202, created.text
    write_id = created.json()["write_id"]
    poll(
        lambda: client.get(f"/writes/{write_id}", headers=headers).json()["status"] == "anchored",
        what="the register to be anchored",
    )
    assert client.get(f"/registers/{register_id}", headers=headers).status_code == 200
    assert client.get("/no/such/path").status_code == 404
    # The worker child observes the anchoring; its folder is merged into this process's answer.
    found = poll(
        lambda: (s := samples(client)).get("city_write_anchoring_seconds_count") and s,
        what="the worker's anchoring latency",
    )
    assert found["city_write_anchoring_seconds_count"][0][1] >= 1
    requests = {
        (labels["method"], labels["route"], labels["status"]): value
        for labels, value in found["city_api_requests_total"]
    }
    assert requests[("POST", "/registers", "202")] == 1
    assert requests[("GET", "/registers/{register_id}", "200")] == 1
    assert ("GET", "unmatched", "404") in requests  # a raw path is never a label
    assert not any(register_id in route for _, route, _ in requests)
    assert found["city_chain_up"][0][1] == 1 and found["city_store_up"][0][1] == 1
    assert found["city_chain_head_block"][0][1] >= 1
    assert found["city_indexer_lag_blocks"][0][1] >= 0
    assert "city_chain_head_age_seconds" in found
    assert "city_api_request_duration_seconds_bucket" in found


def test_metrics_name_a_signer_whose_writes_wait(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    signer = "0x" + secrets.token_hex(20)
    with session_scope(engine) as session:
        session.add(
            Write(
                id=secrets.token_hex(16), department="FB99", signer=signer, planner="call",
                kind="test", target="RegisterHub", status="pending",
                created_at=datetime.now(UTC) - timedelta(minutes=5),
            )
        )  # fmt: skip
    try:
        found = samples(client)
        depth = {
            (labels["signer"], labels["status"]): v for labels, v in found["city_outbox_writes"]
        }
        assert depth[(signer, "pending")] == 1
        age = {labels["signer"]: v for labels, v in found["city_outbox_oldest_age_seconds"]}
        assert 290 < age[signer] < 400
    finally:
        with session_scope(engine) as session:
            session.execute(delete(Write).where(col(Write.signer) == signer))


def test_metrics_are_not_in_the_api_documentation(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    given = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/health").headers["x-request-id"]
    assert len(made) == 32 and made != "abc-123"
    # An id that could break a log line is replaced, not echoed.
    odd = client.get("/health", headers={"X-Request-ID": "a b\tc"}).headers["x-request-id"]
    assert odd != "a b\tc" and len(odd) == 32


def test_json_log_lines_carry_the_request_id_and_no_body() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("tests.observability")
    logger.addHandler(handler)
    logger.propagate = False
    token = logs.request_id.set("req-1")
    try:
        logger.warning("write %s refused", "w1")
    finally:
        logs.request_id.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert set(line) == {"time", "level", "logger", "message", "request_id"}
    assert line["level"] == "WARNING" and line["message"] == "write w1 refused"
    assert line["request_id"] == "req-1" and line["time"].endswith("+00:00")


def test_configure_quiets_httpx_and_keeps_other_handlers() -> None:
    root = logging.getLogger()
    kept = logging.NullHandler()
    root.addHandler(kept)
    try:
        logs.configure("text")
        logs.configure("json")  # again: its own handler is replaced, not doubled
        ours = [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]
        assert len(ours) == 1 and kept in root.handlers
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("uvicorn.access").disabled  # raw paths can name a citizen
    finally:
        logging.getLogger("uvicorn.access").disabled = False
        root.removeHandler(kept)
        for handler in [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]:
            root.removeHandler(handler)


def test_idle_backoff_doubles_to_its_ceiling_and_resets_on_work() -> None:
    idle = IdleBackoff(0.05, 2.0)
    waits = [idle.idle() for _ in range(8)]
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    idle.busy()
    assert idle.idle() == 0.05
