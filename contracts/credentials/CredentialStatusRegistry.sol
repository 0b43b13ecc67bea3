// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";
import {ITrustedIssuerRegistry} from "../interfaces/ITrustedIssuerRegistry.sol";
import {ICredentialStatusRegistry} from "../interfaces/ICredentialStatusRegistry.sol";

/// @title Issuance anchors and status of the city's verifiable credentials
/// @notice See {ICredentialStatusRegistry}.
contract CredentialStatusRegistry is ICredentialStatusRegistry {
    /// @notice Most credentials one batch may declare.
    uint256 public constant MAX_BATCH_SIZE = 65_536;
    /// @notice Highest RFC 5280 CRLReason value (aACompromise).
    uint8 public constant MAX_REASON_CODE = 10;
    /// @notice RFC 5280 leaves CRLReason 7 unused.
    uint8 private constant _UNUSED_REASON_CODE = 7;

    /// @inheritdoc ICredentialStatusRegistry
    IDepartmentDirectory public immutable directory;
    /// @inheritdoc ICredentialStatusRegistry
    ITrustedIssuerRegistry public immutable trustedIssuers;

    /// @dev {CredentialStatus} in storage order: three slots instead of four.
    struct Record {
        bytes32 issuerDepartment;
        bytes32 typeId;
        uint64 anchoredAtBlock;
        uint64 anchoredAt;
        uint64 changedAt;
        State state;
        uint8 reasonCode;
    }

    // Keyed by (issuing department, hash): a department reaches only its own records and batches,
    // so another department anchoring the same hash or root neither blocks nor changes them.
    mapping(bytes32 departmentId => mapping(bytes32 credentialHash => Record record)) private _records;
    mapping(bytes32 departmentId => mapping(bytes32 root => Batch batch)) private _batches;

    /// @param directory_ The department directory (who acts for which department).
    /// @param trustedIssuers_ The trusted-issuer registry (credential types, accreditations).
    constructor(IDepartmentDirectory directory_, ITrustedIssuerRegistry trustedIssuers_) {
        if (address(directory_) == address(0) || address(trustedIssuers_) == address(0)) {
            revert CredentialStatusInvalidDependency(address(directory_), address(trustedIssuers_));
        }
        directory = directory_;
        trustedIssuers = trustedIssuers_;
    }

    // ---------------------------------------------------------------------------------------------
    // Anchoring

    /// @inheritdoc ICredentialStatusRegistry
    function anchorCredential(bytes32 credentialHash, bytes32 typeId) external {
        if (credentialHash == bytes32(0)) revert CredentialStatusInvalidHash(credentialHash);
        bytes32 departmentId = _issuingDepartment(typeId);
        if (_records[departmentId][credentialHash].state != State.Unknown) revert CredentialStatusAlreadyAnchored(credentialHash);
        uint64 currentTime = _time();
        _records[departmentId][credentialHash] = Record({
            issuerDepartment: departmentId,
            typeId: typeId,
            anchoredAtBlock: uint64(block.number),
            anchoredAt: currentTime,
            changedAt: currentTime,
            state: State.Active,
            reasonCode: 0
        });
        emit CredentialAnchored(credentialHash, departmentId, msg.sender, typeId);
    }

    /// @inheritdoc ICredentialStatusRegistry
    function anchorBatch(bytes32 root, bytes32 typeId, uint256 count) external {
        if (root == bytes32(0)) revert CredentialStatusInvalidHash(root);
        if (count == 0 || count > MAX_BATCH_SIZE) revert CredentialStatusInvalidBatchSize(count, MAX_BATCH_SIZE);
        bytes32 departmentId = _issuingDepartment(typeId);
        if (_batches[departmentId][root].anchoredAtBlock != 0) revert CredentialStatusBatchExists(root);
        _batches[departmentId][root] = Batch({
            issuerDepartment: departmentId,
            typeId: typeId,
            anchoredAtBlock: uint64(block.number),
            anchoredAt: _time(),
            count: uint32(count)
        });
        emit CredentialBatchAnchored(root, departmentId, msg.sender, typeId, count);
    }

    // ---------------------------------------------------------------------------------------------
    // Status changes

    /// @inheritdoc ICredentialStatusRegistry
    function suspendCredential(bytes32 credentialHash, uint8 reasonCode) external {
        _changeState(_callerDepartment(), credentialHash, State.Suspended, reasonCode);
    }

    /// @inheritdoc ICredentialStatusRegistry
    function resumeCredential(bytes32 credentialHash, uint8 reasonCode) external {
        _changeState(_callerDepartment(), credentialHash, State.Active, reasonCode);
    }

    /// @inheritdoc ICredentialStatusRegistry
    function revokeCredential(bytes32 credentialHash, uint8 reasonCode) external {
        _changeState(_callerDepartment(), credentialHash, State.Revoked, reasonCode);
    }

    /// @inheritdoc ICredentialStatusRegistry
    function suspendBatchMember(bytes32 root, bytes32[] calldata proof, bytes32 credentialHash, uint8 reasonCode)
        external
    {
        bytes32 departmentId = _callerDepartment();
        _recordBatchMember(departmentId, root, proof, credentialHash);
        _changeState(departmentId, credentialHash, State.Suspended, reasonCode);
    }

    /// @inheritdoc ICredentialStatusRegistry
    function revokeBatchMember(bytes32 root, bytes32[] calldata proof, bytes32 credentialHash, uint8 reasonCode)
        external
    {
        bytes32 departmentId = _callerDepartment();
        _recordBatchMember(departmentId, root, proof, credentialHash);
        _changeState(departmentId, credentialHash, State.Revoked, reasonCode);
    }

    // ---------------------------------------------------------------------------------------------
    // Views

    /// @inheritdoc ICredentialStatusRegistry
    function status(bytes32 issuerDepartment, bytes32 credentialHash)
        external
        view
        returns (
            State state,
            bytes32 issuerDepartment_,
            bytes32 typeId,
            uint64 anchoredAtBlock,
            uint64 anchoredAt,
            uint8 reasonCode,
            uint64 changedAt
        )
    {
        Record storage r = _records[issuerDepartment][credentialHash];
        return (r.state, r.issuerDepartment, r.typeId, r.anchoredAtBlock, r.anchoredAt, r.reasonCode, r.changedAt);
    }

    /// @inheritdoc ICredentialStatusRegistry
    function statusInBatch(bytes32 issuerDepartment, bytes32 root, bytes32[] calldata proof, bytes32 credentialHash)
        external
        view
        returns (CredentialStatus memory result)
    {
        // Nothing unless this department's batch `root` vouches for the member: a record is never
        // reported on the strength of a root that does not contain it.
        if (!verifyBatchMember(issuerDepartment, root, proof, credentialHash)) return result;
        Record storage r = _records[issuerDepartment][credentialHash];
        if (r.state != State.Unknown) {
            return CredentialStatus({
                state: r.state,
                issuerDepartment: r.issuerDepartment,
                typeId: r.typeId,
                anchoredAtBlock: r.anchoredAtBlock,
                anchoredAt: r.anchoredAt,
                reasonCode: r.reasonCode,
                changedAt: r.changedAt
            });
        }
        Batch storage b = _batches[issuerDepartment][root];
        result = CredentialStatus({
            state: State.Active,
            issuerDepartment: b.issuerDepartment,
            typeId: b.typeId,
            anchoredAtBlock: b.anchoredAtBlock,
            anchoredAt: b.anchoredAt,
            reasonCode: 0,
            changedAt: b.anchoredAt
        });
    }

    /// @inheritdoc ICredentialStatusRegistry
    function batch(bytes32 issuerDepartment, bytes32 root) external view returns (Batch memory) {
        return _batches[issuerDepartment][root];
    }

    /// @inheritdoc ICredentialStatusRegistry
    function verifyBatchMember(bytes32 issuerDepartment, bytes32 root, bytes32[] calldata proof, bytes32 credentialHash)
        public
        view
        returns (bool)
    {
        return _batches[issuerDepartment][root].anchoredAtBlock != 0
            && MerkleProof.verifyCalldata(proof, root, batchLeaf(credentialHash));
    }

    /// @inheritdoc ICredentialStatusRegistry
    function batchLeaf(bytes32 credentialHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(credentialHash))));
    }

    // ---------------------------------------------------------------------------------------------
    // Internal

    /// @dev The caller's department, checked to be active and accredited for active type `typeId` now.
    function _issuingDepartment(bytes32 typeId) internal view returns (bytes32 departmentId) {
        departmentId = _callerDepartment();
        if (!trustedIssuers.isCredentialTypeActive(typeId)) revert CredentialStatusTypeInactive(typeId);
        uint64 currentTime = _time();
        if (!trustedIssuers.isAccredited(departmentId, typeId, currentTime)) {
            revert CredentialStatusNotAccredited(departmentId, typeId, currentTime);
        }
    }

    /// @dev The caller's department, which must be active and the caller one of its active accounts.
    function _callerDepartment() internal view returns (bytes32 departmentId) {
        departmentId = directory.departmentOf(msg.sender);
        if (departmentId == bytes32(0) || !directory.isActiveAccountOf(departmentId, msg.sender)) {
            revert CredentialStatusCallerNotDepartment(msg.sender);
        }
    }

    /// @dev Gives member `credentialHash` of department `departmentId`'s batch `root` its own record
    /// (Active, data from the batch) unless the department has one for it. Always checks the proof.
    function _recordBatchMember(bytes32 departmentId, bytes32 root, bytes32[] calldata proof, bytes32 credentialHash)
        internal
    {
        Batch storage b = _batches[departmentId][root];
        if (b.anchoredAtBlock == 0) revert CredentialStatusUnknownBatch(root);
        if (!MerkleProof.verifyCalldata(proof, root, batchLeaf(credentialHash))) {
            revert CredentialStatusInvalidProof(root, credentialHash);
        }
        Record storage r = _records[departmentId][credentialHash];
        if (r.state != State.Unknown) return;
        r.state = State.Active;
        r.issuerDepartment = departmentId;
        r.typeId = b.typeId;
        r.anchoredAtBlock = b.anchoredAtBlock;
        r.anchoredAt = b.anchoredAt;
        r.changedAt = b.anchoredAt;
        emit CredentialBatchMemberRecorded(credentialHash, root, departmentId);
    }

    /// @dev The one place where a credential's state changes (in `departmentId`'s own records, the
    /// caller's department); emits right after.
    function _changeState(bytes32 departmentId, bytes32 credentialHash, State to, uint8 reasonCode) internal {
        Record storage r = _records[departmentId][credentialHash];
        State from = r.state;
        if (from == State.Unknown) revert CredentialStatusUnknownCredential(credentialHash);
        bool allowed = to == State.Revoked
            ? from != State.Revoked
            : (to == State.Suspended ? from == State.Active : from == State.Suspended);
        if (!allowed) revert CredentialStatusInvalidTransition(credentialHash, from, to);
        if (reasonCode > MAX_REASON_CODE || reasonCode == _UNUSED_REASON_CODE) {
            revert CredentialStatusInvalidReason(reasonCode);
        }
        r.state = to;
        r.reasonCode = reasonCode;
        r.changedAt = _time();
        if (to == State.Revoked) emit CredentialRevoked(credentialHash, departmentId, msg.sender, reasonCode);
        else if (to == State.Suspended) emit CredentialSuspended(credentialHash, departmentId, msg.sender, reasonCode);
        else emit CredentialResumed(credentialHash, departmentId, msg.sender, reasonCode);
    }

    /// @dev The current time; overridden in tests (EAS's `TestEAS` habit).
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }
}
