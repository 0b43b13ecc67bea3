// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";

/// @title TEST ONLY: department directory governed by a plain account
/// @notice NOT FOR DEPLOYMENT. A simple but complete {IDepartmentDirectory} whose council is a
/// settable address (an externally owned account in tests) instead of the council multisig, so that
/// contracts depending on the directory (e.g. RegisterHub) can be tested before the governance
/// contracts exist. The real DepartmentDirectory replaces it in integration.
contract TestDepartmentDirectory is IDepartmentDirectory {
    /// @notice Maximum department name length in bytes.
    uint256 public constant MAX_NAME_LENGTH = 64;

    struct Department {
        string name;
        bool exists;
        bool active;
        address[] accounts;
    }

    address private _council;
    bytes32[] private _departmentIds;
    mapping(bytes32 departmentId => Department department) private _departments;
    mapping(address account => bytes32 departmentId) private _departmentOf;
    mapping(address account => uint256 indexPlusOne) private _accountIndex;

    /// @param council_ The account that may change the directory.
    constructor(address council_) {
        _council = council_;
    }

    modifier onlyCouncil() {
        if (msg.sender != _council) revert DirectoryCallerNotCouncil(msg.sender);
        _;
    }

    /// @notice TEST ONLY: hands the directory to `newCouncil`.
    function setCouncil(address newCouncil) external onlyCouncil {
        _council = newCouncil;
    }

    function addDepartment(bytes32 departmentId, string calldata name) external onlyCouncil {
        if (departmentId == bytes32(0)) revert DirectoryInvalidDepartmentId(departmentId);
        if (_departments[departmentId].exists) revert DirectoryDepartmentExists(departmentId);
        _requireName(name);
        Department storage dep = _departments[departmentId];
        dep.name = name;
        dep.exists = true;
        dep.active = true;
        _departmentIds.push(departmentId);
        emit DepartmentAdded(departmentId, name);
    }

    function renameDepartment(bytes32 departmentId, string calldata name) external onlyCouncil {
        _requireName(name);
        _existing(departmentId).name = name;
        emit DepartmentRenamed(departmentId, name);
    }

    function suspendDepartment(bytes32 departmentId) external onlyCouncil {
        Department storage dep = _existing(departmentId);
        if (!dep.active) revert DirectoryDepartmentStatusUnchanged(departmentId, false);
        dep.active = false;
        emit DepartmentSuspended(departmentId);
    }

    function reactivateDepartment(bytes32 departmentId) external onlyCouncil {
        Department storage dep = _existing(departmentId);
        if (dep.active) revert DirectoryDepartmentStatusUnchanged(departmentId, true);
        dep.active = true;
        emit DepartmentReactivated(departmentId);
    }

    function addAccount(bytes32 departmentId, address account) external onlyCouncil {
        Department storage dep = _existing(departmentId);
        if (account == address(0)) revert DirectoryInvalidAccount(account);
        bytes32 current = _departmentOf[account];
        if (current != bytes32(0)) revert DirectoryAccountAssigned(account, current);
        dep.accounts.push(account);
        _accountIndex[account] = dep.accounts.length;
        _departmentOf[account] = departmentId;
        emit DepartmentAccountAdded(departmentId, account);
    }

    function removeAccount(bytes32 departmentId, address account) external onlyCouncil {
        if (departmentId == bytes32(0) || _departmentOf[account] != departmentId) {
            revert DirectoryAccountNotInDepartment(account, departmentId);
        }
        address[] storage accounts = _departments[departmentId].accounts;
        uint256 index = _accountIndex[account] - 1;
        address last = accounts[accounts.length - 1];
        accounts[index] = last;
        _accountIndex[last] = index + 1;
        accounts.pop();
        delete _accountIndex[account];
        delete _departmentOf[account];
        emit DepartmentAccountRemoved(departmentId, account);
    }

    function council() external view returns (address) {
        return _council;
    }

    function department(bytes32 departmentId)
        external
        view
        returns (string memory name, bool active, uint256 accountCount)
    {
        Department storage dep = _departments[departmentId];
        if (!dep.exists) revert DirectoryUnknownDepartment(departmentId);
        return (dep.name, dep.active, dep.accounts.length);
    }

    function departmentExists(bytes32 departmentId) external view returns (bool) {
        return _departments[departmentId].exists;
    }

    function isDepartmentActive(bytes32 departmentId) external view returns (bool) {
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
        return _departments[_departmentOf[account]].active;
    }

    function isActiveAccountOf(bytes32 departmentId, address account) external view returns (bool) {
        return departmentId != bytes32(0) && _departmentOf[account] == departmentId
            && _departments[departmentId].active;
    }

    function _existing(bytes32 departmentId) private view returns (Department storage dep) {
        dep = _departments[departmentId];
        if (!dep.exists) revert DirectoryUnknownDepartment(departmentId);
    }

    function _requireName(string calldata name) private pure {
        uint256 length = bytes(name).length;
        if (length == 0 || length > MAX_NAME_LENGTH) revert DirectoryInvalidName(length, MAX_NAME_LENGTH);
    }
}
