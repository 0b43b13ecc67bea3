// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title City council multisig
/// @notice M-of-N council of members that proposes, confirms and executes arbitrary calls. The
/// council holds every admin role of the city's contracts; its own members and threshold change
/// only through a passed proposal (a call the council makes to itself).
/// @dev Any change of membership or threshold starts a new epoch. Proposals remember the epoch they
/// were made in and can only be confirmed or executed in that epoch, so a confirmation given by a
/// member who has since left can never count. Pending proposals must then be proposed again.
interface ICityCouncil {
    /// @notice A proposal's state: `Unknown` (no such proposal), `Pending` (can be confirmed,
    /// executed or canceled), `Executed` (its call succeeded; final), `Canceled` (final).
    enum ProposalState {
        Unknown,
        Pending,
        Executed,
        Canceled
    }

    /// @notice Caller `caller` is not a council member.
    error CouncilNotMember(address caller);
    /// @notice Only the council itself (through an executed proposal) may call this; caller was `caller`.
    error CouncilOnlySelf(address caller);
    /// @notice There is no proposal `proposalId`.
    error CouncilUnknownProposal(uint256 proposalId);
    /// @notice Proposal `proposalId` is not pending (it is `state`).
    error CouncilProposalNotPending(uint256 proposalId, ProposalState state);
    /// @notice Proposal `proposalId` was made in epoch `proposalEpoch` but membership changed since (now `currentEpoch`).
    error CouncilProposalStale(uint256 proposalId, uint64 proposalEpoch, uint64 currentEpoch);
    /// @notice `member` already confirmed proposal `proposalId`.
    error CouncilAlreadyConfirmed(uint256 proposalId, address member);
    /// @notice `member` has not confirmed proposal `proposalId`.
    error CouncilNotConfirmed(uint256 proposalId, address member);
    /// @notice Proposal `proposalId` has `confirmations` confirmations; `threshold` are needed.
    error CouncilThresholdNotReached(uint256 proposalId, uint256 confirmations, uint256 threshold);
    /// @notice The call of proposal `proposalId` reverted with `returnData`.
    error CouncilExecutionFailed(uint256 proposalId, bytes returnData);
    /// @notice Only the proposer `proposer` (or the council itself) may cancel proposal `proposalId`.
    error CouncilNotProposer(uint256 proposalId, address proposer);
    /// @notice `member` is not a valid member address (zero address or the council itself).
    error CouncilInvalidMember(address member);
    /// @notice `member` is a member already.
    error CouncilMemberExists(address member);
    /// @notice `member` is not a member.
    error CouncilMemberUnknown(address member);
    /// @notice Threshold `threshold` is not between 1 and the member count `members`.
    error CouncilInvalidThreshold(uint256 threshold, uint256 members);
    /// @notice The council may have at most `maxMembers` members.
    error CouncilTooManyMembers(uint256 maxMembers);

    /// @notice Member `proposer` proposed that the council call `target` with `value` and `data`.
    event ProposalCreated(
        uint256 indexed proposalId,
        address indexed proposer,
        address indexed target,
        uint256 value,
        bytes data,
        string description,
        uint64 epoch
    );
    /// @notice `member` confirmed proposal `proposalId`; it now has `confirmations`.
    event ProposalConfirmed(uint256 indexed proposalId, address indexed member, uint256 confirmations);
    /// @notice `member` took back the confirmation of proposal `proposalId`; it now has `confirmations`.
    event ConfirmationRevoked(uint256 indexed proposalId, address indexed member, uint256 confirmations);
    /// @notice Member `executor` executed proposal `proposalId`; the call returned `returnData`.
    event ProposalExecuted(uint256 indexed proposalId, address indexed executor, bytes returnData);
    /// @notice Proposal `proposalId` was canceled by `canceledBy`.
    event ProposalCanceled(uint256 indexed proposalId, address indexed canceledBy);
    /// @notice `member` joined the council; membership epoch is now `epoch`.
    event MemberAdded(address indexed member, uint64 epoch);
    /// @notice `member` left the council; membership epoch is now `epoch`.
    event MemberRemoved(address indexed member, uint64 epoch);
    /// @notice The threshold changed from `oldThreshold` to `newThreshold`; membership epoch is now `epoch`.
    event ThresholdChanged(uint256 oldThreshold, uint256 newThreshold, uint64 epoch);

    /// @notice Proposes that the council call `target` with `value` wei and calldata `data`.
    /// @dev The proposer's confirmation is counted at once. The proposal belongs to the current
    /// epoch. Neither `target` nor `data` is checked here: a call that fails fails at {execute}.
    /// Requirements: caller is a member.
    /// Emits: {ProposalCreated}, {ProposalConfirmed}.
    /// @param target Contract the council will call.
    /// @param value Wei sent with the call (0 on the gas-free city chain).
    /// @param data Calldata of the call.
    /// @param description Plain-language reason, kept in the event for auditors (no personal data).
    /// @return proposalId Sequential id of the new proposal, starting at 1.
    function propose(address target, uint256 value, bytes calldata data, string calldata description)
        external
        returns (uint256 proposalId);

    /// @notice Confirms proposal `proposalId`.
    /// @dev Requirements: caller is a member; the proposal is pending, of the current epoch and not
    /// yet confirmed by the caller.
    /// Emits: {ProposalConfirmed}.
    /// @param proposalId The proposal.
    function confirm(uint256 proposalId) external;

    /// @notice Takes back the caller's confirmation of proposal `proposalId`.
    /// @dev Also allowed on a stale proposal (one of an earlier epoch).
    /// Requirements: caller is a member; the proposal is pending and confirmed by the caller.
    /// Emits: {ConfirmationRevoked}.
    /// @param proposalId The proposal.
    function revokeConfirmation(uint256 proposalId) external;

    /// @notice Executes proposal `proposalId` once it has threshold confirmations. Each proposal
    /// executes at most once.
    /// @dev The proposal is marked executed before its call is made, so a re-entering call cannot
    /// run it twice. Any member may execute, not only the proposer.
    /// Requirements: caller is a member; the proposal is pending, of the current epoch and has
    /// at least {threshold} confirmations; the call succeeds (else the whole execution reverts with
    /// {CouncilExecutionFailed} and the proposal stays pending).
    /// Emits: {ProposalExecuted}, after the events of the call itself.
    /// @param proposalId The proposal.
    /// @return returnData What the call returned.
    function execute(uint256 proposalId) external returns (bytes memory returnData);

    /// @notice Cancels pending proposal `proposalId`.
    /// @dev The proposer may cancel even after leaving the council, and a stale proposal (one of an
    /// earlier epoch) can be canceled too.
    /// Requirements: caller is the proposer, or the council itself; the proposal is pending.
    /// Emits: {ProposalCanceled}.
    /// @param proposalId The proposal.
    function cancel(uint256 proposalId) external;

    /// @notice Adds `member` to the council; the threshold stays as it is.
    /// @dev Starts a new epoch: every other pending proposal becomes stale.
    /// Requirements: caller is the council itself; `member` is new, not zero, not the council;
    /// fewer than {MAX_MEMBERS} members.
    /// Emits: {MemberAdded} with the new epoch.
    /// @param member The new member's account.
    function addMember(address member) external;

    /// @notice Removes `member` from the council; the threshold stays as it is.
    /// @dev Starts a new epoch: every other pending proposal becomes stale. If the threshold
    /// would exceed the remaining members, lower it first through a proposal of its own.
    /// Requirements: caller is the council itself; `member` is a member; the threshold stays
    /// at most the member count.
    /// Emits: {MemberRemoved} with the new epoch.
    /// @param member The member to remove.
    function removeMember(address member) external;

    /// @notice Changes the number of confirmations a proposal needs.
    /// @dev Starts a new epoch (even if `newThreshold` equals the current threshold): every other
    /// pending proposal becomes stale.
    /// Requirements: caller is the council itself; 1 <= `newThreshold` <= member count.
    /// Emits: {ThresholdChanged} with the new epoch.
    /// @param newThreshold Confirmations a proposal will need.
    function changeThreshold(uint256 newThreshold) external;

    /// @notice Most members the council may have.
    /// @return The limit (32).
    function MAX_MEMBERS() external view returns (uint256);

    /// @notice Whether `account` is a council member.
    /// @param account The account.
    /// @return True if it is a current member.
    function isMember(address account) external view returns (bool);

    /// @notice All current members.
    /// @return The members' accounts, in no guaranteed order.
    function members() external view returns (address[] memory);

    /// @notice Confirmations a proposal needs.
    /// @return The threshold, between 1 and the member count.
    function threshold() external view returns (uint256);

    /// @notice Current membership epoch (starts at 1, +1 on every membership or threshold change).
    /// @return The epoch; only proposals made in it can be confirmed or executed.
    function epoch() external view returns (uint64);

    /// @notice Number of proposals made so far (the highest proposal id).
    /// @return The count; proposal ids run from 1 to it.
    function proposalCount() external view returns (uint256);

    /// @notice Proposal `proposalId`'s call, state, epoch and confirmation count.
    /// @dev Does not revert for an unknown id: every field is then zero and `state` is `Unknown`.
    /// The description is only in {ProposalCreated}.
    /// @param proposalId The proposal.
    /// @return proposer The member who proposed it.
    /// @return target Contract the council calls.
    /// @return value Wei sent with the call.
    /// @return data Calldata of the call.
    /// @return state Its state.
    /// @return proposalEpoch The epoch it was made in (stale if not the current {epoch}).
    /// @return confirmations Confirmations counted so far.
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
        );

    /// @notice Whether `member` confirmed proposal `proposalId`.
    /// @param proposalId The proposal.
    /// @param member The account.
    /// @return True if it confirmed the proposal and has not revoked the confirmation.
    function isConfirmedBy(uint256 proposalId, address member) external view returns (bool);
}
