"""The payments domain over HTTP: relayed fee payments and channel openings/top-ups, vouchers,
closing, and the reads a wallet needs (balance and permit nonce, a fee's amount).

Citizens need no account with the city and no gas: what they send is signed (EIP-712, EIP-2612),
and the API's payment relay key sends it through the outbox. Relayed writes take an
``Idempotency-Key`` (per payer) and wait for their transaction (``CITY_API_PAYMENT_WAIT_SECONDS``):
mined in time → ``201``, else ``202`` with the status URL. Vouchers answer ``200`` once the highest
voucher is committed to the SQL store. Refusals are problems with ``detail`` and ``detail_de``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Depends, Path, Request
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from registry_api.api import idempotency
from registry_api.api.deps import (
    IdempotencyKey,
    ManifestDep,
    NowDep,
    ReadSessionDep,
    RpcDep,
    SessionDep,
    SettingsDep,
)
from registry_api.core.config import Settings
from registry_api.core.errors import PROBLEM_BASE, RegistryError
from registry_api.metrics.definitions import VOUCHERS
from registry_api.models.payments import (
    AccountOut,
    ChannelOpenIn,
    ChannelOut,
    CloseIn,
    FeePaymentIn,
    FeePaymentOut,
    FeeServiceOut,
    TariffOut,
    TopUpIn,
    VoucherIn,
    VoucherOut,
    VoucherResult,
    VouchersIn,
    VouchersOut,
)
from registry_api.models.tables import Write
from registry_api.services import payments, vouchers
from registry_api.services.payment_problems import no_relay, refused
from registry_core.manifest import DeploymentManifest
from registry_core.payments.types import CHANNELS_CONTRACT, FEE_SCHEDULE_CONTRACT, TOKEN_CONTRACT
from registry_core.rpc import RpcClient

router = APIRouter(prefix="/payments", tags=["payments"])
ChannelId = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")]
T = TypeVar("T")
NAMESPACE = "payments"  # idempotency keys of payers: "payments" + "<payer>:<key>"


class WritePipeline(Protocol):
    """What these routes use of the outbox's pipeline (``app.state.pipeline``)."""

    def address(self, key_name: str) -> str | None: ...

    def wake(self, department_or_signer: str) -> None: ...

    async def wait(self, write_ids: Sequence[str], timeout: float) -> Any: ...


@dataclass(frozen=True)
class _RelayPipeline:
    """The write pipeline, waking the relay's sender (not a department's)."""

    pipeline: WritePipeline
    signer: str

    def wake(self, department_or_signer: str) -> None:
        self.pipeline.wake(self.signer)

    async def wait(self, write_ids: Sequence[str], timeout: float) -> Any:
        return await self.pipeline.wait(write_ids, timeout)


def _relay(request: Request, settings: Any) -> tuple[WritePipeline, str]:
    pipeline: WritePipeline = request.app.state.pipeline
    address = pipeline.address(settings.payments_relay_key)
    if address is None:
        raise no_relay()
    return pipeline, address


@dataclass(frozen=True)
class Relayed:
    """What a relayed payment write needs: the request's sessions, the chain, its key."""

    request: Request
    session: Session
    read_session: Session
    settings: Settings
    rpc: RpcClient
    manifest: DeploymentManifest
    now: int
    idempotency_key: str | None

    def awaited(self, payer: str) -> tuple[idempotency.AwaitedWrite, str]:
        """The payer's write, awaited under its Idempotency-Key, and the relay's address."""
        pipeline, relay = _relay(self.request, self.settings)
        key = self.idempotency_key
        awaited = idempotency.AwaitedWrite(
            request=self.request,
            session=self.session,
            read_session=self.read_session,
            department=NAMESPACE,
            key=f"{payer.lower()}:{key}"[:200] if key else None,
            pipeline=_RelayPipeline(pipeline, relay),
            wait_seconds=self.settings.payment_wait_seconds,
        )
        return awaited, relay

    def send(self, service: Callable[..., T], relay: str, **arguments: Any) -> T:
        """``service`` (a relayed payment write of ``services.payments``) in this request."""
        return service(
            self.session, rpc=self.rpc, manifest=self.manifest, relay=relay, now=self.now,
            **arguments,
        )  # fmt: skip


async def _relayed(
    request: Request,
    session: SessionDep,
    read_session: ReadSessionDep,
    settings: SettingsDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> Relayed:
    return Relayed(request, session, read_session, settings, rpc, manifest, now, idempotency_key)


RelayedDep = Annotated[Relayed, Depends(_relayed)]


@router.get("/accounts/{address}", response_model=AccountOut, summary="Balance and permit nonce")
def account(
    address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")],
    rpc: RpcDep,
    manifest: ManifestDep,
    settings: SettingsDep,
) -> AccountOut:
    return AccountOut(
        address=address,
        **payments.account(rpc, manifest, address),
        chain_id=manifest.chain_id,
        token=manifest.contract(TOKEN_CONTRACT).address,
        fee_schedule=manifest.contract(FEE_SCHEDULE_CONTRACT).address,
        channels=manifest.contract(CHANNELS_CONTRACT).address,
        channel_settle_margin_seconds=settings.channel_settle_margin_seconds,
        chain_time=payments.head_time(rpc),
    )


@router.get("/fees/{service}", response_model=FeeServiceOut, summary="A fee of the fee schedule")
def fee(
    service: Annotated[str, Path(max_length=32)], rpc: RpcDep, manifest: ManifestDep
) -> FeeServiceOut:
    found = payments.fee_service(rpc, manifest, service)
    if found is None:
        raise refused(
            404, "unknown-fee", f"the fee schedule has no {service!r}", "keine solche Gebühr"
        )
    return FeeServiceOut(
        service=found.code, department=found.department, amount=found.amount,
        active=found.active, name_de=found.name_de, name_en=found.name_en, version=found.version,
    )  # fmt: skip


@router.get(
    "/tariffs/{zone_or_tariff}",
    response_model=TariffOut,
    summary="A parking tariff, by its code (PARK_ZONE5) or its zone (ZONE5 → PARK_ZONE5)",
)
def tariff(
    zone_or_tariff: Annotated[str, Path(max_length=26)], rpc: RpcDep, manifest: ManifestDep
) -> TariffOut:
    found = payments.tariff(rpc, manifest, zone_or_tariff) or payments.tariff(
        rpc, manifest, "PARK_" + zone_or_tariff
    )
    if found is None:
        raise refused(
            404, "unknown-tariff", f"the fee schedule has no tariff {zone_or_tariff!r}",
            "kein solcher Tarif",
        )  # fmt: skip
    return TariffOut(
        service=found.code, department=found.department, zone=found.zone,
        rate_per_unit=found.rate_per_unit, unit_seconds=found.unit_seconds,
        version=found.version, active=found.active,
    )  # fmt: skip


@router.post(
    "/fees",
    status_code=201,
    response_model=FeePaymentOut,
    responses={202: {"model": FeePaymentOut, "description": "accepted, not mined yet"}},
    summary="Relay a payer-signed fee payment with its EIP-2612 permit (no gas for the payer)",
)
async def pay_fee(body: FeePaymentIn, relayed: RelayedDep) -> Any:
    awaited, relay = relayed.awaited(body.order.payer)
    return await awaited.run(
        body,
        accept=lambda: relayed.send(payments.relay_fee, relay, body=body),
        settle=lambda write_id: payments.fee_outcome(relayed.read_session, write_id),
    )


@router.post(
    "/channels",
    status_code=201,
    response_model=ChannelOut,
    responses={202: {"model": ChannelOut, "description": "accepted, not mined yet"}},
    summary="Relay the opening of a payer-signed, tariff-bound payment channel (deposit by permit)",
)
async def open_channel(body: ChannelOpenIn, relayed: RelayedDep) -> Any:
    awaited, relay = relayed.awaited(str(body.terms.get("payer", ""))[:42])
    opened: list[str] = []

    def accept() -> ChannelOut:
        out = relayed.send(payments.open_channel, relay, body=body)
        opened.append(out.channel_id)
        return out

    def settle(write_id: str) -> Any:
        read_session = relayed.read_session
        channel_id = opened[0] if opened else _channel_of(read_session, write_id)
        return payments.channel_outcome(read_session, channel_id, write_id, now=relayed.now)

    return await awaited.run(body, accept=accept, settle=settle)


def _channel_of(session: Session, write_id: str) -> str:
    """The channel a replayed opening waits on (its write's reference)."""
    reference = session.execute(
        select(col(Write.reference)).where(col(Write.id) == write_id)
    ).scalar()
    return str(reference or "")


@router.post(
    "/channels/{channel_id}/top-ups",
    status_code=201,
    response_model=ChannelOut,
    responses={202: {"model": ChannelOut, "description": "accepted, not mined yet"}},
    summary="Relay a payer-signed top-up (more deposit, later expiry)",
)
async def top_up(channel_id: ChannelId, body: TopUpIn, relayed: RelayedDep) -> Any:
    row = payments.channel(relayed.session, channel_id, now=relayed.now)
    awaited, relay = relayed.awaited(row.payer)
    return await awaited.run(
        body,
        accept=lambda: relayed.send(payments.top_up, relay, channel_id=channel_id, body=body),
        settle=lambda write_id: payments.channel_outcome(
            relayed.read_session, channel_id.lower(), write_id, now=relayed.now
        ),
    )


@router.get("/channels/{channel_id}", response_model=ChannelOut, summary="A channel's state")
def get_channel(channel_id: ChannelId, session: SessionDep, now: NowDep) -> ChannelOut:
    return payments.channel_out(payments.channel(session, channel_id, now=now))


@router.post(
    "/channels/{channel_id}/vouchers",
    response_model=VoucherOut,
    summary="Hand over a voucher; answered once it is stored as the channel's highest",
)
async def voucher(
    channel_id: ChannelId, body: VoucherIn, request: Request, settings: SettingsDep, now: NowDep
) -> VoucherOut:
    # The hot path: one thread hop for the check and the store (no sync dependencies, each of
    # which would cost a hop of its own), the domain separator cached per deployment.
    state = request.app.state
    manifest = state.manifests.load(state.rpc.chain_id())
    domain = payments.channels_domain_of(manifest)

    try:
        out = await run_in_threadpool(
            lambda: vouchers.accept_voucher(
                state.engine,
                read_engine=state.read_engine,
                domain=domain,
                channel_id=channel_id,
                body=body,
                now=now,
                margin=settings.channel_settle_margin_seconds,
            )
        )
    except RegistryError:
        VOUCHERS.labels("refused").inc()
        raise
    VOUCHERS.labels("repeated" if out.repeated else "accepted").inc()
    return out


@router.post(
    "/vouchers",
    response_model=VouchersOut,
    summary="Hand over up to 100 vouchers at once (one commit); each gets its own outcome",
)
async def voucher_batch(
    body: VouchersIn, request: Request, settings: SettingsDep, now: NowDep
) -> VouchersOut:
    state = request.app.state
    domain = payments.channels_domain_of(state.manifests.load(state.rpc.chain_id()))
    outcomes = await run_in_threadpool(
        lambda: vouchers.accept_batch(
            state.engine,
            read_engine=state.read_engine,
            domain=domain,
            bodies=body.vouchers,
            now=now,
            margin=settings.channel_settle_margin_seconds,
        )
    )
    data = []
    for item, outcome in zip(body.vouchers, outcomes, strict=True):
        if isinstance(outcome, VoucherOut):
            status = "repeated" if outcome.repeated else "accepted"
            data.append(
                VoucherResult(
                    channel_id=outcome.channel_id,
                    status=status,
                    accepted_amount=outcome.accepted_amount,
                    paid_until=outcome.paid_until,
                )
            )
        else:
            problem = {"type": PROBLEM_BASE + outcome.kind, "title": outcome.title,
                       "status": outcome.status, "detail": outcome.detail, **outcome.extra}  # fmt: skip
            data.append(
                VoucherResult(channel_id=item.channel_id.lower(), status="refused", problem=problem)
            )
    for result in data:
        VOUCHERS.labels(result.status).inc()
    return VouchersOut(data=data, accepted=sum(r.status == "accepted" for r in data))


@router.post(
    "/channels/{channel_id}/close",
    response_model=ChannelOut,
    summary="The payer asks to settle with the highest voucher and close now (rest refunded)",
)
def close_channel(
    channel_id: ChannelId,
    body: CloseIn,
    request: Request,
    session: SessionDep,
    manifest: ManifestDep,
    now: NowDep,
) -> ChannelOut:
    row = payments.channel(session, channel_id, now=now)
    signers: dict[str, str] = request.app.state.signers
    out = payments.close(
        session, manifest=manifest, domain=payments.channels_domain_of(manifest),
        channel_id=channel_id, body=body, signer=signers.get(row.department), now=now,
    )  # fmt: skip
    pipeline: WritePipeline = request.app.state.pipeline
    pipeline.wake(row.department)
    return out
