"""RegisterHub: registers, record lifecycle, authorisation, batch anchoring and Merkle proofs."""

from __future__ import annotations

import brownie
import pytest
from brownie.test import given
from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address
from helpers import chain_settings
from hypothesis import assume, example
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from registers_fixtures import (
    ACTIVE,
    AMENDED,
    CLOSED,
    DEPT_LAND,
    DEPT_TRADE,
    ERASED,
    ERASURE_DATA_SUBJECT_REQUEST,
    ERASURE_ENTERED_IN_ERROR,
    REGISTER_PROPERTY,
    REGISTER_TRADE,
    SCHEMA_PROPERTY_V1,
    SCHEMA_TRADE_V1,
    b32,
    council,
    custom_error,
    directory,
    h,
    hub,
    land_clerk,
    plain,
    stranger,
    trade_clerk,
    trade_clerk2,
)

from registry_core.merkle import MerkleTree, leaf_hash

ZERO = b"\0" * 32
MAX_BATCH_LEAVES = 1024
RECORD = h("record:0001")  # record ids carry no meaning; any unique 32 bytes will do


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


# -------------------------------------------------------------------------------------------------
# OpenZeppelin StandardMerkleTree, as the off-chain side builds it
# -------------------------------------------------------------------------------------------------

LEAF_TYPES = ["bytes32", "bytes32", "uint256", "bytes32", "bytes32", "uint8"]


def batch_leaf(register_id: bytes, version: tuple) -> bytes:
    """Leaf of one version: keccak256(bytes.concat(keccak256(abi.encode(registerId, ...version))))."""
    return leaf_hash(LEAF_TYPES, [register_id, *version])


def versions_tree(register_id: bytes, versions: list[tuple]) -> tuple[MerkleTree, list[bytes]]:
    leaves = [batch_leaf(register_id, v) for v in versions]
    return MerkleTree.of_leaves(leaves), leaves


# -------------------------------------------------------------------------------------------------
# Registers
# -------------------------------------------------------------------------------------------------


def test_create_register_by_council(hub, council):
    tx = hub.createRegister(
        REGISTER_PROPERTY,
        "Commercial property register",
        SCHEMA_PROPERTY_V1,
        DEPT_LAND,
        {"from": council},
    )

    assert tx.events["RegisterCreated"] == {
        "registerId": "0x" + REGISTER_PROPERTY.hex(),
        "owningDepartment": "0x" + DEPT_LAND.hex(),
        "name": "Commercial property register",
        "schemaHash": "0x" + SCHEMA_PROPERTY_V1.hex(),
        "account": council,
    }
    assert plain(hub.register(REGISTER_PROPERTY)) == (
        "Commercial property register",
        "0x" + SCHEMA_PROPERTY_V1.hex(),
        "0x" + DEPT_LAND.hex(),
        1,
        tx.block_number,
    )


def test_create_register_by_allowed_department(hub, council, land_clerk):
    tx = hub.setRegisterCreator(DEPT_LAND, True, {"from": council})
    assert tx.events["RegisterCreatorChanged"] == {
        "departmentId": "0x" + DEPT_LAND.hex(),
        "allowed": True,
        "council": council,
    }

    tx = hub.createRegister(
        REGISTER_PROPERTY,
        "Commercial property register",
        SCHEMA_PROPERTY_V1,
        DEPT_LAND,
        {"from": land_clerk},
    )

    assert tx.events["RegisterCreated"]["account"] == land_clerk
    assert hub.register(REGISTER_PROPERTY)[2] == "0x" + DEPT_LAND.hex()


def test_set_register_creator_unchanged_emits_nothing(hub, council):
    tx = hub.setRegisterCreator(DEPT_LAND, False, {"from": council})

    assert "RegisterCreatorChanged" not in tx.events
    assert hub.isRegisterCreator(DEPT_LAND) is False


def test_set_register_creator_by_stranger_reverts(hub, stranger):
    with brownie.reverts(custom_error("RegisterCallerNotCouncil(address)", stranger.address)):
        hub.setRegisterCreator(DEPT_LAND, True, {"from": stranger})


def test_create_register_by_department_not_allowed_reverts(hub, land_clerk):
    with brownie.reverts(custom_error("RegisterCreatorNotAllowed(bytes32)", DEPT_LAND)):
        hub.createRegister(
            REGISTER_PROPERTY, "Property", SCHEMA_PROPERTY_V1, DEPT_LAND, {"from": land_clerk}
        )


def test_create_register_for_other_department_reverts(hub, council, trade_clerk):
    hub.setRegisterCreator(DEPT_TRADE, True, {"from": council})

    with brownie.reverts(
        custom_error(
            "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_PROPERTY, trade_clerk.address
        )
    ):
        hub.createRegister(
            REGISTER_PROPERTY, "Property", SCHEMA_PROPERTY_V1, DEPT_LAND, {"from": trade_clerk}
        )


def test_create_register_by_stranger_reverts(hub, stranger):
    with brownie.reverts(
        custom_error(
            "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_PROPERTY, stranger.address
        )
    ):
        hub.createRegister(
            REGISTER_PROPERTY, "Property", SCHEMA_PROPERTY_V1, DEPT_LAND, {"from": stranger}
        )


def test_create_register_duplicate_reverts(hub, council):
    with brownie.reverts(custom_error("RegisterExists(bytes32)", REGISTER_TRADE)):
        hub.createRegister(
            REGISTER_TRADE, "Trade register", SCHEMA_TRADE_V1, DEPT_TRADE, {"from": council}
        )


def test_create_register_for_unknown_department_reverts(hub, council):
    with brownie.reverts(custom_error("RegisterUnknownDepartment(bytes32)", b32("NOPE"))):
        hub.createRegister(
            REGISTER_PROPERTY, "Property", SCHEMA_PROPERTY_V1, b32("NOPE"), {"from": council}
        )


@pytest.mark.parametrize("name", ["", "x" * 65])
def test_create_register_with_bad_name_reverts(hub, council, name):
    with brownie.reverts(custom_error("RegisterInvalidName(uint256,uint256)", len(name), 64)):
        hub.createRegister(
            REGISTER_PROPERTY, name, SCHEMA_PROPERTY_V1, DEPT_LAND, {"from": council}
        )


def test_update_register_schema(hub, trade_clerk):
    schema_v2 = h("schema:trade-register:v2")

    tx = hub.updateRegisterSchema(REGISTER_TRADE, schema_v2, {"from": trade_clerk})

    assert tx.events["RegisterSchemaUpdated"] == {
        "registerId": "0x" + REGISTER_TRADE.hex(),
        "schemaVersion": 2,
        "schemaHash": "0x" + schema_v2.hex(),
        "account": trade_clerk,
    }
    assert plain(hub.register(REGISTER_TRADE)[1:4]) == (
        "0x" + schema_v2.hex(),
        "0x" + DEPT_TRADE.hex(),
        2,
    )


def test_update_register_schema_by_other_department_reverts(hub, land_clerk):
    with brownie.reverts(
        custom_error(
            "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_TRADE, land_clerk.address
        )
    ):
        hub.updateRegisterSchema(REGISTER_TRADE, h("schema:v2"), {"from": land_clerk})


def test_unknown_register_reverts(hub, trade_clerk):
    with brownie.reverts(custom_error("RegisterUnknownRegister(bytes32)", REGISTER_PROPERTY)):
        hub.createRecord(REGISTER_PROPERTY, RECORD, h("v0"), {"from": trade_clerk})


# -------------------------------------------------------------------------------------------------
# Record lifecycle
# -------------------------------------------------------------------------------------------------


def test_create_record(hub, trade_clerk):
    tx = hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})

    assert tx.return_value == 0
    assert tx.events["RecordVersionAnchored"] == {
        "registerId": "0x" + REGISTER_TRADE.hex(),
        "recordId": "0x" + RECORD.hex(),
        "versionIndex": 0,
        "contentHash": "0x" + h("v0").hex(),
        "previousHash": "0x" + ZERO.hex(),
        "status": ACTIVE,
        "signer": trade_clerk,
    }
    assert hub.versionCount(RECORD) == 1
    assert hub.registerOf(RECORD) == "0x" + REGISTER_TRADE.hex()
    assert plain(hub.latestVersion(RECORD)) == (
        0,
        ("0x" + h("v0").hex(), "0x" + ZERO.hex(), ACTIVE, tx.block_number, trade_clerk, 0),
    )
    assert plain(hub.anchorOf(h("v0"))) == (True, "0x" + RECORD.hex(), 0)


def test_amend_record(hub, trade_clerk, trade_clerk2):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})

    tx = hub.amendRecord(RECORD, h("v1"), h("v0"), {"from": trade_clerk2})

    assert tx.return_value == 1
    assert tx.events["RecordVersionAnchored"] == {
        "registerId": "0x" + REGISTER_TRADE.hex(),
        "recordId": "0x" + RECORD.hex(),
        "versionIndex": 1,
        "contentHash": "0x" + h("v1").hex(),
        "previousHash": "0x" + h("v0").hex(),
        "status": ACTIVE,
        "signer": trade_clerk2,
    }
    assert hub.version(RECORD, 0)[2] == AMENDED
    assert plain(hub.version(RECORD, 1)) == (
        "0x" + h("v1").hex(),
        "0x" + h("v0").hex(),
        ACTIVE,
        tx.block_number,
        trade_clerk2,
        0,
    )
    assert plain(hub.anchorOf(h("v1"))) == (True, "0x" + RECORD.hex(), 1)


def test_amend_with_stale_previous_hash_reverts(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})
    hub.amendRecord(RECORD, h("v1"), h("v0"), {"from": trade_clerk})

    with brownie.reverts(
        custom_error("RegisterStaleVersion(bytes32,bytes32,bytes32)", RECORD, h("v0"), h("v1"))
    ):
        hub.amendRecord(RECORD, h("v1-lost-race"), h("v0"), {"from": trade_clerk})


def test_close_record(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})

    tx = hub.closeRecord(RECORD, h("closing"), h("v0"), {"from": trade_clerk})

    assert tx.events["RecordVersionAnchored"]["status"] == CLOSED
    assert tx.events["RecordVersionAnchored"]["versionIndex"] == 1
    assert tx.events["RecordVersionAnchored"]["previousHash"] == "0x" + h("v0").hex()
    assert hub.version(RECORD, 0)[2] == AMENDED
    assert hub.latestVersion(RECORD)[1][2] == CLOSED


def test_amend_after_close_reverts(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})
    hub.closeRecord(RECORD, h("closing"), h("v0"), {"from": trade_clerk})

    with brownie.reverts(custom_error("RegisterRecordNotActive(bytes32,uint8)", RECORD, CLOSED)):
        hub.amendRecord(RECORD, h("v2"), h("closing"), {"from": trade_clerk})


def test_close_twice_reverts(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})
    hub.closeRecord(RECORD, h("closing"), h("v0"), {"from": trade_clerk})

    with brownie.reverts(custom_error("RegisterRecordNotActive(bytes32,uint8)", RECORD, CLOSED)):
        hub.closeRecord(RECORD, h("closing-again"), h("closing"), {"from": trade_clerk})


def test_erase_version(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})
    hub.amendRecord(RECORD, h("v1"), h("v0"), {"from": trade_clerk})

    tx = hub.eraseVersion(RECORD, 0, ERASURE_DATA_SUBJECT_REQUEST, {"from": trade_clerk})

    assert tx.events["VersionErased"] == {
        "registerId": "0x" + REGISTER_TRADE.hex(),
        "recordId": "0x" + RECORD.hex(),
        "versionIndex": 0,
        "reasonCode": ERASURE_DATA_SUBJECT_REQUEST,
        "signer": trade_clerk,
    }
    erased = hub.version(RECORD, 0)
    assert (erased[2], erased[5]) == (ERASED, ERASURE_DATA_SUBJECT_REQUEST)
    assert hub.latestVersion(RECORD)[1][2] == ACTIVE  # the later version is untouched


def test_erase_closed_record_version(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})
    hub.closeRecord(RECORD, h("closing"), h("v0"), {"from": trade_clerk})

    hub.eraseVersion(RECORD, 1, ERASURE_ENTERED_IN_ERROR, {"from": trade_clerk})

    assert hub.version(RECORD, 1)[2] == ERASED


def test_amend_after_latest_erased_reverts(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})
    hub.eraseVersion(RECORD, 0, ERASURE_DATA_SUBJECT_REQUEST, {"from": trade_clerk})

    with brownie.reverts(custom_error("RegisterRecordNotActive(bytes32,uint8)", RECORD, ERASED)):
        hub.amendRecord(RECORD, h("v1"), h("v0"), {"from": trade_clerk})


def test_erase_twice_reverts(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})
    hub.eraseVersion(RECORD, 0, ERASURE_DATA_SUBJECT_REQUEST, {"from": trade_clerk})

    with brownie.reverts(custom_error("RegisterVersionErased(bytes32,uint256)", RECORD, 0)):
        hub.eraseVersion(RECORD, 0, ERASURE_DATA_SUBJECT_REQUEST, {"from": trade_clerk})


@pytest.mark.parametrize("reason", [0, 6, 255])
def test_erase_with_unknown_reason_reverts(hub, trade_clerk, reason):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})

    with brownie.reverts(custom_error("RegisterInvalidReasonCode(uint8)", reason)):
        hub.eraseVersion(RECORD, 0, reason, {"from": trade_clerk})


def test_erase_unknown_version_reverts(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})

    with brownie.reverts(
        custom_error("RegisterUnknownVersion(bytes32,uint256,uint256)", RECORD, 1, 1)
    ):
        hub.eraseVersion(RECORD, 1, ERASURE_DATA_SUBJECT_REQUEST, {"from": trade_clerk})


def test_create_duplicate_record_reverts(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})

    with brownie.reverts(custom_error("RegisterRecordExists(bytes32)", RECORD)):
        hub.createRecord(REGISTER_TRADE, RECORD, h("other"), {"from": trade_clerk})


def test_reused_content_hash_reverts(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})

    with brownie.reverts(
        custom_error("RegisterContentAnchored(bytes32,bytes32,uint256)", h("v0"), RECORD, 0)
    ):
        hub.createRecord(REGISTER_TRADE, h("record:0002"), h("v0"), {"from": trade_clerk})


def test_zero_ids_and_hashes_revert(hub, trade_clerk):
    with brownie.reverts(custom_error("RegisterInvalidRecordId(bytes32)", ZERO)):
        hub.createRecord(REGISTER_TRADE, ZERO, h("v0"), {"from": trade_clerk})
    with brownie.reverts(custom_error("RegisterInvalidContentHash(bytes32)", ZERO)):
        hub.createRecord(REGISTER_TRADE, RECORD, ZERO, {"from": trade_clerk})


def test_unknown_record_views(hub):
    assert hub.versionCount(RECORD) == 0
    assert plain(hub.anchorOf(h("v0"))) == (False, "0x" + ZERO.hex(), 0)
    with brownie.reverts(custom_error("RegisterUnknownRecord(bytes32)", RECORD)):
        hub.latestVersion(RECORD)
    with brownie.reverts(
        custom_error("RegisterUnknownVersion(bytes32,uint256,uint256)", RECORD, 0, 0)
    ):
        hub.version(RECORD, 0)


# -------------------------------------------------------------------------------------------------
# Authorisation: another department's account, a suspended department, a stranger
# -------------------------------------------------------------------------------------------------

# Each write, given a prepared record (RECORD with version 0 = h("v0")).
WRITES = {
    "createRecord": lambda hub, sender: hub.createRecord(
        REGISTER_TRADE, h("record:new"), h("new"), {"from": sender}
    ),
    "amendRecord": lambda hub, sender: hub.amendRecord(RECORD, h("v1"), h("v0"), {"from": sender}),
    "closeRecord": lambda hub, sender: hub.closeRecord(
        RECORD, h("closing"), h("v0"), {"from": sender}
    ),
    "eraseVersion": lambda hub, sender: hub.eraseVersion(
        RECORD, 0, ERASURE_DATA_SUBJECT_REQUEST, {"from": sender}
    ),
    "anchorBatch": lambda hub, sender: hub.anchorBatch(
        REGISTER_TRADE, h("root"), 2, {"from": sender}
    ),
    "updateRegisterSchema": lambda hub, sender: hub.updateRegisterSchema(
        REGISTER_TRADE, h("s2"), {"from": sender}
    ),
}


@pytest.fixture
def prepared(hub, trade_clerk):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})
    return hub


@pytest.mark.parametrize("write", WRITES)
def test_write_by_other_department_reverts(prepared, land_clerk, write):
    with brownie.reverts(
        custom_error(
            "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_TRADE, land_clerk.address
        )
    ):
        WRITES[write](prepared, land_clerk)


@pytest.mark.parametrize("write", WRITES)
def test_write_by_suspended_department_reverts(prepared, directory, council, trade_clerk, write):
    directory.suspendDepartment(DEPT_TRADE, {"from": council})

    with brownie.reverts(custom_error("RegisterDepartmentSuspended(bytes32)", DEPT_TRADE)):
        WRITES[write](prepared, trade_clerk)


@pytest.mark.parametrize("write", WRITES)
def test_write_by_stranger_reverts(prepared, stranger, write):
    with brownie.reverts(
        custom_error(
            "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_TRADE, stranger.address
        )
    ):
        WRITES[write](prepared, stranger)


@pytest.mark.parametrize("write", WRITES)
def test_write_by_council_reverts(prepared, council, write):
    """The council governs registers but does not write records: that is the department's job."""
    with brownie.reverts(
        custom_error(
            "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_TRADE, council.address
        )
    ):
        WRITES[write](prepared, council)


def test_write_by_removed_account_reverts(prepared, directory, council, trade_clerk):
    directory.removeAccount(DEPT_TRADE, trade_clerk, {"from": council})

    with brownie.reverts(
        custom_error(
            "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_TRADE, trade_clerk.address
        )
    ):
        prepared.amendRecord(RECORD, h("v1"), h("v0"), {"from": trade_clerk})


def test_reactivated_department_writes_again(prepared, directory, council, trade_clerk):
    directory.suspendDepartment(DEPT_TRADE, {"from": council})
    directory.reactivateDepartment(DEPT_TRADE, {"from": council})

    tx = prepared.amendRecord(RECORD, h("v1"), h("v0"), {"from": trade_clerk})

    assert tx.events["RecordVersionAnchored"]["versionIndex"] == 1


def test_create_register_for_suspended_department_reverts(hub, directory, council):
    directory.suspendDepartment(DEPT_LAND, {"from": council})

    with brownie.reverts(custom_error("RegisterDepartmentSuspended(bytes32)", DEPT_LAND)):
        hub.createRegister(
            REGISTER_PROPERTY, "Property", SCHEMA_PROPERTY_V1, DEPT_LAND, {"from": council}
        )


def test_council_is_read_from_directory(RegisterHub, DepartmentDirectory, council, stranger):
    """The hub's council is its directory's council, not the account that deployed the hub.

    The directory's council is fixed at deployment, so a second directory stands in for a change.
    """
    other_directory = DepartmentDirectory.deploy(stranger, {"from": council})
    other_hub = RegisterHub.deploy(other_directory, {"from": council})

    assert other_hub.council() == stranger
    with brownie.reverts(custom_error("RegisterCallerNotCouncil(address)", council.address)):
        other_hub.setRegisterCreator(DEPT_LAND, True, {"from": council})


# -------------------------------------------------------------------------------------------------
# Batch anchoring
# -------------------------------------------------------------------------------------------------


def sample_versions(count: int) -> list[tuple]:
    """`count` first versions of fresh records: (recordId, versionIndex, contentHash, previousHash, status)."""
    return [(h(f"record:{i}"), 0, h(f"content:{i}"), ZERO, ACTIVE) for i in range(count)]


def test_anchor_batch(hub, trade_clerk):
    tree, _ = versions_tree(REGISTER_TRADE, sample_versions(3))

    tx = hub.anchorBatch(REGISTER_TRADE, tree.root, 3, {"from": trade_clerk})

    assert tx.events["BatchAnchored"] == {
        "registerId": "0x" + REGISTER_TRADE.hex(),
        "merkleRoot": "0x" + tree.root.hex(),
        "leafCount": 3,
        "signer": trade_clerk,
    }
    assert plain(hub.isBatchAnchored(tree.root)) == (
        True,
        "0x" + REGISTER_TRADE.hex(),
        tx.block_number,
        trade_clerk,
        3,
    )


@pytest.mark.parametrize("leaf_count", [0, MAX_BATCH_LEAVES + 1, 2**256 - 1])
def test_anchor_batch_leaf_count_out_of_bounds_reverts(hub, trade_clerk, leaf_count):
    with brownie.reverts(
        custom_error("RegisterInvalidLeafCount(uint256,uint256)", leaf_count, MAX_BATCH_LEAVES)
    ):
        hub.anchorBatch(REGISTER_TRADE, h("root"), leaf_count, {"from": trade_clerk})


def test_anchor_batch_max_leaves(hub, trade_clerk):
    versions = sample_versions(MAX_BATCH_LEAVES)
    tree, leaves = versions_tree(REGISTER_TRADE, versions)

    hub.anchorBatch(REGISTER_TRADE, tree.root, MAX_BATCH_LEAVES, {"from": trade_clerk})

    for i in (0, 511, MAX_BATCH_LEAVES - 1):
        assert len(tree.proof(leaves[i])) == 10
        assert hub.verifyRecordVersion(
            REGISTER_TRADE, tree.root, tree.proof(leaves[i]), versions[i]
        )


def test_anchor_batch_twice_reverts(hub, trade_clerk):
    hub.anchorBatch(REGISTER_TRADE, h("root"), 2, {"from": trade_clerk})

    with brownie.reverts(custom_error("RegisterBatchExists(bytes32)", h("root"))):
        hub.anchorBatch(REGISTER_TRADE, h("root"), 2, {"from": trade_clerk})


def test_anchor_batch_zero_root_reverts(hub, trade_clerk):
    with brownie.reverts(custom_error("RegisterInvalidBatchRoot(bytes32)", ZERO)):
        hub.anchorBatch(REGISTER_TRADE, ZERO, 1, {"from": trade_clerk})


def test_batch_leaf_matches_off_chain_encoding(hub):
    version = (RECORD, 7, h("content"), h("previous"), CLOSED)

    assert (
        hub.batchLeaf(REGISTER_TRADE, version) == "0x" + batch_leaf(REGISTER_TRADE, version).hex()
    )


def test_verify_record_version_in_other_register_fails(hub, council, trade_clerk):
    hub.createRegister(
        REGISTER_PROPERTY, "Property", SCHEMA_PROPERTY_V1, DEPT_LAND, {"from": council}
    )
    versions = sample_versions(4)
    tree, leaves = versions_tree(REGISTER_TRADE, versions)
    hub.anchorBatch(REGISTER_TRADE, tree.root, 4, {"from": trade_clerk})

    assert hub.verifyRecordVersion(REGISTER_TRADE, tree.root, tree.proof(leaves[0]), versions[0])
    assert not hub.verifyRecordVersion(
        REGISTER_PROPERTY, tree.root, tree.proof(leaves[0]), versions[0]
    )


def test_verify_unanchored_root_fails(hub):
    versions = sample_versions(2)
    tree, leaves = versions_tree(REGISTER_TRADE, versions)

    assert not hub.verifyBatchLeaf(tree.root, tree.proof(leaves[0]), leaves[0])
    assert not hub.verifyRecordVersion(
        REGISTER_TRADE, tree.root, tree.proof(leaves[0]), versions[0]
    )


def test_proof_longer_than_declared_tree_fails(hub, trade_clerk):
    """A root declared for 2 leaves cannot prove a leaf at depth 2 (a tree of 3-4 leaves)."""
    versions = sample_versions(4)
    tree, leaves = versions_tree(REGISTER_TRADE, versions)
    hub.anchorBatch(REGISTER_TRADE, tree.root, 2, {"from": trade_clerk})

    assert not hub.verifyBatchLeaf(tree.root, tree.proof(leaves[0]), leaves[0])


def test_erase_batch_version(hub, trade_clerk):
    versions = sample_versions(5)
    tree, leaves = versions_tree(REGISTER_TRADE, versions)
    hub.anchorBatch(REGISTER_TRADE, tree.root, 5, {"from": trade_clerk})

    tx = hub.eraseBatchVersion(
        tree.root,
        tree.proof(leaves[2]),
        versions[2],
        ERASURE_DATA_SUBJECT_REQUEST,
        {"from": trade_clerk},
    )

    assert tx.events["BatchVersionErased"] == {
        "merkleRoot": "0x" + tree.root.hex(),
        "recordId": "0x" + versions[2][0].hex(),
        "versionIndex": 0,
        "leaf": "0x" + leaves[2].hex(),
        "reasonCode": ERASURE_DATA_SUBJECT_REQUEST,
        "signer": trade_clerk,
    }
    assert hub.batchLeafErasure(tree.root, leaves[2]) == ERASURE_DATA_SUBJECT_REQUEST
    assert not hub.verifyRecordVersion(
        REGISTER_TRADE, tree.root, tree.proof(leaves[2]), versions[2]
    )
    assert hub.verifyRecordVersion(REGISTER_TRADE, tree.root, tree.proof(leaves[3]), versions[3])


def test_erase_batch_version_twice_reverts(hub, trade_clerk):
    versions = sample_versions(2)
    tree, leaves = versions_tree(REGISTER_TRADE, versions)
    hub.anchorBatch(REGISTER_TRADE, tree.root, 2, {"from": trade_clerk})
    hub.eraseBatchVersion(
        tree.root,
        tree.proof(leaves[0]),
        versions[0],
        ERASURE_DATA_SUBJECT_REQUEST,
        {"from": trade_clerk},
    )

    with brownie.reverts(
        custom_error("RegisterBatchLeafErased(bytes32,bytes32)", tree.root, leaves[0])
    ):
        hub.eraseBatchVersion(
            tree.root,
            tree.proof(leaves[0]),
            versions[0],
            ERASURE_DATA_SUBJECT_REQUEST,
            {"from": trade_clerk},
        )


def test_erase_batch_version_with_wrong_proof_reverts(hub, trade_clerk):
    versions = sample_versions(4)
    tree, leaves = versions_tree(REGISTER_TRADE, versions)
    hub.anchorBatch(REGISTER_TRADE, tree.root, 4, {"from": trade_clerk})

    with brownie.reverts(
        custom_error("RegisterInvalidProof(bytes32,bytes32)", tree.root, leaves[0])
    ):
        hub.eraseBatchVersion(
            tree.root,
            tree.proof(leaves[1]),
            versions[0],
            ERASURE_DATA_SUBJECT_REQUEST,
            {"from": trade_clerk},
        )


def test_erase_batch_version_by_other_department_reverts(hub, trade_clerk, land_clerk):
    versions = sample_versions(2)
    tree, leaves = versions_tree(REGISTER_TRADE, versions)
    hub.anchorBatch(REGISTER_TRADE, tree.root, 2, {"from": trade_clerk})

    with brownie.reverts(
        custom_error(
            "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_TRADE, land_clerk.address
        )
    ):
        hub.eraseBatchVersion(
            tree.root,
            tree.proof(leaves[0]),
            versions[0],
            ERASURE_DATA_SUBJECT_REQUEST,
            {"from": land_clerk},
        )


def test_erase_version_in_unknown_batch_reverts(hub, trade_clerk):
    with brownie.reverts(custom_error("RegisterUnknownBatch(bytes32)", h("root"))):
        hub.eraseBatchVersion(
            h("root"),
            [],
            sample_versions(1)[0],
            ERASURE_DATA_SUBJECT_REQUEST,
            {"from": trade_clerk},
        )


# -------------------------------------------------------------------------------------------------
# Several writes in one transaction: tryEach
# -------------------------------------------------------------------------------------------------

MAX_CALLS = 256
BLOCK_GAS_LIMIT = 30_000_000  # city-anvil's (brownie sends every transaction with all of it)


def error_data(signature: str, *args: object) -> str:
    """The revert data of custom error ``signature`` with ``args``, selector followed by the
    ABI-encoded arguments, as ``BatchedCallFailed.revertData`` carries it (hex)."""
    custom_error(signature, *args)  # asserts that brownie knows the error (it is in an ABI)
    types = [t for t in signature[signature.index("(") + 1 : -1].split(",") if t]
    return "0x" + (keccak(text=signature)[:4] + encode(types, list(args))).hex()


BATCHED_CALL_FAILED = keccak(text="BatchedCallFailed(uint256,bytes,address)")


def failed_calls(tx) -> list[tuple[int, str, str]]:
    """(index, revertData as hex, signer) of each BatchedCallFailed of ``tx``, in order.

    Decoded from the raw logs: brownie decodes an empty ``bytes`` field as 0x00, which would hide
    the difference between no revert data and a zero byte.
    """
    failures = []
    for log in tx.logs:
        if bytes(log["topics"][0]) != BATCHED_CALL_FAILED:
            continue
        assert log["address"] == tx.receiver, "BatchedCallFailed of another contract"
        index, revert_data = decode(["uint256", "bytes"], bytes(log["data"]))
        signer = to_checksum_address(bytes(log["topics"][1])[12:])
        failures.append((index, "0x" + revert_data.hex(), signer))
    return failures


def anchored_events(tx) -> list[dict]:
    """The RecordVersionAnchored events of ``tx``, in order, as plain dicts."""
    if "RecordVersionAnchored" not in tx.events:
        return []
    return [dict(event) for event in tx.events["RecordVersionAnchored"]]


def anchored(record_id, version_index, content, previous, status, signer) -> dict:
    """A RecordVersionAnchored event of the trade register, as ``anchored_events`` lists it."""
    return {
        "registerId": "0x" + REGISTER_TRADE.hex(),
        "recordId": "0x" + record_id.hex(),
        "versionIndex": version_index,
        "contentHash": "0x" + content.hex(),
        "previousHash": "0x" + previous.hex(),
        "status": status,
        "signer": signer.address,
    }


def create_call(hub, record_id: bytes, content: bytes, register_id: bytes = REGISTER_TRADE):
    """The calldata of ``createRecord(register_id, record_id, content)``."""
    return hub.createRecord.encode_input(register_id, record_id, content)


def assert_not_anchored(hub, record_id: bytes, content: bytes) -> None:
    """Neither ``record_id`` nor ``content`` is singly anchored."""
    assert hub.versionCount(record_id) == 0
    assert hub.registerOf(record_id) == "0x" + ZERO.hex()
    assert plain(hub.anchorOf(content)) == (False, "0x" + ZERO.hex(), 0)


def hub_versions(hub, record_id: bytes) -> list[tuple[bytes, int, int]]:
    """(contentHash, status, erasureReason) of each singly anchored version of ``record_id``."""
    return [
        (bytes(version[0]), version[2], version[5])
        for version in (hub.version(record_id, i) for i in range(hub.versionCount(record_id)))
    ]


def test_try_each_runs_every_call_in_order(hub, trade_clerk):
    """Create, amend, close and erase in one transaction; each call sees the ones before it, and
    the records end as if the calls had been sent one by one."""
    record_a, record_b = h("record:a"), h("record:b")
    calls = [
        create_call(hub, record_a, h("a0")),
        hub.amendRecord.encode_input(record_a, h("a1"), h("a0")),
        create_call(hub, record_b, h("b0")),
        hub.closeRecord.encode_input(record_b, h("b-closing"), h("b0")),
        hub.eraseVersion.encode_input(record_a, 0, ERASURE_DATA_SUBJECT_REQUEST),
    ]

    tx = hub.tryEach(calls, {"from": trade_clerk})

    assert failed_calls(tx) == []
    assert [event.name for event in tx.events] == ["RecordVersionAnchored"] * 4 + ["VersionErased"]
    assert anchored_events(tx) == [
        anchored(record_a, 0, h("a0"), ZERO, ACTIVE, trade_clerk),
        anchored(record_a, 1, h("a1"), h("a0"), ACTIVE, trade_clerk),
        anchored(record_b, 0, h("b0"), ZERO, ACTIVE, trade_clerk),
        anchored(record_b, 1, h("b-closing"), h("b0"), CLOSED, trade_clerk),
    ]
    assert tx.events["VersionErased"] == {
        "registerId": "0x" + REGISTER_TRADE.hex(),
        "recordId": "0x" + record_a.hex(),
        "versionIndex": 0,
        "reasonCode": ERASURE_DATA_SUBJECT_REQUEST,
        "signer": trade_clerk,
    }
    expected = {  # recordId -> [(contentHash, previousHash, status, erasureReason), ...]
        record_a: [
            (h("a0"), ZERO, ERASED, ERASURE_DATA_SUBJECT_REQUEST),
            (h("a1"), h("a0"), ACTIVE, 0),
        ],
        record_b: [(h("b0"), ZERO, AMENDED, 0), (h("b-closing"), h("b0"), CLOSED, 0)],
    }
    for record_id, versions in expected.items():
        assert hub.registerOf(record_id) == "0x" + REGISTER_TRADE.hex()
        assert hub.versionCount(record_id) == len(versions)
        for index, (content, previous, status, reason) in enumerate(versions):
            assert plain(hub.version(record_id, index)) == (
                "0x" + content.hex(),
                "0x" + previous.hex(),
                status,
                tx.block_number,
                trade_clerk,
                reason,
            ), f"version {index} of {record_id.hex()}"
            assert plain(hub.anchorOf(content)) == (True, "0x" + record_id.hex(), index)


# A call that fails in the middle of [amend RECORD to v1, <it>, create record:after], given the
# prepared RECORD (v0): its calldata, its exact error, and the record id and content hash it names.
FAILING_CALLS = {
    "stale amend": (
        lambda hub: hub.amendRecord.encode_input(RECORD, h("v1-lost-race"), h("v0")),
        ("RegisterStaleVersion(bytes32,bytes32,bytes32)", RECORD, h("v0"), h("v1")),
        RECORD,
        h("v1-lost-race"),
    ),
    "unknown record": (
        lambda hub: hub.amendRecord.encode_input(h("record:unknown"), h("unknown"), h("v0")),
        ("RegisterUnknownRecord(bytes32)", h("record:unknown")),
        h("record:unknown"),
        h("unknown"),
    ),
    "duplicate record id": (
        lambda hub: create_call(hub, RECORD, h("duplicate")),
        ("RegisterRecordExists(bytes32)", RECORD),
        RECORD,
        h("duplicate"),
    ),
    "content anchored by the call before": (
        lambda hub: create_call(hub, h("record:reuse"), h("v1")),
        ("RegisterContentAnchored(bytes32,bytes32,uint256)", h("v1"), RECORD, 1),
        h("record:reuse"),
        h("v1"),
    ),
    "unknown version": (
        lambda hub: hub.eraseVersion.encode_input(RECORD, 2, ERASURE_DATA_SUBJECT_REQUEST),
        ("RegisterUnknownVersion(bytes32,uint256,uint256)", RECORD, 2, 2),
        RECORD,
        None,
    ),
}


@pytest.mark.parametrize("failing", FAILING_CALLS)
def test_try_each_failing_call_is_reported_and_undone(prepared, trade_clerk, failing):
    """The failing call is reported with its index and exact error; the calls around it stand."""
    calldata, error, record_id, content = FAILING_CALLS[failing]
    calls = [
        prepared.amendRecord.encode_input(RECORD, h("v1"), h("v0")),
        calldata(prepared),
        create_call(prepared, h("record:after"), h("after")),
    ]

    tx = prepared.tryEach(calls, {"from": trade_clerk})

    assert failed_calls(tx) == [(1, error_data(*error), trade_clerk.address)]
    assert [event.name for event in tx.events] == [
        "RecordVersionAnchored",
        "BatchedCallFailed",
        "RecordVersionAnchored",
    ]
    assert anchored_events(tx) == [
        anchored(RECORD, 1, h("v1"), h("v0"), ACTIVE, trade_clerk),
        anchored(h("record:after"), 0, h("after"), ZERO, ACTIVE, trade_clerk),
    ]
    # The failing call left no trace: RECORD is exactly v0 amended by v1, nothing else is new.
    assert hub_versions(prepared, RECORD) == [(h("v0"), AMENDED, 0), (h("v1"), ACTIVE, 0)]
    assert hub_versions(prepared, h("record:after")) == [(h("after"), ACTIVE, 0)]
    if record_id != RECORD:
        assert prepared.versionCount(record_id) == 0
        assert prepared.registerOf(record_id) == "0x" + ZERO.hex()
    if content not in (None, h("v1")):
        assert plain(prepared.anchorOf(content)) == (False, "0x" + ZERO.hex(), 0)
    assert plain(prepared.anchorOf(h("v1"))) == (True, "0x" + RECORD.hex(), 1)


def test_try_each_reports_a_call_of_no_hub_function(prepared, trade_clerk):
    """The hub has no fallback: unknown calldata fails without revert data."""
    calls = ["0xdeadbeef", create_call(prepared, h("record:after"), h("after"))]

    tx = prepared.tryEach(calls, {"from": trade_clerk})

    assert failed_calls(tx) == [(0, "0x", trade_clerk.address)]
    assert prepared.versionCount(h("record:after")) == 1


@pytest.mark.parametrize("caller", ["land_clerk", "stranger", "council"])
def test_try_each_by_account_of_no_writing_department_fails_every_call(prepared, request, caller):
    """Each call is authorised as the tryEach caller's own: the hub lends it no authority."""
    account = request.getfixturevalue(caller)
    calls = [create_call(prepared, h(f"record:{i}"), h(f"content:{i}")) for i in range(3)]

    tx = prepared.tryEach(calls, {"from": account})

    unauthorized = error_data(
        "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_TRADE, account.address
    )
    assert failed_calls(tx) == [(i, unauthorized, account.address) for i in range(3)]
    assert anchored_events(tx) == []
    for i in range(3):
        assert_not_anchored(prepared, h(f"record:{i}"), h(f"content:{i}"))


def test_try_each_by_suspended_department_fails_every_call(
    prepared, directory, council, trade_clerk
):
    directory.suspendDepartment(DEPT_TRADE, {"from": council})
    calls = [
        create_call(prepared, h("record:new"), h("new")),
        prepared.amendRecord.encode_input(RECORD, h("v1"), h("v0")),
        prepared.eraseVersion.encode_input(RECORD, 0, ERASURE_DATA_SUBJECT_REQUEST),
    ]

    tx = prepared.tryEach(calls, {"from": trade_clerk})

    suspended = error_data("RegisterDepartmentSuspended(bytes32)", DEPT_TRADE)
    assert failed_calls(tx) == [(i, suspended, trade_clerk.address) for i in range(3)]
    assert [event.name for event in tx.events] == ["BatchedCallFailed"] * 3
    assert_not_anchored(prepared, h("record:new"), h("new"))
    assert hub_versions(prepared, RECORD) == [(h("v0"), ACTIVE, 0)]


def test_try_each_checks_each_call_against_its_own_register(prepared, council, land_clerk):
    """A land clerk's tryEach writes the land office's register and fails on the trade one's."""
    prepared.createRegister(
        REGISTER_PROPERTY, "Property", SCHEMA_PROPERTY_V1, DEPT_LAND, {"from": council}
    )
    calls = [
        create_call(prepared, h("record:land"), h("land"), REGISTER_PROPERTY),
        create_call(prepared, h("record:trade"), h("trade")),
        prepared.amendRecord.encode_input(RECORD, h("v1"), h("v0")),
    ]

    tx = prepared.tryEach(calls, {"from": land_clerk})

    unauthorized = error_data(
        "RegisterUnauthorizedAccount(bytes32,address)", REGISTER_TRADE, land_clerk.address
    )
    assert failed_calls(tx) == [
        (1, unauthorized, land_clerk.address),
        (2, unauthorized, land_clerk.address),
    ]
    assert tx.events["RecordVersionAnchored"]["registerId"] == "0x" + REGISTER_PROPERTY.hex()
    assert tx.events["RecordVersionAnchored"]["signer"] == land_clerk
    assert prepared.registerOf(h("record:land")) == "0x" + REGISTER_PROPERTY.hex()
    assert_not_anchored(prepared, h("record:trade"), h("trade"))
    assert hub_versions(prepared, RECORD) == [(h("v0"), ACTIVE, 0)]


def test_try_each_council_calls_keep_the_council_as_caller(hub, council, stranger):
    """The council's own calls work through tryEach (msg.sender is kept), a stranger's do not."""
    tx = hub.tryEach([hub.setRegisterCreator.encode_input(DEPT_LAND, True)], {"from": stranger})

    assert failed_calls(tx) == [
        (0, error_data("RegisterCallerNotCouncil(address)", stranger.address), stranger.address)
    ]
    assert hub.isRegisterCreator(DEPT_LAND) is False

    tx = hub.tryEach(
        [
            hub.setRegisterCreator.encode_input(DEPT_LAND, True),
            hub.createRegister.encode_input(
                REGISTER_PROPERTY, "Property", SCHEMA_PROPERTY_V1, DEPT_LAND
            ),
        ],
        {"from": council},
    )

    assert failed_calls(tx) == []
    assert tx.events["RegisterCreatorChanged"]["council"] == council
    assert tx.events["RegisterCreated"]["account"] == council
    assert hub.isRegisterCreator(DEPT_LAND) is True
    assert hub.register(REGISTER_PROPERTY)[2] == "0x" + DEPT_LAND.hex()


@pytest.mark.parametrize("count", [0, MAX_CALLS + 1])
def test_try_each_call_count_out_of_bounds_reverts(hub, trade_clerk, count):
    calls = [create_call(hub, h(f"record:{i}"), h(f"content:{i}")) for i in range(count)]

    with brownie.reverts(
        custom_error("RegisterInvalidCallCount(uint256,uint256)", count, MAX_CALLS)
    ):
        hub.tryEach(calls, {"from": trade_clerk})

    assert hub.MAX_CALLS() == MAX_CALLS
    assert hub.versionCount(h("record:0")) == 0


def test_try_each_max_calls(prepared, trade_clerk):
    """MAX_CALLS calls run, the last one included.

    MAX_CALLS createRecords do not fit in a block (about 122k gas each in a tryEach: 245 fit in
    30M gas), so all but the first and last calls here are cheap views.
    """
    calls = [
        create_call(prepared, h("record:first"), h("first")),
        *[prepared.versionCount.encode_input(RECORD)] * (MAX_CALLS - 2),
        create_call(prepared, RECORD, h("duplicate")),
    ]

    tx = prepared.tryEach(calls, {"from": trade_clerk})

    assert failed_calls(tx) == [
        (MAX_CALLS - 1, error_data("RegisterRecordExists(bytes32)", RECORD), trade_clerk.address)
    ]
    assert anchored_events(tx) == [
        anchored(h("record:first"), 0, h("first"), ZERO, ACTIVE, trade_clerk)
    ]
    assert tx.gas_used < BLOCK_GAS_LIMIT


def test_try_each_max_calls_all_failing(prepared, trade_clerk):
    """MAX_CALLS failing calls: each one reported, with its own index, in order."""
    calls = [create_call(prepared, RECORD, h(f"duplicate:{i}")) for i in range(MAX_CALLS)]

    tx = prepared.tryEach(calls, {"from": trade_clerk})

    exists = error_data("RegisterRecordExists(bytes32)", RECORD)
    assert failed_calls(tx) == [(i, exists, trade_clerk.address) for i in range(MAX_CALLS)]
    assert hub_versions(prepared, RECORD) == [(h("v0"), ACTIVE, 0)]
    assert tx.gas_used < BLOCK_GAS_LIMIT


def test_try_each_costs_less_than_single_transactions(hub, trade_clerk):
    """Sharing a transaction saves at least the base cost of every transaction but one."""
    count = 10
    singles = [
        hub.createRecord(
            REGISTER_TRADE, h(f"record:single:{i}"), h(f"single:{i}"), {"from": trade_clerk}
        ).gas_used
        for i in range(count)
    ]

    tx = hub.tryEach(
        [create_call(hub, h(f"record:batched:{i}"), h(f"batched:{i}")) for i in range(count)],
        {"from": trade_clerk},
    )

    assert failed_calls(tx) == []
    assert len(anchored_events(tx)) == count
    assert tx.gas_used < sum(singles) - (count - 1) * 21_000


# Property: a random list of createRecords, each valid (fresh record id and content) or invalid in
# one of three ways; exactly the invalid ones are reported, exactly the valid ones exist afterwards.
create_kinds = st.sampled_from(["fresh", "duplicate record id", "zero content", "reused content"])


@given(
    creates=st.lists(st.tuples(create_kinds, st.integers(0, 15)), min_size=1, max_size=12),
)
@example(creates=[("fresh", 0), ("duplicate record id", 1), ("reused content", 1)])
@example(creates=[("zero content", 0)])
@chain_settings(max_examples=15)
def test_try_each_reports_exactly_the_invalid_creates(hub, trade_clerk, creates):
    hub.createRecord(REGISTER_TRADE, RECORD, h("v0"), {"from": trade_clerk})
    existing = [(RECORD, h("v0"))]  # (record id, content) anchored before each call
    calls, valid, expected_failures = [], [], []
    for index, (kind, pick) in enumerate(creates):
        record_id, content = h(f"property:record:{index}"), h(f"property:content:{index}")
        other_record, other_content = existing[pick % len(existing)]
        failure = None
        if kind == "fresh":
            valid.append((record_id, content))
            existing.append((record_id, content))
        elif kind == "duplicate record id":
            record_id = other_record
            failure = ("RegisterRecordExists(bytes32)", other_record)
        elif kind == "zero content":
            content = ZERO
            failure = ("RegisterInvalidContentHash(bytes32)", ZERO)
        else:
            content = other_content
            failure = ("RegisterContentAnchored(bytes32,bytes32,uint256)", content, other_record, 0)
        if failure:
            expected_failures.append((index, error_data(*failure), trade_clerk.address))
        calls.append(create_call(hub, record_id, content))

    tx = hub.tryEach(calls, {"from": trade_clerk})

    assert failed_calls(tx) == expected_failures
    assert anchored_events(tx) == [
        anchored(record_id, 0, content, ZERO, ACTIVE, trade_clerk) for record_id, content in valid
    ]
    for record_id, content in existing:
        assert hub_versions(hub, record_id) == [(content, ACTIVE, 0)]
        assert plain(hub.anchorOf(content)) == (True, "0x" + record_id.hex(), 0)
    created = {record_id for record_id, _ in existing}
    for index in range(len(creates)):
        record_id = h(f"property:record:{index}")
        if record_id not in created:
            assert_not_anchored(hub, record_id, h(f"property:content:{index}"))


# -------------------------------------------------------------------------------------------------
# Property: for any set of versions, every leaf's proof verifies on chain and any other hash fails
# -------------------------------------------------------------------------------------------------

bytes32s = st.binary(min_size=32, max_size=32)
batch_versions = st.tuples(
    bytes32s,  # recordId
    st.integers(min_value=0, max_value=MAX_BATCH_LEAVES),  # versionIndex
    bytes32s,  # contentHash
    bytes32s,  # previousHash
    st.sampled_from([ACTIVE, CLOSED]),  # status
)


@given(versions=st.lists(batch_versions, min_size=1, max_size=12, unique=True), other=bytes32s)
@example(versions=[(RECORD, 0, h("only"), ZERO, ACTIVE)], other=h("other"))
@chain_settings(max_examples=50)
def test_every_leaf_verifies_and_any_other_hash_fails(hub, trade_clerk, versions, other):
    tree, leaves = versions_tree(REGISTER_TRADE, versions)
    assume(other not in leaves)
    hub.anchorBatch(REGISTER_TRADE, tree.root, len(versions), {"from": trade_clerk})

    for version, leaf in zip(versions, leaves, strict=True):
        proof = tree.proof(leaf)
        assert hub.verifyBatchLeaf(tree.root, proof, leaf), f"leaf {leaf.hex()} did not verify"
        assert hub.verifyRecordVersion(REGISTER_TRADE, tree.root, proof, version)
        assert not hub.verifyBatchLeaf(tree.root, proof, other), (
            f"foreign hash {other.hex()} verified"
        )
        forged = (version[0], version[1], other, version[3], version[4])
        assert forged in versions or not hub.verifyRecordVersion(
            REGISTER_TRADE, tree.root, proof, forged
        )


# -------------------------------------------------------------------------------------------------
# Stateful: the record lifecycle against a Python model
# -------------------------------------------------------------------------------------------------


class RecordLifecycle(RuleBasedStateMachine):
    """Random create / amend / close / erase on a few records; the chain must match the model.

    Every write the model forbids must revert with the exact custom error. Built on hypothesis'
    RuleBasedStateMachine directly: brownie 1.22's compiled ``state_machine`` rejects user machines
    (TypeError: _BrownieStateMachine object expected), so the chain snapshot is taken here instead.
    """

    hub = None  # set by the test
    clerk = None

    def __init__(self):
        super().__init__()
        brownie.chain.revert()
        self.model: dict[bytes, list[list]] = {}  # recordId -> [[contentHash, status], ...]
        self.serial = 0

    def _content(self) -> bytes:
        self.serial += 1
        return h(f"lifecycle:{self.serial}")

    @rule(st_record=st.integers(0, 2))
    def rule_create(self, st_record):
        record_id, content = h(f"lifecycle-record:{st_record}"), self._content()
        if record_id in self.model:
            with brownie.reverts(custom_error("RegisterRecordExists(bytes32)", record_id)):
                self.hub.createRecord(REGISTER_TRADE, record_id, content, {"from": self.clerk})
            return
        self.hub.createRecord(REGISTER_TRADE, record_id, content, {"from": self.clerk})
        self.model[record_id] = [[content, ACTIVE]]

    def _next_version(self, st_record, st_stale, status, write):
        record_id, content = h(f"lifecycle-record:{st_record}"), self._content()
        versions = self.model.get(record_id)
        if versions is None:
            with brownie.reverts(custom_error("RegisterUnknownRecord(bytes32)", record_id)):
                write(record_id, content, ZERO, {"from": self.clerk})
            return
        latest_hash, latest_status = versions[-1]
        previous = h("stale") if st_stale else latest_hash
        if latest_status != ACTIVE:
            with brownie.reverts(
                custom_error("RegisterRecordNotActive(bytes32,uint8)", record_id, latest_status)
            ):
                write(record_id, content, previous, {"from": self.clerk})
        elif st_stale:
            with brownie.reverts(
                custom_error(
                    "RegisterStaleVersion(bytes32,bytes32,bytes32)",
                    record_id,
                    previous,
                    latest_hash,
                )
            ):
                write(record_id, content, previous, {"from": self.clerk})
        else:
            write(record_id, content, previous, {"from": self.clerk})
            versions[-1][1] = AMENDED
            versions.append([content, status])

    @rule(st_record=st.integers(0, 2), st_stale=st.booleans())
    def rule_amend(self, st_record, st_stale):
        self._next_version(st_record, st_stale, ACTIVE, self.hub.amendRecord)

    @rule(st_record=st.integers(0, 2), st_stale=st.booleans())
    def rule_close(self, st_record, st_stale):
        self._next_version(st_record, st_stale, CLOSED, self.hub.closeRecord)

    @rule(st_record=st.integers(0, 2), st_index=st.integers(0, 3), st_reason=st.integers(1, 5))
    def rule_erase(self, st_record, st_index, st_reason):
        record_id = h(f"lifecycle-record:{st_record}")
        versions = self.model.get(record_id)
        if versions is None:
            with brownie.reverts(custom_error("RegisterUnknownRecord(bytes32)", record_id)):
                self.hub.eraseVersion(record_id, st_index, st_reason, {"from": self.clerk})
        elif st_index >= len(versions):
            with brownie.reverts(
                custom_error(
                    "RegisterUnknownVersion(bytes32,uint256,uint256)",
                    record_id,
                    st_index,
                    len(versions),
                )
            ):
                self.hub.eraseVersion(record_id, st_index, st_reason, {"from": self.clerk})
        elif versions[st_index][1] == ERASED:
            with brownie.reverts(
                custom_error("RegisterVersionErased(bytes32,uint256)", record_id, st_index)
            ):
                self.hub.eraseVersion(record_id, st_index, st_reason, {"from": self.clerk})
        else:
            self.hub.eraseVersion(record_id, st_index, st_reason, {"from": self.clerk})
            versions[st_index][1] = ERASED

    @invariant()
    def invariant_chain_matches_model(self):
        for record_id, versions in self.model.items():
            assert self.hub.versionCount(record_id) == len(versions), (
                f"version count of {record_id.hex()}"
            )
            for index, (content, status) in enumerate(versions):
                on_chain = self.hub.version(record_id, index)
                expected_previous = versions[index - 1][0] if index else ZERO
                assert (on_chain[0], on_chain[1], on_chain[2]) == (
                    "0x" + content.hex(),
                    "0x" + expected_previous.hex(),
                    status,
                ), f"version {index} of {record_id.hex()}"


def test_record_lifecycle_matches_model(hub, trade_clerk):
    RecordLifecycle.hub, RecordLifecycle.clerk = hub, trade_clerk
    brownie.chain.snapshot()
    run_state_machine_as_test(
        RecordLifecycle, settings=chain_settings(max_examples=20, stateful_step_count=15)
    )
