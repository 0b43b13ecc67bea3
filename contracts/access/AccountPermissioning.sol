// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IAccountPermissioning} from "../interfaces/IAccountPermissioning.sol";
import {ICityCouncil} from "../interfaces/ICityCouncil.sol";
import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";

/// @title Account permissioning of the city chain
/// @notice Besu-compatible sender check: council members, accounts of active departments and
/// explicitly allow-listed accounts may send transactions.
contract AccountPermissioning is IAccountPermissioning {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @inheritdoc IAccountPermissioning
    address public immutable override council;

    /// @inheritdoc IAccountPermissioning
    address public immutable override directory;

    EnumerableSet.AddressSet private _allowed;

    modifier onlyCouncil() {
        if (msg.sender != council) revert PermissioningCallerNotCouncil(msg.sender);
        _;
    }

    /// @param council_ The council contract: administers the allow-list; its members are permitted.
    /// @param directory_ The department directory: accounts of active departments are permitted.
    constructor(address council_, address directory_) {
        council = council_;
        directory = directory_;
    }

    /// @inheritdoc IAccountPermissioning
    function allowAccount(address account) external onlyCouncil {
        if (account == address(0)) revert PermissioningInvalidAccount(account);
        if (!_allow(account)) revert PermissioningAccountAllowed(account);
    }

    /// @inheritdoc IAccountPermissioning
    function disallowAccount(address account) external onlyCouncil {
        if (!_disallow(account)) revert PermissioningAccountNotAllowed(account);
    }

    /// @inheritdoc IAccountPermissioning
    function transactionAllowed(
        address sender,
        address, /* target */
        uint256, /* value */
        uint256, /* gasPrice */
        uint256, /* gasLimit */
        bytes calldata /* payload */
    ) external view returns (bool) {
        return _isPermitted(sender);
    }

    /// @inheritdoc IAccountPermissioning
    function isAccountPermitted(address account) external view returns (bool) {
        return _isPermitted(account);
    }

    /// @inheritdoc IAccountPermissioning
    function allowedAccounts() external view returns (address[] memory) {
        return _allowed.values();
    }

    /// @dev Adds `account` to the allow-list; returns false if it was there. May emit {AccountAllowed}.
    function _allow(address account) internal returns (bool) {
        if (!_allowed.add(account)) return false;
        emit AccountAllowed(account);
        return true;
    }

    /// @dev Removes `account` from the allow-list; returns false if it was not there.
    /// May emit {AccountDisallowed}.
    function _disallow(address account) internal returns (bool) {
        if (!_allowed.remove(account)) return false;
        emit AccountDisallowed(account);
        return true;
    }

    /// @dev The allow-list is checked first (local), then the council and the directory.
    function _isPermitted(address account) internal view returns (bool) {
        return _allowed.contains(account) || ICityCouncil(council).isMember(account)
            || IDepartmentDirectory(directory).isActiveDepartmentAccount(account);
    }
}
