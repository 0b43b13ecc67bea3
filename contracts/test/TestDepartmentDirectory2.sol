// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// TEST ONLY. Harnesses for the identity and credential tests: a minimal department directory, an
// ERC-1271 contract owner, and the trusted-issuer and credential status registries with a settable
// clock. Never deploy these.

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";
import {ITrustedIssuerRegistry} from "../interfaces/ITrustedIssuerRegistry.sol";
import {TrustedIssuerRegistry} from "../credentials/TrustedIssuerRegistry.sol";
import {CredentialStatusRegistry} from "../credentials/CredentialStatusRegistry.sol";

/// @title TEST ONLY: minimal department directory for the credential contracts' tests
/// @notice NOT FOR DEPLOYMENT. Implements {IDepartmentDirectory} just enough for tests, with a
/// council address that the current council can replace (an EOA in tests), so the identity and
/// credential contracts can be tested without the real governance contracts.
/// @dev Loops over arrays in writes are fine here and nowhere else.
contract TestDepartmentDirectory2 is IDepartmentDirectory {
    /// @notice Longest department name, in bytes.
    uint256 public constant MAX_NAME_LENGTH = 64;

    struct Department {
        string name;
        bool exists;
        bool active;
        address[] accounts;
    }

    address public council;
    mapping(bytes32 departmentId => Department department) private _departments;
    bytes32[] private _departmentIds;
    mapping(address account => bytes32 departmentId) private _departmentOf;

    modifier onlyCouncil() {
        if (msg.sender != council) revert DirectoryCallerNotCouncil(msg.sender);
        _;
    }

    constructor(address council_) {
        council = council_;
    }

    /// @notice TEST ONLY: hands the council role to `newCouncil`.
    function setCouncil(address newCouncil) external onlyCouncil {
        council = newCouncil;
    }

    function addDepartment(bytes32 departmentId, string calldata name) external onlyCouncil {
        if (departmentId == bytes32(0)) revert DirectoryInvalidDepartmentId(departmentId);
        if (_departments[departmentId].exists) revert DirectoryDepartmentExists(departmentId);
        _checkName(name);
        Department storage d = _departments[departmentId];
        d.name = name;
        d.exists = true;
        d.active = true;
        _departmentIds.push(departmentId);
        emit DepartmentAdded(departmentId, name);
    }

    function renameDepartment(bytes32 departmentId, string calldata name) external onlyCouncil {
        _checkName(name);
        _existing(departmentId).name = name;
        emit DepartmentRenamed(departmentId, name);
    }

    function suspendDepartment(bytes32 departmentId) external onlyCouncil {
        Department storage d = _existing(departmentId);
        if (!d.active) revert DirectoryDepartmentStatusUnchanged(departmentId, false);
        d.active = false;
        emit DepartmentSuspended(departmentId);
    }

    function reactivateDepartment(bytes32 departmentId) external onlyCouncil {
        Department storage d = _existing(departmentId);
        if (d.active) revert DirectoryDepartmentStatusUnchanged(departmentId, true);
        d.active = true;
        emit DepartmentReactivated(departmentId);
    }

    function addAccount(bytes32 departmentId, address account) external onlyCouncil {
        Department storage d = _existing(departmentId);
        if (account == address(0)) revert DirectoryInvalidAccount(account);
        bytes32 current = _departmentOf[account];
        if (current != bytes32(0)) revert DirectoryAccountAssigned(account, current);
        d.accounts.push(account);
        _departmentOf[account] = departmentId;
        emit DepartmentAccountAdded(departmentId, account);
    }

    function removeAccount(bytes32 departmentId, address account) external onlyCouncil {
        if (_departmentOf[account] != departmentId || departmentId == bytes32(0)) {
            revert DirectoryAccountNotInDepartment(account, departmentId);
        }
        address[] storage accounts = _departments[departmentId].accounts;
        for (uint256 i = 0; i < accounts.length; ++i) {
            if (accounts[i] == account) {
                accounts[i] = accounts[accounts.length - 1];
                accounts.pop();
                break;
            }
        }
        delete _departmentOf[account];
        emit DepartmentAccountRemoved(departmentId, account);
    }

    function department(bytes32 departmentId)
        external
        view
        returns (string memory name, bool active, uint256 accountCount)
    {
        Department storage d = _existing(departmentId);
        return (d.name, d.active, d.accounts.length);
    }

    function departmentExists(bytes32 departmentId) external view returns (bool) {
        return _departments[departmentId].exists;
    }

    function isDepartmentActive(bytes32 departmentId) public view returns (bool) {
        return _departments[departmentId].active;
    }

    function departmentIds() external view returns (bytes32[] memory) {
        return _departmentIds;
    }

    function accountsOf(bytes32 departmentId) external view returns (address[] memory) {
        return _departments[departmentId].accounts;
    }

    function departmentOf(address account) external view returns (bytes32) {
        return _departmentOf[account];
    }

    function isActiveDepartmentAccount(address account) external view returns (bool) {
        bytes32 departmentId = _departmentOf[account];
        return departmentId != bytes32(0) && isDepartmentActive(departmentId);
    }

    function isActiveAccountOf(bytes32 departmentId, address account) external view returns (bool) {
        return departmentId != bytes32(0) && _departmentOf[account] == departmentId && isDepartmentActive(departmentId);
    }

    function _existing(bytes32 departmentId) private view returns (Department storage d) {
        d = _departments[departmentId];
        if (!d.exists) revert DirectoryUnknownDepartment(departmentId);
    }

    function _checkName(string calldata name) private pure {
        uint256 length = bytes(name).length;
        if (length == 0 || length > MAX_NAME_LENGTH) revert DirectoryInvalidName(length, MAX_NAME_LENGTH);
    }
}

/// @title TEST ONLY: a contract identity owner that accepts its signer's ECDSA signatures (ERC-1271)
/// @notice NOT FOR DEPLOYMENT. Stands in for a multisig or smart wallet owning a DID, to test the
/// ERC-1271 path of {EthereumDIDRegistry}'s signed variants.
contract TestERC1271Owner {
    address public immutable signer;

    constructor(address signer_) {
        signer = signer_;
    }

    /// @notice ERC-1271: 0x1626ba7e if `signature` is the signer's over `hash`, else 0xffffffff.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == signer ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}

/// @title TEST ONLY: trusted-issuer registry whose clock the tests set (EAS's `TestEAS` habit)
/// @notice NOT FOR DEPLOYMENT. `setTime(t)` makes `_time()` return `t` (0: the block's timestamp).
contract TestTrustedIssuerRegistry is TrustedIssuerRegistry {
    uint64 private _fakeTime;

    constructor(IDepartmentDirectory directory_) TrustedIssuerRegistry(directory_) {}

    /// @notice TEST ONLY: the time the registry believes it is (0: real block time).
    function setTime(uint64 fakeTime) external {
        _fakeTime = fakeTime;
    }

    function _time() internal view override returns (uint64) {
        return _fakeTime == 0 ? super._time() : _fakeTime;
    }
}

/// @title TEST ONLY: credential status registry whose clock the tests set (EAS's `TestEAS` habit)
/// @notice NOT FOR DEPLOYMENT. `setTime(t)` makes `_time()` return `t` (0: the block's timestamp).
contract TestCredentialStatusRegistry is CredentialStatusRegistry {
    uint64 private _fakeTime;

    constructor(IDepartmentDirectory directory_, ITrustedIssuerRegistry trustedIssuers_)
        CredentialStatusRegistry(directory_, trustedIssuers_)
    {}

    /// @notice TEST ONLY: the time the registry believes it is (0: real block time).
    function setTime(uint64 fakeTime) external {
        _fakeTime = fakeTime;
    }

    function _time() internal view override returns (uint64) {
        return _fakeTime == 0 ? super._time() : _fakeTime;
    }
}
