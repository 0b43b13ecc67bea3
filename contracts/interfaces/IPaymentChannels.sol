// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDepartmentDirectory} from "./IDepartmentDirectory.sol";
import {IFeeSchedule} from "./IFeeSchedule.sol";
import {IPaymentAuthorizations} from "./IPaymentAuthorizations.sol";

/// @title Tariff-bound, unidirectional payment channels (pay-per-minute parking)
/// @notice A payer locks a deposit for a department under a tariff of the fee schedule, then signs
/// off-chain vouchers for the *cumulative* amount owed; the department settles with the latest
/// voucher whenever it likes (partially, or closing the channel and refunding the rest) until the
/// channel expires, and the payer gets back whatever is left after expiry by {reclaim}, which
/// anyone may call and which pays only the payer: no help from the city is needed.
/// @dev The payer signs the channel's parameters (`OpenChannel`), including the tariff's version,
/// zone, rate and unit, which must equal the fee schedule's current terms; the channel keeps them
/// even if the tariff changes later. The channel id is the EIP-712 digest of that `OpenChannel`
/// message, so it commits to every parameter, this chain and this contract: a voucher, which names
/// the channel id, cannot be replayed on another channel, chain or contract, and a verifier who
/// holds the parameters can check a voucher offline.
///
/// Tariff cap: a settlement at time `t` may not exceed `ratePerUnit * (floor((t - startsAt) /
/// unitSeconds) + 1)`, i.e. every *started* unit is charged in full (per started minute for a
/// 60-second tariff; a tariff with another `unitSeconds` rounds to its own unit). `startsAt` is the
/// payer-signed start of the session (at most `MAX_START_DELAY` before the opening block), so the
/// unit a voucher pays up to is `startsAt + (cumulativeAmount / ratePerUnit) * unitSeconds`
/// ("paid until"). Settlements are refused from `expiresAt` on; reclaims are possible only from
/// `expiresAt` on. While the council has paused the token, every call that moves tokens reverts
/// with the token's `EnforcedPause()`: openings, top-ups with an amount, settlements that pay and
/// closings or reclaims that refund (a reclaim still pays the payer after the pause).
///
/// EIP-712 domain: name "City Payment Channels", version "1", this chain and contract (ERC-5267).
interface IPaymentChannels is IPaymentAuthorizations {
    /// @notice The parameters a payer signs to open a channel.
    /// @dev EIP-712 type: `OpenChannel(address payer,bytes32 department,bytes32 tariffId,uint32 tariffVersion,bytes32 zone,uint256 ratePerUnit,uint32 unitSeconds,uint256 deposit,uint64 startsAt,uint64 expiresAt,bytes32 nonce,uint256 deadline)`.
    /// @param payer The account that deposits, signs vouchers and gets the rest back.
    /// @param department The department that settles and whose payee receives.
    /// @param tariffId The fee schedule's tariff (service id, e.g. "PARK_ZONE5").
    /// @param tariffVersion The tariff's current version.
    /// @param zone The tariff's zone.
    /// @param ratePerUnit The tariff's cents per started unit.
    /// @param unitSeconds The tariff's unit, in seconds.
    /// @param deposit Cents locked in the channel (1..2^128-1).
    /// @param startsAt Start of the session (block time), at most {MAX_START_DELAY} before opening.
    /// @param expiresAt End of the channel: settlements until then, reclaims from then on.
    /// @param nonce Payer-chosen random nonce, used once.
    /// @param deadline Last second (block time) at which the opening may run.
    struct OpenChannel {
        address payer;
        bytes32 department;
        bytes32 tariffId;
        uint32 tariffVersion;
        bytes32 zone;
        uint256 ratePerUnit;
        uint32 unitSeconds;
        uint256 deposit;
        uint64 startsAt;
        uint64 expiresAt;
        bytes32 nonce;
        uint256 deadline;
    }

    /// @notice A payer's signed top-up (and possibly later expiry) of channel `channelId`.
    /// @dev EIP-712 type: `TopUp(bytes32 channelId,uint256 amount,uint64 expiresAt,bytes32 nonce,uint256 deadline)`.
    /// @param channelId The channel.
    /// @param amount Cents added to the deposit (may be zero if `expiresAt` moves later).
    /// @param expiresAt The new expiry (equal to the current one to keep it).
    /// @param nonce Payer-chosen random nonce, used once.
    /// @param deadline Last second (block time) at which the top-up may run.
    struct TopUp {
        bytes32 channelId;
        uint256 amount;
        uint64 expiresAt;
        bytes32 nonce;
        uint256 deadline;
    }

    /// @notice A channel's state.
    /// @param payer The payer (zero: no such channel).
    /// @param startsAt Start of the session.
    /// @param closed Whether it was closed (by {settle} with `close`, or {reclaim}).
    /// @param department The department that settles.
    /// @param ratePerUnit Cents per started unit, fixed at opening.
    /// @param unitSeconds The unit, fixed at opening.
    /// @param expiresAt The expiry (a top-up may move it later).
    /// @param deposit Cents deposited in all.
    /// @param settled Cents paid to the department so far (the highest settled voucher).
    struct Channel {
        address payer;
        uint64 startsAt;
        bool closed;
        bytes32 department;
        uint128 ratePerUnit;
        uint32 unitSeconds;
        uint64 expiresAt;
        uint128 deposit;
        uint128 settled;
    }

    /// @notice Tariff `tariffId` is inactive, a fee, or its current terms differ from the signed
    /// ones (department, zone, version, rate or unit). An unknown tariff reverts with the fee
    /// schedule's {IFeeSchedule-FeeScheduleUnknownService} instead.
    error ChannelTariffMismatch(bytes32 tariffId);
    /// @notice The start `startsAt` lies after the current time `time` or more than `maxDelay` before it.
    error ChannelInvalidStart(uint64 startsAt, uint64 time, uint64 maxDelay);
    /// @notice The expiry `expiresAt` is more than `maxDuration` after the start `startsAt`, or (when
    /// opening) not after the current time `time`, or (for a top-up) earlier than the current expiry.
    error ChannelInvalidExpiry(uint64 expiresAt, uint64 startsAt, uint64 time, uint64 maxDuration);
    /// @notice The deposit `amount` is zero or does not fit 128 bits, or a top-up of `amount` adds
    /// nothing while keeping the expiry, or would make the deposit exceed 128 bits.
    error ChannelInvalidAmount(uint256 amount);
    /// @notice There is no channel `channelId`.
    error ChannelUnknown(bytes32 channelId);
    /// @notice Channel `channelId` is closed.
    error ChannelAlreadyClosed(bytes32 channelId);
    /// @notice Channel `channelId` expired at `expiresAt`; it is `time`.
    error ChannelExpired(bytes32 channelId, uint64 expiresAt, uint64 time);
    /// @notice Channel `channelId` expires only at `expiresAt`; it is `time`.
    error ChannelNotExpired(bytes32 channelId, uint64 expiresAt, uint64 time);
    /// @notice `caller` is not an active account of `department`, the department channel `channelId`
    /// pays (or that department is suspended).
    error ChannelCallerNotPayee(bytes32 channelId, bytes32 department, address caller);
    /// @notice The voucher's signature is not `payer`'s over channel `channelId` and the amount.
    error ChannelInvalidVoucherSignature(bytes32 channelId, address payer);
    /// @notice The voucher's `amount` is below the `settled` amount, or equal to it without closing.
    error ChannelVoucherNotAboveSettled(bytes32 channelId, uint256 amount, uint256 settled);
    /// @notice The voucher's `amount` exceeds the channel's `deposit`.
    error ChannelVoucherAboveDeposit(bytes32 channelId, uint256 amount, uint256 deposit);
    /// @notice The voucher's `amount` exceeds the tariff cap `cap` at the settlement time.
    error ChannelVoucherAboveTariffCap(bytes32 channelId, uint256 amount, uint256 cap);

    /// @notice Channel `channelId` was opened by `payer` for `department` under tariff `tariffId`
    /// (version `tariffVersion`, zone `zone`, `ratePerUnit` cents per started `unitSeconds`) with
    /// `deposit` cents, from `startsAt` until `expiresAt`.
    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed payer,
        bytes32 indexed department,
        bytes32 tariffId,
        uint32 tariffVersion,
        bytes32 zone,
        uint256 ratePerUnit,
        uint32 unitSeconds,
        uint256 deposit,
        uint64 startsAt,
        uint64 expiresAt
    );
    /// @notice Channel `channelId` received `amount` cents (deposit now `deposit`); it expires at `expiresAt`.
    event ChannelToppedUp(bytes32 indexed channelId, uint256 amount, uint256 deposit, uint64 expiresAt);
    /// @notice `actor` of `department` settled channel `channelId` up to `cumulativeAmount`; `paid`
    /// cents (the increase) went to `payee`.
    event ChannelSettled(
        bytes32 indexed channelId,
        bytes32 indexed department,
        address indexed actor,
        address payee,
        uint256 cumulativeAmount,
        uint256 paid
    );
    /// @notice Channel `channelId` closed: `settled` cents went to the department in all, `refunded`
    /// cents back to `payer`.
    event ChannelClosed(bytes32 indexed channelId, address indexed payer, uint256 settled, uint256 refunded);

    /// @notice Opens the channel `params` describe, pulling the deposit from the payer; anyone may relay it.
    /// @dev Requirements: the deadline has not passed and the nonce is unused; `signature` is the
    /// payer's over `params`; the tariff is active and its current terms equal the signed ones;
    /// `startsAt` is not in the future and at most {MAX_START_DELAY} ago; `expiresAt` is in the
    /// future and at most {MAX_DURATION} after `startsAt`; the deposit is above zero and fits 128
    /// bits; the permit or an existing allowance covers it.
    /// Emits: {AuthorizationUsed}, {ChannelOpened}, the token's `Transfer`.
    /// @param params The channel's parameters.
    /// @param signature The payer's EIP-712 signature over `params`.
    /// @param permit The payer's EIP-2612 permit for this contract (deadline 0: none).
    /// @return channelId The EIP-712 digest of `params`.
    function open(OpenChannel calldata params, bytes calldata signature, Permit calldata permit)
        external
        returns (bytes32 channelId);

    /// @notice Adds `params.amount` cents to an open channel and possibly moves its expiry later;
    /// anyone may relay it.
    /// @dev Requirements: deadline not passed, nonce unused; the channel exists, is not closed or
    /// expired; `signature` is its payer's over `params`; the new expiry is not earlier than the
    /// current one and at most {MAX_DURATION} after the start; amount above zero unless the expiry
    /// moves, the deposit still fits 128 bits; the permit or an allowance covers the amount (the
    /// permit is not tried when the amount is zero).
    /// Emits: {AuthorizationUsed}, {ChannelToppedUp}, the token's `Transfer` (if amount > 0).
    /// @param params The top-up (its channel, amount and expiry).
    /// @param signature The channel payer's EIP-712 signature over `params`.
    /// @param permit The payer's EIP-2612 permit for this contract (deadline 0: none).
    function topUp(TopUp calldata params, bytes calldata signature, Permit calldata permit) external;

    /// @notice Settles channel `channelId` with the payer's voucher for `cumulativeAmount`, paying
    /// the increase over what was settled to the department's payee; `close` also closes the
    /// channel and refunds the rest of the deposit to the payer.
    /// @dev Signed EIP-712 type: `Voucher(bytes32 channelId,uint256 cumulativeAmount)`.
    /// Requirements: caller is an active account of the channel's department; the channel exists,
    /// is not closed, not expired; the signature is the payer's; `cumulativeAmount` is above the
    /// settled amount (or equal to it when closing), within the deposit and within the tariff cap
    /// now; the department has a payee in the fee schedule (else
    /// {IFeeSchedule-FeeScheduleNoPayee}).
    /// Emits: {ChannelSettled} (with `paid` zero when closing at the settled amount); {ChannelClosed}
    /// when closing; the token's `Transfer` to the payee (if `paid` > 0) and to the payer (if a
    /// refund is due).
    /// @param channelId The channel.
    /// @param cumulativeAmount The voucher's amount: all the payer owes so far, not the increase.
    /// @param signature The payer's EIP-712 signature over the voucher ({voucherDigest}).
    /// @param close Whether to close the channel and refund the rest of the deposit.
    function settle(bytes32 channelId, uint256 cumulativeAmount, bytes calldata signature, bool close) external;

    /// @notice Closes expired channel `channelId` and refunds what was not settled to its payer;
    /// anyone may call it.
    /// @dev Requirements: the channel exists, is not closed and has expired.
    /// Emits: {ChannelClosed}, the token's `Transfer` (if anything is left).
    /// @param channelId The channel.
    function reclaim(bytes32 channelId) external;

    /// @notice How long before the opening block a session may start, in seconds.
    /// @return The limit (600: ten minutes).
    function MAX_START_DELAY() external view returns (uint64);

    /// @notice Longest channel life from its start, in seconds.
    /// @return The limit (604800: seven days).
    function MAX_DURATION() external view returns (uint64);

    /// @notice The department directory (who settles for which department).
    /// @return The directory (set at construction, fixed).
    function directory() external view returns (IDepartmentDirectory);

    /// @notice The fee schedule whose tariffs channels are bound to and whose payees receive.
    /// @return The fee schedule (set at construction, fixed).
    function feeSchedule() external view returns (IFeeSchedule);

    /// @notice Channel `channelId` (all zero if unknown).
    /// @param channelId The channel.
    /// @return Its state.
    function channel(bytes32 channelId) external view returns (Channel memory);

    /// @notice The tariff cap of channel `channelId` at time `at`, in cents (0 if unknown).
    /// @dev Ignores the deposit and the expiry: a settlement must also stay within the deposit.
    /// @param channelId The channel.
    /// @param at A block time (a time before the start counts as the start).
    /// @return The channel's `ratePerUnit` times the units started by `at`.
    function tariffCap(bytes32 channelId, uint64 at) external view returns (uint256);

    /// @notice The EIP-712 digest the payer signs for a voucher of `cumulativeAmount` on `channelId`.
    /// @dev The channel need not exist: a verifier can compute the digest for any id.
    /// @param channelId The channel.
    /// @param cumulativeAmount All the payer owes so far.
    /// @return The digest of `Voucher(channelId, cumulativeAmount)` in this contract's domain.
    function voucherDigest(bytes32 channelId, uint256 cumulativeAmount) external view returns (bytes32);

    /// @notice The channel id (= EIP-712 digest) of `params`.
    /// @dev Computation only: it checks nothing and does not tell whether the channel was opened.
    /// @param params The channel's parameters as the payer signs them.
    /// @return The id {open} would give the channel.
    function channelIdOf(OpenChannel calldata params) external view returns (bytes32);
}
