// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ICityToken} from "../interfaces/ICityToken.sol";

/// @title The city's payment token (euro cents, EIP-2612 permit)
/// @notice See {ICityToken}.
contract CityToken is ERC20, ERC20Permit, ERC20Pausable, AccessControl, ICityToken {
    /// @inheritdoc ICityToken
    bytes32 public constant TREASURY_ROLE = keccak256("TREASURY_ROLE");

    /// @param council The council contract: it holds the admin role (grants {TREASURY_ROLE}) and pauses.
    constructor(address council) ERC20("City Token", "CITY") ERC20Permit("City Token") {
        if (council == address(0)) revert CityTokenInvalidCouncil(council);
        _grantRole(DEFAULT_ADMIN_ROLE, council);
    }

    /// @inheritdoc ICityToken
    function mint(address to, uint256 amount) external onlyRole(TREASURY_ROLE) {
        _mint(to, amount);
    }

    /// @inheritdoc ICityToken
    function burn(uint256 amount) external onlyRole(TREASURY_ROLE) {
        _burn(msg.sender, amount);
    }

    /// @inheritdoc ICityToken
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @inheritdoc ICityToken
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @notice Cents: 2 decimals.
    function decimals() public pure override(ERC20, IERC20Metadata) returns (uint8) {
        return 2;
    }

    /// @inheritdoc ICityToken
    function paused() public view override(ICityToken, Pausable) returns (bool) {
        return super.paused();
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }

    /// @dev Every balance change passes the pause check.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Pausable) {
        super._update(from, to, value);
    }
}
