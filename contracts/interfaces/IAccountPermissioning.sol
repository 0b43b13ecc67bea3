// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Account permissioning of the city chain
/// @notice Decides which accounts may send transactions. Exposes the interface of Hyperledger
/// Besu's on-chain account permissioning, so a Besu network (or a permissioning plugin) can enforce
/// it natively; on the embedded chain the RPC gateway asks it for every raw transaction.
/// Allowed senders: council members, accounts of active departments, and accounts the council
/// allow-listed explicitly.
interface IAccountPermissioning {
    /// @notice Caller `caller` is not the council.
    error PermissioningCallerNotCouncil(address caller);
    /// @notice `account` is the zero address.
    error PermissioningInvalidAccount(address account);
    /// @notice `account` is allow-listed already.
    error PermissioningAccountAllowed(address account);
    /// @notice `account` is not allow-listed.
    error PermissioningAccountNotAllowed(address account);

    /// @notice The council allow-listed `account`.
    event AccountAllowed(address indexed account);
    /// @notice The council took `account` off the allow-list.
    event AccountDisallowed(address indexed account);

    /// @notice Allow-lists `account` explicitly (e.g. an operator or a service account).
    /// @dev Requirements: caller is the council; account not zero and not allow-listed.
    /// Emits: {AccountAllowed}.
    function allowAccount(address account) external;

    /// @notice Takes `account` off the explicit allow-list.
    /// @dev Requirements: caller is the council; account is allow-listed.
    /// Emits: {AccountDisallowed}.
    function disallowAccount(address account) external;

    /// @notice Besu's account-permissioning check: whether `sender` may send this transaction.
    /// @dev Only the sender decides; target, value, gas and payload are accepted for interface
    /// compatibility with Besu.
    /// @return True if the sender is a council member, an active department's account or allow-listed.
    function transactionAllowed(
        address sender,
        address target,
        uint256 value,
        uint256 gasPrice,
        uint256 gasLimit,
        bytes calldata payload
    ) external view returns (bool);

    /// @notice Whether `account` may send transactions (same rule as {transactionAllowed}).
    function isAccountPermitted(address account) external view returns (bool);

    /// @notice Accounts on the explicit allow-list.
    function allowedAccounts() external view returns (address[] memory);

    /// @notice The council contract.
    function council() external view returns (address);

    /// @notice The department directory consulted for department accounts.
    function directory() external view returns (address);
}
