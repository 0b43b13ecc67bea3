// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title The city's payment token
/// @notice An ERC-20 in euro cents (2 decimals) with EIP-2612 `permit`, so that citizens pay fees
/// and open payment channels with a signature and never need gas. Only accounts holding
/// {TREASURY_ROLE} mint and burn; the council (the `DEFAULT_ADMIN_ROLE` holder, set at
/// construction) grants and revokes that role and pauses and unpauses every transfer.
/// @dev ERC-5267 `eip712Domain()` describes the permit domain (name "City Token", version "1").
/// Role errors are OpenZeppelin's `AccessControlUnauthorizedAccount(account, neededRole)`, pause
/// errors `EnforcedPause()` / `ExpectedPause()`, permit errors `ERC2612ExpiredSignature(deadline)`
/// and `ERC2612InvalidSigner(signer, owner)`; role and pause changes emit OpenZeppelin's
/// `RoleGranted`, `RoleRevoked`, `Paused` and `Unpaused`, mints and burns a `Transfer` from or to
/// the zero address.
interface ICityToken is IERC20, IERC20Metadata, IERC20Permit, IERC5267, IAccessControl {
    /// @notice The council address given at construction is the zero address.
    error CityTokenInvalidCouncil(address council);

    /// @notice The role that mints and burns: `keccak256("TREASURY_ROLE")`.
    /// @dev Its admin role is `DEFAULT_ADMIN_ROLE`, so the council grants and revokes it.
    /// @return The role id.
    function TREASURY_ROLE() external view returns (bytes32);

    /// @notice Creates `amount` cents for `to`.
    /// @dev Requirements: caller holds {TREASURY_ROLE}; not paused; `to` is not the zero address
    /// (else OpenZeppelin's `ERC20InvalidReceiver`).
    /// Emits: {IERC20-Transfer} from the zero address.
    /// @param to The receiving account.
    /// @param amount Cents to create.
    function mint(address to, uint256 amount) external;

    /// @notice Destroys `amount` cents of the caller's own balance.
    /// @dev Requirements: caller holds {TREASURY_ROLE}; not paused; the balance covers `amount`
    /// (else OpenZeppelin's `ERC20InsufficientBalance`).
    /// Emits: {IERC20-Transfer} to the zero address.
    /// @param amount Cents to destroy.
    function burn(uint256 amount) external;

    /// @notice Stops every transfer, mint and burn until {unpause}; permits and approvals can still
    /// be given.
    /// @dev Requirements: caller holds `DEFAULT_ADMIN_ROLE` (the council); not paused.
    /// Emits: `Paused(account)`.
    function pause() external;

    /// @notice Lets transfers, mints and burns run again.
    /// @dev Requirements: caller holds `DEFAULT_ADMIN_ROLE` (the council); paused.
    /// Emits: `Unpaused(account)`.
    function unpause() external;

    /// @notice Whether transfers are stopped.
    /// @return True between {pause} and {unpause}.
    function paused() external view returns (bool);
}
