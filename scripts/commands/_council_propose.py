"""``registry council propose <decision> …``: one subcommand per intent of
``registry_core.council.INTENTS``, generated from the intent's parameters (a helper module of
``council``, not a group of its own).

Each builds the call from the deployment manifest, checks that the key is a member's, simulates
the call as the council would make it (a decision that would revert is refused before anything
is signed, with the contract's decoded error), shows the decision in German and English, and
only then unlocks the key and signs the proposal (the proposer's confirmation counts at once).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from registry_core.cli import CommandLine, refuse
from registry_core.council.actions import check_decision, check_propose, proposal_id_of, send
from registry_core.council.intents import INTENTS, CouncilIntentError, Intent
from registry_core.council.plain import both
from registry_core.council.proposals import department_names, read_council_record
from scripts.commands._council import (
    DEFAULT_DEPLOYMENTS,
    DEFAULT_RPC,
    EPILOG,
    DeploymentsOption,
    JsonOption,
    KeystoreOption,
    RpcOption,
    member_address,
    result,
    session,
    tell,
    unlock,
)

group = CommandLine(
    help="Propose a council decision by what it does (the call is built from the deployment "
    "manifest, simulated as the council and shown before you sign).",
    epilog=EPILOG,
)

DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="check and show the decision, sign nothing")
]


def propose(
    intent: Intent,
    values: dict[str, str],
    *,
    keystore: Path | None,
    rpc: str,
    deployments: Path,
    as_json: bool,
    dry_run: bool,
) -> None:
    try:
        decision = intent.decide(**values)
    except CouncilIntentError as exc:
        refuse(both(f"ungültig: {exc.detail}", f"invalid: {exc.detail}"))
    with session(rpc, deployments, as_json) as s:
        names = department_names(s.rpc, s.manifest)
        de, en = decision.describe("de", names), decision.describe("en", names)
        tell(both(f"Beschluss: {de}", f"decision: {en}"))
        if keystore is None and dry_run:
            check_decision(s.rpc, s.manifest, decision, names)
        else:
            member = member_address(keystore)
            check_propose(s.rpc, s.manifest, member=member, decision=decision, names=names)
        target, calldata = decision.call(s.manifest)
        if dry_run:
            result(
                as_json,
                {"dry_run": True, "intent": intent.name, "args": decision.args,
                 "target": target, "calldata": "0x" + calldata.hex(),
                 "description": decision.description(),
                 "de": de, "en": en},
                f"geprüft, nicht unterschrieben: {de}",
                f"checked, not signed: {en}",
            )  # fmt: skip
            return
        assert keystore is not None
        account = unlock(keystore)
        receipt = send(s.rpc, s.manifest, account, "propose", target, 0, calldata,
                       decision.description())  # fmt: skip
        proposal = read_council_record(s.rpc, s.manifest).proposals[
            proposal_id_of(s.manifest, receipt)
        ]
    counts = (proposal.confirmations, proposal.council.threshold)
    result(
        as_json,
        {
            "action": "propose",
            "tx": str(receipt["transactionHash"]),
            "proposal": proposal.to_json(),
        },
        f"Vorschlag {proposal.id} gemacht ({counts[0]} von {counts[1]} Bestätigungen): {de}",
        f"Proposal {proposal.id} made ({counts[0]} of {counts[1]} confirmations): {en}",
    )


def _command(intent: Intent) -> Any:
    """A Typer command for ``intent``: its parameters as arguments (options for those with a
    flag, e.g. ``--from``), then the shared options."""
    common = {
        "keystore": (KeystoreOption, None),
        "rpc": (RpcOption, DEFAULT_RPC),
        "deployments": (DeploymentsOption, DEFAULT_DEPLOYMENTS),
        "as_json": (JsonOption, False),
        "dry_run": (DryRunOption, False),
    }

    def command(**kwargs: Any) -> None:
        values = {p.name: kwargs[p.name] for p in intent.params}
        settings = {name: kwargs[name] for name in common}
        propose(intent, values, **settings)

    parameters = []
    annotations: dict[str, Any] = {}
    for param in intent.params:
        if param.flag:
            info: Any = typer.Option(param.flag, help=param.help, metavar="WHEN")
            annotation: Any = Annotated[str, info]
            default: Any = "0"
        else:
            info = typer.Argument(metavar=param.name.upper(), help=param.help)
            annotation, default = Annotated[str, info], inspect.Parameter.empty
        kind = inspect.Parameter.KEYWORD_ONLY
        parameters.append(
            inspect.Parameter(param.name, kind, default=default, annotation=annotation)
        )
        annotations[param.name] = annotation
    for name, (annotation, default) in common.items():
        kind = inspect.Parameter.KEYWORD_ONLY
        parameters.append(inspect.Parameter(name, kind, default=default, annotation=annotation))
        annotations[name] = annotation
    command.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    command.__annotations__ = {**annotations, "return": None}
    command.__name__ = intent.name.replace("-", "_")
    upper = {p.name: p.name.upper() for p in intent.params}
    command.__doc__ = (
        f"Propose: {intent.text_en.format(**upper)} / {intent.text_de.format(**upper)}."
    )
    return command


for _intent in INTENTS.values():
    group.command(_intent.name, epilog=EPILOG)(_command(_intent))
