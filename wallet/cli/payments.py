"""Paying the city: ``balance``, ``pay``, ``park``, ``close``, and the officer's ``check-parking``.

No gas and no allow-listing for the citizen: the wallet signs EIP-2612 permits and EIP-712
orders, the city relays them. ``park`` hands over one voucher per started minute (per unit of the
tariff) and ``--json`` prints each voucher's EIP-712 typed data and signature. ``check-parking``
checks a car's ``CPV1:`` voucher (signature, terms, tariff, paid-until) and the channel on chain
(through the city's public RPC, the contract named by the city's API). Time comes from
:data:`CLOCK` (tests put a simulated clock there).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from registry_core.payments.parking import RpcChannels, check_parking
from registry_core.payments.voucher_qr import VoucherQrError, decode_voucher_payload
from registry_core.rpc import RpcClient
from wallet.city import CityClient
from wallet.cli.app import command, state
from wallet.cli.city import DEFAULT_API, ApiOption
from wallet.cli.io import (
    IdentityOption,
    JsonOption,
    console,
    emit,
    passphrase,
    read_text,
    waiting,
)
from wallet.errors import CorruptFileError, ExitCode
from wallet.payments import (
    Clock,
    SystemClock,
    close_parking,
    load_session,
    open_parking,
    park,
    pay_fee,
    save_session,
    wait_open,
)
from wallet.payments import account_info as fetch_account
from wallet.sessions import load_session as load_city_session

CLOCK: Clock = SystemClock()
DEFAULT_RPC = "http://127.0.0.1:8545"  # the permissioning gateway


def _eur(cents: int) -> str:
    return f"{cents / 100:.2f} EUR"


@command(help="Guthaben in der Stadtwährung / balance in the city token")
def balance(
    ctx: typer.Context,
    api: ApiOption = DEFAULT_API,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    address = wallet.identity.address
    with CityClient(api) as city:
        info = fetch_account(city, address)
    emit(as_json, info, f"{address}: {_eur(int(info['balance']))}")


@command(help="Gebühr eines Antrags bezahlen (ohne Gas) / pay a request's fee (no gas)")
def pay(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(metavar="REQUEST_ID")],
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    session = load_city_session(wallet.home, wallet.identity.name)
    secret = passphrase()
    with waiting("Zahlung / paying"):
        account = wallet.unlock(secret)
        with CityClient(session.api_url) as city:
            found = city.get(f"/credential-requests/{request_id}", token=session.token)
            paid = pay_fee(
                city, account=account, request_id=request_id, service=str(found["type"]),
                now=CLOCK.now(),
            )  # fmt: skip
    payment = paid["payment"]
    emit(
        as_json,
        paid,
        f"[green]✔[/] {_eur(int(payment['amount']))} für / for {payment['service']} "
        f"({payment['status']}, write {payment['write_id']})",
    )


@command(
    name="park",
    help="Parken, eine Zahlung je Minute über einen Zahlungskanal / park, paying every minute "
    "through a payment channel",
)
def park_command(
    ctx: typer.Context,
    zone: Annotated[str, typer.Option("--zone", help="zone or tariff, e.g. ZONE5")],
    minutes: Annotated[int, typer.Option("--minutes", min=1, max=24 * 60)],
    api: ApiOption = DEFAULT_API,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    account = wallet.unlock(passphrase())
    vouchers: list[dict[str, Any]] = []
    with CityClient(api) as city:
        parking, opened, signed_terms = open_parking(
            city, account=account, zone=zone, minutes=minutes, clock=CLOCK
        )
        save_session(wallet.home, parking)
        with waiting("Kanal wird eröffnet / opening the channel"):
            wait_open(city, parking)
        terms = parking.terms
        units = -(-minutes * 60 // terms.unit_seconds)

        def on_voucher(k: int, voucher: Any, answer: dict[str, Any]) -> None:
            save_session(wallet.home, parking)
            vouchers.append(
                {
                    "unit": k + 1,
                    "typed_data": voucher.typed_data(parking.domain),
                    "signature": "0x" + voucher.signature.hex(),
                    "paid_until": answer["paid_until"],
                }
            )
            if not as_json:
                console.print(
                    f"{k + 1}/{units}: {_eur(voucher.cumulative_amount)}, "
                    f"bezahlt bis / paid until {answer['paid_until']}"
                )

        park(
            city, account=account, parking=parking, units=units, clock=CLOCK, on_voucher=on_voucher
        )
    emit(
        as_json,
        {
            "channel_id": parking.channel_id,
            "opened": opened,
            "terms": signed_terms.to_json(),
            "vouchers": vouchers,
            "qr_payload": parking.qr_payload(),
        },
        f"[green]✔[/] {parking.channel_id}: {units} x {_eur(terms.rate_per_unit)}",
    )


@command(help="Parksitzung abrechnen und schließen / settle and close the parking session")
def close(
    ctx: typer.Context,
    channel: Annotated[str | None, typer.Argument(metavar="[CHANNEL]")] = None,
    api: ApiOption = DEFAULT_API,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    parking = load_session(wallet.home, channel)
    account = wallet.unlock(passphrase())
    with CityClient(api) as city:
        closed = close_parking(city, account=account, parking=parking)
    emit(as_json, closed, f"[green]✔[/] {closed['channel_id']}: {closed['state']}")


@command(
    name="check-parking",
    help="Parkschein prüfen: bezahlt bis wann in welcher Zone / check a parking voucher: paid "
    "until when in which zone",
)
def check_parking_command(
    ctx: typer.Context,
    payload: Annotated[str, typer.Argument(help="CPV1:… payload, @FILE or '-'")],
    rpc_url: Annotated[
        str,
        typer.Option("--rpc", envvar="CITY_WALLET_RPC_URL", help="the city's public JSON-RPC"),
    ] = DEFAULT_RPC,
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> int:
    try:
        parking = decode_voucher_payload(read_text(payload).strip())
    except VoucherQrError as exc:
        raise CorruptFileError(exc.detail, de="kein gültiger Parkschein") from None
    with CityClient(api) as city:  # where the city's channels live (not what the QR claims)
        info = fetch_account(city, "0x" + "00" * 20)
    with RpcClient(rpc_url) as rpc:
        lookup = RpcChannels(
            rpc=rpc, chain_id=int(info["chain_id"]), channels_contract=str(info["channels"])
        )
        result = check_parking(parking, lookup=lookup, now=int(CLOCK.now()))
    emit(as_json, result.to_json(), f"{result.outcome}: {result.message_de} / {result.message_en}")
    codes = {"paid": ExitCode.DONE, "unconfirmed": ExitCode.NOT_YET}
    return int(codes.get(result.outcome, ExitCode.NEGATIVE))
