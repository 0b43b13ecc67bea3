// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";
import {IRegisterHub} from "../interfaces/IRegisterHub.sol";

/// @title Hub of the city's digitised registers
/// @notice See {IRegisterHub}. Registers are written only by accounts of their owning department
/// (per the {IDepartmentDirectory}); the council creates registers or allows departments to.
/// @dev Every state change goes through one internal function that changes state and emits right
/// after. No write loops over stored arrays. A stored version keeps no previous hash: it is, by
/// construction, the content hash of the version before, and the views put it back.
/// Over 400 lines because a register's whole lifecycle (registers, versions, batches, tryEach
/// and their views) sits behind one writer check in one contract: split, every write would pay a
/// cross-contract call.
contract RegisterHub is IRegisterHub {
    /// @notice Erasure reason: the data subject asked for erasure (GDPR Art. 17).
    uint8 public constant ERASURE_DATA_SUBJECT_REQUEST = 1;
    /// @notice Erasure reason: the legal retention period expired.
    uint8 public constant ERASURE_RETENTION_EXPIRED = 2;
    /// @notice Erasure reason: the data was processed unlawfully.
    uint8 public constant ERASURE_UNLAWFUL_PROCESSING = 3;
    /// @notice Erasure reason: a court or supervisory authority ordered it.
    uint8 public constant ERASURE_LEGAL_ORDER = 4;
    /// @notice Erasure reason: the version was entered in error.
    uint8 public constant ERASURE_ENTERED_IN_ERROR = 5;

    /// @inheritdoc IRegisterHub
    uint256 public constant MAX_NAME_LENGTH = 64;
    /// @inheritdoc IRegisterHub
    uint256 public constant MAX_BATCH_LEAVES = 1024;
    /// @inheritdoc IRegisterHub
    uint256 public constant MAX_CALLS = 256;
    /// @inheritdoc IRegisterHub
    uint256 public constant MAX_RECORD_VERSIONS = 10_000;

    /// @dev A singly anchored version as stored (two slots; the previous hash is implied).
    struct StoredVersion {
        bytes32 contentHash;
        Status status;
        uint64 blockNumber;
        address signer;
        uint8 erasureReason;
    }

    /// @dev A singly anchored record.
    struct Record {
        bytes32 registerId;
        StoredVersion[] versions;
    }

    /// @dev Where a content hash is singly anchored (recordId zero: nowhere).
    struct Anchor {
        bytes32 recordId;
        uint32 versionIndex;
    }

    /// @dev An anchored batch (signer zero: not anchored).
    struct Batch {
        bytes32 registerId;
        uint64 blockNumber;
        address signer;
        uint16 leafCount;
    }

    IDepartmentDirectory private immutable _directory;

    mapping(bytes32 registerId => Register register) private _registers;
    mapping(bytes32 departmentId => bool allowed) private _registerCreators;
    mapping(bytes32 recordId => Record record) private _records;
    mapping(bytes32 contentHash => Anchor anchor) private _anchors;
    mapping(bytes32 merkleRoot => Batch batch) private _batches;
    mapping(bytes32 merkleRoot => mapping(bytes32 leaf => uint8 reasonCode)) private _erasedLeaves;

    /// @param directory_ The department directory; its council governs this hub.
    constructor(address directory_) {
        if (directory_.code.length == 0) revert RegisterInvalidDirectory(directory_);
        _directory = IDepartmentDirectory(directory_);
    }

    // ----------------------------------------------------------------------------------------
    // Registers
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRegisterHub
    function setRegisterCreator(bytes32 departmentId, bool allowed) external {
        _requireCouncil();
        if (!_directory.departmentExists(departmentId)) revert RegisterUnknownDepartment(departmentId);
        _setRegisterCreator(departmentId, allowed);
    }

    /// @inheritdoc IRegisterHub
    function createRegister(bytes32 registerId, string calldata name, bytes32 schemaHash, bytes32 owningDepartment)
        external
    {
        if (msg.sender == council()) {
            if (!_directory.departmentExists(owningDepartment)) revert RegisterUnknownDepartment(owningDepartment);
            if (!_directory.isDepartmentActive(owningDepartment)) revert RegisterDepartmentSuspended(owningDepartment);
        } else {
            _requireWriter(registerId, owningDepartment);
            if (!_registerCreators[owningDepartment]) revert RegisterCreatorNotAllowed(owningDepartment);
        }
        if (registerId == bytes32(0)) revert RegisterInvalidRegisterId(registerId);
        if (_registers[registerId].schemaVersion != 0) revert RegisterExists(registerId);
        uint256 length = bytes(name).length;
        if (length == 0 || length > MAX_NAME_LENGTH) revert RegisterInvalidName(length, MAX_NAME_LENGTH);
        if (schemaHash == bytes32(0)) revert RegisterInvalidSchemaHash(registerId, schemaHash);
        _createRegister(registerId, name, schemaHash, owningDepartment, msg.sender);
    }

    /// @inheritdoc IRegisterHub
    function updateRegisterSchema(bytes32 registerId, bytes32 schemaHash) external {
        Register storage reg = _existingRegister(registerId);
        _requireWriter(registerId, reg.owningDepartment);
        if (schemaHash == bytes32(0) || schemaHash == reg.schemaHash) {
            revert RegisterInvalidSchemaHash(registerId, schemaHash);
        }
        _updateRegisterSchema(registerId, schemaHash, msg.sender);
    }

    // ----------------------------------------------------------------------------------------
    // Records (single anchoring)
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRegisterHub
    function createRecord(bytes32 registerId, bytes32 recordId, bytes32 contentHash)
        external
        returns (uint256 versionIndex)
    {
        _requireWriter(registerId, _existingRegister(registerId).owningDepartment);
        if (recordId == bytes32(0)) revert RegisterInvalidRecordId(recordId);
        if (_records[recordId].registerId != bytes32(0)) revert RegisterRecordExists(recordId);
        _requireNewContent(contentHash);
        return _anchorVersion(registerId, recordId, contentHash, bytes32(0), Status.Active, msg.sender);
    }

    /// @inheritdoc IRegisterHub
    function amendRecord(bytes32 recordId, bytes32 contentHash, bytes32 previousHash)
        external
        returns (uint256 versionIndex)
    {
        bytes32 registerId = _requireNextVersion(recordId, contentHash, previousHash);
        return _anchorVersion(registerId, recordId, contentHash, previousHash, Status.Active, msg.sender);
    }

    /// @inheritdoc IRegisterHub
    function closeRecord(bytes32 recordId, bytes32 contentHash, bytes32 previousHash)
        external
        returns (uint256 versionIndex)
    {
        bytes32 registerId = _requireNextVersion(recordId, contentHash, previousHash);
        return _anchorVersion(registerId, recordId, contentHash, previousHash, Status.Closed, msg.sender);
    }

    /// @inheritdoc IRegisterHub
    function eraseVersion(bytes32 recordId, uint256 versionIndex, uint8 reasonCode) external {
        Record storage rec = _records[recordId];
        bytes32 registerId = rec.registerId;
        if (registerId == bytes32(0)) revert RegisterUnknownRecord(recordId);
        _requireWriter(registerId, _registers[registerId].owningDepartment);
        uint256 count = rec.versions.length;
        if (versionIndex >= count) revert RegisterUnknownVersion(recordId, versionIndex, count);
        if (rec.versions[versionIndex].status == Status.Erased) revert RegisterVersionErased(recordId, versionIndex);
        _requireReasonCode(reasonCode);
        _eraseVersion(registerId, recordId, versionIndex, reasonCode, msg.sender);
    }

    // ----------------------------------------------------------------------------------------
    // Several single writes in one transaction
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRegisterHub
    function tryEach(bytes[] calldata calls) external {
        if (calls.length == 0 || calls.length > MAX_CALLS) {
            revert RegisterInvalidCallCount(calls.length, MAX_CALLS);
        }
        for (uint256 i = 0; i < calls.length; ++i) {
            // delegatecall to this very code keeps msg.sender, so every call is authorised exactly
            // as if sent alone; a reverting call's frame is undone, the loop goes on.
            (bool ok, bytes memory revertData) = address(this).delegatecall(calls[i]);
            if (!ok) emit BatchedCallFailed(i, revertData, msg.sender);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Batches
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRegisterHub
    function anchorBatch(bytes32 registerId, bytes32 merkleRoot, uint256 leafCount) external {
        _requireWriter(registerId, _existingRegister(registerId).owningDepartment);
        if (merkleRoot == bytes32(0)) revert RegisterInvalidBatchRoot(merkleRoot);
        if (leafCount == 0 || leafCount > MAX_BATCH_LEAVES) {
            revert RegisterInvalidLeafCount(leafCount, MAX_BATCH_LEAVES);
        }
        if (_batches[merkleRoot].signer != address(0)) revert RegisterBatchExists(merkleRoot);
        _anchorBatch(registerId, merkleRoot, leafCount, msg.sender);
    }

    /// @inheritdoc IRegisterHub
    function eraseBatchVersion(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        BatchVersion calldata batchVersion,
        uint8 reasonCode
    ) external {
        Batch storage batch = _batches[merkleRoot];
        if (batch.signer == address(0)) revert RegisterUnknownBatch(merkleRoot);
        bytes32 registerId = batch.registerId;
        _requireWriter(registerId, _registers[registerId].owningDepartment);
        bytes32 leaf = batchLeaf(registerId, batchVersion);
        if (!_proves(batch, merkleRoot, proof, leaf)) revert RegisterInvalidProof(merkleRoot, leaf);
        if (_erasedLeaves[merkleRoot][leaf] != 0) revert RegisterBatchLeafErased(merkleRoot, leaf);
        _requireReasonCode(reasonCode);
        _eraseBatchLeaf(merkleRoot, leaf, batchVersion.recordId, batchVersion.versionIndex, reasonCode, msg.sender);
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IRegisterHub
    function directory() external view returns (address) {
        return address(_directory);
    }

    /// @inheritdoc IRegisterHub
    function council() public view returns (address) {
        return _directory.council();
    }

    /// @inheritdoc IRegisterHub
    function isRegisterCreator(bytes32 departmentId) external view returns (bool) {
        return _registerCreators[departmentId];
    }

    /// @inheritdoc IRegisterHub
    function register(bytes32 registerId) external view returns (Register memory) {
        return _existingRegister(registerId);
    }

    /// @inheritdoc IRegisterHub
    function registerOf(bytes32 recordId) external view returns (bytes32) {
        return _records[recordId].registerId;
    }

    /// @inheritdoc IRegisterHub
    function versionCount(bytes32 recordId) external view returns (uint256) {
        return _records[recordId].versions.length;
    }

    /// @inheritdoc IRegisterHub
    function version(bytes32 recordId, uint256 versionIndex) external view returns (Version memory) {
        uint256 count = _records[recordId].versions.length;
        if (versionIndex >= count) revert RegisterUnknownVersion(recordId, versionIndex, count);
        return _version(recordId, versionIndex);
    }

    /// @inheritdoc IRegisterHub
    function latestVersion(bytes32 recordId) external view returns (uint256 versionIndex, Version memory latest) {
        uint256 count = _records[recordId].versions.length;
        if (count == 0) revert RegisterUnknownRecord(recordId);
        versionIndex = count - 1;
        latest = _version(recordId, versionIndex);
    }

    /// @inheritdoc IRegisterHub
    function anchorOf(bytes32 contentHash)
        external
        view
        returns (bool anchored, bytes32 recordId, uint256 versionIndex)
    {
        Anchor storage anchor = _anchors[contentHash];
        return (anchor.recordId != bytes32(0), anchor.recordId, anchor.versionIndex);
    }

    /// @inheritdoc IRegisterHub
    function isBatchAnchored(bytes32 merkleRoot)
        external
        view
        returns (bool anchored, bytes32 registerId, uint256 blockNumber, address signer, uint256 leafCount)
    {
        Batch storage batch = _batches[merkleRoot];
        return (batch.signer != address(0), batch.registerId, batch.blockNumber, batch.signer, batch.leafCount);
    }

    /// @inheritdoc IRegisterHub
    function batchLeaf(bytes32 registerId, BatchVersion calldata batchVersion) public pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                keccak256(
                    abi.encode(
                        registerId,
                        batchVersion.recordId,
                        batchVersion.versionIndex,
                        batchVersion.contentHash,
                        batchVersion.previousHash,
                        batchVersion.status
                    )
                )
            )
        );
    }

    /// @inheritdoc IRegisterHub
    function verifyBatchLeaf(bytes32 merkleRoot, bytes32[] calldata proof, bytes32 leaf)
        external
        view
        returns (bool)
    {
        return _proves(_batches[merkleRoot], merkleRoot, proof, leaf);
    }

    /// @inheritdoc IRegisterHub
    function verifyRecordVersion(
        bytes32 registerId,
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        BatchVersion calldata batchVersion
    ) external view returns (bool) {
        Batch storage batch = _batches[merkleRoot];
        if (batch.registerId != registerId) return false;
        bytes32 leaf = batchLeaf(registerId, batchVersion);
        return _erasedLeaves[merkleRoot][leaf] == 0 && _proves(batch, merkleRoot, proof, leaf);
    }

    /// @inheritdoc IRegisterHub
    function batchLeafErasure(bytes32 merkleRoot, bytes32 leaf) external view returns (uint8) {
        return _erasedLeaves[merkleRoot][leaf];
    }

    // ----------------------------------------------------------------------------------------
    // State changes (one internal function each, emitting right after)
    // ----------------------------------------------------------------------------------------

    /// @dev Sets whether `departmentId` may create registers; returns whether anything changed.
    function _setRegisterCreator(bytes32 departmentId, bool allowed) internal returns (bool) {
        if (_registerCreators[departmentId] == allowed) return false;
        _registerCreators[departmentId] = allowed;
        emit RegisterCreatorChanged(departmentId, allowed, msg.sender);
        return true;
    }

    /// @dev Stores a new register (schema version 1).
    function _createRegister(
        bytes32 registerId,
        string calldata name,
        bytes32 schemaHash,
        bytes32 owningDepartment,
        address account
    ) internal {
        _registers[registerId] = Register({
            name: name,
            schemaHash: schemaHash,
            owningDepartment: owningDepartment,
            schemaVersion: 1,
            createdBlock: uint64(block.number)
        });
        emit RegisterCreated(registerId, owningDepartment, name, schemaHash, account);
    }

    /// @dev Moves a register to its next schema version.
    function _updateRegisterSchema(bytes32 registerId, bytes32 schemaHash, address account) internal {
        Register storage reg = _registers[registerId];
        uint32 schemaVersion = reg.schemaVersion + 1;
        reg.schemaHash = schemaHash;
        reg.schemaVersion = schemaVersion;
        emit RegisterSchemaUpdated(registerId, schemaVersion, schemaHash, account);
    }

    /// @dev Appends a version (the previous latest one, if any, becomes `Amended`) and records
    /// where its content hash is anchored.
    function _anchorVersion(
        bytes32 registerId,
        bytes32 recordId,
        bytes32 contentHash,
        bytes32 previousHash,
        Status status,
        address signer
    ) internal returns (uint256 versionIndex) {
        Record storage rec = _records[recordId];
        versionIndex = rec.versions.length;
        if (versionIndex == 0) {
            rec.registerId = registerId;
        } else {
            rec.versions[versionIndex - 1].status = Status.Amended;
        }
        rec.versions.push(
            StoredVersion({
                contentHash: contentHash,
                status: status,
                blockNumber: uint64(block.number),
                signer: signer,
                erasureReason: 0
            })
        );
        _anchors[contentHash] = Anchor({recordId: recordId, versionIndex: uint32(versionIndex)});
        emit RecordVersionAnchored(registerId, recordId, versionIndex, contentHash, previousHash, status, signer);
    }

    /// @dev Marks a singly anchored version erased.
    function _eraseVersion(
        bytes32 registerId,
        bytes32 recordId,
        uint256 versionIndex,
        uint8 reasonCode,
        address signer
    ) internal {
        StoredVersion storage stored = _records[recordId].versions[versionIndex];
        stored.status = Status.Erased;
        stored.erasureReason = reasonCode;
        emit VersionErased(registerId, recordId, versionIndex, reasonCode, signer);
    }

    /// @dev Stores an anchored batch.
    function _anchorBatch(bytes32 registerId, bytes32 merkleRoot, uint256 leafCount, address signer) internal {
        _batches[merkleRoot] = Batch({
            registerId: registerId,
            blockNumber: uint64(block.number),
            signer: signer,
            leafCount: uint16(leafCount)
        });
        emit BatchAnchored(registerId, merkleRoot, leafCount, signer);
    }

    /// @dev Marks a leaf of a batch erased.
    function _eraseBatchLeaf(
        bytes32 merkleRoot,
        bytes32 leaf,
        bytes32 recordId,
        uint256 versionIndex,
        uint8 reasonCode,
        address signer
    ) internal {
        _erasedLeaves[merkleRoot][leaf] = reasonCode;
        emit BatchVersionErased(merkleRoot, recordId, versionIndex, leaf, reasonCode, signer);
    }

    // ----------------------------------------------------------------------------------------
    // Checks and helpers
    // ----------------------------------------------------------------------------------------

    /// @dev Reverts unless the caller is the council.
    function _requireCouncil() internal view {
        if (msg.sender != council()) revert RegisterCallerNotCouncil(msg.sender);
    }

    /// @dev Reverts unless the caller acts for `departmentId` and that department is active.
    function _requireWriter(bytes32 registerId, bytes32 departmentId) internal view {
        if (_directory.isActiveAccountOf(departmentId, msg.sender)) return;
        if (departmentId == bytes32(0) || _directory.departmentOf(msg.sender) != departmentId) {
            revert RegisterUnauthorizedAccount(registerId, msg.sender);
        }
        revert RegisterDepartmentSuspended(departmentId);
    }

    /// @dev Checks everything {amendRecord} and {closeRecord} require; returns the record's register.
    function _requireNextVersion(bytes32 recordId, bytes32 contentHash, bytes32 previousHash)
        internal
        view
        returns (bytes32 registerId)
    {
        Record storage rec = _records[recordId];
        registerId = rec.registerId;
        if (registerId == bytes32(0)) revert RegisterUnknownRecord(recordId);
        _requireWriter(registerId, _registers[registerId].owningDepartment);
        uint256 count = rec.versions.length;
        StoredVersion storage latest = rec.versions[count - 1];
        if (latest.status != Status.Active) revert RegisterRecordNotActive(recordId, latest.status);
        if (latest.contentHash != previousHash) revert RegisterStaleVersion(recordId, previousHash, latest.contentHash);
        if (count >= MAX_RECORD_VERSIONS) revert RegisterVersionLimit(recordId, MAX_RECORD_VERSIONS);
        _requireNewContent(contentHash);
    }

    /// @dev Reverts if `contentHash` is zero or already singly anchored.
    function _requireNewContent(bytes32 contentHash) internal view {
        if (contentHash == bytes32(0)) revert RegisterInvalidContentHash(contentHash);
        Anchor storage anchor = _anchors[contentHash];
        if (anchor.recordId != bytes32(0)) {
            revert RegisterContentAnchored(contentHash, anchor.recordId, anchor.versionIndex);
        }
    }

    /// @dev Reverts unless `reasonCode` is one of the `ERASURE_*` codes.
    function _requireReasonCode(uint8 reasonCode) internal pure {
        if (reasonCode == 0 || reasonCode > ERASURE_ENTERED_IN_ERROR) revert RegisterInvalidReasonCode(reasonCode);
    }

    /// @dev The register `registerId`; reverts if it does not exist.
    function _existingRegister(bytes32 registerId) internal view returns (Register storage reg) {
        reg = _registers[registerId];
        if (reg.schemaVersion == 0) revert RegisterUnknownRegister(registerId);
    }

    /// @dev Version `versionIndex` of `recordId` (which must exist) with its implied previous hash.
    function _version(bytes32 recordId, uint256 versionIndex) internal view returns (Version memory) {
        StoredVersion[] storage versions = _records[recordId].versions;
        StoredVersion storage stored = versions[versionIndex];
        return Version({
            contentHash: stored.contentHash,
            previousHash: versionIndex == 0 ? bytes32(0) : versions[versionIndex - 1].contentHash,
            status: stored.status,
            blockNumber: stored.blockNumber,
            signer: stored.signer,
            erasureReason: stored.erasureReason
        });
    }

    /// @dev Whether `proof` proves `leaf` in anchored `batch` with root `merkleRoot`, with a proof no
    /// longer than a `StandardMerkleTree` of the batch's leaf count can have.
    function _proves(Batch storage batch, bytes32 merkleRoot, bytes32[] calldata proof, bytes32 leaf)
        private
        view
        returns (bool)
    {
        if (batch.signer == address(0)) return false;
        if (proof.length > Math.log2(batch.leafCount, Math.Rounding.Ceil)) return false;
        return MerkleProof.verifyCalldata(proof, merkleRoot, leaf);
    }
}
