"""What the ``registry council`` commands share (a helper module, not a group): their options,
the member's key, refusals as exit statuses, and the plain-language output."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from registry_core.cli import EXIT_CODES, EXIT_USAGE, fail, print_json, print_line, refuse, say
from registry_core.council.plain import LANGUAGES, both, proposal_lines
from registry_core.council.proposals import Proposal
from registry_core.council.refusals import REFUSAL_STATUSES, CouncilRefusedError
from registry_core.errors import KeystoreError, RegistryCoreError
from registry_core.keystore import decrypt_key, read_key_file
from registry_core.manifest import DeploymentManifest, load_manifest
from registry_core.rpc import RpcClient
from scripts.commands._options import DEPLOYMENTS, GATEWAY_URL

# Every command's help ends with the registry's exit statuses and the council's refusals.
EPILOG = f"{EXIT_CODES} Council refusals: {REFUSAL_STATUSES}"

PASSPHRASE_ENV = "CITY_COUNCIL_PASSPHRASE"  # noqa: S105  (the variable's name, not a secret)

RpcOption = Annotated[
    str,
    typer.Option(
        "--rpc", metavar="URL", envvar="CITY_COUNCIL_RPC",
        help="the city's public RPC endpoint: the permissioning gateway ($CITY_COUNCIL_RPC)",
    ),
]  # fmt: skip
DeploymentsOption = Annotated[
    Path,
    typer.Option(
        "--deployments", metavar="DIR", envvar="CITY_DEPLOYMENTS_DIR",
        help="where the CHAIN_ID.json deployment manifests live ($CITY_DEPLOYMENTS_DIR)",
    ),
]  # fmt: skip
KeystoreOption = Annotated[
    Path | None,
    typer.Option(
        "--keystore", metavar="FILE", envvar="CITY_COUNCIL_KEYSTORE",
        help="your own key file (Web3 Secret Storage) as a council member ($CITY_COUNCIL_KEYSTORE); "
        f"its passphrase from ${PASSPHRASE_ENV} or asked for",
    ),
]  # fmt: skip
JsonOption = Annotated[bool, typer.Option("--json", help="print the result as JSON")]
DEFAULT_RPC = GATEWAY_URL
DEFAULT_DEPLOYMENTS = DEPLOYMENTS


@dataclass
class Session:
    rpc: RpcClient
    manifest: DeploymentManifest
    as_json: bool


@contextmanager
def session(rpc_url: str, deployments: Path, as_json: bool) -> Iterator[Session]:
    """The chain (through ``rpc_url``) and its manifest; refusals and failures end the command
    with their exit status and one line in German and English."""
    try:
        with RpcClient(rpc_url) as rpc:
            yield Session(rpc, load_manifest(deployments, rpc.chain_id()), as_json)
    except CouncilRefusedError as refusal:
        refused(refusal, as_json)
    except KeystoreError as exc:
        fail(both(f"Schlüsseldatei: {exc.detail}", f"key file: {exc.detail}"), EXIT_USAGE)
    except RegistryCoreError as exc:
        fail(both(f"fehlgeschlagen: {exc.detail}", f"failed: {exc.detail}"))


def refused(refusal: CouncilRefusedError, as_json: bool) -> NoReturn:
    if as_json:
        print_json(
            {"refused": True, "exit_status": refusal.exit_status, "de": refusal.de,
             "en": refusal.en, "error": refusal.error}
        )  # fmt: skip
    fail(both(f"Abgelehnt: {refusal.de}", f"Refused: {refusal.en}"), refusal.exit_status)


def member_address(keystore: Path | None) -> str:
    """The member's address, read from the key file without opening it."""
    if keystore is None:
        refuse(both("--keystore fehlt (oder $CITY_COUNCIL_KEYSTORE)",
                    "--keystore is missing (or $CITY_COUNCIL_KEYSTORE)"))  # fmt: skip
    document = read_key_file(keystore)
    if "address" not in document:
        return str(unlock(keystore).address)
    return str(to_checksum_address(document["address"]))


def unlock(keystore: Path) -> LocalAccount:
    """The member's key: the passphrase from $CITY_COUNCIL_PASSPHRASE, else asked for."""
    passphrase = os.environ.get(PASSPHRASE_ENV)
    if not passphrase:
        if not sys.stdin.isatty():
            refuse(both(f"${PASSPHRASE_ENV} setzen oder im Terminal nach der Passphrase fragen lassen",
                        f"set ${PASSPHRASE_ENV} or run in a terminal to be asked for the passphrase"))  # fmt: skip
        passphrase = typer.prompt(f"Passphrase ({keystore.name})", hide_input=True)
    return decrypt_key(read_key_file(keystore), passphrase)


def show_proposal(
    proposal: Proposal, *, raw: bool = False, out: Callable[[str], None] = print_line
) -> None:
    """A proposal for people: a heading, then its fields in German, then in English."""
    out(both(f"Vorschlag {proposal.id}", f"Proposal {proposal.id}"))
    for language in LANGUAGES:
        for label, value in proposal_lines(proposal, language):
            out(f"  {label}: {value}")
    if raw:
        contract = f" ({proposal.target_contract})" if proposal.target_contract else ""
        out(f"  target: {proposal.target}{contract}")
        out(f"  value: {proposal.value}")
        out(f"  calldata: 0x{proposal.data.hex()}")
        out(f"  description: {proposal.description}")
        out(f"  created: block {proposal.created_block}, tx {proposal.created_tx}")


def result(as_json: bool, value: dict[str, Any], de: str, en: str) -> None:
    """A finished action: JSON for scripts, else one line in German and English."""
    if as_json:
        print_json(value)
    else:
        print_line(both(de, en))


def tell(text: str) -> None:
    """What is about to be signed, for the member (stderr, so stdout stays the result)."""
    say(text)
