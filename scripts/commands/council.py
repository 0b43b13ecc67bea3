"""``registry council``: the city council's own tool, for each member on their own machine.

Read what the council has before it (``members``, ``pending``, ``show``, ``history``) in plain
German and English, and act on it with your own key (``confirm``, ``revoke``, ``execute``,
``cancel``, ``propose <decision> …``). Every action is simulated before it is signed and refused
in one line (German / English) with its own exit status if it would fail; the words, the reads
and the checks live in ``registry_core.council`` (the explorer reads proposals the same way).
"""

from __future__ import annotations

from typing import Annotated

import typer

from registry_core.cli import CommandLine, print_json, print_line, print_table, refuse
from registry_core.council.actions import Action, check_action, send
from registry_core.council.plain import LANGUAGES, both, decision_text, history_text, plain_time
from registry_core.council.proposals import read_council_record
from registry_core.council.refusals import EXIT_NO_OPEN_PROPOSAL, CouncilRefusedError
from scripts.commands import _council_propose
from scripts.commands._council import (
    DEFAULT_DEPLOYMENTS,
    DEFAULT_RPC,
    EPILOG,
    DeploymentsOption,
    JsonOption,
    KeystoreOption,
    RpcOption,
    member_address,
    refused,
    result,
    session,
    show_proposal,
    tell,
    unlock,
)

ProposalId = Annotated[int, typer.Argument(metavar="ID", min=1, help="the proposal's number")]

group = CommandLine(
    help="The city council: read pending decisions in plain German and English, confirm, "
    "execute or cancel them and propose new ones, each member with their own key, through the "
    "gateway. `registry council COMMAND --help` for more.",
    epilog=EPILOG,
)


@group.command("members", epilog=EPILOG)
def members(
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = DEFAULT_DEPLOYMENTS,
    as_json: JsonOption = False,
) -> None:
    """The council's members, its threshold and its membership epoch."""
    with session(rpc, deployments, as_json) as s:
        record = read_council_record(s.rpc, s.manifest)
    council = record.council
    if as_json:
        print_json(
            {"council": council.address, "members": list(council.members),
             "threshold": council.threshold, "epoch": council.epoch}
        )  # fmt: skip
        return
    print_line(f"Rat / council: {council.address}")
    print_line(
        both(
            f"Schwelle: {council.threshold} von {len(council.members)}",
            f"threshold: {council.threshold} of {len(council.members)}",
        )
    )
    print_line(both(f"Epoche: {council.epoch}", f"epoch: {council.epoch}"))
    print_table(["Mitglied / member"], [[m] for m in council.members])


@group.command("pending", epilog=EPILOG)
def pending(
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = DEFAULT_DEPLOYMENTS,
    as_json: JsonOption = False,
) -> None:
    """Every open proposal of the current epoch, decoded into plain German and English, with its
    confirmations, who is still missing and whether it can be executed."""
    with session(rpc, deployments, as_json) as s:
        record = read_council_record(s.rpc, s.manifest)
    proposals = record.pending()
    if as_json:
        print_json({"epoch": record.council.epoch, "pending": [p.to_json() for p in proposals]})
        return
    if not proposals:
        print_line(both("Keine offenen Vorschläge", "No pending proposals"))
    for proposal in proposals:
        show_proposal(proposal)


@group.command("show", epilog=EPILOG)
def show(
    proposal_id: ProposalId,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = DEFAULT_DEPLOYMENTS,
    as_json: JsonOption = False,
) -> None:
    """One proposal as `pending` shows it, plus its raw target, calldata and description."""
    with session(rpc, deployments, as_json) as s:
        record = read_council_record(s.rpc, s.manifest)
    proposal = record.proposals.get(proposal_id)
    if proposal is None:
        refused(
            CouncilRefusedError(
                f"es gibt keinen Vorschlag {proposal_id}",
                f"there is no proposal {proposal_id}",
                EXIT_NO_OPEN_PROPOSAL,
            ),
            as_json,
        )
    if as_json:
        print_json(proposal.to_json())
    else:
        show_proposal(proposal, raw=True)


@group.command("history", epilog=EPILOG)
def history(
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = DEFAULT_DEPLOYMENTS,
    as_json: JsonOption = False,
) -> None:
    """What the council decided, oldest first: executed and cancelled proposals, membership and
    threshold changes (from the council's events)."""
    with session(rpc, deployments, as_json) as s:
        record = read_council_record(s.rpc, s.manifest)
    if as_json:
        print_json({"history": [entry.to_json() for entry in record.history]})
        return
    for entry in record.history:
        when = plain_time(entry.time) if entry.time else "?"
        print_line(f"block {entry.block}  {when}  tx {entry.tx}")
        for language in LANGUAGES:
            print_line(f"  {language}: {history_text(entry, language)}")


def _act(
    action: Action,
    proposal_id: int,
    keystore: KeystoreOption,
    rpc: str,
    deployments: DeploymentsOption,
    as_json: bool,
) -> None:
    """Check the action as the member would send it, show the proposal, then sign and send."""
    with session(rpc, deployments, as_json) as s:
        member = member_address(keystore)
        proposal = read_council_record(s.rpc, s.manifest).proposals.get(proposal_id)
        if proposal is not None:
            show_proposal(proposal, out=tell)
        target = proposal.target if proposal else None
        check_action(
            s.rpc, s.manifest, member=member, action=action, proposal_id=proposal_id, target=target
        )
        assert keystore is not None  # member_address refused a missing one
        account = unlock(keystore)
        if account.address != member:
            refuse(both("die Schlüsseldatei passt nicht zu ihrer Adresse",
                        "the key file's key does not match its address"))  # fmt: skip
        receipt = send(s.rpc, s.manifest, account, action, proposal_id)
        after = read_council_record(s.rpc, s.manifest).proposals[proposal_id]
    tx = str(receipt["transactionHash"])
    counts_de = f"{after.confirmations} von {after.council.threshold}"
    counts_en = f"{after.confirmations} of {after.council.threshold}"
    ready_de, ready_en = ("ja", "yes") if after.executable else ("nein", "no")
    texts = {
        "confirm": (
            f"Vorschlag {proposal_id} bestätigt von {member} ({counts_de}; ausführbar: {ready_de})",
            f"Proposal {proposal_id} confirmed by {member} ({counts_en}; executable: {ready_en})",
        ),
        "revokeConfirmation": (
            f"Bestätigung von Vorschlag {proposal_id} zurückgenommen ({counts_de})",
            f"Confirmation of proposal {proposal_id} revoked ({counts_en})",
        ),
        "execute": (
            f"Vorschlag {proposal_id} ausgeführt: {decision_text(after, 'de')}",
            f"Proposal {proposal_id} executed: {decision_text(after, 'en')}",
        ),
        "cancel": (f"Vorschlag {proposal_id} zurückgezogen", f"Proposal {proposal_id} cancelled"),
    }
    de, en = texts[action]
    result(
        as_json, {"action": action, "member": member, "tx": tx, "proposal": after.to_json()}, de, en
    )
    if after.executable:
        tell(both(f"ausführen mit: registry council execute {proposal_id}",
                  f"execute with: registry council execute {proposal_id}"))  # fmt: skip


def _action_command(name: str, action: Action, doc: str) -> None:
    """Register ``registry council NAME ID``: one council action on a proposal, signed by you."""

    def command(
        proposal_id: ProposalId,
        keystore: KeystoreOption = None,
        rpc: RpcOption = DEFAULT_RPC,
        deployments: DeploymentsOption = DEFAULT_DEPLOYMENTS,
        as_json: JsonOption = False,
    ) -> None:
        _act(action, proposal_id, keystore, rpc, deployments, as_json)

    command.__doc__ = doc
    group.command(name, epilog=EPILOG)(command)


_action_command(
    "confirm",
    "confirm",
    "Confirm proposal ID with your key (shown first, checked before it is signed).",
)
_action_command("revoke", "revokeConfirmation", "Take back your confirmation of proposal ID.")
_action_command(
    "execute",
    "execute",
    "Execute proposal ID once it has enough confirmations (simulated first: a call that would\n"
    "    revert is refused with the decoded error).",
)
_action_command("cancel", "cancel", "Cancel proposal ID (only its proposer can).")


group.add_typer(_council_propose.group, name="propose")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="council")
