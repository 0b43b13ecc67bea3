"""API keys: `registry api-key list` / `revoke` (the real CLI, as a child process) and credential
scopes (issuing needs the type, status changes need some credential scope), on SQLite and
PostgreSQL, against the real chain behind the gateway.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from registry_api.api import deps
from registry_api.core.config import Settings
from registry_api.core.db import make_engine, session_scope
from registry_api.core.security import REVOCATION_CHECK_SECONDS
from registry_api.main import create_app
from registry_api.models.tables import ApiKey
from registry_core.credential_types import CREDENTIAL_TYPES
from registry_core.did import make_did
from registry_core.rpc import RpcClient
from tests.api.conftest import make_key, problem_of
from tests.api_process import poll
from tests.credential_fixtures import CredentialCity

PERMIT = {"licensePlate": "AC-KS 7", "zone": "C3"}
HEADER = [
    "ID",
    "DEPARTMENT",
    "REGISTERS",
    "CREDENTIAL TYPES",
    "LABEL",
    "CREATED (UTC)",
    "REVOKED (UTC)",
]


def registry(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``registry api-key <args>`` as operators run it (settings from CITY_API_* variables)."""
    return subprocess.run(
        [sys.executable, "-m", "registry_api.admin", "api-key", *args],
        env={**os.environ, "CITY_API_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def create(database_url: str, *args: str) -> str:
    done = registry(database_url, "create", *args)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert re.fullmatch(r"crk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", token), done.stdout
    return token


def key_id(token: str) -> str:
    return token.split("_")[1]


def listed(database_url: str, *args: str) -> dict[str, dict[str, str]]:
    """``api-key list`` parsed: key id -> column -> cell."""
    done = registry(database_url, "list", *args)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    if not lines:
        assert "no API keys" in done.stderr, done.stderr
        return {}
    assert re.split(r"\s{2,}", lines[0].strip()) == HEADER, done.stdout
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[1:]]
    assert all(len(row) == len(HEADER) for row in rows), done.stdout
    return {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows}


def department_code() -> str:
    """A department code of this test alone (the database is shared by the module)."""
    return "T" + secrets.token_hex(3).upper()


# ---- the CLI -----------------------------------------------------------------------------------


def test_list_shows_every_key_with_its_scopes_but_never_a_secret(database_url: str) -> None:
    code, other = department_code(), department_code()
    scoped = create(
        database_url,
        "--department", code, "--registers", "TRADE", "PROPERTY",
        "--credential-types", "RESIDENCE_CERT", "BUSINESS_REG", "--label", "clerk app",
    )  # fmt: skip
    everything = create(database_url, "--department", code, "--credential-types", "*")
    elsewhere = create(database_url, "--department", other, "--registers", "*")

    done = registry(database_url, "list", "--department", code)
    rows = listed(database_url, "--department", code)

    assert set(rows) == {key_id(scoped), key_id(everything)}
    first = rows[key_id(scoped)]
    assert first["DEPARTMENT"] == code
    assert first["REGISTERS"] == "PROPERTY,TRADE"
    assert first["CREDENTIAL TYPES"] == "BUSINESS_REG,RESIDENCE_CERT"
    assert first["LABEL"] == "clerk app" and first["REVOKED (UTC)"] == "no"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", first["CREATED (UTC)"]), first
    second = rows[key_id(everything)]
    assert (second["REGISTERS"], second["CREDENTIAL TYPES"], second["LABEL"]) == ("-", "*", "-")
    for token in (scoped, everything):
        secret = token.split("_", 2)[2]
        for shown in (secret, hashlib.sha256(secret.encode()).hexdigest()):
            assert shown not in done.stdout + done.stderr, "the list shows a secret or its hash"
    every = listed(database_url)
    assert {key_id(scoped), key_id(everything), key_id(elsewhere)} <= set(every)
    assert every[key_id(elsewhere)]["DEPARTMENT"] == other
    none = registry(database_url, "list", "--department", department_code())
    assert none.returncode == 0 and none.stdout == "" and "no API keys" in none.stderr


def test_create_refuses_unknown_credential_types_and_names_the_valid_ones(
    database_url: str,
) -> None:
    code = department_code()
    done = registry(
        database_url, "create", "--department", code, "--credential-types", "DOG_LICENSE"
    )
    assert done.returncode != 0 and done.stdout == ""
    assert "DOG_LICENSE" in done.stderr
    assert all(valid in done.stderr for valid in CREDENTIAL_TYPES), done.stderr
    assert listed(database_url, "--department", code) == {}


def test_revoke_marks_the_key_once_and_says_so_the_second_time(database_url: str) -> None:
    token = create(database_url, "--department", department_code(), "--registers", "TRADE")

    first = registry(database_url, "revoke", key_id(token), "--reason", "laptop lost")
    again = registry(database_url, "revoke", key_id(token), "--reason", "another reason")

    assert first.returncode == 0, first.stderr
    assert f"API key {key_id(token)}" in first.stdout and "revoked" in first.stdout
    assert "refuse it within 1 s" in first.stdout  # tells the operator when it takes effect
    assert again.returncode == 0, again.stderr
    assert "already revoked" in again.stdout and "laptop lost" in again.stdout
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            row = session.get(ApiKey, key_id(token))
    finally:
        engine.dispose()
    assert row is not None and row.revoked and row.revoked_at is not None
    assert row.revoked_reason == "laptop lost"  # the first revocation's reason stays
    shown = listed(database_url)[key_id(token)]["REVOKED (UTC)"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(laptop lost\)", shown), shown


def test_revoking_an_unknown_key_fails_clearly(database_url: str) -> None:
    unknown = secrets.token_hex(8)
    done = registry(database_url, "revoke", unknown)
    assert done.returncode != 0
    assert f"no API key with id {unknown!r}" in done.stderr
    assert unknown not in listed(database_url)
    token_given = registry(database_url, "revoke", f"crk_{unknown}_{'x' * 43}")
    assert token_given.returncode != 0 and "not its token" in token_given.stderr


# ---- the API: revoked keys and credential scopes --------------------------------------------------


@dataclass(frozen=True)
class KeyApi:
    client: TestClient
    engine: Engine


@pytest.fixture(scope="module")
def api(
    database_url: str,
    credential_city: CredentialCity,
    gateway_url: str,
    deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[KeyApi]:
    """The API (credentials only: no register signers; senders as threads, holding the
    credential keys while this module runs) on this module's database."""
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp_path_factory.mktemp("api-keys"),
        database_url=database_url,
        keys_dir=credential_city.keys_dir,
        keystore_passphrase=SecretStr(credential_city.passphrase),
        signers={},
        workers="thread",
        indexer_poll_seconds=5.0,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        yield KeyApi(client, app.state.engine)


def _holder() -> str:
    return make_did(Account.create().address, 52062)


def _permit() -> dict[str, Any]:
    return {"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT}


def _sent(rpc: RpcClient, city: CredentialCity) -> int:
    """Transactions FB32's credential key has sent, mined or not (its pending nonce)."""
    return rpc.nonce(city.keys["FB32"].address, "pending")


def _accepted(api: KeyApi, token: str) -> bool:
    """Whether the API takes the key (404 for an unknown write) or refuses it (401)."""
    response = api.client.get(f"/writes/{'0' * 32}", headers={"X-API-Key": token})
    if response.status_code == 401:
        assert problem_of(response, 401)["type"].endswith("/invalid-api-key")
        return False
    assert response.status_code == 404, response.text
    return True


def test_a_revoked_key_is_refused_with_401_within_a_second(database_url: str, api: KeyApi) -> None:
    token = create(database_url, "--department", "FB32", "--credential-types", "PARKING_PERMIT")
    assert _accepted(api, token)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert digest in deps._auth_cache, "an accepted key is remembered by the API process"

    done = registry(database_url, "revoke", key_id(token), "--reason", "test")
    assert done.returncode == 0, done.stderr
    revoked_at = time.monotonic()
    # The CLI is another process: the API notices through the store, not through its cache.
    poll(lambda: not _accepted(api, token), timeout=5, what="the API to refuse the revoked key")
    assert time.monotonic() - revoked_at < 1 + REVOCATION_CHECK_SECONDS
    refused = api.client.post("/credentials", json=_permit(), headers={"X-API-Key": token})
    assert problem_of(refused, 401)["type"].endswith("/invalid-api-key")


def test_a_key_without_the_type_may_not_issue_and_nothing_is_anchored(
    api: KeyApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    other_type = make_key(api.engine, "FB32", [], ["RESIDENCE_CERT"])
    registers_only = make_key(api.engine, "FB32", ["*"])
    sent = _sent(gateway_rpc, credential_city)
    idempotency_key = secrets.token_hex(8)

    for token, scope in ((other_type, "RESIDENCE_CERT"), (registers_only, "none")):
        headers = {"X-API-Key": token, "Idempotency-Key": idempotency_key}
        single = problem_of(api.client.post("/credentials", json=_permit(), headers=headers), 403)
        batch = problem_of(
            api.client.post(
                "/credentials/batch",
                json={"type": "PARKING_PERMIT", "items": [{"holder_did": _holder(), "claims": PERMIT}]},
                headers=headers,
            ),
            403,
        )  # fmt: skip
        for problem in (single, batch):
            assert problem["type"].endswith("/credential-type-out-of-scope"), problem
            assert "PARKING_PERMIT" in problem["detail"] and "FB32" in problem["detail"]
            assert f"its credential types: {scope}" in problem["detail"], problem
            assert problem["credential_type"] == "PARKING_PERMIT"

    assert _sent(gateway_rpc, credential_city) == sent, "a refused issue sent a transaction"
    # The refusal stored nothing under the Idempotency-Key: a key with the type may use it.
    allowed = make_key(api.engine, "FB32", [], ["PARKING_PERMIT"])
    issued = api.client.post(
        "/credentials",
        json=_permit(),
        headers={"X-API-Key": allowed, "Idempotency-Key": idempotency_key},
    )
    assert issued.status_code == 201, issued.text
    assert "Idempotent-Replay" not in issued.headers


def test_a_key_with_the_type_issues_single_and_batch(
    api: KeyApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    sent = _sent(gateway_rpc, credential_city)
    for scope in (["PARKING_PERMIT", "RESIDENCE_CERT"], ["*"]):
        headers = {"X-API-Key": make_key(api.engine, "FB32", [], scope)}
        single = api.client.post("/credentials", json=_permit(), headers=headers)
        assert single.status_code == 201, single.text
        status = api.client.get(f"/credentials/{single.json()['credential_hash']}/status").json()
        assert status["state"] == "active" and status["type"] == "PARKING_PERMIT", status
        items = [{"holder_did": _holder(), "claims": PERMIT} for _ in range(2)]
        batch = api.client.post(
            "/credentials/batch", json={"type": "PARKING_PERMIT", "items": items}, headers=headers
        )
        assert batch.status_code == 201, batch.text
        assert batch.json()["count"] == 2
    assert _sent(gateway_rpc, credential_city) == sent + 4  # one anchoring transaction each


def test_a_key_without_credential_scope_may_not_change_status(
    api: KeyApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    issuing = {"X-API-Key": make_key(api.engine, "FB32", [], ["PARKING_PERMIT"])}
    issued = api.client.post("/credentials", json=_permit(), headers=issuing)
    assert issued.status_code == 201, issued.text
    url = f"/credentials/{issued.json()['credential_hash']}"
    unscoped = {"X-API-Key": make_key(api.engine, "FB32", ["*"])}
    sent = _sent(gateway_rpc, credential_city)

    for action in ("revoke", "suspend", "resume"):
        problem = problem_of(
            api.client.post(f"{url}/{action}", json={"reason_code": 4}, headers=unscoped), 403
        )
        assert problem["type"].endswith("/credential-out-of-scope"), problem
        assert "FB32" in problem["detail"] and action in problem["detail"], problem

    assert _sent(gateway_rpc, credential_city) == sent, "a refused status change sent a transaction"
    assert api.client.get(f"{url}/status").json()["state"] == "active"
    # Any credential scope of the department may: here a key for another type.
    other_type = {"X-API-Key": make_key(api.engine, "FB32", [], ["RESIDENCE_CERT"])}
    revoked = api.client.post(f"{url}/revoke", json={"reason_code": 4}, headers=other_type)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
