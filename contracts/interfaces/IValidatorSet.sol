// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title QBFT validator set of the city network
/// @notice The accounts whose nodes propose and seal the city chain's blocks. Hyperledger Besu's
/// QBFT *contract validator selection* reads the validators of every block from
/// {getValidators}; only the city council adds or removes a validator.
/// @dev The contract sits in the genesis block's `alloc` (runtime code and storage written by
/// `registry network init`), so the validators are known from block 0. At least
/// {MIN_VALIDATORS} stay (QBFT tolerates `f` faulty validators only with `3f + 1` of them) and
/// at most {MAX_VALIDATORS} (every node calls {getValidators} for every block).
interface IValidatorSet {
    /// @notice Caller `caller` is not the council.
    error ValidatorSetCallerNotCouncil(address caller);
    /// @notice `validator` is not a valid validator address (the zero address).
    error ValidatorSetInvalidValidator(address validator);
    /// @notice `validator` is a validator already.
    error ValidatorSetAlreadyValidator(address validator);
    /// @notice `validator` is not a validator.
    error ValidatorSetNotValidator(address validator);
    /// @notice The change would leave `count` validators; at least `minimum` must stay.
    error ValidatorSetTooSmall(uint256 count, uint256 minimum);
    /// @notice The set has the largest number of validators allowed, `maximum`.
    error ValidatorSetFull(uint256 maximum);

    /// @notice `validator` joined the validator set; it seals blocks from the next block on.
    event ValidatorAdded(address indexed validator);
    /// @notice `validator` left the validator set; it seals no block after this one.
    event ValidatorRemoved(address indexed validator);

    /// @notice Adds `validator` (the address of its node key) to the set.
    /// @dev Start and sync the node first: a validator that is down counts against the 2/3 of
    /// validators every block needs.
    /// Requirements: caller is the council; validator not zero and not in the set; the set is
    /// not full.
    /// Emits: {ValidatorAdded}.
    /// @param validator The validator's account (the address of its node key).
    function addValidator(address validator) external;

    /// @notice Removes `validator` from the set.
    /// @dev Requirements: caller is the council; validator in the set; at least {MIN_VALIDATORS}
    /// stay.
    /// Emits: {ValidatorRemoved}.
    /// @param validator The validator to remove.
    function removeValidator(address validator) external;

    /// @notice The validators, as Besu's contract validator selection reads them.
    /// @return validators The validator addresses (no duplicates, in no particular order).
    function getValidators() external view returns (address[] memory validators);

    /// @notice Whether `account` is a validator.
    /// @param account The account.
    /// @return True if it is in the set.
    function isValidator(address account) external view returns (bool);

    /// @notice The number of validators.
    /// @return Between {MIN_VALIDATORS} and {MAX_VALIDATORS}.
    function validatorCount() external view returns (uint256);

    /// @notice The council contract: the only account that changes the set.
    /// @return The council's address (storage slot 0, written at construction or into the genesis).
    function council() external view returns (address);

    /// @notice The fewest validators the set keeps (4: one may fail and blocks are still made).
    /// @return The limit (4).
    function MIN_VALIDATORS() external view returns (uint256);

    /// @notice The most validators the set holds.
    /// @return The limit (32).
    function MAX_VALIDATORS() external view returns (uint256);
}
