// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";

/// @title Directory of the city's departments and their chain accounts
/// @notice Departments and the accounts that act for them; only the council changes it.
contract DepartmentDirectory is IDepartmentDirectory {
    using EnumerableSet for EnumerableSet.AddressSet;

    struct Department {
        bool exists;
        bool active;
        string name;
    }

    /// @inheritdoc IDepartmentDirectory
    uint256 public constant override MAX_NAME_LENGTH = 64;

    /// @inheritdoc IDepartmentDirectory
    address public immutable override council;

    bytes32[] private _departmentIds;
    mapping(bytes32 departmentId => Department department) private _departments;
    mapping(bytes32 departmentId => EnumerableSet.AddressSet accounts) private _accounts;
    mapping(address account => bytes32 departmentId) private _departmentOf;

    modifier onlyCouncil() {
        if (msg.sender != council) revert DirectoryCallerNotCouncil(msg.sender);
        _;
    }

    /// @param council_ The council contract that governs the directory.
    constructor(address council_) {
        council = council_;
    }

    // ----------------------------------------------------------------------------------------
    // Council actions
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IDepartmentDirectory
    function addDepartment(bytes32 departmentId, string calldata name) external onlyCouncil {
        if (departmentId == bytes32(0)) revert DirectoryInvalidDepartmentId(departmentId);
        if (_departments[departmentId].exists) revert DirectoryDepartmentExists(departmentId);
        _requireValidName(name);
        _addDepartment(departmentId, name);
    }

    /// @inheritdoc IDepartmentDirectory
    function renameDepartment(bytes32 departmentId, string calldata name) external onlyCouncil {
        _requireExists(departmentId);
        _requireValidName(name);
        _rename(departmentId, name);
    }

    /// @inheritdoc IDepartmentDirectory
    function suspendDepartment(bytes32 departmentId) external onlyCouncil {
        _requireExists(departmentId);
        if (!_setActive(departmentId, false)) {
            revert DirectoryDepartmentStatusUnchanged(departmentId, false);
        }
    }

    /// @inheritdoc IDepartmentDirectory
    function reactivateDepartment(bytes32 departmentId) external onlyCouncil {
        _requireExists(departmentId);
        if (!_setActive(departmentId, true)) {
            revert DirectoryDepartmentStatusUnchanged(departmentId, true);
        }
    }

    /// @inheritdoc IDepartmentDirectory
    function addAccount(bytes32 departmentId, address account) external onlyCouncil {
        _requireExists(departmentId);
        if (account == address(0)) revert DirectoryInvalidAccount(account);
        bytes32 current = _departmentOf[account];
        if (current != bytes32(0)) revert DirectoryAccountAssigned(account, current);
        _addAccount(departmentId, account);
    }

    /// @inheritdoc IDepartmentDirectory
    function removeAccount(bytes32 departmentId, address account) external onlyCouncil {
        if (!_removeAccount(departmentId, account)) {
            revert DirectoryAccountNotInDepartment(account, departmentId);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc IDepartmentDirectory
    function department(bytes32 departmentId)
        external
        view
        returns (string memory name, bool active, uint256 accountCount)
    {
        Department storage d = _requireExists(departmentId);
        return (d.name, d.active, _accounts[departmentId].length());
    }

    /// @inheritdoc IDepartmentDirectory
    function departmentExists(bytes32 departmentId) external view returns (bool) {
        return _departments[departmentId].exists;
    }

    /// @inheritdoc IDepartmentDirectory
    function isDepartmentActive(bytes32 departmentId) external view returns (bool) {
        return _departments[departmentId].active;
    }

    /// @inheritdoc IDepartmentDirectory
    function departmentIds() external view returns (bytes32[] memory) {
        return _departmentIds;
    }

    /// @inheritdoc IDepartmentDirectory
    function accountsOf(bytes32 departmentId) external view returns (address[] memory) {
        return _accounts[departmentId].values();
    }

    /// @inheritdoc IDepartmentDirectory
    function departmentOf(address account) external view returns (bytes32) {
        return _departmentOf[account];
    }

    /// @inheritdoc IDepartmentDirectory
    function isActiveDepartmentAccount(address account) external view returns (bool) {
        // Unassigned accounts map to id zero, which never exists and so is never active.
        return _departments[_departmentOf[account]].active;
    }

    /// @inheritdoc IDepartmentDirectory
    function isActiveAccountOf(bytes32 departmentId, address account) external view returns (bool) {
        return _departments[departmentId].active && _departmentOf[account] == departmentId;
    }

    // ----------------------------------------------------------------------------------------
    // Internal state changes: each changes state and emits right after.
    // ----------------------------------------------------------------------------------------

    /// @dev Creates an active department. Emits {DepartmentAdded}.
    function _addDepartment(bytes32 departmentId, string calldata name) internal {
        _departments[departmentId] = Department({exists: true, active: true, name: name});
        _departmentIds.push(departmentId);
        emit DepartmentAdded(departmentId, name);
    }

    /// @dev Renames a department. Emits {DepartmentRenamed}.
    function _rename(bytes32 departmentId, string calldata name) internal {
        _departments[departmentId].name = name;
        emit DepartmentRenamed(departmentId, name);
    }

    /// @dev Sets the active flag; returns false if it had that value already.
    /// May emit {DepartmentSuspended} or {DepartmentReactivated}.
    function _setActive(bytes32 departmentId, bool active) internal returns (bool) {
        Department storage d = _departments[departmentId];
        if (d.active == active) return false;
        d.active = active;
        if (active) emit DepartmentReactivated(departmentId);
        else emit DepartmentSuspended(departmentId);
        return true;
    }

    /// @dev Assigns an unassigned account to a department. Emits {DepartmentAccountAdded}.
    function _addAccount(bytes32 departmentId, address account) internal {
        _accounts[departmentId].add(account);
        _departmentOf[account] = departmentId;
        emit DepartmentAccountAdded(departmentId, account);
    }

    /// @dev Unassigns `account` from `departmentId`; returns false if it did not act for it.
    /// May emit {DepartmentAccountRemoved}.
    function _removeAccount(bytes32 departmentId, address account) internal returns (bool) {
        if (!_accounts[departmentId].remove(account)) return false;
        delete _departmentOf[account];
        emit DepartmentAccountRemoved(departmentId, account);
        return true;
    }

    // ----------------------------------------------------------------------------------------
    // Internal checks
    // ----------------------------------------------------------------------------------------

    function _requireExists(bytes32 departmentId) internal view returns (Department storage d) {
        d = _departments[departmentId];
        if (!d.exists) revert DirectoryUnknownDepartment(departmentId);
    }

    function _requireValidName(string calldata name) internal pure {
        uint256 length = bytes(name).length;
        if (length == 0 || length > MAX_NAME_LENGTH) {
            revert DirectoryInvalidName(length, MAX_NAME_LENGTH);
        }
    }
}
