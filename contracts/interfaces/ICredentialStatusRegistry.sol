// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDepartmentDirectory} from "./IDepartmentDirectory.sol";
import {ITrustedIssuerRegistry} from "./ITrustedIssuerRegistry.sol";

/// @title On-chain issuance anchors and status of the city's verifiable credentials
/// @notice A department anchors the hash of each credential it issues, singly or as the Merkle root
/// of a batch, and may later suspend, resume or revoke a credential with a reason code. Only the
/// department that anchored a credential can change its status; revocation is final.
/// @dev Records and batches are keyed by (issuing department, hash): a department anchors, reads
/// through its writes and changes only its own. Another department anchoring the same credential
/// hash or batch root (front-running a pending anchor, or naming a member of someone else's batch)
/// gets a record of its own under its own department, which neither blocks the real issuer's
/// anchor nor shows in the real issuer's views; verifiers look a credential up under the
/// department of its issuer (the VC's issuer DID -> {IDepartmentDirectory-departmentOf}).
///
/// Only hashes are stored: a credential hash is e.g. keccak256 of the VC-JWT, never personal data.
///
/// Batches: leaves are OpenZeppelin StandardMerkleTree leaves of encoding `["bytes32"]`,
/// `keccak256(bytes.concat(keccak256(abi.encode(credentialHash))))`, with sorted-pair hashing, so
/// OpenZeppelin's merkle-tree JS library and any port of it produce roots and proofs that verify here.
/// A batch member has no record of its own until its status first changes: {status} then answers
/// `Unknown` for it, and verifiers use {statusInBatch} with the member's proof. To suspend or revoke
/// a batch member its department passes the proof ({suspendBatchMember}, {revokeBatchMember}); that
/// records the member (issuer, type and anchoring block/time copied from the batch) and from then
/// on it is changed by hash like a single credential of that department. {statusInBatch} reports
/// nothing (Unknown) unless the department's batch `root` is anchored and `proof` shows the member
/// in it, so a record is never reported on the strength of a root that does not vouch for it.
///
/// Reason codes are RFC 5280 CRLReason values: 0 unspecified, 1 keyCompromise, 2 cACompromise,
/// 3 affiliationChanged, 4 superseded, 5 cessationOfOperation, 6 certificateHold (usual for
/// suspension), 8 removeFromCRL (usual for resumption), 9 privilegeWithdrawn, 10 aACompromise;
/// 7 is unused and anything above 10 is refused.
interface ICredentialStatusRegistry {
    /// @notice A credential's state. `Unknown`: no record (never anchored singly, or an unchanged
    /// batch member). `Revoked` is terminal.
    enum State {
        Unknown,
        Active,
        Suspended,
        Revoked
    }

    /// @notice The status record of a credential.
    struct CredentialStatus {
        State state;
        bytes32 issuerDepartment;
        bytes32 typeId;
        uint64 anchoredAtBlock;
        uint64 anchoredAt;
        uint8 reasonCode;
        uint64 changedAt;
    }

    /// @notice An anchored batch.
    struct Batch {
        bytes32 issuerDepartment;
        bytes32 typeId;
        uint64 anchoredAtBlock;
        uint64 anchoredAt;
        uint32 count;
    }

    /// @notice `directory` or `trustedIssuers` is the zero address.
    error CredentialStatusInvalidDependency(address directory, address trustedIssuers);
    /// @notice `caller` does not act for an active department.
    error CredentialStatusCallerNotDepartment(address caller);
    /// @notice The credential hash or batch root `hash` is zero.
    error CredentialStatusInvalidHash(bytes32 hash);
    /// @notice Credential type `typeId` is unknown or deactivated.
    error CredentialStatusTypeInactive(bytes32 typeId);
    /// @notice Department `departmentId` is not accredited to issue `typeId` at time `at`.
    error CredentialStatusNotAccredited(bytes32 departmentId, bytes32 typeId, uint64 at);
    /// @notice Credential `credentialHash` is recorded already for the caller's department.
    error CredentialStatusAlreadyAnchored(bytes32 credentialHash);
    /// @notice Batch root `root` is anchored already by the caller's department.
    error CredentialStatusBatchExists(bytes32 root);
    /// @notice A batch must have 1..`maxCount` credentials, not `count`.
    error CredentialStatusInvalidBatchSize(uint256 count, uint256 maxCount);
    /// @notice There is no record of credential `credentialHash`.
    error CredentialStatusUnknownCredential(bytes32 credentialHash);
    /// @notice There is no anchored batch with root `root`.
    error CredentialStatusUnknownBatch(bytes32 root);
    /// @notice The proof does not show `credentialHash` to be a member of batch `root`.
    error CredentialStatusInvalidProof(bytes32 root, bytes32 credentialHash);
    /// @notice Credential `credentialHash` cannot go from `from` to `to`.
    error CredentialStatusInvalidTransition(bytes32 credentialHash, State from, State to);
    /// @notice `reasonCode` is not an RFC 5280 CRLReason value (0..10 except 7).
    error CredentialStatusInvalidReason(uint8 reasonCode);

    /// @notice `actor` of department `issuerDepartment` anchored credential `credentialHash` of type `typeId`.
    event CredentialAnchored(
        bytes32 indexed credentialHash, bytes32 indexed issuerDepartment, address indexed actor, bytes32 typeId
    );
    /// @notice `actor` of department `issuerDepartment` anchored a batch of `count` credentials of
    /// type `typeId` under Merkle root `root`.
    event CredentialBatchAnchored(
        bytes32 indexed root, bytes32 indexed issuerDepartment, address indexed actor, bytes32 typeId, uint256 count
    );
    /// @notice Credential `credentialHash` of department `issuerDepartment`'s batch `root` now has
    /// a record of its own (its status is about to change).
    event CredentialBatchMemberRecorded(
        bytes32 indexed credentialHash, bytes32 indexed root, bytes32 indexed issuerDepartment
    );
    /// @notice `actor` of the issuing department revoked credential `credentialHash` with `reasonCode`.
    event CredentialRevoked(
        bytes32 indexed credentialHash, bytes32 indexed issuerDepartment, address indexed actor, uint8 reasonCode
    );
    /// @notice `actor` of the issuing department suspended credential `credentialHash` with `reasonCode`.
    event CredentialSuspended(
        bytes32 indexed credentialHash, bytes32 indexed issuerDepartment, address indexed actor, uint8 reasonCode
    );
    /// @notice `actor` of the issuing department resumed suspended credential `credentialHash` with `reasonCode`.
    event CredentialResumed(
        bytes32 indexed credentialHash, bytes32 indexed issuerDepartment, address indexed actor, uint8 reasonCode
    );

    /// @notice Anchors credential `credentialHash` of type `typeId`, issued now by the caller's department.
    /// @dev Requirements: caller acts for an active department; hash not zero and not recorded for
    /// that department (other departments' records of the same hash do not count); the type is active and the department accredited for it now.
    /// Emits: {CredentialAnchored}.
    /// @param credentialHash Hash of the credential (e.g. keccak256 of the VC-JWT).
    /// @param typeId The credential's type in the trusted-issuer registry.
    function anchorCredential(bytes32 credentialHash, bytes32 typeId) external;

    /// @notice Anchors a batch of `count` credentials of type `typeId` by their Merkle root.
    /// @dev Requirements: caller acts for an active department; root not zero and not anchored by
    /// that department;
    /// 1 <= `count` <= `MAX_BATCH_SIZE`; the type is active and the department accredited for it now.
    /// `count` is what the department declares; the contract cannot check it.
    /// Emits: {CredentialBatchAnchored}.
    /// @param root StandardMerkleTree root over the credential hashes (see the contract notes).
    /// @param typeId The credentials' type.
    /// @param count Number of credentials in the batch.
    function anchorBatch(bytes32 root, bytes32 typeId, uint256 count) external;

    /// @notice Suspends active credential `credentialHash` of the caller's department.
    /// @dev Requirements: caller acts for an active department; that department has a record of
    /// the credential (only its own records are reachable); the credential is Active; valid reason code.
    /// Emits: {CredentialSuspended}.
    /// @param credentialHash The credential.
    /// @param reasonCode RFC 5280 CRLReason (usually 6, certificateHold).
    function suspendCredential(bytes32 credentialHash, uint8 reasonCode) external;

    /// @notice Resumes suspended credential `credentialHash`.
    /// @dev Requirements: as {suspendCredential}, but the credential is Suspended.
    /// Emits: {CredentialResumed}.
    /// @param credentialHash The credential.
    /// @param reasonCode RFC 5280 CRLReason (usually 8, removeFromCRL).
    function resumeCredential(bytes32 credentialHash, uint8 reasonCode) external;

    /// @notice Revokes credential `credentialHash` for good.
    /// @dev Requirements: as {suspendCredential}, but the credential is Active or Suspended.
    /// Emits: {CredentialRevoked}.
    /// @param credentialHash The credential.
    /// @param reasonCode RFC 5280 CRLReason.
    function revokeCredential(bytes32 credentialHash, uint8 reasonCode) external;

    /// @notice Suspends credential `credentialHash`, a member of batch `root` shown by `proof`.
    /// @dev If the member has a record already this is {suspendCredential} (the proof is still checked).
    /// Requirements: the batch is anchored; the proof is valid; caller acts for the batch's
    /// (active) issuing department; the credential is Active; valid reason code.
    /// Emits: {CredentialBatchMemberRecorded} (first change only), {CredentialSuspended}.
    /// @param root The batch's Merkle root.
    /// @param proof Sibling hashes from the member's leaf up to the root.
    /// @param credentialHash The credential.
    /// @param reasonCode RFC 5280 CRLReason.
    function suspendBatchMember(bytes32 root, bytes32[] calldata proof, bytes32 credentialHash, uint8 reasonCode)
        external;

    /// @notice Revokes credential `credentialHash`, a member of batch `root` shown by `proof`.
    /// @dev If the member has a record already this is {revokeCredential} (the proof is still checked).
    /// Requirements: as {suspendBatchMember}, but the credential is Active or Suspended.
    /// Emits: {CredentialBatchMemberRecorded} (first change only), {CredentialRevoked}.
    /// @param root The batch's Merkle root.
    /// @param proof Sibling hashes from the member's leaf up to the root.
    /// @param credentialHash The credential.
    /// @param reasonCode RFC 5280 CRLReason.
    function revokeBatchMember(bytes32 root, bytes32[] calldata proof, bytes32 credentialHash, uint8 reasonCode)
        external;

    /// @notice The department directory.
    function directory() external view returns (IDepartmentDirectory);

    /// @notice The trusted-issuer registry consulted when anchoring.
    function trustedIssuers() external view returns (ITrustedIssuerRegistry);

    /// @notice Department `issuerDepartment`'s record of credential `credentialHash` (all zero,
    /// state Unknown, if none).
    /// @param issuerDepartment The department that issued the credential.
    /// @param credentialHash The credential.
    /// @return state Current state.
    /// @return issuerDepartment_ Department that anchored it (`issuerDepartment`, zero if none).
    /// @return typeId Its credential type.
    /// @return anchoredAtBlock Block of the anchoring transaction (of the batch for batch members).
    /// @return anchoredAt Timestamp of that block.
    /// @return reasonCode Reason code of the last status change (0 if none).
    /// @return changedAt Timestamp of the last status change (the anchoring time if none).
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
        );

    /// @notice Like {status}, for a member of department `issuerDepartment`'s batch `root`: all zero
    /// (Unknown) unless that batch is anchored and `proof` shows `credentialHash` in it; then the
    /// department's own record of the credential if it has one, else an Active status from the batch.
    /// @param issuerDepartment The department that issued the credential.
    /// @param root The batch's Merkle root.
    /// @param proof Sibling hashes from the member's leaf up to the root.
    /// @param credentialHash The credential.
    /// @return The credential's status as a member of the batch.
    function statusInBatch(bytes32 issuerDepartment, bytes32 root, bytes32[] calldata proof, bytes32 credentialHash)
        external
        view
        returns (CredentialStatus memory);

    /// @notice Department `issuerDepartment`'s batch `root` (all zero if it anchored none).
    /// @param issuerDepartment The department.
    /// @param root The batch's Merkle root.
    /// @return The batch.
    function batch(bytes32 issuerDepartment, bytes32 root) external view returns (Batch memory);

    /// @notice Whether department `issuerDepartment` anchored batch `root` and `proof` shows
    /// `credentialHash` to be in it.
    /// @param issuerDepartment The department.
    /// @param root The batch's Merkle root.
    /// @param proof Sibling hashes from the member's leaf up to the root.
    /// @param credentialHash The credential.
    /// @return Whether the batch vouches for the credential.
    function verifyBatchMember(bytes32 issuerDepartment, bytes32 root, bytes32[] calldata proof, bytes32 credentialHash)
        external
        view
        returns (bool);

    /// @notice The StandardMerkleTree leaf of `credentialHash`.
    function batchLeaf(bytes32 credentialHash) external pure returns (bytes32);
}
