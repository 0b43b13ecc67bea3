// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {IValidatorSet} from "../interfaces/IValidatorSet.sol";

/// @title QBFT validator set of the city network
/// @notice Besu's contract validator selection reads {getValidators}; only the council changes it.
/// @dev The storage layout is part of the genesis format: `scripts/network/validator_set.py`
/// writes these slots into the genesis `alloc`, and a test compares them with a deployed
/// instance. Slot 0: {council}; slots 1 and 2: the set (OpenZeppelin's `EnumerableSet`: the
/// values array, then the positions mapping). No immutables: genesis code runs no constructor.
contract ValidatorSet is IValidatorSet {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @inheritdoc IValidatorSet
    uint256 public constant override MIN_VALIDATORS = 4;

    /// @inheritdoc IValidatorSet
    uint256 public constant override MAX_VALIDATORS = 32;

    /// @inheritdoc IValidatorSet
    address public override council;

    EnumerableSet.AddressSet private _validators;

    modifier onlyCouncil() {
        if (msg.sender != council) revert ValidatorSetCallerNotCouncil(msg.sender);
        _;
    }

    /// @dev For networks that deploy the set by transaction (and for tests); a new network gets
    /// the same state from its genesis `alloc` instead.
    /// @param council_ The council contract that changes the set.
    /// @param initialValidators At least {MIN_VALIDATORS} distinct, non-zero addresses.
    constructor(address council_, address[] memory initialValidators) {
        council = council_;
        for (uint256 i = 0; i < initialValidators.length; ++i) {
            _requireAddable(initialValidators[i]);
            _add(initialValidators[i]);
        }
        if (initialValidators.length < MIN_VALIDATORS) {
            revert ValidatorSetTooSmall(initialValidators.length, MIN_VALIDATORS);
        }
    }

    /// @inheritdoc IValidatorSet
    function addValidator(address validator) external onlyCouncil {
        _requireAddable(validator);
        _add(validator);
    }

    /// @inheritdoc IValidatorSet
    function removeValidator(address validator) external onlyCouncil {
        if (!_validators.contains(validator)) revert ValidatorSetNotValidator(validator);
        uint256 remaining = _validators.length() - 1;
        if (remaining < MIN_VALIDATORS) revert ValidatorSetTooSmall(remaining, MIN_VALIDATORS);
        _remove(validator);
    }

    /// @inheritdoc IValidatorSet
    function getValidators() external view returns (address[] memory) {
        return _validators.values();
    }

    /// @inheritdoc IValidatorSet
    function isValidator(address account) external view returns (bool) {
        return _validators.contains(account);
    }

    /// @inheritdoc IValidatorSet
    function validatorCount() external view returns (uint256) {
        return _validators.length();
    }

    /// @dev Reverts unless `validator` may join the set now.
    function _requireAddable(address validator) internal view {
        if (validator == address(0)) revert ValidatorSetInvalidValidator(validator);
        if (_validators.contains(validator)) revert ValidatorSetAlreadyValidator(validator);
        if (_validators.length() >= MAX_VALIDATORS) revert ValidatorSetFull(MAX_VALIDATORS);
    }

    /// @dev Adds `validator`; returns false if it was there. May emit {ValidatorAdded}.
    function _add(address validator) internal returns (bool) {
        if (!_validators.add(validator)) return false;
        emit ValidatorAdded(validator);
        return true;
    }

    /// @dev Removes `validator`; returns false if it was not there. May emit {ValidatorRemoved}.
    function _remove(address validator) internal returns (bool) {
        if (!_validators.remove(validator)) return false;
        emit ValidatorRemoved(validator);
        return true;
    }
}
