"""A standard VC-JWT verifier accepts our credentials: did-jwt (JavaScript, the library behind
Veramo and uPort) verifies our ES256K signatures against did:ethr documents built by
registry_core.did (EcdsaSecp256k1RecoveryMethod2020 / blockchainAccountId, recovery by address).

did-jwt is resolved from node_modules or ``DID_JWT_NODE_PATH`` (``npm ci`` installs it as a
devDependency); without it the tests fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from eth_account import Account

from registry_core.did import DidEvent, DidHistory, make_did, parse_did
from registry_core.vc import issue_credential, status_entry

SCRIPT = Path(__file__).with_name("did_jwt_verify.mjs")
ROOT = Path(__file__).resolve().parents[2]
NODE_PATH = os.environ.get("DID_JWT_NODE_PATH", str(ROOT / "node_modules"))
HAS_DID_JWT = shutil.which("node") is not None and (Path(NODE_PATH) / "did-jwt").exists()


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HAS_DID_JWT:
        pytest.fail(f"node or the npm package did-jwt is missing from {NODE_PATH}: run `npm ci`")
    # ESM resolves bare imports from the script's folder upwards: run a copy beside a link.
    folder = tmp_path_factory.mktemp("did-jwt")
    (folder / "node_modules").symlink_to(NODE_PATH)
    copy = folder / SCRIPT.name
    copy.write_text(SCRIPT.read_text(encoding="utf-8"), encoding="utf-8")
    return copy


def _did_jwt(script: Path, jwt: str, documents: dict[str, dict]) -> dict:
    completed = subprocess.run(
        ["node", str(script)],
        input=json.dumps({"jwt": jwt, "documents": documents}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(completed.stdout))


def _credential(signer, issuer_address: str) -> str:  # type: ignore[no-untyped-def]
    return issue_credential(
        issuer_did=make_did(issuer_address, 52062),
        subject_did=make_did(Account.create().address, 52062),
        vc_type="ResidentParkingPermit",
        claims={"licensePlate": "AC-AB 1", "zone": "A1"},
        status=status_entry(chain_id=52062, registry="0x" + "11" * 20, type_code="PARKING_PERMIT"),
        private_key=bytes(signer.key),
        valid_until=int(time.time()) + 3600,
    )


def test_did_jwt_accepts_our_signatures_and_refuses_a_foreign_key(script: Path) -> None:
    issuers = [Account.create() for _ in range(8)]  # both recovery ids occur among them
    for issuer in issuers:
        did = make_did(issuer.address, 52062)
        document = DidHistory(parse_did(did), (), 1).document().document
        result = _did_jwt(script, _credential(issuer, issuer.address), {did: document})
        assert result == {"verified": True, "signer": f"{did}#controller", "issuer": did}, result
    stranger = Account.create()
    did = make_did(issuers[0].address, 52062)
    document = DidHistory(parse_did(did), (), 1).document().document
    refused = _did_jwt(script, _credential(stranger, issuers[0].address), {did: document})
    assert refused["verified"] is False and "signature" in refused["error"].lower()


def test_did_jwt_accepts_a_rotated_key_via_our_document(script: Path) -> None:
    old, new = Account.create(), Account.create()
    did = make_did(old.address, 52062)
    history = DidHistory(parse_did(did), (DidEvent("owner", 5, 0, owner=new.address),), 9)
    document = history.document().document
    assert _did_jwt(script, _credential(new, old.address), {did: document})["verified"] is True
    assert _did_jwt(script, _credential(old, old.address), {did: document})["verified"] is False
