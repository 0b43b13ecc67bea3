// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDepartmentDirectory} from "./IDepartmentDirectory.sol";

/// @title Trusted issuers: credential types and which department may issue which type, when
/// @notice The council defines credential types (id, name, JSON Schema hash) and accredits
/// departments to issue a type from `validFrom` to `validUntil`. History is never rewritten:
/// accreditations are records that are ended (their `validUntil` set), not deleted, and can neither
/// start nor end in the past, so "was department D accredited for type T at time t?" keeps its
/// answer forever. Verifiers ask it for the time a credential was issued.
/// @dev Windows are half-open: an accreditation covers `validFrom <= t < validUntil`, and
/// `validUntil == 0` means open-ended. A type's schema never changes; a new schema is a new type id.
/// Deactivating a type stops new issuance (see {CredentialStatusRegistry}) but leaves history as it was.
interface ITrustedIssuerRegistry {
    /// @notice A credential type's definition.
    struct CredentialType {
        string name;
        bytes32 schemaHash;
        bool active;
    }

    /// @notice An accreditation of `departmentId` to issue `typeId` in `[validFrom, validUntil)`.
    struct Accreditation {
        bytes32 departmentId;
        bytes32 typeId;
        uint64 validFrom;
        uint64 validUntil;
    }

    /// @notice `directory` is the zero address.
    error TrustedIssuersInvalidDirectory(address directory);
    /// @notice Caller `caller` is not the council.
    error TrustedIssuersCallerNotCouncil(address caller);
    /// @notice `typeId` is zero.
    error TrustedIssuersInvalidTypeId(bytes32 typeId);
    /// @notice The name is empty or longer than `maxLength` bytes.
    error TrustedIssuersInvalidName(uint256 length, uint256 maxLength);
    /// @notice The schema hash is zero.
    error TrustedIssuersInvalidSchemaHash(bytes32 schemaHash);
    /// @notice Credential type `typeId` exists already.
    error TrustedIssuersTypeExists(bytes32 typeId);
    /// @notice There is no credential type `typeId`.
    error TrustedIssuersUnknownType(bytes32 typeId);
    /// @notice Credential type `typeId` is already `active` (true: active, false: deactivated).
    error TrustedIssuersTypeStatusUnchanged(bytes32 typeId, bool active);
    /// @notice Credential type `typeId` is deactivated.
    error TrustedIssuersTypeInactive(bytes32 typeId);
    /// @notice There is no department `departmentId` in the directory.
    error TrustedIssuersUnknownDepartment(bytes32 departmentId);
    /// @notice Window [`validFrom`, `validUntil`) is invalid at `currentTime`: it starts in the
    /// past, or `validUntil` is neither 0 nor after `validFrom`.
    error TrustedIssuersInvalidWindow(uint64 validFrom, uint64 validUntil, uint64 currentTime);
    /// @notice Department `departmentId` has `maxCount` accreditations for type `typeId` already.
    error TrustedIssuersTooManyAccreditations(bytes32 departmentId, bytes32 typeId, uint256 maxCount);
    /// @notice There is no accreditation `accreditationId`.
    error TrustedIssuersUnknownAccreditation(uint256 accreditationId);
    /// @notice Accreditation `accreditationId` cannot end at `validUntil`: it must lie in
    /// [`earliest`, `latest`) (`latest` 0: no upper bound), i.e. not in the past, not before the
    /// accreditation starts, and shorten it.
    error TrustedIssuersInvalidEnd(uint256 accreditationId, uint64 validUntil, uint64 earliest, uint64 latest);

    /// @notice Credential type `typeId` was defined with `name` and JSON Schema hash `schemaHash`.
    event CredentialTypeAdded(bytes32 indexed typeId, string name, bytes32 schemaHash);
    /// @notice Credential type `typeId` was deactivated: no new credentials of it can be anchored.
    event CredentialTypeDeactivated(bytes32 indexed typeId);
    /// @notice Credential type `typeId` was reactivated.
    event CredentialTypeReactivated(bytes32 indexed typeId);
    /// @notice Department `departmentId` may issue `typeId` in [`validFrom`, `validUntil`).
    event AccreditationGranted(
        uint256 indexed accreditationId,
        bytes32 indexed departmentId,
        bytes32 indexed typeId,
        uint64 validFrom,
        uint64 validUntil
    );
    /// @notice Accreditation `accreditationId` now ends at `validUntil`.
    event AccreditationEnded(
        uint256 indexed accreditationId, bytes32 indexed departmentId, bytes32 indexed typeId, uint64 validUntil
    );

    /// @notice Defines active credential type `typeId`.
    /// @dev Requirements: caller is the council; `typeId` not zero and new; name 1..`MAX_NAME_LENGTH`
    /// bytes (no personal data); `schemaHash` not zero.
    /// Emits: {CredentialTypeAdded}.
    /// @param typeId Short code of the type, e.g. "RESIDENCE_CERT" right-padded to 32 bytes.
    /// @param name Display name.
    /// @param schemaHash Hash of the type's JSON Schema (keccak256 of its RFC 8785 canonical form).
    function addCredentialType(bytes32 typeId, string calldata name, bytes32 schemaHash) external;

    /// @notice Deactivates credential type `typeId`.
    /// @dev Requirements: caller is the council; the type exists and is active.
    /// Emits: {CredentialTypeDeactivated}.
    /// @param typeId The type.
    function deactivateCredentialType(bytes32 typeId) external;

    /// @notice Reactivates deactivated credential type `typeId`.
    /// @dev Requirements: caller is the council; the type exists and is deactivated.
    /// Emits: {CredentialTypeReactivated}.
    /// @param typeId The type.
    function reactivateCredentialType(bytes32 typeId) external;

    /// @notice Accredits department `departmentId` to issue `typeId` in [`validFrom`, `validUntil`).
    /// @dev Requirements: caller is the council; the type exists and is active; the department
    /// exists in the directory; `validFrom` is 0 (meaning now) or not in the past; `validUntil` is
    /// 0 (open-ended) or after the start; fewer than `MAX_ACCREDITATIONS_PER_PAIR` accreditations
    /// for this department and type so far. Overlapping accreditations are allowed.
    /// Emits: {AccreditationGranted}.
    /// @param departmentId The department.
    /// @param typeId The credential type.
    /// @param validFrom Start (unix seconds, inclusive); 0 for now.
    /// @param validUntil End (unix seconds, exclusive); 0 for open-ended.
    /// @return accreditationId Sequential id of the new accreditation, starting at 1.
    function accredit(bytes32 departmentId, bytes32 typeId, uint64 validFrom, uint64 validUntil)
        external
        returns (uint256 accreditationId);

    /// @notice Ends accreditation `accreditationId` at `validUntil` (0 for now), keeping it as history.
    /// @dev Requirements: caller is the council; the accreditation exists; the end (after replacing
    /// 0 with now) is not in the past, not before the accreditation's start, and before its current
    /// end if it has one. Ending at the start of an accreditation that has not begun cancels it.
    /// Emits: {AccreditationEnded}.
    /// @param accreditationId The accreditation.
    /// @param validUntil New end (unix seconds, exclusive); 0 for now.
    function endAccreditation(uint256 accreditationId, uint64 validUntil) external;

    /// @notice The directory whose council governs this registry and whose departments are accredited.
    function directory() external view returns (IDepartmentDirectory);

    /// @notice Credential type `typeId`'s name, schema hash and active flag.
    /// @dev Reverts with {TrustedIssuersUnknownType} if it does not exist.
    function credentialType(bytes32 typeId) external view returns (CredentialType memory);

    /// @notice Whether credential type `typeId` exists.
    function credentialTypeExists(bytes32 typeId) external view returns (bool);

    /// @notice Whether credential type `typeId` exists and is active.
    function isCredentialTypeActive(bytes32 typeId) external view returns (bool);

    /// @notice All credential type ids, in creation order.
    function credentialTypeIds() external view returns (bytes32[] memory);

    /// @notice Accreditation `accreditationId`.
    /// @dev Reverts with {TrustedIssuersUnknownAccreditation} if it does not exist.
    function accreditation(uint256 accreditationId) external view returns (Accreditation memory);

    /// @notice Number of accreditations granted so far (the highest accreditation id).
    function accreditationCount() external view returns (uint256);

    /// @notice Ids of all accreditations of department `departmentId` for type `typeId`, oldest first.
    function accreditationIds(bytes32 departmentId, bytes32 typeId) external view returns (uint256[] memory);

    /// @notice Whether department `departmentId` was (or is, or will be) accredited to issue
    /// `typeId` at time `at`, according to the accreditations as recorded now.
    /// @param departmentId The department.
    /// @param typeId The credential type.
    /// @param at Unix seconds, e.g. a credential's anchoring time.
    /// @return accredited True if some accreditation of that department for that type covers `at`.
    function isAccredited(bytes32 departmentId, bytes32 typeId, uint64 at) external view returns (bool accredited);
}
