"""Talking to the city: ``login``, ``logout``, ``request``, ``requests``, ``receive``, ``rotate``."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from registry_core.did import parse_did
from registry_core.erc1056 import sign_change_owner
from registry_core.openid4vci import CredentialOffer, OpenId4VciError
from wallet.city import CityClient, receive_credential
from wallet.cli.app import command, state
from wallet.cli.identity import WordsOption, confirm_mnemonic
from wallet.cli.io import (
    IdentityOption,
    JsonOption,
    emit,
    err_console,
    passphrase,
    read_text,
    waiting,
)
from wallet.errors import CorruptFileError, NegativeAnswerError, WalletError
from wallet.identities import account_from_mnemonic, new_mnemonic
from wallet.sessions import CitySession, drop_session, load_session, save_session

ApiOption = Annotated[
    str,
    typer.Option("--api", envvar="CITY_WALLET_API_URL", help="die API der Stadt / the city's API"),
]
DEFAULT_API = "http://127.0.0.1:8000"
STATES = {
    "submitted": "eingereicht / submitted",
    "awaiting_payment": "wartet auf Zahlung / awaiting payment",
    "approved": "genehmigt, abholbereit / approved, ready to receive",
    "issued": "ausgestellt / issued",
    "rejected": "abgelehnt / rejected",
}
ROTATION_WAIT_SECONDS = 120.0


@command(help="Ohne Passwort bei der Stadt anmelden (EIP-4361) / sign in to the city (EIP-4361)")
def login(
    ctx: typer.Context,
    api: ApiOption = DEFAULT_API,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    chosen = wallet.identity
    secret = passphrase()
    with waiting("Anmeldung / signing in"):
        account = wallet.unlock(secret)
        with CityClient(api) as city:
            signed_in = city.sign_in(account, chain_id=wallet.book.chain_id, did=chosen.did)
    save_session(
        wallet.home,
        chosen.name,
        CitySession(api, signed_in.token, signed_in.expires_at, signed_in.did, account.address),
    )
    emit(
        as_json,
        {
            "identity": chosen.name,
            "did": signed_in.did,
            "address": account.address,
            "expires_at": signed_in.expires_at,
            "message": signed_in.message,
            "signature": signed_in.signature,
        },
        f"[green]✔[/] angemeldet als / signed in as {signed_in.did}",
    )


@command(help="Sitzung bei der Stadt beenden / end the session with the city")
def logout(
    ctx: typer.Context, identity: IdentityOption = None, as_json: JsonOption = False
) -> None:
    wallet = state(ctx).wallet(identity)
    name = wallet.identity.name
    session = load_session(wallet.home, name)
    with CityClient(session.api_url) as city:
        city.logout(session.token)
    drop_session(wallet.home, name)
    emit(as_json, {"identity": name, "logged_out": True}, "[green]✔[/] abgemeldet / signed out")


def _claims(pairs: list[str], claims_file: str | None) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    if claims_file:
        try:
            loaded = json.loads(read_text(claims_file))
        except json.JSONDecodeError:
            raise CorruptFileError(
                "the claims are not JSON", de="die Angaben sind kein JSON"
            ) from None
        if not isinstance(loaded, dict):
            raise WalletError("the claims are a JSON object", de="Angaben als JSON-Objekt")
        claims.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise WalletError(f"--claim takes NAME=VALUE, not {pair!r}", de="--claim NAME=WERT")
        claims[key] = value
    return claims


def _request_row(request: dict[str, Any]) -> str:
    line = f"{request['id']}  {request['type']}  {STATES.get(request['state'], request['state'])}"
    if request.get("reason"):
        line += f"  ({request['reason']})"
    return line


@command(help="Nachweis bei der Stadt beantragen / ask the city for a credential")
def request(
    ctx: typer.Context,
    type_code: Annotated[str, typer.Argument(metavar="TYPE", help="e.g. RESIDENT_PARKING")],
    claim: Annotated[
        list[str] | None, typer.Option("--claim", help="NAME=VALUE, repeatable")
    ] = None,
    claims_file: Annotated[
        str | None, typer.Option("--claims", help="JSON object, @FILE or '-'")
    ] = None,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    session = load_session(wallet.home, wallet.identity.name)
    body = {"type": type_code, "claims": _claims(claim or [], claims_file)}
    with CityClient(session.api_url) as city:
        created = city.post("/credential-requests", body, token=session.token)
    emit(as_json, created, _request_row(created))


@command(help="Stand der Anträge / the state of your requests")
def requests(
    ctx: typer.Context,
    request_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    session = load_session(wallet.home, wallet.identity.name)
    with CityClient(session.api_url) as city:
        if request_id:
            one = city.get(f"/credential-requests/{request_id}", token=session.token)
            lines = [_request_row(one)]
            if one.get("credential_offer"):
                lines.append(f"  city-wallet receive '{one['credential_offer']}'")
            emit(as_json, one, *lines)
            return
        listed = city.get("/credential-requests", token=session.token)
    table = Table("ID", "Typ / type", "Stand / state", "Grund / reason")
    for item in listed["data"]:
        table.add_row(
            item["id"],
            item["type"],
            STATES.get(item["state"], item["state"]),
            item.get("reason") or "",
        )
    emit(as_json, listed, table if listed["data"] else "keine Anträge / no requests")


def _offer(text: str, wallet_home: Any, identity: str) -> CredentialOffer:
    """An offer URI, or the id of an approved request whose offer the city holds."""
    value = read_text(text).strip()
    if value.startswith(("openid-credential-offer:", "{")):
        try:
            return CredentialOffer.parse(value)
        except OpenId4VciError as exc:
            raise CorruptFileError(exc.detail, de="kein gültiges Angebot") from None
    session = load_session(wallet_home, identity)
    with CityClient(session.api_url) as city:
        found = city.get(f"/credential-requests/{value}", token=session.token)
    if not found.get("credential_offer"):
        raise NegativeAnswerError(
            f"request {value} has no credential offer (state: {found.get('state')})",
            de=f"Antrag {value} hat kein Angebot (Stand: {found.get('state')})",
        )
    return CredentialOffer.parse(str(found["credential_offer"]))


@command(
    help="Nachweis abholen (OpenID4VCI, Angebot oder Antrags-ID) / receive a credential "
    "(OpenID4VCI offer or request id)"
)
def receive(
    ctx: typer.Context,
    offer: Annotated[str, typer.Argument(help="openid-credential-offer://…, @FILE or request id")],
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    chosen = wallet.identity
    parsed = _offer(offer, wallet.home, chosen.name)
    secret = passphrase()
    with waiting("Nachweis wird abgeholt / receiving the credential"):
        account = wallet.unlock(secret)
        with httpx.Client(timeout=30) as http:
            credential = receive_credential(http, parsed, account=account, did=chosen.did)
    stored = wallet.add_credential(credential)
    emit(
        as_json,
        {"id": stored.id, "type": stored.type, "issuer": stored.issuer},
        f"[green]✔[/] {stored.id} {stored.type} from {stored.issuer}",
    )


@command(
    help="Neuen Schlüssel für dieselbe DID, ohne Gas (ERC-1056) / a new key for the same DID, "
    "without gas (ERC-1056 changeOwnerSigned relayed by the city)"
)
def rotate(
    ctx: typer.Context,
    words: WordsOption = 12,
    wait: Annotated[float, typer.Option("--wait", help="seconds to wait for the chain")] = (
        ROTATION_WAIT_SECONDS
    ),
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    chosen = wallet.identity
    session = load_session(wallet.home, chosen.name)
    secret = passphrase()
    with waiting("Schlüssel wird entschlüsselt / decrypting the key"):
        current = wallet.unlock(secret)
        upcoming = wallet.book.next_key(secret, chosen.name)
    if upcoming is None:  # a rotation left unfinished keeps its next key (and its words)
        mnemonic = new_mnemonic(words)
        confirm_mnemonic(mnemonic, to_stderr=as_json)
        upcoming = account_from_mnemonic(mnemonic)
        wallet.book.store_next_key(upcoming, secret, chosen.name)
    identity_address = parse_did(chosen.did).address
    with CityClient(session.api_url) as city:
        chain = city.erc1056_state(chosen.did)
        if str(chain["owner"]).lower() != upcoming.address.lower():
            signed = sign_change_owner(
                current,
                registry=str(chain["registry"]),
                nonce=int(chain["nonce"]),
                identity=identity_address,
                new_owner=upcoming.address,
            )
            relayed = city.relay_change_owner(chosen.did, signed, token=session.token)
            deadline = time.monotonic() + wait
            with waiting("Die Kette übernimmt den neuen Schlüssel / the chain takes the new key"):
                while str(chain["owner"]).lower() != upcoming.address.lower():
                    if time.monotonic() > deadline:
                        raise WalletError(
                            f"the chain has not taken the new key yet (write {relayed.get('write_id')}); "
                            "run 'city-wallet rotate' again later",
                            de="die Kette hat den neuen Schlüssel noch nicht; später erneut "
                            "'city-wallet rotate'",
                        )
                    time.sleep(0.5)
                    chain = city.erc1056_state(chosen.did)
    rotated = wallet.book.complete_rotation(chosen.name, upcoming.address)
    drop_session(wallet.home, chosen.name)  # the session was the old key's
    err_console.print(
        "Die neuen Wörter ersetzen die alten; wiederherstellen mit / the new words replace the old "
        f"ones; restore with: city-wallet restore --did {rotated.did}"
    )
    emit(
        as_json,
        {"identity": rotated.name, "did": rotated.did, "address": rotated.address},
        f"[green]✔[/] {rotated.did} ← {rotated.address}",
    )
