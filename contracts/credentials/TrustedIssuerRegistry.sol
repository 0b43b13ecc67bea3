// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";
import {ITrustedIssuerRegistry} from "../interfaces/ITrustedIssuerRegistry.sol";

/// @title Trusted issuers of the city's verifiable credentials
/// @notice Credential types and time-bounded accreditations of departments to issue them; governed
/// by the directory's council.
contract TrustedIssuerRegistry is ITrustedIssuerRegistry {
    /// @notice Longest credential type name, in bytes.
    uint256 public constant MAX_NAME_LENGTH = 64;
    /// @notice Most accreditations one department can receive for one type (bounds {isAccredited}).
    uint256 public constant MAX_ACCREDITATIONS_PER_PAIR = 32;

    /// @inheritdoc ITrustedIssuerRegistry
    IDepartmentDirectory public immutable directory;

    mapping(bytes32 typeId => CredentialType credentialType) private _types;
    bytes32[] private _typeIds;
    mapping(uint256 accreditationId => Accreditation accreditation) private _accreditations;
    mapping(bytes32 departmentId => mapping(bytes32 typeId => uint256[] accreditationIds)) private _pairAccreditations;
    uint256 private _accreditationCount;

    modifier onlyCouncil() {
        if (msg.sender != directory.council()) revert TrustedIssuersCallerNotCouncil(msg.sender);
        _;
    }

    /// @param directory_ The department directory; its council governs this registry.
    constructor(IDepartmentDirectory directory_) {
        if (address(directory_) == address(0)) revert TrustedIssuersInvalidDirectory(address(directory_));
        directory = directory_;
    }

    // ---------------------------------------------------------------------------------------------
    // Council actions

    /// @inheritdoc ITrustedIssuerRegistry
    function addCredentialType(bytes32 typeId, string calldata name, bytes32 schemaHash) external onlyCouncil {
        if (typeId == bytes32(0)) revert TrustedIssuersInvalidTypeId(typeId);
        if (credentialTypeExists(typeId)) revert TrustedIssuersTypeExists(typeId);
        uint256 length = bytes(name).length;
        if (length == 0 || length > MAX_NAME_LENGTH) revert TrustedIssuersInvalidName(length, MAX_NAME_LENGTH);
        if (schemaHash == bytes32(0)) revert TrustedIssuersInvalidSchemaHash(schemaHash);
        _types[typeId] = CredentialType({name: name, schemaHash: schemaHash, active: true});
        _typeIds.push(typeId);
        emit CredentialTypeAdded(typeId, name, schemaHash);
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function deactivateCredentialType(bytes32 typeId) external onlyCouncil {
        _setTypeActive(typeId, false);
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function reactivateCredentialType(bytes32 typeId) external onlyCouncil {
        _setTypeActive(typeId, true);
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function accredit(bytes32 departmentId, bytes32 typeId, uint64 validFrom, uint64 validUntil)
        external
        onlyCouncil
        returns (uint256 accreditationId)
    {
        if (!credentialTypeExists(typeId)) revert TrustedIssuersUnknownType(typeId);
        if (!_types[typeId].active) revert TrustedIssuersTypeInactive(typeId);
        if (!directory.departmentExists(departmentId)) revert TrustedIssuersUnknownDepartment(departmentId);
        uint64 currentTime = _time();
        uint64 start = validFrom == 0 ? currentTime : validFrom;
        if (start < currentTime || (validUntil != 0 && validUntil <= start)) {
            revert TrustedIssuersInvalidWindow(validFrom, validUntil, currentTime);
        }
        uint256[] storage ids = _pairAccreditations[departmentId][typeId];
        if (ids.length >= MAX_ACCREDITATIONS_PER_PAIR) {
            revert TrustedIssuersTooManyAccreditations(departmentId, typeId, MAX_ACCREDITATIONS_PER_PAIR);
        }
        accreditationId = ++_accreditationCount;
        ids.push(accreditationId);
        _accreditations[accreditationId] =
            Accreditation({departmentId: departmentId, typeId: typeId, validFrom: start, validUntil: validUntil});
        emit AccreditationGranted(accreditationId, departmentId, typeId, start, validUntil);
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function endAccreditation(uint256 accreditationId, uint64 validUntil) external onlyCouncil {
        Accreditation storage a = _accreditation(accreditationId);
        uint64 currentTime = _time();
        uint64 end = validUntil == 0 ? currentTime : validUntil;
        uint64 earliest = a.validFrom > currentTime ? a.validFrom : currentTime;
        uint64 latest = a.validUntil;
        if (end < earliest || (latest != 0 && end >= latest)) {
            revert TrustedIssuersInvalidEnd(accreditationId, end, earliest, latest);
        }
        a.validUntil = end;
        emit AccreditationEnded(accreditationId, a.departmentId, a.typeId, end);
    }

    // ---------------------------------------------------------------------------------------------
    // Views

    /// @inheritdoc ITrustedIssuerRegistry
    function credentialType(bytes32 typeId) external view returns (CredentialType memory) {
        if (!credentialTypeExists(typeId)) revert TrustedIssuersUnknownType(typeId);
        return _types[typeId];
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function credentialTypeExists(bytes32 typeId) public view returns (bool) {
        return _types[typeId].schemaHash != bytes32(0);
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function isCredentialTypeActive(bytes32 typeId) external view returns (bool) {
        return _types[typeId].active;
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function credentialTypeIds() external view returns (bytes32[] memory) {
        return _typeIds;
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function accreditation(uint256 accreditationId) external view returns (Accreditation memory) {
        return _accreditation(accreditationId);
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function accreditationCount() external view returns (uint256) {
        return _accreditationCount;
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function accreditationIds(bytes32 departmentId, bytes32 typeId) external view returns (uint256[] memory) {
        return _pairAccreditations[departmentId][typeId];
    }

    /// @inheritdoc ITrustedIssuerRegistry
    function isAccredited(bytes32 departmentId, bytes32 typeId, uint64 at) external view returns (bool) {
        uint256[] storage ids = _pairAccreditations[departmentId][typeId];
        // Newest first: the current accreditation is usually the last one. At most
        // MAX_ACCREDITATIONS_PER_PAIR iterations; also reached from CredentialStatusRegistry's
        // writes, so the bound is what keeps them cheap.
        for (uint256 i = ids.length; i > 0; --i) {
            Accreditation storage a = _accreditations[ids[i - 1]];
            if (a.validFrom <= at && (a.validUntil == 0 || at < a.validUntil)) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------
    // Internal

    function _setTypeActive(bytes32 typeId, bool active) internal {
        if (!credentialTypeExists(typeId)) revert TrustedIssuersUnknownType(typeId);
        CredentialType storage t = _types[typeId];
        if (t.active == active) revert TrustedIssuersTypeStatusUnchanged(typeId, active);
        t.active = active;
        if (active) emit CredentialTypeReactivated(typeId);
        else emit CredentialTypeDeactivated(typeId);
    }

    function _accreditation(uint256 accreditationId) internal view returns (Accreditation storage a) {
        a = _accreditations[accreditationId];
        if (a.departmentId == bytes32(0)) revert TrustedIssuersUnknownAccreditation(accreditationId);
    }

    /// @dev The current time; overridden in tests (EAS's `TestEAS` habit).
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }
}
