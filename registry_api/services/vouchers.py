"""The voucher hot path: check a voucher and commit it as its channel's highest, then answer.

The check is ``registry_core.payments.vouchers.check_voucher`` (the contract's rules, in its order,
with the domain separator computed once per deployment) against the channel's row; the store is one
conditional ``UPDATE … WHERE accepted_amount < :new AND state = 'open'`` committed before the answer,
so API processes sharing the store never accept a lower voucher after a higher one.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session

from registry_api.chain.settler import refresh
from registry_api.core.errors import RegistryError
from registry_api.models.payment_tables import PaymentChannelRow
from registry_api.models.payments import VoucherIn, VoucherOut
from registry_api.services.payment_problems import refused, unknown_channel, voucher_problem
from registry_core.eip712 import Domain
from registry_core.payments.channels import paid_until
from registry_core.payments.vouchers import ChannelState, Voucher, VoucherError, check_voucher
from registry_core.payments.wire import unhex

# The hot path in plain SQL: building ORM statements cost more than the voucher check itself.
_READ_CHANNEL = text(
    "SELECT channel_id, payer, starts_at, expires_at, rate_per_unit, unit_seconds, deposit, "
    "state, accepted_amount, accepted_signature, topup_write_id FROM payment_channel "
    "WHERE channel_id = :id"
)
_RAISE_VOUCHER = text(
    "UPDATE payment_channel SET accepted_amount = :amount, accepted_signature = :signature, "
    "accepted_at = :now WHERE channel_id = :id AND state = 'open' AND accepted_amount < :amount"
)


def _channel_values(engine: Engine, read_engine: Engine, channel_id: str, now: int) -> Any:
    with read_engine.connect() as connection:  # on SQLite: no write lock for the read
        row = connection.execute(_READ_CHANNEL, {"id": channel_id}).first()
    if row is None:
        raise unknown_channel()
    if row.state != "open" or row.topup_write_id is not None:  # it waits on a write: follow it
        with Session(engine, expire_on_commit=False) as session:
            found = session.get(PaymentChannelRow, channel_id)
            assert found is not None
            refresh(session, found, now=now)
        with read_engine.connect() as connection:
            row = connection.execute(_READ_CHANNEL, {"id": channel_id}).first()
    return row


def _check(row: Any, body: VoucherIn, *, domain: Domain, now: int, margin: int) -> VoucherOut:
    """The voucher against the channel's row; ``repeated`` if it is the stored one. Raises."""
    if row.state in ("opening", "failed"):
        raise refused(
            409, "channel-not-open", "the channel's opening is not on chain",
            "die Eröffnung des Kanals ist nicht auf der Blockchain", state=row.state,
        )  # fmt: skip
    if (body.chain_id is not None and body.chain_id != domain.chain_id) or (
        body.verifying_contract is not None
        and body.verifying_contract.lower() != domain.verifying_contract.lower()
    ):
        raise voucher_problem(
            VoucherError("voucher-wrong-chain", "the voucher is for another chain or contract")
        )
    signature = body.signature.lower()
    out = VoucherOut(
        channel_id=row.channel_id, accepted_amount=body.cumulative_amount,
        paid_until=paid_until(
            rate_per_unit=row.rate_per_unit, unit_seconds=row.unit_seconds,
            starts_at=row.starts_at, cumulative=body.cumulative_amount,
        ),
    )  # fmt: skip
    if body.cumulative_amount == row.accepted_amount and signature == row.accepted_signature:
        return out.model_copy(update={"repeated": True})
    state = ChannelState(
        unhex(row.channel_id), row.payer, row.starts_at, row.expires_at, row.rate_per_unit,
        row.unit_seconds, row.deposit, closed=row.state in ("closing", "closed", "expired"),
    )  # fmt: skip
    voucher = Voucher(unhex(body.channel_id), body.cumulative_amount, unhex(signature))
    try:
        check_voucher(
            domain=domain, channel=state, voucher=voucher, settled=row.accepted_amount, now=now,
            expiry_margin=margin,
        )  # fmt: skip
    except VoucherError as exc:
        raise voucher_problem(exc) from None
    return out


def _lost_race(
    read_engine: Engine, channel_id: str, body: VoucherIn, out: VoucherOut
) -> VoucherOut:
    """Another process moved the channel meanwhile: the same voucher is a repeat, else refused."""
    with read_engine.connect() as connection:
        row = connection.execute(_READ_CHANNEL, {"id": channel_id}).one()
    if (
        row.accepted_amount == body.cumulative_amount
        and row.accepted_signature == body.signature.lower()
    ):
        return out.model_copy(update={"repeated": True})
    raise voucher_problem(
        VoucherError(
            "voucher-not-increasing" if row.state == "open" else "channel-closed",
            f"the cumulative amount {body.cumulative_amount} is not above the "
            f"{row.accepted_amount} already accepted",
            cumulative_amount=body.cumulative_amount, accepted=row.accepted_amount,
        )
    )  # fmt: skip


def _raise(connection: Any, body: VoucherIn, channel_id: str, now: int) -> bool:
    values = {"id": channel_id, "amount": body.cumulative_amount, "now": now}
    return bool(
        connection.execute(_RAISE_VOUCHER, {**values, "signature": body.signature.lower()}).rowcount
        == 1
    )


def accept_voucher(
    engine: Engine,
    *,
    read_engine: Engine,
    domain: Domain,
    channel_id: str,
    body: VoucherIn,
    now: int,
    margin: int,
) -> VoucherOut:
    """Check the voucher and commit it as the channel's highest before answering."""
    row = _channel_values(engine, read_engine, channel_id.lower()[:66], now)
    out = _check(row, body, domain=domain, now=now, margin=margin)
    if out.repeated:
        return out
    with engine.begin() as connection:  # committed before the answer leaves
        moved = _raise(connection, body, row.channel_id, now)
    return out if moved else _lost_race(read_engine, row.channel_id, body, out)


def accept_batch(
    engine: Engine,
    *,
    read_engine: Engine,
    domain: Domain,
    bodies: list[VoucherIn],
    now: int,
    margin: int,
) -> list[VoucherOut | RegistryError]:
    """Several vouchers (of one or many channels) in one request and one commit: each is checked
    as :func:`accept_voucher` does; the answer lists each one's outcome in order."""
    rows: dict[str, Any] = {}
    checked: list[VoucherOut | RegistryError] = []
    for body in bodies:
        channel_id = body.channel_id.lower()
        try:
            if channel_id not in rows:
                found = _channel_values(engine, read_engine, channel_id, now)
                rows[channel_id] = SimpleNamespace(**found._asdict())
            out = _check(rows[channel_id], body, domain=domain, now=now, margin=margin)
        except RegistryError as exc:
            checked.append(exc)
            continue
        # Later vouchers of the same channel in this batch are checked against this one.
        if not out.repeated:
            rows[channel_id].accepted_amount = body.cumulative_amount
            rows[channel_id].accepted_signature = body.signature.lower()
        checked.append(out)
    moved: list[bool] = []
    with engine.begin() as connection:  # one commit for the batch, before the answer
        for body, item in zip(bodies, checked, strict=True):
            accepted = isinstance(item, VoucherOut) and not item.repeated
            moved.append(accepted and _raise(connection, body, body.channel_id.lower(), now))
    results: list[VoucherOut | RegistryError] = []
    for body, outcome, went in zip(bodies, checked, moved, strict=True):
        if isinstance(outcome, VoucherOut) and not outcome.repeated and not went:
            try:
                outcome = _lost_race(read_engine, body.channel_id.lower(), body, outcome)
            except RegistryError as exc:
                outcome = exc
        results.append(outcome)
    return results
