"""Personal data kept no longer than needed (issue 12 item 5): the retention purge with simulated
time (``Purger``'s clock, no sleeping) and erasure's reach into stored Idempotency-Key answers,
against a real chain, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, select

from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_api.models.identity_tables import CitizenSession, CredentialRequestRow, SignInNonce
from registry_api.models.limit_tables import RateLimitHit
from registry_api.models.tables import IdempotencyEntry, IssuedCredential
from registry_api.services.retention import Purger
from registry_core.did import make_did
from registry_core.sign_in import Audience, build_message, sign_message
from tests.api.conftest import PASSPHRASE, Departments, make_key, problem_of
from tests.api_process import poll
from tests.credential_fixtures import CredentialCity

DAY = 86_400
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 100}},
    "additionalProperties": False,
}
CLAIMS = {
    "businessName": "Muster GmbH",
    "holderName": "Erika Mustermann",
    "activity": "Software",
    "address": "Markt 1, 52062 Aachen",
    "registeredOn": "2024-01-02",
}


@dataclass(frozen=True)
class Api:
    client: TestClient
    headers: dict[str, str]
    register_id: str

    @property
    def engine(self) -> Any:
        return self.client.app.state.engine  # type: ignore[attr-defined]

    def purger(self, at: float) -> Purger:
        settings: Settings = self.client.app.state.settings  # type: ignore[attr-defined]
        return Purger(settings, self.engine, clock=lambda: at)

    def anchored(self, write_id: str) -> None:
        def check() -> bool:
            body = self.client.get(f"/writes/{write_id}", headers=self.headers).json()
            assert body["status"] != "failed", body
            return bool(body["status"] == "anchored")

        poll(check, what=f"write {write_id} to be anchored")

    def entry(self, key: str) -> IdempotencyEntry | None:
        with Session(self.engine) as session:
            return session.get(IdempotencyEntry, ("FB02", key))


@pytest.fixture(scope="module")
def api(
    database_url: str,
    departments: Departments,
    credential_city: CredentialCity,
    gateway_url: str,
    deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Api]:
    """FB02's register key signs its credentials too (the council accredited FB02, not a key)."""
    data_dir = tmp_path_factory.mktemp("retention")
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data_dir,
        database_url=database_url,
        keys_dir=departments.keys_dir,
        keystore_passphrase=SecretStr(PASSPHRASE),
        signers={"FB02": "dept-fb02"},
        credential_keys={"FB02": "dept-fb02"},
        workers="thread",
        fee_types=[],
    )
    register_id = "RET" + str(int(time.time() * 1000) % 10**9)
    with TestClient(create_app(settings)) as client:
        headers = {"X-API-Key": make_key(client.app.state.engine, "FB02", ["*"], ["*"])}  # type: ignore[attr-defined]
        api = Api(client, headers, register_id)
        answer = client.post(
            "/registers",
            json={"id": register_id, "name": "Aufbewahrung / Retention", "schema": SCHEMA},
            headers=headers,
        )
        assert answer.status_code == 202, answer.text
        api.anchored(answer.json()["write_id"])
        yield api


def test_the_worker_runs_the_retention_purge(api: Api) -> None:
    assert "retention" in {thread.name for thread in threading.enumerate()}


def test_erasing_a_record_erases_the_stored_answers_that_name_it(api: Api) -> None:
    create = {"content": {"name": "Erika Mustermann"}}
    key = {**api.headers, "Idempotency-Key": "retention-record"}
    answer = api.client.post(f"/registers/{api.register_id}/records", json=create, headers=key)
    assert answer.status_code == 202, answer.text
    record_id = answer.json()["record_id"]
    api.anchored(answer.json()["write_id"])
    erase = api.client.post(
        f"/registers/{api.register_id}/records/{record_id}/erase",
        json={"reason": "data-subject-request"},
        headers=api.headers,
    )
    assert erase.status_code == 202, erase.text
    again = api.client.post(f"/registers/{api.register_id}/records", json=create, headers=key)
    problem = problem_of(again, 410)
    assert problem["type"].endswith("/answer-erased") and problem["detail_de"]
    assert again.headers["idempotent-replay"] == "true"
    entry = api.entry("retention-record")
    assert entry is not None and record_id not in str(entry.body)


def test_revoking_a_credential_erases_its_stored_issuance_answer(api: Api) -> None:
    body = {
        "type": "BUSINESS_REG",
        "holder_did": make_did(Account.create().address, 52062),
        "claims": CLAIMS,
    }
    key = {**api.headers, "Idempotency-Key": "retention-credential"}
    issued = api.client.post("/credentials", json=body, headers=key)
    assert issued.status_code == 201, issued.text
    credential_hash = issued.json()["credential_hash"]
    entry = api.entry("retention-credential")
    assert entry is not None and entry.body["credential"] == issued.json()["credential"]
    revoked = api.client.post(
        f"/credentials/{credential_hash}/revoke", json={"reason_code": 0}, headers=api.headers
    )
    assert revoked.status_code == 200, revoked.text
    problem_of(api.client.post("/credentials", json=body, headers=key), 410)
    entry = api.entry("retention-credential")
    assert entry is not None and issued.json()["credential"] not in str(entry.body)
    # the JWT kept to hand out after a 202 goes with the revocation too
    later = api.client.get(
        f"/credentials/issuances/{issued.json()['write_id']}", headers=api.headers
    )
    assert problem_of(later, 410)["type"].endswith("credential-erased")
    with Session(api.engine) as session:
        stored = session.get(IssuedCredential, credential_hash)
        assert stored is not None and stored.jwt is None  # hash and write (its root) stay


def test_an_issued_jwt_is_kept_for_pick_up_then_emptied(api: Api) -> None:
    now = time.time()
    body = {
        "type": "BUSINESS_REG",
        "holder_did": make_did(Account.create().address, 52062),
        "claims": CLAIMS,
    }
    issued = api.client.post("/credentials", json=body, headers=api.headers)
    assert issued.status_code == 201, issued.text
    pick_up = f"/credentials/issuances/{issued.json()['write_id']}"
    assert api.client.get(pick_up, headers=api.headers).status_code == 200
    api.purger(now + 600).once()
    assert api.client.get(pick_up, headers=api.headers).status_code == 200
    assert api.purger(now + DAY + 3600).once()["issued credential JWTs"] >= 1
    problem_of(api.client.get(pick_up, headers=api.headers), 410)
    with Session(api.engine) as session:
        stored = session.get(IssuedCredential, issued.json()["credential_hash"])
        assert stored is not None and stored.jwt is None


def _sign_in(client: TestClient, at: float) -> str:
    person = Account.create()
    client.app.state.clock = lambda: at  # type: ignore[attr-defined]
    try:
        nonce = client.post("/auth/nonce").json()["nonce"]
        message = build_message(
            audience=Audience.from_public_url("http://127.0.0.1:8000"),
            address=person.address, chain_id=52062, nonce=nonce,
            issued_at=datetime.fromtimestamp(at, UTC),
        )  # fmt: skip
        answer = client.post(
            "/auth/siwe", json={"message": message, "signature": sign_message(message, person)}
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])
    finally:
        client.app.state.clock = time.time  # type: ignore[attr-defined]


def test_answers_sessions_claims_and_counts_are_purged_when_their_time_is_up(api: Api) -> None:
    now = time.time()
    key = {**api.headers, "Idempotency-Key": "retention-age"}
    stored = api.client.post(
        f"/registers/{api.register_id}/records", json={"content": {"name": "A"}}, headers=key
    )
    assert stored.status_code == 202, stored.text
    token = _sign_in(api.client, now)
    bearer = {"Authorization": f"Bearer {token}"}
    request = api.client.post(
        "/credential-requests", json={"type": "BUSINESS_REG", "claims": CLAIMS}, headers=bearer
    )
    assert request.status_code == 201, request.text
    request_id = request.json()["id"]
    rejected = api.client.post(
        f"/department/credential-requests/{request_id}/reject",
        json={"reason": "Kein Gewerbe"},
        headers=api.headers,
    )
    assert rejected.status_code == 200, rejected.text
    with Session(api.engine) as session:
        session.add(RateLimitHit(bucket="public:203.0.113.9", window=int(now) // 60 * 60, hits=1))
        session.commit()

    # ten minutes later nothing is due
    assert not any(api.purger(now + 600).once().values())
    assert api.entry("retention-age") is not None
    # a day and a bit: the answer, the expired session and its nonce, the client's count
    counts = api.purger(now + DAY + 3600).once()
    assert counts["idempotency answers"] >= 1 and counts["citizen sessions"] >= 1, counts
    assert counts["sign-in nonces"] >= 1 and counts["rate-limit counts"] >= 1, counts
    assert counts["request claims"] == 0, counts
    assert api.entry("retention-age") is None
    with Session(api.engine) as session:
        assert not list(session.exec(select(CitizenSession)))
        assert not list(session.exec(select(SignInNonce)))
        assert not list(session.exec(select(RateLimitHit)))
        row = session.get(CredentialRequestRow, request_id)
        assert row is not None and row.claims == CLAIMS
    # the request's claims: 30 days after it completed
    assert api.purger(now + 31 * DAY).once()["request claims"] == 1
    with Session(api.engine) as session:
        row = session.get(CredentialRequestRow, request_id)
        assert row is not None and row.claims is None and row.state == "rejected"


def test_a_request_left_undecided_is_closed_and_its_claims_deleted(api: Api) -> None:
    now = time.time()
    bearer = {"Authorization": f"Bearer {_sign_in(api.client, now)}"}
    request = api.client.post(
        "/credential-requests", json={"type": "BUSINESS_REG", "claims": CLAIMS}, headers=bearer
    )
    assert request.status_code == 201, request.text
    request_id = request.json()["id"]
    api.purger(now + 89 * DAY).once()
    with Session(api.engine) as session:
        row = session.get(CredentialRequestRow, request_id)
        assert row is not None and row.claims == CLAIMS and row.state == "submitted"
    assert api.purger(now + 91 * DAY).once()["request claims"] >= 1
    with Session(api.engine) as session:
        row = session.get(CredentialRequestRow, request_id)
        assert row is not None and row.claims is None and row.state == "rejected"
        assert row.completed_at is not None and "not decided in time" in row.reason


def test_an_answer_still_awaited_is_kept(api: Api) -> None:
    now = time.time()
    with Session(api.engine) as session:
        session.add(
            IdempotencyEntry(
                department="FB02", key="retention-open", fingerprint="0" * 64, status_code=202,
                body={}, write_id="0" * 32,
                created_at=datetime.fromtimestamp(now - 2 * DAY, UTC),
                open_until=datetime.fromtimestamp(now + 60, UTC),
            )
        )  # fmt: skip
        session.commit()
    api.purger(now).once()
    assert api.entry("retention-open") is not None
    api.purger(now + 120).once()
    assert api.entry("retention-open") is None
