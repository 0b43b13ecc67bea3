"""RegisterHub: registers, record lifecycle, authorisation, batch anchoring and Merkle proofs."""

from __future__ import annotations

import brownie
import pytest
from brownie.test import given
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
