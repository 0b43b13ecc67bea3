"""The payments domain's rules, no HTTP: relayed fee payments, channel openings and top-ups,
closing (the voucher hot path is ``services/vouchers.py``), and fee-bearing requests.

Every relayed call is dry-run first (``chain/payments.dry_run``) and then goes through the one
outbox (``enqueue_call``) with the domain's own row in the same transaction. Vouchers never touch
the chain: the check is ``registry_core.payments.vouchers.check_voucher`` (the contract's rules,
with the precomputed domain separator) against the channel's row, and the highest voucher is
committed by a conditional update before the answer (``models/payment_tables.py``). The chain
reads the routes need (balances, fees, tariffs, the channels' domain) are offered here, so that
routes never import the chain layer.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from registry_api.chain import outbox
from registry_api.chain import payments as chain
from registry_api.chain.node import Node
from registry_api.chain.payments import account as account
from registry_api.chain.payments import channels_domain_of as channels_domain_of
from registry_api.chain.payments import fee_service as fee_service
from registry_api.chain.payments import head_time as head_time
from registry_api.chain.payments import tariff as tariff
from registry_api.chain.settler import enqueue_settlement, refresh
from registry_api.core.config import Settings
from registry_api.models.identity_tables import CredentialRequestRow
from registry_api.models.payment_tables import FeePaymentRow, PaymentChannelRow
from registry_api.models.payments import (
    ChannelOpenIn,
    ChannelOut,
    CloseIn,
    FeePaymentIn,
    FeePaymentOut,
    PermitIn,
    TopUpIn,
)
from registry_api.models.tables import Write
from registry_api.services import credential_requests
from registry_api.services.payment_problems import (
    contract_problem,
    refused,
    unknown_channel,
)
from registry_core.codes import bytes32_to_code, code_to_bytes32
from registry_core.eip712 import Domain, SignatureError, recover_signer
from registry_core.manifest import DeploymentManifest
from registry_core.payments.channels import paid_until
from registry_core.payments.signing import NO_PERMIT
from registry_core.payments.types import (
    CHANNELS_CONTRACT,
    CLOSE_CHANNEL,
    FEE_SCHEDULE_CONTRACT,
)
from registry_core.payments.wire import hex0x, permit_call, request_ref, terms_from_json, unhex

WRITE_URL = "/writes/{}"
PAID, PENDING = "paid", "pending"


def _permit(permit: PermitIn | None) -> tuple[int, int, int, bytes, bytes]:
    if permit is None:
        return NO_PERMIT
    return permit_call(permit.value, permit.deadline, unhex(permit.signature))


def _refuse_dry_run(rpc: Node, manifest: DeploymentManifest, name: str, data: bytes) -> None:
    decoded = chain.dry_run(rpc, manifest, name, data)
    if decoded is not None:
        raise contract_problem(decoded, name)


def _write_state(session: Session, write_id: str) -> tuple[str, str | None]:
    row = session.execute(
        select(col(Write.status), col(Write.error)).where(col(Write.id) == write_id)
    ).first()
    return ("pending", None) if row is None else (str(row[0]), row[1])


def _chain_refused(error: str | None) -> Exception:
    return refused(
        422, "chain-refused", f"the chain refused the payment: {error or 'no reason given'}",
        "die Blockchain hat die Zahlung abgelehnt",
    )  # fmt: skip


# ---- fees --------------------------------------------------------------------------------------


def relay_fee(
    session: Session, *, rpc: Node, manifest: DeploymentManifest, relay: str,
    body: FeePaymentIn, now: int,
) -> FeePaymentOut:  # fmt: skip
    """Dry-run the payer's ``payFee`` and add it to the outbox (the caller commits)."""
    order = body.order
    ref = unhex(order.request_ref)
    if body.request_id is not None:
        request = session.get(CredentialRequestRow, body.request_id)
        if request is None or request.type != order.service or request_ref(request.id) != ref:
            raise refused(
                404, "unknown-request",
                "no credential request of this fee's type with that id and reference",
                "kein Antrag dieser Art mit dieser Kennung",
            )  # fmt: skip
        if request.state in credential_requests.COMPLETED:
            raise refused(
                409, "request-completed", f"the request is {request.state} already",
                "über den Antrag ist schon abschließend entschieden", state=request.state,
            )  # fmt: skip
    service = code_to_bytes32(order.service)
    call = (order.payer, service, order.amount, ref, unhex(order.nonce), order.deadline)
    data = chain.encode(
        manifest, FEE_SCHEDULE_CONTRACT, "payFee", call, unhex(body.signature), _permit(body.permit)
    )
    _refuse_dry_run(rpc, manifest, FEE_SCHEDULE_CONTRACT, data)
    fee = chain.fee_service(rpc, manifest, order.service)
    write = outbox.enqueue_call(
        session, department=fee.department if fee else "CITY", signer=relay,
        target=FEE_SCHEDULE_CONTRACT, data=data, gas=chain.PAY_FEE_GAS, kind="fee-payment",
        reference=body.request_id or order.request_ref,
    )  # fmt: skip
    row = FeePaymentRow(
        write_id=write.id, payer=order.payer.lower(), service=order.service, amount=order.amount,
        request_ref=order.request_ref.lower(), request_id=body.request_id, created_at=now,
    )  # fmt: skip
    session.add(row)
    return _fee_out(row, PENDING)


def _fee_out(row: FeePaymentRow, status: str) -> FeePaymentOut:
    return FeePaymentOut(
        write_id=row.write_id, status=status, status_url=WRITE_URL.format(row.write_id),
        payer=row.payer, service=row.service, amount=row.amount, request_ref=row.request_ref,
        request_id=row.request_id,
    )  # fmt: skip


def fee_outcome(session: Session, write_id: str) -> tuple[int, FeePaymentOut] | None:
    """201 with the receipt once the payment is mined; None while pending; raises if refused."""
    row = session.get(FeePaymentRow, write_id)
    status, error = _write_state(session, write_id)
    if row is None or status not in outbox.SETTLED:
        return None
    if status == "failed":
        raise _chain_refused(error)
    return 201, _fee_out(row, PAID)


def fee_due(rpc: Node, manifest: DeploymentManifest, settings: Settings, type_code: str) -> bool:
    """Whether issuing ``type_code`` waits for a fee receipt (``CITY_API_FEE_TYPES``)."""
    if settings.fee_types is not None:
        return type_code in settings.fee_types
    fee = chain.fee_service(rpc, manifest, type_code)
    return fee is not None and fee.active and fee.is_fee


def paid_in_store(session: Session, request_id: str) -> bool:
    """A payment for the request was mined (its receipt is on chain)."""
    found = session.execute(
        select(col(FeePaymentRow.write_id))
        .join(Write, col(Write.id) == col(FeePaymentRow.write_id))
        .where(col(FeePaymentRow.request_id) == request_id)
        .where(col(Write.status) == "anchored")
        .limit(1)
    ).first()
    return found is not None


def release_paid(session: Session, rows: list[CredentialRequestRow], *, now: int) -> None:
    """Requests that waited for their fee and whose payment is mined become approved."""
    changed = False
    for row in rows:
        if row.state == credential_requests.AWAITING_PAYMENT and paid_in_store(session, row.id):
            row.state, row.updated_at = credential_requests.APPROVED, now
            session.add(row)
            changed = True
    if changed:
        session.commit()


# ---- channels ------------------------------------------------------------------------------------


def channel_out(row: PaymentChannelRow) -> ChannelOut:
    write_id = row.settle_write_id or row.topup_write_id or row.open_write_id
    return ChannelOut(
        channel_id=row.channel_id, state=row.state, payer=row.payer, department=row.department,
        tariff=row.tariff, zone=row.zone, rate_per_unit=row.rate_per_unit,
        unit_seconds=row.unit_seconds, deposit=row.deposit, starts_at=row.starts_at,
        expires_at=row.expires_at, accepted_amount=row.accepted_amount,
        paid_until=paid_until(
            rate_per_unit=row.rate_per_unit, unit_seconds=row.unit_seconds,
            starts_at=row.starts_at, cumulative=row.accepted_amount,
        ),
        settled_amount=row.settled_amount, write_id=write_id,
        status_url=WRITE_URL.format(write_id),
    )  # fmt: skip


def open_channel(
    session: Session, *, rpc: Node, manifest: DeploymentManifest, relay: str,
    body: ChannelOpenIn, now: int,
) -> ChannelOut:  # fmt: skip
    """Dry-run the payer's ``open`` and add it to the outbox with the channel's row."""
    try:
        terms = terms_from_json(body.terms)
    except (KeyError, ValueError, TypeError) as exc:
        raise refused(
            422, "invalid-terms", f"the channel terms are malformed: {exc}"[:200],
            "die Bedingungen des Kanals sind fehlerhaft",
        ) from None  # fmt: skip
    if max(terms.deposit, terms.rate_per_unit, terms.expires_at, terms.deadline) >= 2**63:
        raise refused(
            422, "invalid-terms", "amounts and times must be below 2**63",
            "Beträge und Zeiten müssen unter 2**63 liegen",
        )  # fmt: skip
    channel_id = hex0x(terms.channel_id(chain.channels_domain_of(manifest)))
    if session.get(PaymentChannelRow, channel_id) is not None:
        raise refused(
            409, "channel-exists", "this channel was opened already",
            "dieser Zahlungskanal wurde schon eröffnet", channel_id=channel_id,
        )  # fmt: skip
    data = chain.encode(
        manifest, CHANNELS_CONTRACT, "open", terms.as_tuple(), unhex(body.signature),
        _permit(body.permit),
    )  # fmt: skip
    _refuse_dry_run(rpc, manifest, CHANNELS_CONTRACT, data)
    department = bytes32_to_code(terms.department)
    write = outbox.enqueue_call(
        session, department=department, signer=relay, target=CHANNELS_CONTRACT, data=data,
        gas=chain.OPEN_GAS, kind="channel-open", reference=channel_id,
    )  # fmt: skip
    row = PaymentChannelRow(
        channel_id=channel_id, payer=terms.payer.lower(), department=department,
        tariff=bytes32_to_code(terms.tariff_id), zone=bytes32_to_code(terms.zone),
        tariff_version=terms.tariff_version, rate_per_unit=terms.rate_per_unit,
        unit_seconds=terms.unit_seconds, deposit=terms.deposit, starts_at=terms.starts_at,
        expires_at=terms.expires_at, terms=dict(body.terms), state="opening",
        open_write_id=write.id, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(row)
    return channel_out(row)


def channel(session: Session, channel_id: str, *, now: int) -> PaymentChannelRow:
    row = session.get(PaymentChannelRow, channel_id.lower()[:66])
    if row is None:
        raise unknown_channel()
    return refresh(session, row, now=now)


def channel_outcome(session: Session, channel_id: str, write_id: str, *, now: int) -> Any:
    """The channel once ``write_id`` (its opening or top-up) is mined; raises if refused."""
    status, error = _write_state(session, write_id)
    if status not in outbox.SETTLED:
        return None
    if status == "failed":
        raise _chain_refused(error)
    return 201, channel_out(channel(session, channel_id, now=now))


def top_up(
    session: Session, *, rpc: Node, manifest: DeploymentManifest, relay: str,
    channel_id: str, body: TopUpIn, now: int,
) -> ChannelOut:  # fmt: skip
    row = channel(session, channel_id, now=now)
    if row.topup_write_id is not None:
        raise refused(
            409, "top-up-pending", "another top-up of this channel is not on chain yet",
            "eine andere Aufstockung ist noch nicht auf der Blockchain",
        )  # fmt: skip
    params = (unhex(row.channel_id), body.amount, body.expires_at, unhex(body.nonce), body.deadline)
    data = chain.encode(
        manifest, CHANNELS_CONTRACT, "topUp", params, unhex(body.signature), _permit(body.permit)
    )
    _refuse_dry_run(rpc, manifest, CHANNELS_CONTRACT, data)
    write = outbox.enqueue_call(
        session, department=row.department, signer=relay, target=CHANNELS_CONTRACT, data=data,
        gas=chain.TOP_UP_GAS, kind="channel-top-up", reference=row.channel_id,
    )  # fmt: skip
    row.topup_write_id, row.topup_amount, row.topup_expires_at = (
        write.id,
        body.amount,
        body.expires_at,
    )
    row.updated_at = now
    session.add(row)
    return channel_out(row)


def close(
    session: Session, *, manifest: DeploymentManifest, domain: Domain, channel_id: str,
    body: CloseIn, signer: str | None, now: int,
) -> ChannelOut:  # fmt: skip
    """The payer's request to settle with the highest voucher and close now."""
    row = channel(session, channel_id, now=now)
    digest = domain.digest_of(
        CLOSE_CHANNEL,
        {"channelId": unhex(row.channel_id), "cumulativeAmount": body.cumulative_amount},
    )
    try:
        payer = recover_signer(digest, unhex(body.signature))
    except SignatureError:
        payer = ""
    if payer != row.payer:
        raise refused(
            422, "close-signature-invalid", "the close request is not signed by the channel's payer",
            "die Bitte um Abschluss ist nicht vom Zahler unterschrieben",
        )  # fmt: skip
    if row.state in ("closing", "closed"):
        return channel_out(row)  # closing twice is closing once
    if row.state != "open" or body.cumulative_amount != row.accepted_amount:
        raise refused(
            409, "close-not-possible",
            f"the channel is {row.state} with {row.accepted_amount} accepted; close names "
            f"{body.cumulative_amount}",
            "der Kanal kann so nicht abgeschlossen werden", state=row.state,
            accepted_amount=row.accepted_amount,
        )  # fmt: skip
    if row.accepted_amount == 0:
        raise refused(
            409, "nothing-to-settle",
            "no voucher was accepted: the payer reclaims the deposit after expiry",
            "kein Beleg angenommen: die Kaution kommt nach Ablauf zurück",
        )  # fmt: skip
    if signer is None:
        raise refused(
            503, "no-signing-key", f"no signing key of department {row.department} is unlocked",
            "das Amt kann gerade nicht abrechnen",
        )  # fmt: skip
    enqueue_settlement(session, row=row, signer=signer, manifest=manifest, now=now)
    session.refresh(row)
    return channel_out(row)
