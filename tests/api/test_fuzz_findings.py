"""What the API fuzzer (``make fuzz``, schemathesis) found, one test per root cause, in process.

* a number (or string) RFC 8785 cannot hash exactly anywhere in a write's body was a 500 from the
  Idempotency-Key fingerprint or a new register's schema hash: now a 422 before any hashing
  (``registry_api/models/base.py``);
* a query number beyond SQL's 64-bit integers (a huge ``offset``) was a 500;
* answers' moments had no time zone (not RFC 3339 ``date-time``, as documented);
* a 405 named no ``Allow`` (or only the refusing route's method); a path that is another route's
  (``GET …/records/bulk``) was a 422;
* a 2 KB junk sign-in message took seconds in siwe's parser (a read timeout);
* refusals the framework gives (400, 401, 413, 422, 429, ...) were not documented, the OAuth
  endpoints' error form not at all (``registry_api/api/openapi.py``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_core.demo import TRADE_RECORD, TRADE_SCHEMA
from registry_core.sign_in import MAX_MESSAGE_LENGTH, SignInError, parse_message
from tests.api.conftest import PASSPHRASE, Departments, make_key, problem_of

RECORD = "0x" + "ab" * 32


@dataclass
class Api:
    client: TestClient
    register_id: str
    key: dict[str, str]


@pytest.fixture(scope="module")
def api(
    gateway_url: str,
    deployments_dir: Path,
    departments: Departments,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Api]:
    data_dir = tmp_path_factory.mktemp("fuzz-findings")
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'registry.db'}",
        keys_dir=departments.keys_dir,
        keystore_passphrase=PASSPHRASE,
        workers="off",  # writes stay in the outbox: these tests look at answers only
    )
    register_id = "FUZZ" + secrets.token_hex(3).upper()
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        key = {"X-API-Key": make_key(engine, "FB02", [register_id])}
        created = client.post(
            "/registers",
            json={"id": register_id, "name": "Fuzz findings", "schema": TRADE_SCHEMA},
            headers=key,
        )
        assert created.status_code == 202, created.text
        yield Api(client=client, register_id=register_id, key=key)


def _raw(api: Api, path: str, body: str, key: str | None = None) -> dict[str, object]:
    headers = {**api.key, "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    answer = api.client.post(path, content=body.encode("utf-8", "surrogatepass"), headers=headers)
    return problem_of(answer, 422)


@pytest.mark.parametrize(
    "path, body",
    [
        ("/registers/{r}/records/" + RECORD + "/amend", '{"content": {}, "expected_version": true}'),
        ("/registers/{r}/records/" + RECORD + "/erase", '{"reason": "legal-order", "versions": ["0"]}'),
        ("/payments/vouchers", '{"vouchers": [{"channel_id": "0x' + "00" * 32 + '", "cumulative_amount": 0, '
         '"signature": "0x' + "00" * 65 + '", "chain_id": false}]}'),
    ],
)  # fmt: skip
def test_an_integer_field_takes_a_number_not_true_false_or_text(
    api: Api, path: str, body: str
) -> None:
    problem = _raw(api, path.format(r=api.register_id), body)
    assert "must be an integer number" in str(problem), problem


@pytest.mark.parametrize(
    "path, body",
    [
        ("/registers", '{"id": "FUZZBIG", "name": "n", "schema": {"maximum": 1e400}}'),
        ("/registers", '{"id": "FUZZBIG", "name": "n", "schema": {"maximum": 99999999999999999999}}'),
        ("/registers/{r}/records", '{"content": {"n": 126948661393771626496}}'),
        ("/registers/{r}/records", '{"content": {"n": NaN}}'),
        ("/registers/{r}/records", '{"content": {"\\ud800": 1}}'),
        ("/registers/{r}/records", '{"content": ' + '{"a": ' * 40 + "1" + "}" * 41),
        ("/registers/{r}/records/bulk", '{"records": [{"n": -4886091781667830104064}]}'),
        ("/registers/{r}/records/" + RECORD + "/amend", '{"content": {}, "expected_version": 1e999}'),
        ("/registers/{r}/records/" + RECORD + "/close", '{"content": {}, "unknown": 1180591620717411303424}'),
        ("/registers/{r}/records/" + RECORD + "/erase", '{"reason": "legal-order", "versions": [-9999999999999999999]}'),
    ],
)  # fmt: skip
def test_a_body_that_cannot_be_hashed_exactly_is_refused_before_hashing(
    api: Api, path: str, body: str
) -> None:
    problem = _raw(api, path.format(r=api.register_id), body, key=secrets.token_hex(8))
    assert problem["type"].endswith("/invalid-request"), problem  # type: ignore[union-attr]
    assert "cannot be hashed exactly" in str(problem["errors"]), problem


def test_query_numbers_are_bounded(api: Api) -> None:
    path = f"/registers/{api.register_id}/records?offset={2**70}"
    answer = api.client.get(path, headers=api.key)
    assert problem_of(answer, 422)["errors"][0]["loc"] == ["query", "offset"]  # type: ignore[index]


def _integer_schemas(schema: dict[str, object]) -> list[dict[str, object]]:
    options = schema.get("anyOf", [schema])
    return [o for o in options if isinstance(o, dict) and o.get("type") == "integer"]  # type: ignore[union-attr]


def test_every_integer_parameter_is_bounded(api: Api) -> None:
    """The root of the huge-offset 500s: a parameter number beyond SQL's 64-bit integers. Every
    documented integer parameter has a maximum, so a new route cannot forget the bound."""
    document = api.client.get("/openapi.json").json()
    unbounded = [
        f"{method.upper()} {path} {parameter['name']}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        for schema in _integer_schemas(parameter["schema"])
        if "maximum" not in schema
    ]
    assert unbounded == []
    archive = f"/registers/{api.register_id}/archive?offset={2**99}"
    answer = api.client.get(archive, headers=api.key)
    assert problem_of(answer, 422)["errors"][0]["loc"] == ["query", "offset"]  # type: ignore[index]


def _zoned(moment: str) -> bool:
    return datetime.fromisoformat(moment).utcoffset() is not None


def test_answers_name_the_time_zone_of_their_moments(api: Api) -> None:
    register = api.client.get(f"/registers/{api.register_id}").json()
    assert _zoned(register["created_at"]), register
    write = api.client.get(f"/writes/{register['write_id']}", headers=api.key).json()
    assert _zoned(write["created_at"]), write
    record = api.client.post(
        f"/registers/{api.register_id}/records", json={"content": TRADE_RECORD}, headers=api.key
    )
    assert record.status_code == 202, record.text
    listed = api.client.get(f"/registers/{api.register_id}/records", headers=api.key)
    listed = listed.json()["data"][0]
    assert _zoned(listed["created_at"]) and _zoned(listed["updated_at"]), listed


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("OPTIONS", "/registers", "GET, POST"),
        ("TRACE", "/health", "GET"),
        ("DELETE", "/verify", "GET, POST"),
        ("GET", "/registers/TRADE/records/bulk", "POST"),  # no record id: the bulk route's path
    ],
)
def test_a_method_not_allowed_names_every_allowed_method(
    api: Api, method: str, path: str, allow: str
) -> None:
    answer = api.client.request(method, path, headers=api.key)
    problem_of(answer, 405)
    assert answer.headers["allow"] == allow


def test_the_oauth_endpoints_refuse_in_their_own_form(api: Api) -> None:
    answer = api.client.put("/oid4vci/token")
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] == "invalid_request"


def test_the_document_names_every_refusal_and_its_form(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    problem = {"$ref": "#/components/schemas/Problem"}
    oauth = {"$ref": "#/components/schemas/OAuthError"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "401", "403", "404", "409", "413", "422", "429", "503"):
                content = responses[status]["content"]
                assert content["application/problem+json"]["schema"] == problem, (path, status)
                if path.startswith("/oid4vci/"):
                    assert content["application/json"]["schema"] == oauth, (path, status)
                else:
                    assert "application/json" not in content, (method, path, status)
            assert "Retry-After" in responses["429"]["headers"]
    token = document["paths"]["/oid4vci/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in token


def test_sign_in_junk_is_refused_before_the_slow_parser() -> None:
    """A 2 KB message of junk kept siwe's ABNF parser busy for seconds (a read timeout)."""
    started = time.perf_counter()
    with pytest.raises(SignInError, match="preamble"):
        parse_message("0" * MAX_MESSAGE_LENGTH)
    assert time.perf_counter() - started < 0.05


def test_allow_names_only_the_methods_whose_path_parameters_fit(api: Api) -> None:
    answer = api.client.options("/registers/TRADE/records/bulk", headers=api.key)
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"  # "bulk" is no record id
    # Not a register id at all: no route has this resource, so the path is what is wrong.
    problem = problem_of(api.client.post("/registers/%C2%84/records/bulk", headers=api.key), 422)
    assert problem["errors"][0]["loc"] == ["path", "register_id"]  # type: ignore[index]


def test_allow_of_a_documented_path_ignores_routes_whose_parameters_do_not_fit(api: Api) -> None:
    answer = api.client.options("/writes/status", headers=api.key)  # "status" is no write id
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"


def test_a_tariff_code_longer_than_32_bytes_is_no_tariff(api: Api) -> None:
    problem_of(api.client.get("/payments/tariffs/" + "é" * 20), 404)


def test_an_unknown_fee_is_a_404_not_a_chain_outage(api: Api) -> None:
    problem_of(api.client.get("/payments/fees/NO_SUCH_FEE"), 404)  # the contract reverts
