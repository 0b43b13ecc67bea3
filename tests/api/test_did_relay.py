"""Gas-free key rotation: the city relays a citizen's signed ERC-1056 ``changeOwnerSigned``
through the outbox (``POST /identity/{did}/change-owner``), in-process against the real chain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.did import make_did
from registry_core.erc1056 import sign_change_owner
from registry_core.sign_in import Audience, build_message, sign_message
from tests.api_process import poll
from tests.payment_fixtures import PaymentApi

PUBLIC = Audience.from_public_url("http://127.0.0.1:8000")  # the settings' default public URL
CHAIN_ID = 52062


def _sign_in(api: PaymentApi, key: LocalAccount, did: str | None = None) -> Any:
    nonce = api.client.post("/auth/nonce").json()["nonce"]
    message = build_message(
        audience=PUBLIC, address=key.address, chain_id=CHAIN_ID, nonce=nonce,
        issued_at=datetime.fromtimestamp(api.clock(), UTC), did=did,
    )  # fmt: skip
    return api.client.post(
        "/auth/siwe", json={"message": message, "signature": sign_message(message, key)}
    )


def _session(api: PaymentApi, key: LocalAccount, did: str | None = None) -> dict[str, str]:
    answer = _sign_in(api, key, did)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _signed(api: PaymentApi, did: str, signer: LocalAccount, new_owner: str) -> dict[str, Any]:
    state = api.client.get(f"/identity/{did}/erc1056").json()
    identity = did.rsplit(":", 1)[1]
    return sign_change_owner(
        signer, registry=state["registry"], nonce=state["nonce"], identity=identity,
        new_owner=new_owner,
    ).to_json()  # fmt: skip


def test_a_citizen_rotates_the_key_of_the_did_without_gas(payment_api: PaymentApi) -> None:
    api = payment_api
    old, new, stranger = Account.create(), Account.create(), Account.create()
    did = make_did(old.address, CHAIN_ID)
    url = f"/identity/{did}/change-owner"
    citizen = _session(api, old)
    body = _signed(api, did, old, new.address)

    def refused(answer: Any, status: int, kind: str) -> None:
        assert answer.status_code == status, answer.text
        assert answer.json()["type"].endswith("/" + kind) and answer.json()["detail_de"], (
            answer.text
        )

    refused(api.client.post(url, json=body), 401, "missing-session")
    refused(
        api.client.post(url, json=body, headers=_session(api, stranger)), 403, "not-your-identity"
    )
    forged = _signed(api, did, stranger, stranger.address)
    refused(api.client.post(url, json=forged, headers=citizen), 403, "not-the-owner")
    registry = api.client.get(f"/identity/{did}/erc1056").json()["registry"]
    stale = sign_change_owner(
        old, registry=registry, nonce=7, identity=old.address, new_owner=new.address
    ).to_json()
    refused(api.client.post(url, json=stale, headers=citizen), 409, "stale-nonce")

    first = api.client.post(url, json=body, headers=citizen)
    assert first.status_code == 202, first.text
    again = api.client.post(url, json=body, headers=citizen)  # a retry relays nothing twice
    assert again.status_code == 202, again.text
    assert again.json()["write_id"] == first.json()["write_id"]

    def rotated() -> dict[str, Any] | None:
        state: dict[str, Any] = api.client.get(f"/identity/{did}/erc1056").json()
        return state if state["owner"].lower() == new.address.lower() else None

    poll(rotated, what="the DID registry to take the new key")
    # The DID stays; the new key signs in for it, the old one no longer can.
    signed_in = _sign_in(api, new, did)
    assert signed_in.status_code == 200 and signed_in.json()["did"] == did, signed_in.text
    assert _sign_in(api, old).status_code in (401, 403)
