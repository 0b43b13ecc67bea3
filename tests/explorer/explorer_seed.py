"""A city history written without the registry API: direct contract calls by the departments'
and council's own keys (test-only keys of the local chain), for the explorer's tests.

Register EXPLORE of FB02: record A (created, amended, version 0 erased), a batch of three
versions (records B, C, D); a FB33 credential suspended, resumed and revoked; a council proposal
canceled; two fee payments by a citizen (relayed by FB33's account).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from registry_core.codes import code_to_bytes32
from registry_core.council import ADD_DEPARTMENT
from registry_core.council.decisions import chain_view
from registry_core.did import make_did
from registry_core.hashing import content_hash, new_salt
from registry_core.issuance import CredentialRequest
from registry_core.keccak import keccak256
from registry_core.merkle import MerkleTree, leaf_hash
from registry_core.payments.signing import FeePaymentOrder, sign_fee_payment, sign_permit
from registry_core.payments.types import fee_schedule_domain, token_domain
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from scripts.demo_registers import allow_register_creators
from tests.payment_fixtures import PaymentCity

REGISTER = "EXPLORE"
LEAF_TYPES = ("bytes32", "bytes32", "uint256", "bytes32", "bytes32", "uint8")
ZERO = b"\0" * 32
RESIDENT = {"givenName": "Erika", "familyName": "Mustermann", "birthDate": "1964-08-12",
            "address": "Heidestraße 17, 51147 Köln"}  # fmt: skip


@dataclass
class Version:
    record_id: bytes
    index: int
    content: dict[str, Any]
    salt: bytes
    previous: bytes
    status: int = 1
    proof: list[bytes] | None = None

    @property
    def hash(self) -> bytes:
        return content_hash(self.content, self.salt)

    def export(self) -> dict[str, Any]:
        """The version as the registry API returns it (what an auditor would paste)."""
        out: dict[str, Any] = {
            "version_index": self.index, "content": self.content, "salt": "0x" + self.salt.hex(),
            "content_hash": "0x" + self.hash.hex(), "previous_hash": "0x" + self.previous.hex(),
            "status": "active", "record_id": "0x" + self.record_id.hex(), "register_id": REGISTER,
        }  # fmt: skip
        if self.proof is not None:
            out["proof"] = ["0x" + p.hex() for p in self.proof]
        return out


@dataclass
class Seeded:
    record_a: list[Version]
    batch: list[Version]
    batch_root: bytes
    credential: bytes
    canceled_proposal: int
    fee_total: int
    fb33_payee: str


def _tx(signer: Signer, contract: Any, function: str, *args: Any) -> dict[str, Any]:
    return signer.transact(
        to=contract.address, data=contract.interface.encode_call(function, *args),
        interface=contract.interface,
    )  # fmt: skip


def seed_history(rpc: RpcClient, payments: PaymentCity) -> Seeded:
    city = payments.city
    manifest, council = city.manifest, city.council
    allow_register_creators(rpc=rpc, manifest=manifest, council=council, codes=["FB02"])
    hub = manifest.contract("RegisterHub")
    fb02 = Signer(city.keys["FB02"], rpc)
    _tx(fb02, hub, "createRegister", code_to_bytes32(REGISTER), "Explorer-Testregister",
        keccak256(b"schema"), code_to_bytes32("FB02"))  # fmt: skip

    record_a = os.urandom(32)
    first = Version(
        record_a, 0, {"business_name": "Bäckerei Korn", "legal_form": "eK"}, new_salt(), ZERO
    )
    _tx(fb02, hub, "createRecord", code_to_bytes32(REGISTER), record_a, first.hash)
    second = Version(record_a, 1, {"business_name": "Bäckerei Korn & Söhne", "legal_form": "GbR"},
                     new_salt(), first.hash)  # fmt: skip
    _tx(fb02, hub, "amendRecord", record_a, second.hash, first.hash)
    _tx(fb02, hub, "eraseVersion", record_a, 0, 1)

    batch = [Version(os.urandom(32), 0, {"parcel": f"P-{i}", "area": 100 + i}, new_salt(), ZERO)
             for i in range(3)]  # fmt: skip
    leaves = [
        leaf_hash(LEAF_TYPES, [code_to_bytes32(REGISTER), v.record_id, 0, v.hash, ZERO, 1])
        for v in batch
    ]
    tree = MerkleTree.of_leaves(leaves)
    for version, leaf in zip(batch, leaves, strict=True):
        version.proof = tree.proof(leaf)
    _tx(fb02, hub, "anchorBatch", code_to_bytes32(REGISTER), tree.root, len(batch))

    issuer = city.issuer(rpc, "FB33")
    holder = make_did(payments.citizens[1].address, manifest.chain_id)
    issued = issuer.issue("RESIDENCE_CERT", CredentialRequest(holder, RESIDENT))
    for action, reason in (("suspend", 6), ("resume", 8), ("revoke", 4)):
        issuer.change_status(
            credential_hash=issued.credential_hash, action=action, reason_code=reason
        )

    councillor = Signer(council[0], rpc)
    target, data = ADD_DEPARTMENT.decide(department="FB99", name="Nie angelegt / never added").call(
        manifest
    )
    council_contract = manifest.contract("CityCouncil")
    receipt = _tx(councillor, council_contract, "propose", target, 0, data, "cancel me")
    created = next(
        e for e in map(council_contract.interface.decode_log, receipt["logs"]) if e is not None
    )
    proposal = int(created.args["proposalId"])
    _tx(councillor, council_contract, "cancel", proposal)

    total = _pay_fees(rpc, payments, count=2)
    return Seeded([first, second], batch, tree.root, issued.credential_hash, proposal, total,
                  city.keys["FB33"].address)  # fmt: skip


def _pay_fees(rpc: RpcClient, payments: PaymentCity, *, count: int) -> int:
    manifest = payments.city.manifest
    token, fees = manifest.contract("CityToken"), manifest.contract("FeeSchedule")
    view = chain_view(rpc, manifest)
    payer: LocalAccount = payments.citizens[0]
    relay = Signer(payments.city.keys["FB33"], rpc)
    service = code_to_bytes32("RESIDENCE_CERT")
    (terms, _version) = view("FeeSchedule", "service", service)
    amount = int(terms[1])
    now = int(rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    for _ in range(count):
        permit = sign_permit(
            key=payer.key, token_domain=token_domain(manifest.chain_id, token.address),
            owner=payer.address, spender=fees.address, value=amount,
            nonce=int(view("CityToken", "nonces", payer.address)), deadline=now + 3_600,
        )  # fmt: skip
        order = FeePaymentOrder(payer.address, service, amount, os.urandom(32), os.urandom(32),
                                now + 3_600)  # fmt: skip
        signed = sign_fee_payment(
            key=payer.key, fee_domain=fee_schedule_domain(manifest.chain_id, fees.address),
            order=order,
        )  # fmt: skip
        _tx(relay, fees, "payFee", order.as_call(), signed.signature, permit.as_call())
    return amount * count
