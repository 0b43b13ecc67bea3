"""The authorisation matrix (issue 12 item 3): every write route by every caller and every register,
credential type, credential and request, sent in-process against one chain state built once.

The chain state (council decisions by intent): the departments FB02, FB33 and FB32 of the shared
test city, and FB99, which owns a register and is then suspended by the council. Each department
has four API keys: scoped to its own first register and credential type ("own"), to everything
("*"), to nothing ("none"), and one that worked and was then revoked; and there are callers with
no key and with a key that does not exist. Citizens have a session, an expired one and a
logged-out one.

Only refusals are sent in the matrix: each cell's expected answer comes from the rules below
(:func:`_expected`), not from the API's code, and the cells that would succeed are sent once
each afterwards (:func:`test_the_owner_with_the_right_scope_succeeds`). Every refusal is a
problem (RFC 9457) and nothing reaches the chain or the store: no outbox row, no idempotency
entry, no record, no credential, no changed request, no new block, no account's nonce moved.

Refusals are ``401``/``403`` except where the answer is deliberate and said so in the cell:
``404 unknown-request`` for another type's credential request (the API does not tell whether
it exists), and ``409 chain-refused`` where the chain is the authority the API asks before
anything is stored (a ``*`` key of a department the council did not accredit for the type, a
status change of a credential another department issued).

Every non-GET route of the app must be in :data:`ROUTES` (a new write route without a matrix
entry fails :func:`test_every_write_route_is_in_the_matrix`).
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import Session, select

from registry_api.core.config import Settings
from registry_api.core.db import session_scope
from registry_api.core.security import REVOCATION_CHECK_SECONDS, create_api_key, revoke_api_key
from registry_api.main import create_app
from registry_api.models.identity_tables import CitizenSession, CredentialRequestRow
from registry_api.models.tables import (
    IdempotencyEntry,
    IssuedCredential,
    Record,
    RecordVersion,
    Register,
    Write,
)
from registry_core.council import (
    ADD_ACCOUNT,
    ADD_DEPARTMENT,
    ALLOW_REGISTER_CREATOR,
    SUSPEND_DEPARTMENT,
    decide,
    decide_missing,
)
from registry_core.did import make_did
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.sign_in import Audience, build_message, sign_message
from tests.api.conftest import Departments, problem_of
from tests.api_process import poll
from tests.credential_fixtures import CredentialCity
from tests.fixture_keys import TEST_SCRYPT_N

PASSPHRASE = "test-only-matrix-passphrase"
SUSPENDED = "FB99"
DEPARTMENTS = ("FB02", "FB33", "FB32", SUSPENDED)
# The council's accreditations (tests/credential_fixtures.py seeds the demo city's); FB99 has none.
ACCREDITED = {
    "BUSINESS_REG": "FB02",
    "RESIDENCE_CERT": "FB33",
    "PARKING_PERMIT": "FB32",
    "RESIDENT_PARKING": "FB32",
}
CLAIMS: dict[str, dict[str, str]] = {
    "RESIDENCE_CERT": {
        "givenName": "Erika",
        "familyName": "Mustermann",
        "birthDate": "1964-08-12",
        "address": "Markt 1, 52062 Aachen",
    },
    "BUSINESS_REG": {
        "businessName": "Muster GmbH",
        "holderName": "Erika Mustermann",
        "activity": "Software",
        "address": "Markt 1, 52062 Aachen",
        "registeredOn": "2024-01-02",
    },
    "PARKING_PERMIT": {"licensePlate": "AC-EM 1964", "zone": "A3"},
    "RESIDENT_PARKING": {"zone": "A3", "licensePlate": "AC-EM 1964", "validUntil": "2027-11-30"},
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "maxLength": 100}},
    "additionalProperties": False,
}
PUBLIC = Audience.from_public_url("http://127.0.0.1:8000")
HOLDER = make_did(Account.create().address, 52062)

# Every non-GET route and what authorises it. The matrix sends cells to the first four kinds;
# the others are public by design or authorised by a signature inside the body (their refusals
# are tested where they live: tests/api/test_payments.py, test_identity.py, test_did_relay.py).
ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/registers"): "register",
    ("POST", "/registers/{register_id}/records"): "record",
    ("POST", "/registers/{register_id}/records/bulk"): "record",
    ("POST", "/registers/{register_id}/records/{record_id}/amend"): "record",
    ("POST", "/registers/{register_id}/records/{record_id}/close"): "record",
    ("POST", "/registers/{register_id}/records/{record_id}/erase"): "record",
    ("POST", "/credentials"): "issue",
    ("POST", "/credentials/batch"): "issue",
    ("POST", "/credentials/{credential_hash}/revoke"): "status",
    ("POST", "/credentials/{credential_hash}/suspend"): "status",
    ("POST", "/credentials/{credential_hash}/resume"): "status",
    ("POST", "/department/credential-requests/{request_id}/approve"): "decision",
    ("POST", "/department/credential-requests/{request_id}/reject"): "decision",
    ("POST", "/credential-requests"): "citizen",
    ("POST", "/auth/logout"): "citizen",
    ("POST", "/identity/{did}/change-owner"): "citizen",
    # a read of the department's own writes that takes its ids in a body
    ("POST", "/writes/status"): "read",
    # public by design (rate-limited per client, api/rate_limit.py)
    ("POST", "/auth/nonce"): "public",
    ("POST", "/auth/siwe"): "public",
    ("POST", "/verify"): "public",
    ("POST", "/verify/image"): "public",
    ("POST", "/credentials/qr"): "public",
    # OpenID4VCI: a pre-authorized code or access token in OAuth's own error form
    ("POST", "/oid4vci/token"): "oauth",
    ("POST", "/oid4vci/nonce"): "oauth",
    ("POST", "/oid4vci/credential"): "oauth",
    ("POST", "/oid4vci/deferred_credential"): "oauth",
    # signed by the payer (EIP-712 / EIP-2612): no API key or session authorises a payment
    ("POST", "/payments/fees"): "payer-signed",
    ("POST", "/payments/channels"): "payer-signed",
    ("POST", "/payments/channels/{channel_id}/top-ups"): "payer-signed",
    ("POST", "/payments/channels/{channel_id}/vouchers"): "payer-signed",
    ("POST", "/payments/vouchers"): "payer-signed",
    ("POST", "/payments/channels/{channel_id}/close"): "payer-signed",
}
MATRIX_KINDS = ("register", "record", "issue", "status", "decision", "citizen")


@dataclass(frozen=True)
class Key:
    """A caller with an API key (or none): its department and scopes."""

    name: str
    department: str | None
    registers: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    valid: bool = True
    token: str = ""

    def may_use(self, register_id: str) -> bool:
        return "*" in self.registers or register_id in self.registers

    def may_issue(self, code: str) -> bool:
        return "*" in self.types or code in self.types


@dataclass(frozen=True)
class Citizen:
    name: str
    did: str | None
    token: str | None
    valid: bool


@dataclass
class City:
    """The chain state and the API in front of it, built once for the module."""

    client: TestClient
    rpc: RpcClient
    accounts: list[str]
    keys: list[Key]
    citizens: list[Citizen]
    registers: dict[str, str]  # register id -> owner
    records: dict[str, str]  # register id -> a record of it (anchored)
    credentials: dict[str, str]  # credential type -> the hash of one its department issued
    requests: dict[tuple[str, str], str]  # (credential type, approve | reject) -> a request
    new_registers: list[str]  # ids nobody created yet
    cells: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def engine(self) -> Any:
        return self.client.app.state.engine  # type: ignore[attr-defined]


def _anchored(client: TestClient, write_id: str, headers: dict[str, str]) -> None:
    def check() -> bool:
        body = client.get(f"/writes/{write_id}", headers=headers).json()
        assert body["status"] != "failed", body
        return bool(body["status"] == "anchored")

    poll(check, what=f"write {write_id} to be anchored")


def _sign_in(client: TestClient, account: LocalAccount, at: float) -> str:
    client.app.state.clock = lambda: at  # type: ignore[attr-defined]
    try:
        nonce = client.post("/auth/nonce").json()["nonce"]
        message = build_message(
            audience=PUBLIC, address=account.address, chain_id=52062, nonce=nonce,
            issued_at=datetime.fromtimestamp(at, UTC),
        )  # fmt: skip
        answer = client.post(
            "/auth/siwe", json={"message": message, "signature": sign_message(message, account)}
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])
    finally:
        client.app.state.clock = time.time  # type: ignore[attr-defined]


def _keystore(
    rpc: RpcClient, manifest: DeploymentManifest, council: list[LocalAccount], keys_dir: Path
) -> list[str]:
    """A register key and a credential key of each department, acting for it on chain; FB99 is
    created and may create registers."""
    keystore = Keystore(keys_dir)
    decisions = [
        ADD_DEPARTMENT.decide(department=SUSPENDED, name="Testamt / Test office"),
        ALLOW_REGISTER_CREATOR.decide(department=SUSPENDED),
    ]
    addresses: list[str] = []
    for code in DEPARTMENTS:
        for prefix in ("dept", "vc"):
            account = keystore.create(
                f"{prefix}-{code.lower()}", PASSPHRASE, scrypt_n=TEST_SCRYPT_N
            )
            decisions.append(ADD_ACCOUNT.decide(department=code, account=account.address))
            addresses.append(account.address)
    decide_missing(rpc=rpc, manifest=manifest, members=council, decisions=decisions)
    return addresses


def _make_key(engine: Any, department: str, registers: list[str], types: list[str]) -> str:
    with session_scope(engine) as session:
        _, token = create_api_key(
            session=session, department=department, registers=registers, credential_types=types
        )
    return token


def _registers(
    client: TestClient, builders: dict[str, str], owned: dict[str, list[str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """The owners' registers, each with one anchored record: (register -> owner, -> record)."""
    registers: dict[str, str] = {}
    records: dict[str, str] = {}
    for code, ids in owned.items():
        headers = {"X-API-Key": builders[code]}
        for register_id in ids:
            answer = client.post(
                "/registers",
                json={"id": register_id, "name": "Matrix / Matrix", "schema": SCHEMA},
                headers=headers,
            )
            assert answer.status_code == 202, answer.text
            _anchored(client, answer.json()["write_id"], headers)
            registers[register_id] = code
            answer = client.post(
                f"/registers/{register_id}/records",
                json={"content": {"name": "Erika"}},
                headers=headers,
            )
            assert answer.status_code == 202, answer.text
            _anchored(client, answer.json()["write_id"], headers)
            records[register_id] = answer.json()["record_id"]
    return registers, records


def _credentials(client: TestClient, builders: dict[str, str]) -> dict[str, str]:
    """One anchored credential of each type, issued by its accredited department."""
    credentials: dict[str, str] = {}
    for code, issuer in ACCREDITED.items():
        answer = client.post(
            "/credentials",
            json={"type": code, "holder_did": HOLDER, "claims": CLAIMS[code]},
            headers={"X-API-Key": builders[issuer]},
        )
        assert answer.status_code == 201, answer.text
        credentials[code] = answer.json()["credential_hash"]
    return credentials


def _citizens(
    client: TestClient, session_seconds: int
) -> tuple[list[Citizen], dict[tuple[str, str], str]]:
    """Two signed-in citizens, an expired and a logged-out session, none and an unknown one;
    the first citizen's requests, two of each type (one to approve, one to reject)."""
    people = [Account.create(), Account.create()]
    tokens = [_sign_in(client, person, time.time()) for person in people]
    requests: dict[tuple[str, str], str] = {}
    for code, action in itertools.product(ACCREDITED, ("approve", "reject")):
        answer = client.post(
            "/credential-requests",
            json={"type": code, "claims": CLAIMS[code]},
            headers={"Authorization": f"Bearer {tokens[0]}"},
        )
        assert answer.status_code == 201, answer.text
        requests[code, action] = answer.json()["id"]
    expired = _sign_in(client, people[1], time.time() - 2 * session_seconds)
    logged_out = _sign_in(client, people[1], time.time())
    ended = client.post("/auth/logout", headers={"Authorization": f"Bearer {logged_out}"})
    assert ended.status_code == 204, ended.text
    citizens = [
        Citizen("session", make_did(people[0].address, 52062), tokens[0], True),
        Citizen("other-session", make_did(people[1].address, 52062), tokens[1], True),
        Citizen("expired-session", None, expired, False),
        Citizen("logged-out-session", None, logged_out, False),
        Citizen("no-session", None, None, False),
        Citizen("unknown-session", None, secrets.token_urlsafe(32), False),
    ]
    return citizens, requests


def _keys(client: TestClient, owned: dict[str, list[str]]) -> list[Key]:
    """No key, an unknown one, and each department's own-scoped, "*", unscoped and revoked key."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    unknown = f"crk_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
    keys = [Key("no-key", None, valid=False), Key("unknown-key", None, valid=False, token=unknown)]
    for code in DEPARTMENTS:
        own_types = [t for t, d in ACCREDITED.items() if d == code][:1] or ["BUSINESS_REG"]
        scopes = {
            "own": (tuple(owned.get(code, [])[:1]), tuple(own_types)),
            "*": (("*",), ("*",)),
            "none": ((), ()),
        }
        for name, (registers, types) in scopes.items():
            token = _make_key(engine, code, list(registers), list(types))
            keys.append(Key(f"{code}:{name}", code, registers, types, token=token))
        revoked = _make_key(engine, code, ["*"], ["*"])  # it worked (and is cached) ...
        used = client.get("/writes/" + "0" * 32, headers={"X-API-Key": revoked})
        assert used.status_code == 404, used.text
        with session_scope(engine) as session:  # ... then it was revoked
            revoke_api_key(session=session, key_id=revoked.split("_")[1], reason="matrix")
        keys.append(Key(f"{code}:revoked", code, ("*",), ("*",), valid=False, token=revoked))
    time.sleep(REVOCATION_CHECK_SECONDS)  # every API process notices a revocation this late
    return keys


@pytest.fixture(scope="module", name="matrix")
def matrix_city(
    departments: Departments,
    credential_city: CredentialCity,
    gateway_url: str,
    deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[City]:
    data_dir = tmp_path_factory.mktemp("matrix")
    rpc = RpcClient(gateway_url)
    manifest, council = credential_city.manifest, credential_city.council
    accounts = _keystore(rpc, manifest, council, data_dir / "keys")
    suffix = secrets.token_hex(2).upper()
    owned = {"FB02": [f"MXA{suffix}", f"MXA{suffix}2"], "FB33": [f"MXB{suffix}"]}
    owned[SUSPENDED] = [f"MXS{suffix}"]
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'registry.db'}",
        keys_dir=data_dir / "keys",
        keystore_passphrase=SecretStr(PASSPHRASE),
        signers={code: f"dept-{code.lower()}" for code in DEPARTMENTS},
        credential_keys={code: f"vc-{code.lower()}" for code in DEPARTMENTS},
        workers="thread",
        fee_types=[],
        department_status_cache_seconds=0,
        status_cache_seconds=0,
        indexer_poll_seconds=5.0,  # the matrix reads nothing the indexer writes
    )
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        builders = {
            code: _make_key(engine, code, ["*"], [t for t, d in ACCREDITED.items() if d == code])
            for code in DEPARTMENTS
        }
        registers, records = _registers(client, builders, owned)
        credentials = _credentials(client, builders)
        citizens, requests = _citizens(client, settings.citizen_session_seconds)
        keys = _keys(client, owned)
        decide(
            rpc=rpc, manifest=manifest, members=council,
            decision=SUSPEND_DEPARTMENT.decide(department=SUSPENDED),
        )  # fmt: skip
        poll(lambda: all(w.status == "anchored" for w in _writes(engine)), what="an idle outbox")
        yield City(
            client=client,
            rpc=rpc,
            accounts=accounts,
            keys=keys,
            citizens=citizens,
            registers=registers,
            records=records,
            credentials=credentials,
            requests=requests,
            new_registers=[f"MXN{suffix}{code}" for code in DEPARTMENTS],
        )
    rpc.close()


def _writes(engine: Any) -> list[Write]:
    with Session(engine) as session:
        return list(session.exec(select(Write)))


# ---- the rules: what each cell must answer -----------------------------------------------------

Expected = tuple[int, str] | None  # (status, problem type) of a refusal; None: it succeeds


def _key_refusal(key: Key) -> Expected:
    if key.department is None:
        return (401, "missing-api-key") if not key.token else (401, "invalid-api-key")
    if not key.valid:
        return 401, "invalid-api-key"
    return None


def _expected(kind: str, key: Key, target: str, city: City) -> Expected:
    refusal = _key_refusal(key)
    if refusal is not None:
        return refusal
    department = key.department
    if kind == "register":
        if department == SUSPENDED:
            return 403, "department-suspended"
        if not key.may_use(target):
            return 403, "register-out-of-scope"
        if department not in ("FB02", "FB33", SUSPENDED):  # the council's register creators
            return 403, "register-creator-not-allowed"
        return None
    if kind == "record":
        if department == SUSPENDED:
            return 403, "department-suspended"
        if city.registers[target] != department:
            return 403, "wrong-department"
        if not key.may_use(target):
            return 403, "register-out-of-scope"
        return None
    if kind == "issue":
        if not key.may_issue(target):
            return 403, "credential-type-out-of-scope"
        if department == SUSPENDED:
            return 403, "department-suspended"
        if ACCREDITED[target] != department:
            return 409, "chain-refused"  # the chain's accreditation, asked before signing
        return None
    if kind == "status":
        if not key.types:
            return 403, "credential-out-of-scope"
        if department == SUSPENDED:
            return 403, "department-suspended"
        if ACCREDITED[target] != department:
            return 409, "chain-refused"  # the chain's record of who issued it, asked first
        return None
    if kind == "decision":
        if not key.may_issue(target):
            return 404, "unknown-request"  # another type's request looks like none
        if department == SUSPENDED:
            return 403, "department-suspended"
        if ACCREDITED[target] != department:
            return 409, "chain-refused"
        return None
    raise AssertionError(kind)


def _citizen_expected(path: str, citizen: Citizen, did: str) -> Expected:
    if citizen.token is None:
        return 401, "missing-session"
    if not citizen.valid:
        return 401, "invalid-session"
    if path.startswith("/identity/") and did != citizen.did:
        return 403, "not-your-identity"
    return None


# ---- the requests --------------------------------------------------------------------------------


def _department_request(
    route: str, target: str, city: City, cell: int
) -> tuple[str, dict[str, Any]]:
    """The path and a valid body of ``route`` for ``target``: a refusal never comes from the
    body."""
    action = route.rsplit("/", 1)[-1]
    if route == "/registers":
        return route, {"id": target, "name": "Neu / New", "schema": SCHEMA}
    if route.startswith("/registers/"):
        base = f"/registers/{target}/records"
        record = f"{base}/{city.records[target]}"
        bodies: dict[str, tuple[str, dict[str, Any]]] = {
            "records": (base, {"content": {"name": f"cell {cell}"}}),
            "bulk": (f"{base}/bulk", {"records": [{"name": f"cell {cell}"}]}),
            "amend": (f"{record}/amend", {"content": {"name": f"cell {cell}"}}),
            "close": (f"{record}/close", {"content": {"name": f"cell {cell}"}}),
            # the first version only: the owner's success cell erases what was anchored
            "erase": (f"{record}/erase", {"reason": "data-subject-request", "versions": [0]}),
        }
        return bodies[action]
    if route == "/credentials":
        return route, {"type": target, "holder_did": HOLDER, "claims": CLAIMS[target]}
    if route == "/credentials/batch":
        return route, {"type": target, "items": [{"holder_did": HOLDER, "claims": CLAIMS[target]}]}
    if route.startswith("/credentials/"):
        return f"/credentials/{city.credentials[target]}/{action}", {"reason_code": 0}
    request_id = city.requests[target, action]
    body = {"reason": "Matrix"} if action == "reject" else {}
    return f"/department/credential-requests/{request_id}/{action}", body


def _targets(kind: str, city: City) -> list[str]:
    if kind == "register":
        return city.new_registers
    if kind == "record":
        return sorted(city.registers)
    return sorted(ACCREDITED)


Cell = tuple[str, str, str, Callable[[], Any], Expected]


def _cells(city: City) -> Iterator[Cell]:
    """(route, caller, target, send, expected) of every cell."""
    for (_, route), kind in ROUTES.items():
        if kind not in MATRIX_KINDS or kind == "citizen":
            continue
        for key, target in itertools.product(city.keys, _targets(kind, city)):
            cell = len(city.cells)
            path, body = _department_request(route, target, city, cell)
            headers = {"Idempotency-Key": f"matrix-{cell}"}
            if key.token:
                headers["X-API-Key"] = key.token
            city.cells.append((route, key.name, target))
            yield (
                route,
                key.name,
                target,
                partial(city.client.post, path, json=body, headers=headers),
                _expected(kind, key, target, city),
            )
    dids = [c.did for c in city.citizens if c.did]
    for (_, route), kind in ROUTES.items():
        if kind != "citizen":
            continue
        for citizen, did in itertools.product(city.citizens, dids):
            path = route.replace("{did}", str(did))
            payload: dict[str, Any] = {}
            if route == "/credential-requests":
                payload = {"type": "RESIDENT_PARKING", "claims": CLAIMS["RESIDENT_PARKING"]}
            elif route.startswith("/identity/"):
                address = str(did).rsplit(":", 1)[-1]
                payload = {"identity": address, "new_owner": Account.create().address, "nonce": 0,
                        "sig_v": 27, "sig_r": "0x" + "11" * 32, "sig_s": "0x" + "22" * 32}  # fmt: skip
            headers = {"Authorization": f"Bearer {citizen.token}"} if citizen.token else {}
            city.cells.append((route, citizen.name, str(did)))
            yield (
                route,
                citizen.name,
                # a citizen's success is one per session (the first logout ends it)
                citizen.name if route != "/identity/{did}/change-owner" else str(did),
                partial(city.client.post, path, json=payload, headers=headers),
                _citizen_expected(route, citizen, str(did)),
            )


def _state(city: City) -> dict[str, Any]:
    """What a refusal must not change: the store's rows and the chain."""
    with Session(city.engine) as session:
        counts = {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (
                Write,
                IdempotencyEntry,
                Register,
                Record,
                RecordVersion,
                IssuedCredential,
            )
        }
        requests = sorted(
            (r.id, r.state, r.department) for r in session.exec(select(CredentialRequestRow))
        )
        sessions = sorted(
            (s.token_hash, s.revoked_at) for s in session.exec(select(CitizenSession))
        )
    return {
        **counts,
        "requests": requests,
        "sessions": sessions,
        "block": city.rpc.block_number(),
        "nonces": [city.rpc.nonce(address, "pending") for address in city.accounts],
    }


# ---- the tests -------------------------------------------------------------------------------------


def test_every_write_route_is_in_the_matrix(matrix: City) -> None:
    city = matrix
    app = city.client.app
    # FastAPI keeps an included router as one entry of app.routes: its routes are its contexts
    routes = [
        context
        for entry in app.routes  # type: ignore[attr-defined]
        for context in (
            entry.effective_route_contexts()
            if hasattr(entry, "effective_route_contexts")
            else [entry]
        )
    ]
    writes = {
        (method, route.path)
        for route in routes
        for method in set(getattr(route, "methods", None) or ()) - {"GET", "HEAD", "OPTIONS"}
    }
    assert writes == set(ROUTES), (
        f"write routes without a matrix entry: {sorted(writes - set(ROUTES))}; "
        f"matrix entries without a route: {sorted(set(ROUTES) - writes)}"
    )


def test_every_refusal_is_a_problem_and_reaches_nothing(matrix: City) -> None:
    city = matrix
    before = _state(city)
    started, cpu = time.monotonic(), time.process_time()
    sent, unexpected = 0, []
    for route, caller, _, send, expected in _cells(city):
        if expected is None:
            continue  # a success: sent once per row by the next test
        answer = send()
        sent += 1
        status, kind = expected
        try:
            problem = problem_of(answer, status)
            assert problem["type"].endswith("/" + kind), problem["type"]
        except AssertionError as exc:
            unexpected.append(f"{route} as {caller}: expected {status} {kind}; {exc}")
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    assert _state(city) == before
    print(  # the matrix's size, for the issue's note (seen with -s)
        f"\nauthorisation matrix: {len(city.cells)} cells, {sent} refusals sent in {seconds:.1f} s "
        f"({cpu:.1f} s CPU of this process), "
        f"{sent - len(unexpected)} as expected ({100 * (sent - len(unexpected)) / sent:.0f} %)"
    )
    assert not unexpected, "\n".join(unexpected[:40])
    assert {cell[0] for cell in city.cells} == {
        r for (_, r), k in ROUTES.items() if k in MATRIX_KINDS
    }


def test_the_owner_with_the_right_scope_succeeds(matrix: City) -> None:
    city = matrix
    """Each success cell of the matrix once (the matrix sends only refusals): a refusal of it
    would mean the matrix's rules refuse more than the API does."""
    successes: dict[tuple[str, str], tuple[str, str, Callable[[], Any]]] = {}
    for route, caller, target, send, expected in _cells(city):
        if expected is None:  # the first caller that may, per route and target
            successes.setdefault((route, target), (route, caller, send))
    by_route: dict[str, int] = {}
    for route, caller, send in sorted(successes.values(), key=_success_order):
        answer = send()
        if route == "/identity/{did}/change-owner":  # past authorisation: the cell's fake signature
            assert problem_of(answer, 422)["type"].endswith("/invalid-signature"), answer.text
        else:
            assert answer.status_code in (200, 201, 202, 204), f"{route} as {caller}: {answer.text}"
        by_route[route] = by_route.get(route, 0) + 1
    # (a signed key change that is relayed: tests/api/test_did_relay.py)
    assert set(by_route) == {r for (_, r), kind in ROUTES.items() if kind in MATRIX_KINDS}


def _success_order(success: tuple[str, str, Callable[[], Any]]) -> tuple[int, str]:
    """Suspend before resume, revoke last; close and erase after the other record writes;
    logout last."""
    route = success[0]
    last = ("/suspend", "/resume", "/revoke", "/close", "/erase", "/logout")
    rank = next((i + 1 for i, end in enumerate(last) if route.endswith(end)), 0)
    return rank, success[1]
