"""`registry council` as members use it: separate processes, each member with their own keystore
and passphrase, against a real chain behind the real gateway.

The module runs its own chain (membership changes here must not reach the session chain's other
tests). The story's steps run as `registry` processes (eight); further refusals and reads run
the same commands in this process, since each Python start costs about a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

from registry_core.codes import code_to_bytes32
from registry_core.council import (
    ADD_DEPARTMENT,
    ADD_MEMBER,
    RENAME_DEPARTMENT,
    chain_view,
    decide,
)
from registry_core.council.actions import propose_call
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from scripts import cli
from scripts.chain import EmbeddedChain
from scripts.deploy import deploy_city
from scripts.paths import PROJECT_ROOT
from scripts.services import start_gateway, stop
from scripts.settings import CitySettings
from tests.conftest import free_port
from tests.fixture_keys import TEST_SCRYPT_N

NAME = "Umweltamt / Environment Office"


@dataclass
class Member:
    account: LocalAccount
    keystore: Path
    passphrase: str

    @property
    def address(self) -> str:
        return str(self.account.address)


@dataclass
class Council:
    url: str
    deployments: Path
    manifest: DeploymentManifest
    rpc: RpcClient
    members: list[Member]
    outsider: Member

    def _env(self, who: Member | None) -> dict[str, str]:
        """Key and passphrase from the environment, as a member's script would set them."""
        env = {"CITY_COUNCIL_RPC": self.url, "CITY_DEPLOYMENTS_DIR": str(self.deployments)}
        if who is not None:
            env["CITY_COUNCIL_KEYSTORE"] = str(who.keystore)
            env["CITY_COUNCIL_PASSPHRASE"] = who.passphrase
        return env

    def run(self, *args: str, who: Member | None = None) -> Done:
        """`registry council ARGS` in a process of its own, as ``who``."""
        done = subprocess.run(
            [sys.executable, "-m", "scripts.cli", "council", *args],
            capture_output=True, text=True, timeout=120, env={**os.environ, **self._env(who)},
            cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        return Done(done.returncode, done.stdout, done.stderr)

    def invoke(self, *args: str, who: Member | None = None) -> Done:
        """The same command in this process (Click's runner): for the further refusals, so
        that the module starts few Python processes (about a second each)."""
        done = CliRunner().invoke(cli.app, ["council", *args], env=self._env(who))
        return Done(done.exit_code, done.stdout, done.stderr)


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def _member(folder: Path, name: str) -> Member:
    """A key of its own in a keystore folder of its own, with its own passphrase."""
    account: LocalAccount = Account.create()
    passphrase = f"{name}-passphrase"
    keystore = Keystore(folder / name)
    keystore.store(name, bytes(account.key), passphrase, scrypt_n=TEST_SCRYPT_N)
    return Member(account, keystore.path(name), passphrase)


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Council]:
    folder = tmp_path_factory.mktemp("council")
    chain = EmbeddedChain(data_dir=folder / "chain", port=free_port())
    chain.start()
    try:
        members = [_member(folder, f"member-{i}") for i in (1, 2, 3)]
        outsider = _member(folder, "outsider")
        deployments = folder / "deployments"
        with RpcClient(chain.url) as node:
            manifest = deploy_city(
                rpc=node, council_members=[m.address for m in members], threshold=2,
                deployments_dir=deployments,
            ).manifest  # fmt: skip
        settings = CitySettings(
            data_dir=folder / "gateway", deployments_dir=deployments, node_port=chain.port,
            gateway_port=free_port(),
        )  # fmt: skip
        gateway = start_gateway(settings)
        try:
            with RpcClient(settings.gateway_url) as rpc:
                yield Council(settings.gateway_url, deployments, manifest, rpc, members, outsider)
        finally:
            stop(gateway)
    finally:
        chain.stop()


def _json(done: Done) -> Any:
    assert done.stdout, f"no output; stderr: {done.stderr}"
    return json.loads(done.stdout)


def _refused(done: Done, status: int, de: str, en: str) -> None:
    assert done.returncode == status, (done.returncode, done.stdout, done.stderr)
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Abgelehnt: ") and " / Refused: " in last, last
    assert de in last and en in last, last


def test_two_of_three_add_a_department_and_refusals_say_why(council: Council) -> None:
    m1, m2, m3 = council.members
    view = chain_view(council.rpc, council.manifest)

    made = council.run("propose", "add-department", "FB61", NAME, "--json", who=m1)
    assert made.returncode == 0, made.stderr
    proposal = _json(made)["proposal"]
    assert proposal["id"] == 1 and proposal["intent"] == "add-department"
    assert proposal["args"] == {"department": "FB61", "name": NAME}
    assert proposal["confirmed_by"] == [m1.address]
    assert proposal["missing"] == [m2.address, m3.address]
    assert proposal["executable"] is False
    # The proposer saw the decision before it was signed.
    assert f"Beschluss: Dienststelle FB61 anlegen ({NAME})" in made.stderr

    listed = council.run("pending")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "Vorschlag 1 / Proposal 1"
    expected = [
        f"  Beschluss: Dienststelle FB61 anlegen ({NAME})",
        "  Status: offen",
        "  Epoche: 1",
        f"  vorgeschlagen von: {m1.address}",
        "  Bestätigungen: 1 von 2",
        f"  bestätigt von: {m1.address}",
        f"  fehlt: {m2.address}, {m3.address}",
        "  ausführbar: nein",
        f"  decision: Create department FB61 ({NAME})",
        "  state: pending",
        "  epoch: 1",
        f"  proposed by: {m1.address}",
        "  confirmations: 1 of 2",
        f"  confirmed by: {m1.address}",
        f"  missing: {m2.address}, {m3.address}",
        "  executable: no",
    ]
    assert lines[1:] == expected, listed.stdout

    _refused(
        council.run("confirm", "1", who=council.outsider), 3,
        f"Konto {council.outsider.address} ist kein Ratsmitglied",
        f"account {council.outsider.address} is not a council member",
    )  # fmt: skip
    _refused(
        council.invoke("execute", "1", who=m1), 7,
        "Vorschlag 1 hat 1 von 2 nötigen Bestätigungen",
        "proposal 1 has 1 of the 2 confirmations it needs",
    )  # fmt: skip

    _refused(
        council.invoke("confirm", "1", who=m1), 6,
        f"{m1.address} hat Vorschlag 1 schon bestätigt", f"{m1.address} confirmed proposal 1 already",
    )  # fmt: skip
    confirmed = council.run("confirm", "1", "--json", who=m2)
    assert confirmed.returncode == 0, confirmed.stderr
    after = _json(confirmed)["proposal"]
    assert after["confirmed_by"] == [m1.address, m2.address] and after["executable"] is True

    executed = council.run("execute", "1", who=m2)
    assert executed.returncode == 0, executed.stderr
    assert executed.stdout.strip() == (
        f"Vorschlag 1 ausgeführt: Dienststelle FB61 anlegen ({NAME}) / "
        f"Proposal 1 executed: Create department FB61 ({NAME})"
    )
    assert view("DepartmentDirectory", "departmentExists", code_to_bytes32("FB61"))


def test_a_proposal_that_would_revert_is_refused_before_it_is_signed(council: Council) -> None:
    m1 = council.members[0]
    view = chain_view(council.rpc, council.manifest)
    proposals, nonce = view("CityCouncil", "proposalCount"), council.rpc.nonce(m1.address)
    again = council.run("propose", "add-department", "FB61", NAME, "--json", who=m1)
    _refused(
        again, 8,
        f"„Dienststelle FB61 anlegen ({NAME})“ würde scheitern: Dienststelle FB61 gibt es schon "
        "(DirectoryDepartmentExists)",
        f'"Create department FB61 ({NAME})" would fail: department FB61 exists already '
        "(DirectoryDepartmentExists)",
    )  # fmt: skip
    assert _json(again)["error"] == "DirectoryDepartmentExists(departmentId=FB61)"
    unknown = council.invoke(
        "propose", "accredit", "FB61", "WASTE_PERMIT", "--from", "2027-01-01",
        "--until", "2028-01-01T12:30", who=m1,
    )  # fmt: skip
    _refused(
        unknown, 8,
        "„FB61 (Umweltamt / Environment Office) darf WASTE_PERMIT ausstellen (ab 2027-01-01; "
        "Ende: 2028-01-01 12:30 UTC)“ würde scheitern: Nachweisart WASTE_PERMIT gibt es nicht",
        '"FB61 (Umweltamt / Environment Office) may issue WASTE_PERMIT (from 2027-01-01; end: '
        '2028-01-01 12:30 UTC)" would fail: there is no credential type WASTE_PERMIT',
    )  # fmt: skip
    assert view("CityCouncil", "proposalCount") == proposals, "a proposal was made"
    assert council.rpc.nonce(m1.address) == nonce, "something was signed and sent"

    # Made with another tool all the same: every member sees that it cannot pass.
    duplicate = ADD_DEPARTMENT.decide(department="FB61", name=NAME)
    Signer(m1.account, council.rpc).transact(
        to=council.manifest.address("CityCouncil"), data=propose_call(council.manifest, duplicate)
    )
    (shown,) = _json(council.invoke("pending", "--json"))["pending"]
    assert shown["would_fail"] == "DirectoryDepartmentExists(departmentId=FB61)"
    assert shown["executable"] is False
    assert shown["lines"]["en"]["executable"] == (
        "no (would fail: DirectoryDepartmentExists(departmentId=FB61))"
    )


def test_a_confirmation_after_a_membership_change_is_refused(council: Council) -> None:
    m1, m2, _ = council.members
    rename = RENAME_DEPARTMENT.decide(department="FB61", name="Umwelt / Environment")
    Signer(m1.account, council.rpc).transact(
        to=council.manifest.address("CityCouncil"), data=propose_call(council.manifest, rename)
    )
    stale_id = int(chain_view(council.rpc, council.manifest)("CityCouncil", "proposalCount"))
    joining = ADD_MEMBER.decide(member=council.outsider.address)
    decide(rpc=council.rpc, manifest=council.manifest, members=[m1.account, m2.account],
           decision=joining)  # fmt: skip

    _refused(
        council.run("confirm", str(stale_id), who=m2), 5,
        f"Vorschlag {stale_id} stammt aus Epoche 1; seitdem haben sich Mitglieder oder Schwelle "
        "geändert (jetzt Epoche 2): neu vorschlagen",
        f"proposal {stale_id} is of epoch 1; membership or threshold changed since (epoch 2 "
        "now): propose it again",
    )  # fmt: skip
    shown = _json(council.invoke("show", str(stale_id), "--json"))
    target, calldata = rename.call(council.manifest)
    assert (shown["target"], shown["calldata"]) == (target, "0x" + calldata.hex())
    assert shown["target_contract"] == "DepartmentDirectory"
    assert shown["description"] == rename.description()
    assert (shown["state"], shown["current_epoch"], shown["missing"]) == ("pending", False, [])
    assert shown["de"] == f"Dienststelle FB61 ({NAME}) umbenennen in Umwelt / Environment"

    _refused(
        council.invoke("cancel", str(stale_id), who=m2), 3,
        f"nur {m1.address}, der Vorschlag {stale_id} gemacht hat, kann ihn zurückziehen",
        f"only {m1.address}, who made proposal {stale_id}, can cancel it",
    )  # fmt: skip
    revoked = council.invoke("revoke", str(stale_id), "--json", who=m1)
    assert revoked.returncode == 0, revoked.stderr
    assert _json(revoked)["proposal"]["confirmed_by"] == []
    cancelled = council.invoke("cancel", str(stale_id), "--json", who=m1)
    assert cancelled.returncode == 0, cancelled.stderr
    assert _json(cancelled)["proposal"]["state"] == "cancelled"


def test_history_tells_decisions_and_membership_changes_in_both_languages(
    council: Council,
) -> None:
    m1, m2, m3 = council.members
    assert _json(council.invoke("members", "--json")) == {
        "council": council.manifest.address("CityCouncil"),
        "members": [m1.address, m2.address, m3.address, council.outsider.address],
        "threshold": 2,
        "epoch": 2,
    }
    history = _json(council.run("history", "--json"))["history"]
    seen = [(e["kind"], e["de"], e["en"]) for e in history]
    joined = [
        ("member-added", f"{m.address} ist Ratsmitglied (Epoche 1)",
         f"{m.address} joined the council (epoch 1)")
        for m in (m1, m2, m3)
    ]  # fmt: skip
    new = council.outsider.address
    assert seen == [
        *joined,
        ("threshold-changed", "Schwelle: 2 Bestätigungen (Epoche 1)",
         "Threshold set to 2 confirmations (epoch 1)"),
        ("executed", f"Beschluss 1 ausgeführt von {m2.address}: Dienststelle FB61 anlegen ({NAME})",
         f"Proposal 1 executed by {m2.address}: Create department FB61 ({NAME})"),
        ("member-added", f"{new} ist Ratsmitglied (Epoche 2)", f"{new} joined the council (epoch 2)"),
        ("executed", f"Beschluss 4 ausgeführt von {m1.address}: {new} wird Ratsmitglied",
         f"Proposal 4 executed by {m1.address}: {new} joins the council"),
        ("cancelled", f"Vorschlag 3 zurückgezogen von {m1.address}: Dienststelle FB61 ({NAME}) "
         "umbenennen in Umwelt / Environment",
         f"Proposal 3 cancelled by {m1.address}: Rename department FB61 ({NAME}) to Umwelt / "
         "Environment"),
    ], seen  # fmt: skip
    executed = [e for e in history if e["kind"] == "executed"]
    assert [(e["proposal"], e["intent"]) for e in executed] == [
        (1, "add-department"), (4, "add-member")
    ]  # fmt: skip
    assert all(e["time"] and e["tx"].startswith("0x") and e["block"] > 0 for e in history)
