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

    /// @notice Creates active department `departmentId` named `name`, with no accounts yet.
    /// @dev Requirements: caller is the council; id not zero and new; name 1..{MAX_NAME_LENGTH} bytes.
    /// Emits: {DepartmentAdded}.
    /// @param departmentId Id of the new department (e.g. "FB02" right-padded with zero bytes).
    /// @param name Public name of the department (no personal data).
    function addDepartment(bytes32 departmentId, string calldata name) external;

    /// @notice Renames department `departmentId`; its id, accounts and active flag stay.
    /// @dev Requirements: caller is the council; department exists; name 1..{MAX_NAME_LENGTH} bytes
    /// (it may equal the current name).
    /// Emits: {DepartmentRenamed}.
    /// @param departmentId The department.
    /// @param name Its new public name.
    function renameDepartment(bytes32 departmentId, string calldata name) external;

    /// @notice Suspends department `departmentId`; its accounts lose their rights until reactivation.
    /// @dev The accounts stay assigned; every contract that asks {isActiveAccountOf} or
    /// {isActiveDepartmentAccount} refuses them from now on.
    /// Requirements: caller is the council; department exists and is active.
    /// Emits: {DepartmentSuspended}.
    /// @param departmentId The department.
    function suspendDepartment(bytes32 departmentId) external;

    /// @notice Reactivates suspended department `departmentId`; its accounts act again.
    /// @dev Requirements: caller is the council; department exists and is suspended.
    /// Emits: {DepartmentReactivated}.
    /// @param departmentId The department.
    function reactivateDepartment(bytes32 departmentId) external;

    /// @notice Lets `account` act for department `departmentId`.
    /// @dev Requirements: caller is the council; department exists (it may be suspended); account
    /// not zero and not yet assigned to any department.
    /// Emits: {DepartmentAccountAdded}.
    /// @param departmentId The department.
    /// @param account The chain account that will act for it.
    function addAccount(bytes32 departmentId, address account) external;

    /// @notice Stops `account` acting for department `departmentId`; it may then be added to any
    /// department again.
    /// @dev Requirements: caller is the council; `account` acts for that department.
    /// Emits: {DepartmentAccountRemoved}.
    /// @param departmentId The department.
    /// @param account The account to remove.
    function removeAccount(bytes32 departmentId, address account) external;

    /// @notice Longest department name, in bytes.
    /// @return The limit (64).
    function MAX_NAME_LENGTH() external view returns (uint256);

    /// @notice The council contract that governs this directory (set at construction, fixed).
    /// @return The council's address.
    function council() external view returns (address);

    /// @notice Department `departmentId`'s name, active flag and number of accounts.
    /// @dev Reverts with {DirectoryUnknownDepartment} if it does not exist.
    /// @param departmentId The department.
    /// @return name Its current name.
    /// @return active True unless it is suspended.
    /// @return accountCount Number of accounts that act for it.
    function department(bytes32 departmentId)
        external
        view
        returns (string memory name, bool active, uint256 accountCount);

    /// @notice Whether department `departmentId` exists.
    /// @param departmentId The department.
    /// @return True if it was ever added (departments are never deleted), active or suspended.
    function departmentExists(bytes32 departmentId) external view returns (bool);

    /// @notice Whether department `departmentId` exists and is active.
    /// @param departmentId The department.
    /// @return False for a suspended or unknown department.
    function isDepartmentActive(bytes32 departmentId) external view returns (bool);

    /// @notice All department ids, in creation order.
    /// @return The ids, suspended departments included.
    function departmentIds() external view returns (bytes32[] memory);

    /// @notice Accounts of department `departmentId`.
    /// @param departmentId The department.
    /// @return The accounts, in no guaranteed order (empty for an unknown department).
    function accountsOf(bytes32 departmentId) external view returns (address[] memory);

    /// @notice The department `account` acts for (zero if none).
    /// @param account The account.
    /// @return Its department's id, whether active or suspended; zero if it acts for none.
    function departmentOf(address account) external view returns (bytes32);

    /// @notice Whether `account` acts for an active department.
    /// @param account The account.
    /// @return False if it acts for no department or for a suspended one.
    function isActiveDepartmentAccount(address account) external view returns (bool);

    /// @notice Whether `account` acts for department `departmentId` and that department is active.
    /// @param departmentId The department.
    /// @param account The account.
    /// @return True only if both hold.
    function isActiveAccountOf(bytes32 departmentId, address account) external view returns (bool);
}
