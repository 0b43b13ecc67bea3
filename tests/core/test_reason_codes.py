"""One reason-code table: the chain accepts exactly its codes, and verifiers name each of them."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from registry_core.codes import code_to_bytes32
from registry_core.did import make_did
from registry_core.errors import RpcError
from registry_core.issuance import CredentialRequest
from registry_core.reason_codes import MAX_REASON_CODE, REASON_CODES, is_reason_code
from registry_core.rpc import RpcClient
from registry_core.verification import AnchorInfo, verify
from tests.core.test_verification_fuzz import DEPARTMENT, JWT, Bundle
from tests.credential_fixtures import CredentialCity

RESIDENCE = {"givenName": "Erika", "familyName": "Mustermann", "birthDate": "1964-08-12",
             "address": "Markt 1, 52062 Aachen"}  # fmt: skip


def test_the_chain_accepts_exactly_the_tables_reason_codes(
    credential_city: CredentialCity, gateway_rpc: RpcClient, holder: LocalAccount
) -> None:
    issuer = credential_city.issuer(gateway_rpc, "FB33")
    issued = issuer.issue(
        "RESIDENCE_CERT", CredentialRequest(make_did(holder.address, 52062), RESIDENCE)
    )
    registry = credential_city.manifest.contract("CredentialStatusRegistry")
    data = registry.interface.encode_call("MAX_REASON_CODE")
    highest = registry.interface.decode_output(
        "MAX_REASON_CODE", gateway_rpc.call(registry.address, data)
    )
    assert int(highest) == MAX_REASON_CODE
    accepted = []
    for code in range(MAX_REASON_CODE + 3):
        call = registry.interface.encode_call("revokeCredential", issued.credential_hash, code)
        sender = credential_city.keys["FB33"].address
        try:
            gateway_rpc.request(
                "eth_call",
                [{"from": sender, "to": registry.address, "data": "0x" + call.hex()}, "latest"],
            )
        except RpcError:
            continue
        accepted.append(code)
    assert accepted == [c for c in range(MAX_REASON_CODE + 3) if is_reason_code(c)], accepted


class _Revoked(Bundle):
    def __init__(self, reason_code: int) -> None:
        self.reason_code = reason_code

    def anchor(self, credential_hash: bytes, envelope: object, department: bytes) -> AnchorInfo:
        genuine = super().anchor(credential_hash, envelope, department)  # type: ignore[arg-type]
        return AnchorInfo(3, DEPARTMENT, code_to_bytes32("RESIDENCE_CERT"), 5, genuine.timestamp,
                          self.reason_code, genuine.timestamp)  # fmt: skip


def test_a_revocation_names_every_reason_of_the_table() -> None:
    for code, reason in REASON_CODES.items():
        status = verify(JWT, _Revoked(code)).check("status")
        assert status.code == "revoked"
        assert f"({reason.name_de})" in status.reason_de, (code, status.reason_de)
        assert f"({reason.name_en})" in status.reason_en, (code, status.reason_en)
