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
    /// @param account The account that may send transactions from now on.
    function allowAccount(address account) external;

    /// @notice Takes `account` off the explicit allow-list.
    /// @dev Only the explicit entry goes: an account that is also a council member or an active
    /// department's account stays permitted.
    /// Requirements: caller is the council; account is allow-listed.
    /// Emits: {AccountDisallowed}.
    /// @param account The account to take off.
    function disallowAccount(address account) external;

    /// @notice Besu's account-permissioning check: whether `sender` may send this transaction.
    /// @dev Only the sender decides; target, value, gas and payload are accepted for interface
    /// compatibility with Besu and ignored. The council and the directory are asked on every call (no
    /// copy is kept), so a membership change or a suspension applies to the very next check.
    /// @param sender The transaction's sender.
    /// @param target The called contract (zero for a contract creation); ignored.
    /// @param value Wei sent; ignored.
    /// @param gasPrice The gas price; ignored.
    /// @param gasLimit The gas limit; ignored.
    /// @param payload The calldata or init code; ignored.
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
    /// @param account The account.
    /// @return True if it is allow-listed, a council member or an active department's account.
    function isAccountPermitted(address account) external view returns (bool);

    /// @notice Accounts on the explicit allow-list.
    /// @return The allow-listed accounts, in no guaranteed order (members and department accounts
    /// are not listed here).
    function allowedAccounts() external view returns (address[] memory);

    /// @notice The council contract (set at construction, fixed).
    /// @return The council: it administers the allow-list, and its members are permitted.
    function council() external view returns (address);

    /// @notice The department directory consulted for department accounts (set at construction, fixed).
    /// @return The directory's address.
    function directory() external view returns (address);
}
