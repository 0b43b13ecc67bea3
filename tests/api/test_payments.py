"""The payments API against the session chain: relayed fee payments (permit, front-run permit,
refusals), channel openings, the voucher rules with their problems in German and English, a
second API process on the same store, and the payer's close. One API (``payment_api``)."""

from __future__ import annotations

import os
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry_api.main import create_app
from registry_api.models.payment_tables import PaymentChannelRow
from registry_core.codes import code_to_bytes32
from registry_core.council import chain_view
from registry_core.payments.signing import (
    FeePaymentOrder,
    sign_fee_payment,
    sign_permit,
    sign_top_up,
    sign_voucher,
)
from registry_core.payments.types import (
    CHANNELS_CONTRACT,
    TOKEN_CONTRACT,
    channels_domain,
    fee_schedule_domain,
    token_domain,
)
from registry_core.payments.wire import hex0x, permit_to_json
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from tests.api.conftest import problem_of
from tests.api_process import poll
from tests.payment_fixtures import PaymentApi
from wallet.city import CityClient
from wallet.payments import ParkingSession, close_parking, open_parking

FEE, AMOUNT = "RESIDENCE_CERT", 1_000  # the demo fee (registry_core.payments.demo)


def _info(api: PaymentApi, address: str) -> dict[str, Any]:
    answer = api.client.get(f"/payments/accounts/{address}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _fee_body(
    api: PaymentApi, payer: LocalAccount, *, order_signer: LocalAccount | None = None,
    permit_deadline: int | None = None, permit_value: int = AMOUNT,
) -> dict[str, Any]:  # fmt: skip
    info = _info(api, payer.address)
    deadline = int(api.clock.now()) + 3600
    permit = sign_permit(
        key=bytes(payer.key), token_domain=token_domain(info["chain_id"], info["token"]),
        owner=payer.address, spender=info["fee_schedule"], value=permit_value,
        nonce=info["permit_nonce"], deadline=permit_deadline or deadline,
    )  # fmt: skip
    order = FeePaymentOrder(
        payer.address, code_to_bytes32(FEE), AMOUNT, os.urandom(32), os.urandom(32), deadline
    )
    signed = sign_fee_payment(
        key=bytes((order_signer or payer).key),
        fee_domain=fee_schedule_domain(info["chain_id"], info["fee_schedule"]), order=order,
    )  # fmt: skip
    return {
        "order": {
            "payer": payer.address, "service": FEE, "amount": AMOUNT,
            "request_ref": hex0x(order.request_ref), "nonce": hex0x(order.nonce),
            "deadline": deadline,
        },
        "signature": hex0x(signed.signature),
        "permit": permit_to_json(permit),
    }  # fmt: skip


def _receipt_payer(api: PaymentApi, ref: str) -> str:
    with RpcClient(api.city.city.rpc_url) as rpc:
        view = chain_view(rpc, api.city.city.manifest)
        receipt = view("FeeSchedule", "paymentOf", code_to_bytes32(FEE), bytes.fromhex(ref[2:]))
    return str(receipt[0]).lower()


def test_fee_payment_is_relayed_once_and_repeats_answer_the_same(payment_api: PaymentApi) -> None:
    payer = payment_api.city.citizens[0]
    body = _fee_body(payment_api, payer)
    key = {"Idempotency-Key": os.urandom(8).hex()}
    first = payment_api.client.post("/payments/fees", json=body, headers=key)
    assert first.status_code == 201 and first.json()["status"] == "paid", first.text
    again = payment_api.client.post("/payments/fees", json=body, headers=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replay"] == "true", again.text
    assert again.json() == first.json()
    assert _receipt_payer(payment_api, body["order"]["request_ref"]) == payer.address.lower()
    assert _info(payment_api, payer.address)["balance"] == 10_000 - AMOUNT


def test_a_front_run_permit_does_not_fail_the_payment(payment_api: PaymentApi) -> None:
    payer = payment_api.city.citizens[1]
    body = _fee_body(payment_api, payer)
    permit = body["permit"]
    signature = bytes.fromhex(permit["signature"][2:])
    manifest = payment_api.city.city.manifest
    token = manifest.contract(TOKEN_CONTRACT)
    data = token.interface.encode_call(
        "permit", payer.address, manifest.contract("FeeSchedule").address, permit["value"],
        permit["deadline"], signature[64], signature[:32], signature[32:64],
    )  # fmt: skip
    with RpcClient(payment_api.city.city.rpc_url) as rpc:  # someone submits the permit first
        Signer(payment_api.city.treasury, rpc).transact(
            to=token.address, data=data, interface=token.interface
        )
    paid = payment_api.client.post("/payments/fees", json=body)
    assert paid.status_code == 201 and paid.json()["status"] == "paid", paid.text


def test_bad_fee_payments_are_refused_in_german_and_english(payment_api: PaymentApi) -> None:
    payer = payment_api.city.citizens[2]
    expired = _fee_body(payment_api, payer, permit_deadline=1)
    problem = problem_of(payment_api.client.post("/payments/fees", json=expired), 422)
    assert problem["contract_error"] == "ERC2612ExpiredSignature" and problem["detail_de"]
    forged = _fee_body(payment_api, payer, order_signer=Account.create())
    problem = problem_of(payment_api.client.post("/payments/fees", json=forged), 422)
    assert problem["type"].endswith("/payment-signature-invalid"), problem
    assert problem["detail_de"] == "der Auftrag ist nicht vom Zahler unterschrieben"


def _city(api: PaymentApi) -> CityClient:
    return CityClient("http://testserver", http=api.client)


def _open(api: PaymentApi, payer: LocalAccount, minutes: int = 10) -> ParkingSession:
    api.clock.t = _info(api, payer.address)["chain_time"]
    parking, opened, _ = open_parking(
        _city(api), account=payer, zone="ZONE5", minutes=minutes, clock=api.clock
    )
    assert opened["state"] == "open", opened
    return parking


def _voucher(
    api: PaymentApi, parking: ParkingSession, amount: int, *, key: LocalAccount, **over: Any
) -> Any:
    domain = over.pop("domain", parking.domain)
    channel = over.pop("channel", parking.terms.channel_id(parking.domain))
    voucher = sign_voucher(
        key=bytes(key.key), channels_domain=domain, channel_id=channel, amount=amount
    )
    body = {
        "channel_id": hex0x(voucher.channel_id),
        "cumulative_amount": amount,
        "signature": hex0x(voucher.signature),
        **over,
    }
    return api.client.post(f"/payments/channels/{parking.channel_id}/vouchers", json=body)


def test_vouchers_follow_the_channel_rules_and_the_store_keeps_the_highest(
    payment_api: PaymentApi,
) -> None:
    payer = payment_api.city.citizens[3]
    parking = _open(payment_api, payer, minutes=10)  # deposit 20 cents at 2 cents a minute
    start = parking.terms.starts_at
    payment_api.clock.t = start + 90  # the second minute has started: the cap is 4 cents
    accepted = _voucher(payment_api, parking, 4, key=payer)
    assert accepted.status_code == 200 and accepted.json()["paid_until"] == start + 120
    with Session(payment_api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.get(PaymentChannelRow, parking.channel_id)
        assert row is not None and row.accepted_amount == 4, row
    repeat = _voucher(payment_api, parking, 4, key=payer)
    assert repeat.status_code == 200 and repeat.json()["repeated"] is True, repeat.text
    refusals = {
        "voucher-not-increasing": (409, _voucher(payment_api, parking, 2, key=payer)),
        "voucher-above-tariff-cap": (422, _voucher(payment_api, parking, 6, key=payer)),
    }
    payment_api.clock.t = start + 150  # the third minute: the cap is 6 cents
    other_chain = channels_domain(1, parking.channels)
    refusals |= {
        "voucher-signature-invalid": (422, _voucher(payment_api, parking, 6, key=Account.create())),
        "voucher-wrong-channel": (422, _voucher(payment_api, parking, 6, key=payer, channel=os.urandom(32))),
        "voucher-wrong-chain": (422, _voucher(payment_api, parking, 6, key=payer, chain_id=1)),
        "voucher-signature-invalid ": (422, _voucher(payment_api, parking, 6, key=payer, domain=other_chain)),
    }  # fmt: skip
    payment_api.clock.t = start + 11 * 60  # the cap (24) is above the deposit (20)
    refusals["voucher-above-deposit"] = (422, _voucher(payment_api, parking, 22, key=payer))
    payment_api.clock.t = start + 30 * 60  # too late to settle before the expiry
    refusals["channel-expired"] = (409, _voucher(payment_api, parking, 20, key=payer))
    for kind, (status, answer) in refusals.items():
        problem = problem_of(answer, status)
        assert problem["type"].endswith("/" + kind.strip()), (kind, problem)
        assert problem["detail_de"], problem


def test_two_api_processes_share_the_channel_and_the_payer_closes_it(
    payment_api: PaymentApi,
) -> None:
    payer = payment_api.city.citizens[3]
    parking = _open(payment_api, payer, minutes=5)
    payment_api.clock.t = parking.terms.starts_at + 10  # first minute: the cap is 2 cents
    settings = payment_api.client.app.state.settings  # type: ignore[attr-defined]
    other = create_app(settings.model_copy(update={"workers": "off", "migrate_on_start": False}))
    other.state.clock = payment_api.clock
    with TestClient(other) as second:
        voucher = sign_voucher(
            key=bytes(payer.key), channels_domain=parking.domain,
            channel_id=parking.terms.channel_id(parking.domain), amount=2,
        )  # fmt: skip
        body = {"channel_id": hex0x(voucher.channel_id), "cumulative_amount": 2,
                "signature": hex0x(voucher.signature)}  # fmt: skip
        path = f"/payments/channels/{parking.channel_id}/vouchers"
        assert second.post(path, json=body).json()["repeated"] is False
        assert payment_api.client.post(path, json=body).json()["repeated"] is True
        parking.latest = voucher
    forged = payment_api.client.post(
        f"/payments/channels/{parking.channel_id}/close",
        json={"cumulative_amount": 2, "signature": "0x" + "11" * 65},
    )
    assert problem_of(forged, 422)["type"].endswith("/close-signature-invalid"), forged.text
    closing = close_parking(_city(payment_api), account=payer, parking=parking)
    assert closing["state"] == "closing", closing

    def closed() -> dict[str, Any] | None:
        found = dict(payment_api.client.get(f"/payments/channels/{parking.channel_id}").json())
        return found if found["state"] == "closed" else None

    final = poll(closed, what="the channel's settlement")
    assert final["settled_amount"] == 2, final
    with RpcClient(payment_api.city.city.rpc_url) as rpc:
        view = chain_view(rpc, payment_api.city.city.manifest)
        on_chain = view(CHANNELS_CONTRACT, "channel", bytes.fromhex(parking.channel_id[2:]))
    assert on_chain[2] is True and int(on_chain[8]) == 2, on_chain


def test_a_top_up_adds_deposit_and_time(payment_api: PaymentApi) -> None:
    payer = payment_api.city.citizens[2]
    parking = _open(payment_api, payer, minutes=5)
    info = _info(payment_api, payer.address)
    terms = parking.terms
    later = terms.expires_at + 600
    signed = sign_top_up(
        key=bytes(payer.key), channels_domain=parking.domain,
        channel_id=terms.channel_id(parking.domain), amount=20, expires_at=later,
        nonce=os.urandom(32), deadline=terms.deadline,
    )  # fmt: skip
    permit = sign_permit(
        key=bytes(payer.key), token_domain=token_domain(info["chain_id"], info["token"]),
        owner=payer.address, spender=info["channels"], value=20, nonce=info["permit_nonce"],
        deadline=terms.deadline,
    )  # fmt: skip
    message = signed.typed_data["message"]
    body = {
        "amount": 20, "expires_at": later, "nonce": message["nonce"],
        "deadline": terms.deadline, "signature": hex0x(signed.signature),
        "permit": permit_to_json(permit),
    }  # fmt: skip
    path = f"/payments/channels/{parking.channel_id}/top-ups"
    topped = payment_api.client.post(path, json=body, headers={"Idempotency-Key": "top-up-1"})
    assert topped.status_code == 201, topped.text
    assert (topped.json()["deposit"], topped.json()["expires_at"]) == (terms.deposit + 20, later)
    again = payment_api.client.post(path, json=body, headers={"Idempotency-Key": "top-up-1"})
    assert again.headers.get("Idempotent-Replay") == "true", again.text
    replayed = payment_api.client.post(path, json=body)  # the nonce is used on chain
    assert problem_of(replayed, 409)["contract_error"] == "PaymentsAuthorizationUsed"


def test_a_batch_of_vouchers_gets_one_outcome_each(payment_api: PaymentApi) -> None:
    payer = payment_api.city.citizens[2]
    parking = _open(payment_api, payer, minutes=5)
    payment_api.clock.t = parking.terms.starts_at + 150  # the third minute: the cap is 6 cents
    channel_id = parking.terms.channel_id(parking.domain)

    def voucher(amount: int) -> dict[str, Any]:
        signed = sign_voucher(
            key=bytes(payer.key), channels_domain=parking.domain, channel_id=channel_id,
            amount=amount,
        )  # fmt: skip
        return {"channel_id": hex0x(channel_id), "cumulative_amount": amount,
                "signature": hex0x(signed.signature)}  # fmt: skip

    four = voucher(4)
    batch = {"vouchers": [voucher(2), four, four, voucher(3), voucher(8)]}
    answer = payment_api.client.post("/payments/vouchers", json=batch)
    assert answer.status_code == 200, answer.text
    outcomes = [(r["status"], (r["problem"] or {}).get("type", "").rsplit("/", 1)[-1])
                for r in answer.json()["data"]]  # fmt: skip
    assert outcomes == [
        ("accepted", ""), ("accepted", ""), ("repeated", ""),
        ("refused", "voucher-not-increasing"), ("refused", "voucher-above-tariff-cap"),
    ], outcomes  # fmt: skip
    stored = payment_api.client.get(f"/payments/channels/{parking.channel_id}").json()
    assert stored["accepted_amount"] == 4, stored
