// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Hub of the city's digitised registers
/// @dev Over 400 lines only by its NatSpec: one interface, documented call by call.
/// @notice Registers (id, name, schema hash, owning department) and their records. A record is an
/// id without meaning (chosen off chain, e.g. random) with ordered versions; each version anchors a
/// content hash = keccak256(salt ‖ RFC 8785 canonical JSON), never the content itself. No personal
/// data is stored or emitted: erasing the salt off chain makes a hash unlinkable (GDPR erasure), and
/// the version is then marked erased here with a reason code.
///
/// Two ways to anchor versions:
/// - **Single**: {createRecord}, {amendRecord}, {closeRecord} store each version on chain, so
///   {latestVersion}, {version} and {anchorOf} answer directly.
/// - **Batch**: {anchorBatch} stores one Merkle root for up to {MAX_BATCH_LEAVES} versions. The batch
///   only anchors: per-record versions are *not* stored on chain, their order and status are derived
///   off chain (indexer) and each one is proven with {verifyRecordVersion}. A record's versions are
///   therefore anchored either all singly or all in batches; the on-chain record views only know
///   singly anchored versions.
///
/// Several single writes of one signer can share a transaction through {tryEach}: each call runs on
/// its own (as if sent alone, same `msg.sender`), and one that reverts is reported by
/// {BatchedCallFailed} without undoing the others.
///
/// Batch leaves follow OpenZeppelin's `StandardMerkleTree` convention (double hash, sorted pairs):
/// `leaf = keccak256(bytes.concat(keccak256(abi.encode(registerId, recordId, versionIndex,
/// contentHash, previousHash, status))))` with leaf types
/// `["bytes32", "bytes32", "uint256", "bytes32", "bytes32", "uint8"]`; see {batchLeaf}.
///
/// Status semantics: only the latest version of a record is `Active` or `Closed`. Amending or
/// closing appends a new version (`Active` resp. `Closed`) and turns the previous latest version
/// into `Amended`. A closed record takes no further versions. Erasure overwrites a version's status
/// with `Erased`; a record whose latest version is erased takes no further versions either.
///
/// Erasure reason codes (`ERASURE_*` constants of the implementation): 1 data subject's request
/// (GDPR Art. 17), 2 retention period expired, 3 unlawfully processed, 4 court or authority order,
/// 5 entered in error. Zero is never valid.
///
/// @dev Department ids are those of the {IDepartmentDirectory}; the council is the directory's
/// council, read on every call so that a council change in the directory takes effect here too.
interface IRegisterHub {
    /// @notice A version's status.
    enum Status {
        None,
        Active,
        Amended,
        Closed,
        Erased
    }

    /// @notice A register.
    /// @param name Short public name (at most {MAX_NAME_LENGTH} bytes, no personal data).
    /// @param schemaHash Hash of the JSON Schema that the register's records follow.
    /// @param owningDepartment The department whose accounts write the register.
    /// @param schemaVersion 1 at creation, incremented by every {updateRegisterSchema}.
    /// @param createdBlock Block of creation.
    struct Register {
        string name;
        bytes32 schemaHash;
        bytes32 owningDepartment;
        uint32 schemaVersion;
        uint64 createdBlock;
    }

    /// @notice A singly anchored record version.
    /// @param contentHash keccak256(salt ‖ canonical JSON) of this version.
    /// @param previousHash Content hash of the version before (zero for the first version).
    /// @param status See the contract's status semantics.
    /// @param blockNumber Block in which the version was anchored.
    /// @param signer Department account that anchored it.
    /// @param erasureReason Zero, or the `ERASURE_*` reason code once erased.
    struct Version {
        bytes32 contentHash;
        bytes32 previousHash;
        Status status;
        uint64 blockNumber;
        address signer;
        uint8 erasureReason;
    }

    /// @notice The fields of a version anchored in a batch (the leaf is {batchLeaf} of them).
    /// @param recordId The record.
    /// @param versionIndex Position of the version in the record (0 for the first).
    /// @param contentHash keccak256(salt ‖ canonical JSON) of this version.
    /// @param previousHash Content hash of the version before (zero for the first version).
    /// @param status Status at anchoring: `Active` (created or amended) or `Closed`.
    struct BatchVersion {
        bytes32 recordId;
        uint256 versionIndex;
        bytes32 contentHash;
        bytes32 previousHash;
        Status status;
    }

    /// @notice `directory` is not a contract.
    error RegisterInvalidDirectory(address directory);
    /// @notice Caller `caller` is not the council.
    error RegisterCallerNotCouncil(address caller);
    /// @notice `account` may not write register `registerId` (it does not act for its department).
    error RegisterUnauthorizedAccount(bytes32 registerId, address account);
    /// @notice Department `departmentId` is suspended.
    error RegisterDepartmentSuspended(bytes32 departmentId);
    /// @notice There is no department `departmentId`.
    error RegisterUnknownDepartment(bytes32 departmentId);
    /// @notice The council has not allowed department `departmentId` to create registers.
    error RegisterCreatorNotAllowed(bytes32 departmentId);
    /// @notice Register id `registerId` is zero.
    error RegisterInvalidRegisterId(bytes32 registerId);
    /// @notice Register `registerId` exists already.
    error RegisterExists(bytes32 registerId);
    /// @notice There is no register `registerId`.
    error RegisterUnknownRegister(bytes32 registerId);
    /// @notice The name is empty or longer than `maxLength` bytes.
    error RegisterInvalidName(uint256 length, uint256 maxLength);
    /// @notice Schema hash `schemaHash` is zero or equals the register's current one.
    error RegisterInvalidSchemaHash(bytes32 registerId, bytes32 schemaHash);
    /// @notice Record id `recordId` is zero.
    error RegisterInvalidRecordId(bytes32 recordId);
    /// @notice Record `recordId` exists already.
    error RegisterRecordExists(bytes32 recordId);
    /// @notice There is no record `recordId` (singly anchored).
    error RegisterUnknownRecord(bytes32 recordId);
    /// @notice Record `recordId` has `versionCount` versions, so there is no version `versionIndex`.
    error RegisterUnknownVersion(bytes32 recordId, uint256 versionIndex, uint256 versionCount);
    /// @notice Content hash `contentHash` is zero.
    error RegisterInvalidContentHash(bytes32 contentHash);
    /// @notice Content hash `contentHash` is already anchored as version `versionIndex` of `recordId`.
    error RegisterContentAnchored(bytes32 contentHash, bytes32 recordId, uint256 versionIndex);
    /// @notice The caller expected latest content hash `expected` of `recordId`, but it is `actual`
    /// (another version was anchored in between).
    error RegisterStaleVersion(bytes32 recordId, bytes32 expected, bytes32 actual);
    /// @notice Record `recordId`'s latest version has status `status`, so it takes no new version.
    error RegisterRecordNotActive(bytes32 recordId, Status status);
    /// @notice Record `recordId` reached {MAX_RECORD_VERSIONS} versions.
    error RegisterVersionLimit(bytes32 recordId, uint256 maxVersions);
    /// @notice Version `versionIndex` of record `recordId` is erased already.
    error RegisterVersionErased(bytes32 recordId, uint256 versionIndex);
    /// @notice `reasonCode` is not one of the `ERASURE_*` codes.
    error RegisterInvalidReasonCode(uint8 reasonCode);
    /// @notice Merkle root `merkleRoot` is zero.
    error RegisterInvalidBatchRoot(bytes32 merkleRoot);
    /// @notice `leafCount` is not between 1 and `maxLeaves`.
    error RegisterInvalidLeafCount(uint256 leafCount, uint256 maxLeaves);
    /// @notice Merkle root `merkleRoot` is anchored already.
    error RegisterBatchExists(bytes32 merkleRoot);
    /// @notice Merkle root `merkleRoot` is not anchored.
    error RegisterUnknownBatch(bytes32 merkleRoot);
    /// @notice `leaf` is not proven to be in batch `merkleRoot` by the given proof.
    error RegisterInvalidProof(bytes32 merkleRoot, bytes32 leaf);
    /// @notice `leaf` of batch `merkleRoot` is erased already.
    error RegisterBatchLeafErased(bytes32 merkleRoot, bytes32 leaf);
    /// @notice {tryEach} got `count` calls; 1..`maxCalls` are allowed.
    error RegisterInvalidCallCount(uint256 count, uint256 maxCalls);

    /// @notice Register `registerId` was created for department `owningDepartment` by `account`.
    event RegisterCreated(
        bytes32 indexed registerId,
        bytes32 indexed owningDepartment,
        string name,
        bytes32 schemaHash,
        address indexed account
    );
    /// @notice Register `registerId` moved to schema version `schemaVersion` with `schemaHash`.
    event RegisterSchemaUpdated(
        bytes32 indexed registerId, uint32 schemaVersion, bytes32 schemaHash, address indexed account
    );
    /// @notice The council allowed (`allowed`) or disallowed department `departmentId` to create registers.
    event RegisterCreatorChanged(bytes32 indexed departmentId, bool allowed, address indexed council);
    /// @notice Version `versionIndex` of record `recordId` was anchored with `status` by `signer`.
    /// `Active` with index 0: created; `Active` with index > 0: amended (version `versionIndex - 1`
    /// is now `Amended`); `Closed`: closed (likewise).
    event RecordVersionAnchored(
        bytes32 indexed registerId,
        bytes32 indexed recordId,
        uint256 versionIndex,
        bytes32 contentHash,
        bytes32 previousHash,
        Status status,
        address indexed signer
    );
    /// @notice Version `versionIndex` of record `recordId` was erased for `reasonCode` by `signer`.
    event VersionErased(
        bytes32 indexed registerId,
        bytes32 indexed recordId,
        uint256 versionIndex,
        uint8 reasonCode,
        address indexed signer
    );
    /// @notice `signer` anchored batch `merkleRoot` of `leafCount` versions in register `registerId`.
    event BatchAnchored(
        bytes32 indexed registerId, bytes32 indexed merkleRoot, uint256 leafCount, address indexed signer
    );
    /// @notice Version `versionIndex` of record `recordId`, anchored as `leaf` in batch `merkleRoot`,
    /// was erased for `reasonCode` by `signer`.
    event BatchVersionErased(
        bytes32 indexed merkleRoot,
        bytes32 indexed recordId,
        uint256 versionIndex,
        bytes32 leaf,
        uint8 reasonCode,
        address indexed signer
    );

    /// @notice Call `index` of a {tryEach} by `signer` reverted with `revertData` (e.g. one of the
    /// custom errors above); the transaction's other calls stand.
    event BatchedCallFailed(uint256 index, bytes revertData, address indexed signer);

    /// @notice Lets (`allowed`) or stops department `departmentId` creating its own registers.
    /// @dev Requirements: caller is the council; the department exists. Nothing happens if the
    /// permission is unchanged.
    /// Emits: {RegisterCreatorChanged} if the permission changed.
    /// @param departmentId The department.
    /// @param allowed Whether its accounts may create registers it owns.
    function setRegisterCreator(bytes32 departmentId, bool allowed) external;

    /// @notice Creates register `registerId`, owned by department `owningDepartment`.
    /// @dev Requirements: caller is the council, or an account of `owningDepartment` that the
    /// council allowed to create registers ({setRegisterCreator}); the department exists and is
    /// active; id not zero and new; name 1..{MAX_NAME_LENGTH} bytes; schema hash not zero.
    /// Emits: {RegisterCreated}.
    /// @param registerId Id of the new register (e.g. "TRADE" right-padded with zero bytes).
    /// @param name Short public name.
    /// @param schemaHash Hash of the register's JSON Schema.
    /// @param owningDepartment Department whose accounts will write it.
    function createRegister(bytes32 registerId, string calldata name, bytes32 schemaHash, bytes32 owningDepartment)
        external;

    /// @notice Moves register `registerId` to a new schema version with `schemaHash`.
    /// @dev Requirements: caller is an account of the owning department, which is active;
    /// `schemaHash` not zero and different from the current one.
    /// Emits: {RegisterSchemaUpdated}.
    /// @param registerId The register.
    /// @param schemaHash Hash of the new JSON Schema.
    function updateRegisterSchema(bytes32 registerId, bytes32 schemaHash) external;

    /// @notice Creates record `recordId` in register `registerId` with its first version (`Active`).
    /// @dev Requirements: register exists; caller is an account of its owning department, which is
    /// active; record id not zero and new; content hash not zero and not anchored yet.
    /// Emits: {RecordVersionAnchored} (index 0, `Active`, previous hash zero).
    /// @param registerId The register.
    /// @param recordId Id without meaning, chosen off chain (e.g. random).
    /// @param contentHash Content hash of the first version.
    /// @return versionIndex Always 0.
    function createRecord(bytes32 registerId, bytes32 recordId, bytes32 contentHash)
        external
        returns (uint256 versionIndex);

    /// @notice Appends an `Active` version to record `recordId`; the previous one becomes `Amended`.
    /// @dev Requirements: record exists; caller is an account of the owning department, which is
    /// active; the latest version is `Active`; `previousHash` equals its content hash (so a lost
    /// race is detected); content hash not zero and not anchored yet; fewer than
    /// {MAX_RECORD_VERSIONS} versions.
    /// Emits: {RecordVersionAnchored} (`Active`).
    /// @param recordId The record.
    /// @param contentHash Content hash of the new version.
    /// @param previousHash Content hash of the latest version as the caller knows it.
    /// @return versionIndex Index of the new version.
    function amendRecord(bytes32 recordId, bytes32 contentHash, bytes32 previousHash)
        external
        returns (uint256 versionIndex);

    /// @notice Closes record `recordId` by appending a `Closed` version (e.g. the hash of the
    /// closing decision); the previous version becomes `Amended`. A closed record takes no further
    /// versions, but its versions can still be erased.
    /// @dev Requirements and semantics as {amendRecord}.
    /// Emits: {RecordVersionAnchored} (`Closed`).
    /// @param recordId The record.
    /// @param contentHash Content hash of the closing version.
    /// @param previousHash Content hash of the latest version as the caller knows it.
    /// @return versionIndex Index of the closing version.
    function closeRecord(bytes32 recordId, bytes32 contentHash, bytes32 previousHash)
        external
        returns (uint256 versionIndex);

    /// @notice Marks version `versionIndex` of record `recordId` erased (its content and salt were
    /// deleted off chain, so the hash can no longer be linked to a person).
    /// @dev Requirements: version exists and is not erased yet; caller is an account of the owning
    /// department, which is active; `reasonCode` is one of the `ERASURE_*` codes. Erasing the
    /// latest version ends the record (no further versions).
    /// Emits: {VersionErased}.
    /// @param recordId The record.
    /// @param versionIndex The version.
    /// @param reasonCode One of the `ERASURE_*` codes.
    function eraseVersion(bytes32 recordId, uint256 versionIndex, uint8 reasonCode) external;

    /// @notice Anchors `merkleRoot`, the root of a `StandardMerkleTree` of `leafCount` versions of
    /// register `registerId` (see {batchLeaf}). The batch only anchors; see the contract notice.
    /// @dev Requirements: register exists; caller is an account of its owning department, which is
    /// active; root not zero and new; 1 <= `leafCount` <= {MAX_BATCH_LEAVES}.
    /// Emits: {BatchAnchored}.
    /// @param registerId The register.
    /// @param merkleRoot Root of the tree.
    /// @param leafCount Number of leaves in the tree.
    function anchorBatch(bytes32 registerId, bytes32 merkleRoot, uint256 leafCount) external;

    /// @notice Marks a version anchored in batch `merkleRoot` erased.
    /// @dev Requirements: batch exists; caller is an account of the owning department of its
    /// register, which is active; `proof` proves the leaf of `batchVersion` in the batch; the leaf
    /// is not erased yet; `reasonCode` is one of the `ERASURE_*` codes.
    /// Emits: {BatchVersionErased}.
    /// @param merkleRoot The batch.
    /// @param proof Merkle proof of the version's leaf.
    /// @param batchVersion The fields of the version.
    /// @param reasonCode One of the `ERASURE_*` codes.
    function eraseBatchVersion(
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        BatchVersion calldata batchVersion,
        uint8 reasonCode
    ) external;

    /// @notice Runs each of `calls` (ABI-encoded calls of this hub's functions) on its own, in order,
    /// with the caller's authority: a call that reverts emits {BatchedCallFailed} and leaves no
    /// trace, the others take effect as if sent in their own transactions.
    /// @dev Requirements: 1 <= `calls.length` <= {MAX_CALLS}. Each call checks its own requirements.
    /// Emits: the events of the calls that succeed; {BatchedCallFailed} for each one that reverts.
    /// @param calls The calls, e.g. `abi.encodeCall(IRegisterHub.createRecord, (...))`.
    function tryEach(bytes[] calldata calls) external;

    /// @notice Maximum number of calls of one {tryEach}.
    /// @return The limit (256).
    function MAX_CALLS() external view returns (uint256);

    /// @notice Maximum name length in bytes.
    /// @return The limit (64).
    function MAX_NAME_LENGTH() external view returns (uint256);

    /// @notice Maximum number of leaves of one batch.
    /// @return The limit (1024).
    function MAX_BATCH_LEAVES() external view returns (uint256);

    /// @notice Maximum number of versions of one record.
    /// @return The limit (10000).
    function MAX_RECORD_VERSIONS() external view returns (uint256);

    /// @notice The department directory.
    /// @return The directory (set at construction, fixed).
    function directory() external view returns (address);

    /// @notice The council (the directory's council).
    /// @return The council's address, read from the directory on every call.
    function council() external view returns (address);

    /// @notice Whether the council allowed department `departmentId` to create registers.
    /// @param departmentId The department.
    /// @return True if {setRegisterCreator} allowed it last.
    function isRegisterCreator(bytes32 departmentId) external view returns (bool);

    /// @notice Register `registerId`.
    /// @dev Reverts with {RegisterUnknownRegister} if it does not exist.
    /// @param registerId The register.
    /// @return The register.
    function register(bytes32 registerId) external view returns (Register memory);

    /// @notice The register of record `recordId` (zero if the record is not singly anchored).
    /// @param recordId The record.
    /// @return The register's id, or zero.
    function registerOf(bytes32 recordId) external view returns (bytes32);

    /// @notice Number of singly anchored versions of record `recordId` (zero if unknown).
    /// @param recordId The record.
    /// @return The count, erased versions included.
    function versionCount(bytes32 recordId) external view returns (uint256);

    /// @notice Version `versionIndex` of record `recordId`.
    /// @dev Reverts with {RegisterUnknownVersion} if it does not exist.
    /// @param recordId The record.
    /// @param versionIndex The version (0 for the first).
    /// @return The version.
    function version(bytes32 recordId, uint256 versionIndex) external view returns (Version memory);

    /// @notice The latest version of record `recordId` and its index.
    /// @dev Reverts with {RegisterUnknownRecord} if the record does not exist.
    /// @param recordId The record.
    /// @return versionIndex Its index.
    /// @return latest The version.
    function latestVersion(bytes32 recordId) external view returns (uint256 versionIndex, Version memory latest);

    /// @notice Whether `contentHash` is singly anchored, and where.
    /// @dev Erasing the version does not remove the anchor.
    /// @param contentHash The content hash.
    /// @return anchored Whether it is.
    /// @return recordId The record (zero if not anchored).
    /// @return versionIndex The version index (zero if not anchored).
    function anchorOf(bytes32 contentHash)
        external
        view
        returns (bool anchored, bytes32 recordId, uint256 versionIndex);

    /// @notice Whether batch `merkleRoot` is anchored, and where.
    /// @param merkleRoot The batch's root.
    /// @return anchored Whether it is.
    /// @return registerId Its register.
    /// @return blockNumber The block it was anchored in.
    /// @return signer The department account that anchored it.
    /// @return leafCount Its declared number of leaves.
    function isBatchAnchored(bytes32 merkleRoot)
        external
        view
        returns (bool anchored, bytes32 registerId, uint256 blockNumber, address signer, uint256 leafCount);

    /// @notice The leaf of `batchVersion` in a batch of register `registerId` (double hashed, as
    /// OpenZeppelin's `StandardMerkleTree`).
    /// @param registerId The register.
    /// @param batchVersion The version's fields.
    /// @return The leaf.
    function batchLeaf(bytes32 registerId, BatchVersion calldata batchVersion) external pure returns (bytes32);

    /// @notice Whether `proof` proves `leaf` (already double hashed) in anchored batch `merkleRoot`.
    /// @dev False if the batch is not anchored, or the proof is longer than a `StandardMerkleTree`
    /// of the batch's leaf count can have (ceil(log2(leafCount))). Ignores erasure.
    /// @param merkleRoot The batch's root.
    /// @param proof The sibling hashes from the leaf up.
    /// @param leaf The leaf, already double hashed.
    /// @return Whether the proof holds.
    function verifyBatchLeaf(bytes32 merkleRoot, bytes32[] calldata proof, bytes32 leaf)
        external
        view
        returns (bool);

    /// @notice Whether `batchVersion` was anchored in batch `merkleRoot` of register `registerId`
    /// and has not been erased.
    /// @dev The status in the leaf is the status at anchoring; whether a later version superseded it
    /// is derived off chain. False also if the batch belongs to another register.
    /// @param registerId The register.
    /// @param merkleRoot The batch's root.
    /// @param proof The sibling hashes of the version's leaf.
    /// @param batchVersion The version's fields.
    /// @return Whether the version is proven in the batch and not erased.
    function verifyRecordVersion(
        bytes32 registerId,
        bytes32 merkleRoot,
        bytes32[] calldata proof,
        BatchVersion calldata batchVersion
    ) external view returns (bool);

    /// @notice The `ERASURE_*` reason code of `leaf` in batch `merkleRoot` (zero if not erased).
    /// @param merkleRoot The batch's root.
    /// @param leaf The leaf.
    /// @return The reason code, or zero.
    function batchLeafErasure(bytes32 merkleRoot, bytes32 leaf) external view returns (uint8);
}
