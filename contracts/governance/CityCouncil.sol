// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {ICityCouncil} from "../interfaces/ICityCouncil.sol";

/// @title City council multisig
/// @notice M-of-N council that holds every admin role of the city's contracts.
/// @dev Confirmations are counted per proposal and are only valid in the epoch the proposal was
/// made in; since membership cannot change within an epoch, the count is always a count of current
/// members. A proposal is marked executed before its call is made, so neither re-entrancy nor a
/// replay can run it twice; a failing call reverts the whole execution and the proposal stays
/// pending.
contract CityCouncil is ICityCouncil {
    using EnumerableSet for EnumerableSet.AddressSet;

    struct Proposal {
        address proposer;
        uint64 epoch;
        ProposalState state;
        address target;
        uint256 value;
        uint256 confirmations;
        bytes data;
    }

    /// @inheritdoc ICityCouncil
    uint256 public constant override MAX_MEMBERS = 32;

    EnumerableSet.AddressSet private _members;
    uint256 private _threshold;
    uint64 private _epoch;
    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address member => bool confirmed)) private _confirmedBy;

    modifier onlyMember() {
        if (!_members.contains(msg.sender)) revert CouncilNotMember(msg.sender);
        _;
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert CouncilOnlySelf(msg.sender);
        _;
    }

    /// @param initialMembers First members: distinct, not zero, not the council, at most
    /// `MAX_MEMBERS`.
    /// @param initialThreshold Confirmations a proposal needs, between 1 and the member count.
    constructor(address[] memory initialMembers, uint256 initialThreshold) {
        _epoch = 1;
        for (uint256 i = 0; i < initialMembers.length; ++i) {
            if (!_addMember(initialMembers[i])) revert CouncilMemberExists(initialMembers[i]);
        }
        _setThreshold(initialThreshold);
    }

    // ----------------------------------------------------------------------------------------
    // Proposals
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc ICityCouncil
    function propose(address target, uint256 value, bytes calldata data, string calldata description)
        external
        onlyMember
        returns (uint256 proposalId)
    {
        proposalId = _createProposal(msg.sender, target, value, data, description);
        _confirm(proposalId, msg.sender);
    }

    /// @inheritdoc ICityCouncil
    function confirm(uint256 proposalId) external onlyMember {
        _requireCurrentPending(proposalId);
        if (!_confirm(proposalId, msg.sender)) revert CouncilAlreadyConfirmed(proposalId, msg.sender);
    }

    /// @inheritdoc ICityCouncil
    function revokeConfirmation(uint256 proposalId) external onlyMember {
        _requirePending(proposalId);
        if (!_revokeConfirmation(proposalId, msg.sender)) {
            revert CouncilNotConfirmed(proposalId, msg.sender);
        }
    }

    /// @inheritdoc ICityCouncil
    function execute(uint256 proposalId) external onlyMember returns (bytes memory returnData) {
        Proposal storage p = _requireCurrentPending(proposalId);
        if (p.confirmations < _threshold) {
            revert CouncilThresholdNotReached(proposalId, p.confirmations, _threshold);
        }
        return _execute(proposalId, msg.sender);
    }

    /// @inheritdoc ICityCouncil
    function cancel(uint256 proposalId) external {
        Proposal storage p = _requireExists(proposalId);
        if (msg.sender != p.proposer && msg.sender != address(this)) {
            revert CouncilNotProposer(proposalId, p.proposer);
        }
        _requirePending(proposalId);
        _cancel(proposalId, msg.sender);
    }

    // ----------------------------------------------------------------------------------------
    // Membership and threshold (only through an executed proposal)
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc ICityCouncil
    function addMember(address member) external onlySelf {
        _advanceEpoch();
        if (!_addMember(member)) revert CouncilMemberExists(member);
    }

    /// @inheritdoc ICityCouncil
    function removeMember(address member) external onlySelf {
        _advanceEpoch();
        if (!_removeMember(member)) revert CouncilMemberUnknown(member);
        uint256 count = _members.length();
        if (_threshold > count) revert CouncilInvalidThreshold(_threshold, count);
    }

    /// @inheritdoc ICityCouncil
    function changeThreshold(uint256 newThreshold) external onlySelf {
        _advanceEpoch();
        _setThreshold(newThreshold);
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc ICityCouncil
    function isMember(address account) external view returns (bool) {
        return _members.contains(account);
    }

    /// @inheritdoc ICityCouncil
    function members() external view returns (address[] memory) {
        return _members.values();
    }

    /// @inheritdoc ICityCouncil
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc ICityCouncil
    function epoch() external view returns (uint64) {
        return _epoch;
    }

    /// @inheritdoc ICityCouncil
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc ICityCouncil
    function proposal(uint256 proposalId)
        external
        view
        returns (
            address proposer,
            address target,
            uint256 value,
            bytes memory data,
            ProposalState state,
            uint64 proposalEpoch,
            uint256 confirmations
        )
    {
        Proposal storage p = _proposals[proposalId];
        return (p.proposer, p.target, p.value, p.data, p.state, p.epoch, p.confirmations);
    }

    /// @inheritdoc ICityCouncil
    function isConfirmedBy(uint256 proposalId, address member) external view returns (bool) {
        return _confirmedBy[proposalId][member];
    }

    // ----------------------------------------------------------------------------------------
    // Internal state changes: each changes state and emits right after.
    // ----------------------------------------------------------------------------------------

    /// @dev Stores a new pending proposal of the current epoch. Emits {ProposalCreated}.
    function _createProposal(
        address proposer,
        address target,
        uint256 value,
        bytes calldata data,
        string calldata description
    ) internal returns (uint256 proposalId) {
        proposalId = ++_proposalCount;
        uint64 currentEpoch = _epoch;
        _proposals[proposalId] = Proposal({
            proposer: proposer,
            epoch: currentEpoch,
            state: ProposalState.Pending,
            target: target,
            value: value,
            confirmations: 0,
            data: data
        });
        emit ProposalCreated(proposalId, proposer, target, value, data, description, currentEpoch);
    }

    /// @dev Records `member`'s confirmation; returns false if it was there already.
    /// May emit {ProposalConfirmed}.
    function _confirm(uint256 proposalId, address member) internal returns (bool) {
        if (_confirmedBy[proposalId][member]) return false;
        _confirmedBy[proposalId][member] = true;
        uint256 confirmations = ++_proposals[proposalId].confirmations;
        emit ProposalConfirmed(proposalId, member, confirmations);
        return true;
    }

    /// @dev Removes `member`'s confirmation; returns false if there was none.
    /// May emit {ConfirmationRevoked}.
    function _revokeConfirmation(uint256 proposalId, address member) internal returns (bool) {
        if (!_confirmedBy[proposalId][member]) return false;
        _confirmedBy[proposalId][member] = false;
        uint256 confirmations = --_proposals[proposalId].confirmations;
        emit ConfirmationRevoked(proposalId, member, confirmations);
        return true;
    }

    /// @dev Marks the proposal executed, then makes its call (checks-effects-interactions).
    /// Reverts with {CouncilExecutionFailed} if the call fails. Emits {ProposalExecuted}.
    function _execute(uint256 proposalId, address executor) internal returns (bytes memory) {
        Proposal storage p = _proposals[proposalId];
        p.state = ProposalState.Executed;
        (bool success, bytes memory returnData) = p.target.call{value: p.value}(p.data);
        if (!success) revert CouncilExecutionFailed(proposalId, returnData);
        emit ProposalExecuted(proposalId, executor, returnData);
        return returnData;
    }

    /// @dev Marks the proposal canceled. Emits {ProposalCanceled}.
    function _cancel(uint256 proposalId, address canceledBy) internal {
        _proposals[proposalId].state = ProposalState.Canceled;
        emit ProposalCanceled(proposalId, canceledBy);
    }

    /// @dev Adds `member` in the current epoch; returns false if it is a member already.
    /// May emit {MemberAdded}.
    function _addMember(address member) internal returns (bool) {
        if (member == address(0) || member == address(this)) revert CouncilInvalidMember(member);
        if (_members.contains(member)) return false;
        if (_members.length() >= MAX_MEMBERS) revert CouncilTooManyMembers(MAX_MEMBERS);
        _members.add(member);
        emit MemberAdded(member, _epoch);
        return true;
    }

    /// @dev Removes `member` in the current epoch; returns false if it is not a member.
    /// May emit {MemberRemoved}.
    function _removeMember(address member) internal returns (bool) {
        if (!_members.remove(member)) return false;
        emit MemberRemoved(member, _epoch);
        return true;
    }

    /// @dev Sets the threshold after checking it against the member count.
    /// Emits {ThresholdChanged}.
    function _setThreshold(uint256 newThreshold) internal {
        uint256 count = _members.length();
        if (newThreshold == 0 || newThreshold > count) {
            revert CouncilInvalidThreshold(newThreshold, count);
        }
        uint256 oldThreshold = _threshold;
        _threshold = newThreshold;
        emit ThresholdChanged(oldThreshold, newThreshold, _epoch);
    }

    /// @dev Starts a new membership epoch; every pending proposal becomes stale. The caller's
    /// membership or threshold change emits the event that carries the new epoch.
    function _advanceEpoch() internal {
        ++_epoch;
    }

    // ----------------------------------------------------------------------------------------
    // Internal checks
    // ----------------------------------------------------------------------------------------

    function _requireExists(uint256 proposalId) internal view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.state == ProposalState.Unknown) revert CouncilUnknownProposal(proposalId);
    }

    function _requirePending(uint256 proposalId) internal view returns (Proposal storage p) {
        p = _requireExists(proposalId);
        if (p.state != ProposalState.Pending) revert CouncilProposalNotPending(proposalId, p.state);
    }

    function _requireCurrentPending(uint256 proposalId) internal view returns (Proposal storage p) {
        p = _requirePending(proposalId);
        if (p.epoch != _epoch) revert CouncilProposalStale(proposalId, p.epoch, _epoch);
    }
}
