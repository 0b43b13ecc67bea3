// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Directory of the city's departments and their chain accounts
/// @notice Departments (id, name, active flag) and the accounts that act for them. An account acts
/// for at most one department, so every change on chain is attributable. Only the council changes it.
/// @dev Department ids are short codes as bytes32 (e.g. "FB02" right-padded with zero bytes).
interface IDepartmentDirectory {
    /// @notice Caller `caller` is not the council.
    error DirectoryCallerNotCouncil(address caller);
    /// @notice `departmentId` is zero.
    error DirectoryInvalidDepartmentId(bytes32 departmentId);
    /// @notice The name is empty or longer than `maxLength` bytes.
    error DirectoryInvalidName(uint256 length, uint256 maxLength);
    /// @notice Department `departmentId` exists already.
    error DirectoryDepartmentExists(bytes32 departmentId);
    /// @notice There is no department `departmentId`.
    error DirectoryUnknownDepartment(bytes32 departmentId);
    /// @notice Department `departmentId` is already `active` (true: active, false: suspended).
    error DirectoryDepartmentStatusUnchanged(bytes32 departmentId, bool active);
    /// @notice `account` is the zero address.
    error DirectoryInvalidAccount(address account);
    /// @notice `account` already acts for department `departmentId`.
    error DirectoryAccountAssigned(address account, bytes32 departmentId);
    /// @notice `account` does not act for department `departmentId`.
    error DirectoryAccountNotInDepartment(address account, bytes32 departmentId);

    /// @notice Department `departmentId` was created with `name`.
    event DepartmentAdded(bytes32 indexed departmentId, string name);
    /// @notice Department `departmentId` is now called `name`.
    event DepartmentRenamed(bytes32 indexed departmentId, string name);
    /// @notice Department `departmentId` was suspended: its accounts may no longer act.
    event DepartmentSuspended(bytes32 indexed departmentId);
    /// @notice Department `departmentId` was reactivated.
    event DepartmentReactivated(bytes32 indexed departmentId);
    /// @notice `account` now acts for department `departmentId`.
    event DepartmentAccountAdded(bytes32 indexed departmentId, address indexed account);
    /// @notice `account` no longer acts for department `departmentId`.
    event DepartmentAccountRemoved(bytes32 indexed departmentId, address indexed account);

    /// @notice Creates active department `departmentId` named `name`.
    /// @dev Requirements: caller is the council; id not zero and new; name 1..`MAX_NAME_LENGTH` bytes.
    /// Emits: {DepartmentAdded}.
    function addDepartment(bytes32 departmentId, string calldata name) external;

    /// @notice Renames department `departmentId`.
    /// @dev Requirements: caller is the council; department exists; valid name.
    /// Emits: {DepartmentRenamed}.
    function renameDepartment(bytes32 departmentId, string calldata name) external;

    /// @notice Suspends department `departmentId`; its accounts lose their rights until reactivation.
    /// @dev Requirements: caller is the council; department exists and is active.
    /// Emits: {DepartmentSuspended}.
    function suspendDepartment(bytes32 departmentId) external;

    /// @notice Reactivates suspended department `departmentId`.
    /// @dev Requirements: caller is the council; department exists and is suspended.
    /// Emits: {DepartmentReactivated}.
    function reactivateDepartment(bytes32 departmentId) external;

    /// @notice Lets `account` act for department `departmentId`.
    /// @dev Requirements: caller is the council; department exists; account not zero and not yet
    /// assigned to any department.
    /// Emits: {DepartmentAccountAdded}.
    function addAccount(bytes32 departmentId, address account) external;

    /// @notice Stops `account` acting for department `departmentId`.
    /// @dev Requirements: caller is the council; `account` acts for that department.
    /// Emits: {DepartmentAccountRemoved}.
    function removeAccount(bytes32 departmentId, address account) external;

    /// @notice Longest department name, in bytes.
    function MAX_NAME_LENGTH() external view returns (uint256);

    /// @notice The council contract that governs this directory.
    function council() external view returns (address);

    /// @notice Department `departmentId`'s name, active flag and number of accounts.
    /// @dev Reverts with {DirectoryUnknownDepartment} if it does not exist.
    function department(bytes32 departmentId)
        external
        view
        returns (string memory name, bool active, uint256 accountCount);

    /// @notice Whether department `departmentId` exists.
    function departmentExists(bytes32 departmentId) external view returns (bool);

    /// @notice Whether department `departmentId` exists and is active.
    function isDepartmentActive(bytes32 departmentId) external view returns (bool);

    /// @notice All department ids, in creation order.
    function departmentIds() external view returns (bytes32[] memory);

    /// @notice Accounts of department `departmentId`.
    function accountsOf(bytes32 departmentId) external view returns (address[] memory);

    /// @notice The department `account` acts for (zero if none).
    function departmentOf(address account) external view returns (bytes32);

    /// @notice Whether `account` acts for an active department.
    function isActiveDepartmentAccount(address account) external view returns (bool);

    /// @notice Whether `account` acts for department `departmentId` and that department is active.
    function isActiveAccountOf(bytes32 departmentId, address account) external view returns (bool);
}
