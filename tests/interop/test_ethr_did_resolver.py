"""The standard did:ethr method works on our chain: ethr-did-resolver (the DIF reference resolver,
used by Veramo and uPort), configured only with our chain id, the gateway's URL and our
EthereumDIDRegistry address, resolves department and citizen DIDs with owner changes, delegates
and attributes as registry_core.did does; did-jwt verifies our issued credentials through it.

The npm packages come from ``npm ci`` (devDependencies); without them the tests fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.council import ACCREDIT_TYPE, ADD_ACCOUNT, ADD_DEPARTMENT, decide
from registry_core.did import make_did
from registry_core.erc1056 import erc1056_digest
from registry_core.issuance import CredentialRequest, Issuer
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from registry_core.vc import issue_credential, status_entry
from registry_core.verification import ChainSource
from tests.credential_fixtures import CredentialCity

SCRIPT = Path(__file__).with_name("ethr_did_resolve.mjs")
ROOT = Path(__file__).resolve().parents[2]
NODE_PATH = Path(os.environ.get("DID_JWT_NODE_PATH", str(ROOT / "node_modules")))
PACKAGES = ("did-jwt", "did-resolver", "ethr-did-resolver")
DAY = 86_400
RESIDENCE = {
    "givenName": "Erika",
    "familyName": "Mustermann",
    "birthDate": "1964-08-12",
    "address": "Markt 1, 52062 Aachen",
}


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = [name for name in PACKAGES if not (NODE_PATH / name).exists()]
    if shutil.which("node") is None or missing:
        pytest.fail(f"node or npm packages {missing} missing from {NODE_PATH}: run `npm ci`")
    # ESM resolves bare imports from the script's folder upwards: run a copy beside a link.
    folder = tmp_path_factory.mktemp("ethr-did-resolver")
    (folder / "node_modules").symlink_to(NODE_PATH)
    copy = folder / SCRIPT.name
    copy.write_text(SCRIPT.read_text(encoding="utf-8"), encoding="utf-8")
    return copy


def _standard(
    script: Path, gateway_url: str, manifest: DeploymentManifest, dids: list[str], jwt: str = ""
) -> dict[str, Any]:
    request = {
        "rpcUrl": gateway_url,
        "chainId": manifest.chain_id,
        "registry": manifest.contract("EthereumDIDRegistry").address,
        "dids": dids,
        "jwt": jwt or None,
    }
    completed = subprocess.run(
        ["node", str(script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return dict(json.loads(completed.stdout))


def _b32(text: str) -> bytes:
    return text.encode().ljust(32, b"\0")


def _methods(document: dict[str, Any]) -> list[dict[str, Any]]:
    """What a verifier relies on: each method's id, type and key material."""
    fields = ("id", "type", "controller", "blockchainAccountId", "publicKeyHex")
    return [{k: m[k] for k in fields if k in m} for m in document.get("verificationMethod", [])]


def _assert_same_document(ours: dict[str, Any], standard: dict[str, Any]) -> None:
    assert standard["id"] == ours["id"], (ours["id"], standard["id"])
    assert _methods(standard) == _methods(ours), (_methods(ours), _methods(standard))
    for relation in ("authentication", "assertionMethod"):
        assert standard.get(relation) == ours.get(relation), (relation, ours, standard)
    assert standard.get("service", []) == ours.get("service", [])


@pytest.fixture(scope="module")
def department(
    credential_city: CredentialCity, gateway_rpc: RpcClient
) -> tuple[LocalAccount, LocalAccount]:
    """A department (FB61) whose identity account handed its DID to a new key (changeOwner);
    both accounts belong to the department and may transact."""
    manifest, council = credential_city.manifest, credential_city.council
    identity, owner = Account.create(), Account.create()
    for decision in (
        ADD_DEPARTMENT.decide(department="FB61", name="Vermessungsamt / Surveying Office"),
        ADD_ACCOUNT.decide(department="FB61", account=identity.address),
        ADD_ACCOUNT.decide(department="FB61", account=owner.address),
        ACCREDIT_TYPE.decide(
            department="FB61", credential_type="RESIDENCE_CERT", valid_from=0, valid_until=0
        ),
    ):
        decide(rpc=gateway_rpc, manifest=manifest, members=council, decision=decision)
    registry = manifest.contract("EthereumDIDRegistry")
    Signer(identity, gateway_rpc).transact(
        to=registry.address,
        data=registry.interface.encode_call("changeOwner", identity.address, owner.address),
        interface=registry.interface,
    )
    return identity, owner


def test_standard_resolver_sees_a_department_owner_change_delegates_and_attribute(
    script: Path,
    gateway_url: str,
    credential_city: CredentialCity,
    gateway_rpc: RpcClient,
    chain_source: ChainSource,
    department: tuple[LocalAccount, LocalAccount],
) -> None:
    identity, owner = department
    veri_key, sig_auth = Account.create(), Account.create()
    public_key = "0x02" + "ab" * 32
    registry = credential_city.manifest.contract("EthereumDIDRegistry")
    for call in [
        ("addDelegate", identity.address, _b32("veriKey"), veri_key.address, DAY),
        ("addDelegate", identity.address, _b32("sigAuth"), sig_auth.address, DAY),
        (
            "setAttribute",
            identity.address,
            _b32("did/pub/Secp256k1/veriKey/hex"),
            bytes.fromhex(public_key[2:]),
            DAY,
        ),
    ]:
        Signer(owner, gateway_rpc).transact(
            to=registry.address,
            data=registry.interface.encode_call(*call),
            interface=registry.interface,
        )
    did = make_did(identity.address, credential_city.manifest.chain_id)
    result = _standard(script, gateway_url, credential_city.manifest, [did])["resolutions"][did]
    assert "error" not in result["didResolutionMetadata"], result
    document = result["didDocument"]
    chain = credential_city.manifest.chain_id
    by_id = {m["id"]: m for m in document["verificationMethod"]}
    assert by_id[f"{did}#controller"]["blockchainAccountId"] == f"eip155:{chain}:{owner.address}"
    assert by_id[f"{did}#delegate-1"]["blockchainAccountId"] == f"eip155:{chain}:{veri_key.address}"
    assert by_id[f"{did}#delegate-2"]["blockchainAccountId"] == f"eip155:{chain}:{sig_auth.address}"
    assert by_id[f"{did}#delegate-3"]["publicKeyHex"] == public_key[2:]
    assert f"{did}#delegate-2" in document["authentication"]
    assert f"{did}#delegate-1" not in document["authentication"]
    ours = chain_source.resolver.resolution_result(did)
    _assert_same_document(ours["didDocument"], document)
    assert result["didDocumentMetadata"]["versionId"] == ours["didDocumentMetadata"]["versionId"]


def test_standard_resolver_sees_citizen_changes_relayed_as_signed_actions(
    script: Path,
    gateway_url: str,
    credential_city: CredentialCity,
    gateway_rpc: RpcClient,
    chain_source: ChainSource,
) -> None:
    """A citizen cannot transact; a department relays the citizen's signed ERC-1056 actions."""
    citizen, new_owner, delegate = Account.create(), Account.create(), Account.create()
    relayer = Signer(credential_city.keys["FB33"], gateway_rpc)
    registry = credential_city.manifest.contract("EthereumDIDRegistry")

    def nonce(address: str) -> int:
        data = registry.interface.encode_call("nonce", address)
        return int(
            registry.interface.decode_output("nonce", gateway_rpc.call(registry.address, data))
        )

    def relay(signer: LocalAccount, function: str, packed: list[bytes], args: list[Any]) -> None:
        digest = erc1056_digest(
            registry.address, nonce(signer.address), citizen.address, function, *packed
        )
        signature = signer.unsafe_sign_hash(digest)
        relayer.transact(
            to=registry.address,
            data=registry.interface.encode_call(
                f"{function}Signed",
                citizen.address,
                signature.v,
                signature.r.to_bytes(32, "big"),
                signature.s.to_bytes(32, "big"),
                *args,
            ),
            interface=registry.interface,
        )

    relay(citizen, "changeOwner", [bytes.fromhex(new_owner.address[2:])], [new_owner.address])
    relay(
        new_owner,
        "addDelegate",
        [_b32("sigAuth"), bytes.fromhex(delegate.address[2:]), DAY.to_bytes(32, "big")],
        [_b32("sigAuth"), delegate.address, DAY],
    )
    key = bytes.fromhex("03" + "cd" * 32)
    relay(
        new_owner,
        "setAttribute",
        [_b32("did/pub/Secp256k1/veriKey/hex"), key, DAY.to_bytes(32, "big")],
        [_b32("did/pub/Secp256k1/veriKey/hex"), key, DAY],
    )
    did = make_did(citizen.address, credential_city.manifest.chain_id)
    document = _standard(script, gateway_url, credential_city.manifest, [did])["resolutions"][did][
        "didDocument"
    ]
    chain = credential_city.manifest.chain_id
    assert document["verificationMethod"][0]["blockchainAccountId"] == (
        f"eip155:{chain}:{new_owner.address}"
    )
    assert document["authentication"] == [f"{did}#controller", f"{did}#delegate-1"]
    assert document["verificationMethod"][2]["publicKeyHex"] == key.hex()
    _assert_same_document(chain_source.resolver.resolve(did).document, document)


def test_did_jwt_with_the_standard_resolver_accepts_an_issued_credential(
    script: Path,
    gateway_url: str,
    credential_city: CredentialCity,
    gateway_rpc: RpcClient,
    holder: LocalAccount,
) -> None:
    chain = credential_city.manifest.chain_id
    issued = credential_city.issuer(gateway_rpc, "FB33").issue(
        "RESIDENCE_CERT", CredentialRequest(make_did(holder.address, chain), RESIDENCE)
    )
    issuer_did = make_did(credential_city.keys["FB33"].address, chain)
    verification = _standard(script, gateway_url, credential_city.manifest, [], issued.jwt)[
        "verification"
    ]
    assert verification == {
        "verified": True,
        "signer": f"{issuer_did}#controller",
        "issuer": issuer_did,
    }, verification


def test_did_jwt_with_the_standard_resolver_follows_a_key_rotation(
    script: Path,
    gateway_url: str,
    credential_city: CredentialCity,
    gateway_rpc: RpcClient,
    department: tuple[LocalAccount, LocalAccount],
    holder: LocalAccount,
) -> None:
    """After changeOwner the new key's credentials verify and the old key's are refused (the
    standard resolver gives the current document; as-of-issuance checks are ours)."""
    identity, owner = department
    manifest = credential_city.manifest
    holder_did = make_did(holder.address, manifest.chain_id)
    rotated = Issuer(
        rpc=gateway_rpc, manifest=manifest, signing_key=owner, identity=identity.address
    )
    issued = rotated.issue("RESIDENCE_CERT", CredentialRequest(holder_did, RESIDENCE))
    accepted = _standard(script, gateway_url, manifest, [], issued.jwt)["verification"]
    did = make_did(identity.address, manifest.chain_id)
    assert accepted == {"verified": True, "signer": f"{did}#controller", "issuer": did}, accepted

    forged = issue_credential(
        issuer_did=did,
        subject_did=holder_did,
        vc_type="ResidenceCertificate",
        claims=RESIDENCE,
        status=status_entry(
            chain_id=manifest.chain_id,
            registry=manifest.contract("CredentialStatusRegistry").address,
            type_code="RESIDENCE_CERT",
        ),
        private_key=bytes(identity.key),
        valid_until=int(time.time()) + 3600,
    )
    refused = _standard(script, gateway_url, manifest, [], forged)["verification"]
    assert refused["verified"] is False and "signature" in refused["error"].lower(), refused
