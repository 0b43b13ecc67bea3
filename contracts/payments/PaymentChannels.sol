// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ICityToken} from "../interfaces/ICityToken.sol";
import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";
import {IFeeSchedule} from "../interfaces/IFeeSchedule.sol";
import {IPaymentChannels} from "../interfaces/IPaymentChannels.sol";
import {PaymentAuthorizations} from "./PaymentAuthorizations.sol";

/// @title Tariff-bound, unidirectional payment channels
/// @notice See {IPaymentChannels}.
contract PaymentChannels is IPaymentChannels, PaymentAuthorizations {
    using SafeERC20 for ICityToken;

    /// @inheritdoc IPaymentChannels
    uint64 public constant MAX_START_DELAY = 10 minutes;
    /// @inheritdoc IPaymentChannels
    uint64 public constant MAX_DURATION = 7 days;

    /// @dev keccak256("OpenChannel(address payer,bytes32 department,bytes32 tariffId,uint32 tariffVersion,bytes32 zone,uint256 ratePerUnit,uint32 unitSeconds,uint256 deposit,uint64 startsAt,uint64 expiresAt,bytes32 nonce,uint256 deadline)")
    bytes32 private constant _OPEN_CHANNEL_TYPEHASH = 0xac2f39490d06d933be30d3882073a478308352b5d0ca628ae7b14aed22ef9f7e;
    /// @dev keccak256("TopUp(bytes32 channelId,uint256 amount,uint64 expiresAt,bytes32 nonce,uint256 deadline)")
    bytes32 private constant _TOP_UP_TYPEHASH = 0x25031d0e393eba6694a1e2d09ca17485de353a848cf185ef67de1c2b69c92173;
    /// @dev keccak256("Voucher(bytes32 channelId,uint256 cumulativeAmount)")
    bytes32 private constant _VOUCHER_TYPEHASH = 0x5e172d4a19b08b5b7f0354399a080f05a28476f34f987f7cd87e69a4065d4ec0;

    /// @inheritdoc IPaymentChannels
    IDepartmentDirectory public immutable directory;
    /// @inheritdoc IPaymentChannels
    IFeeSchedule public immutable feeSchedule;

    mapping(bytes32 channelId => Channel channel) private _channels;

    /// @param directory_ The department directory.
    /// @param token_ The city token deposits are made in.
    /// @param feeSchedule_ The fee schedule (tariffs and payees).
    constructor(IDepartmentDirectory directory_, ICityToken token_, IFeeSchedule feeSchedule_)
        PaymentAuthorizations(token_, "City Payment Channels")
    {
        if (address(directory_) == address(0)) revert PaymentsInvalidDependency(address(directory_));
        if (address(feeSchedule_) == address(0)) revert PaymentsInvalidDependency(address(feeSchedule_));
        directory = directory_;
        feeSchedule = feeSchedule_;
    }

    // ---------------------------------------------------------------------------------------------
    // Payer side (relayed)

    /// @inheritdoc IPaymentChannels
    function open(OpenChannel calldata params, bytes calldata signature, Permit calldata permit)
        external
        returns (bytes32 channelId)
    {
        _requireTariff(params);
        uint64 currentTime = _time();
        if (params.startsAt > currentTime || currentTime - params.startsAt > MAX_START_DELAY) {
            revert ChannelInvalidStart(params.startsAt, currentTime, MAX_START_DELAY);
        }
        if (params.expiresAt <= currentTime || params.expiresAt - params.startsAt > MAX_DURATION) {
            revert ChannelInvalidExpiry(params.expiresAt, params.startsAt, currentTime, MAX_DURATION);
        }
        _requireAmount(params.deposit);
        channelId = _useAuthorization(
            params.payer,
            params.nonce,
            params.deadline,
            keccak256(abi.encode(_OPEN_CHANNEL_TYPEHASH, params)),
            signature
        );
        // The id is the digest of the payer's nonce among the rest: a used nonce never opens twice.
        _open(channelId, params);
        _pull(params.payer, address(this), params.deposit, permit);
    }

    /// @inheritdoc IPaymentChannels
    function topUp(TopUp calldata params, bytes calldata signature, Permit calldata permit) external {
        Channel storage c = _requireOpen(params.channelId);
        uint64 currentTime = _time();
        if (params.expiresAt < c.expiresAt || params.expiresAt - c.startsAt > MAX_DURATION) {
            revert ChannelInvalidExpiry(params.expiresAt, c.startsAt, currentTime, MAX_DURATION);
        }
        uint256 deposit = uint256(c.deposit) + params.amount;
        if ((params.amount == 0 && params.expiresAt == c.expiresAt) || deposit > type(uint128).max) {
            revert ChannelInvalidAmount(params.amount);
        }
        _useAuthorization(
            c.payer, params.nonce, params.deadline, keccak256(abi.encode(_TOP_UP_TYPEHASH, params)), signature
        );
        _topUp(params.channelId, c, uint128(deposit), params.amount, params.expiresAt);
        if (params.amount != 0) _pull(c.payer, address(this), params.amount, permit);
    }

    /// @inheritdoc IPaymentChannels
    function reclaim(bytes32 channelId) external {
        Channel storage c = _channels[channelId];
        if (c.payer == address(0)) revert ChannelUnknown(channelId);
        if (c.closed) revert ChannelAlreadyClosed(channelId);
        uint64 currentTime = _time();
        if (currentTime < c.expiresAt) revert ChannelNotExpired(channelId, c.expiresAt, currentTime);
        _close(channelId, c);
    }

    // ---------------------------------------------------------------------------------------------
    // Payee side

    /// @inheritdoc IPaymentChannels
    function settle(bytes32 channelId, uint256 cumulativeAmount, bytes calldata signature, bool close) external {
        Channel storage c = _requireOpen(channelId);
        bytes32 department = c.department;
        if (!directory.isActiveAccountOf(department, msg.sender)) {
            revert ChannelCallerNotPayee(channelId, department, msg.sender);
        }
        uint256 settled = c.settled;
        if (cumulativeAmount < settled || (cumulativeAmount == settled && !close)) {
            revert ChannelVoucherNotAboveSettled(channelId, cumulativeAmount, settled);
        }
        if (cumulativeAmount > c.deposit) revert ChannelVoucherAboveDeposit(channelId, cumulativeAmount, c.deposit);
        uint256 cap = _tariffCap(c, _time());
        if (cumulativeAmount > cap) revert ChannelVoucherAboveTariffCap(channelId, cumulativeAmount, cap);
        if (!SignatureChecker.isValidSignatureNowCalldata(c.payer, voucherDigest(channelId, cumulativeAmount), signature))
        {
            revert ChannelInvalidVoucherSignature(channelId, c.payer);
        }
        address payee = feeSchedule.payeeOf(department);
        if (payee == address(0)) revert IFeeSchedule.FeeScheduleNoPayee(department);
        uint256 paid = cumulativeAmount - settled;
        _settle(channelId, c, payee, cumulativeAmount, paid);
        if (close) _close(channelId, c);
    }

    // ---------------------------------------------------------------------------------------------
    // Views

    /// @inheritdoc IPaymentChannels
    function channel(bytes32 channelId) external view returns (Channel memory) {
        return _channels[channelId];
    }

    /// @inheritdoc IPaymentChannels
    function tariffCap(bytes32 channelId, uint64 at) external view returns (uint256) {
        return _tariffCap(_channels[channelId], at);
    }

    /// @inheritdoc IPaymentChannels
    function voucherDigest(bytes32 channelId, uint256 cumulativeAmount) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_VOUCHER_TYPEHASH, channelId, cumulativeAmount)));
    }

    /// @inheritdoc IPaymentChannels
    function channelIdOf(OpenChannel calldata params) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(_OPEN_CHANNEL_TYPEHASH, params)));
    }

    // ---------------------------------------------------------------------------------------------
    // Internal state changes: each changes state and emits right after.

    /// @dev Emits {ChannelOpened}.
    function _open(bytes32 channelId, OpenChannel calldata p) internal {
        _channels[channelId] = Channel({
            payer: p.payer,
            startsAt: p.startsAt,
            closed: false,
            department: p.department,
            ratePerUnit: uint128(p.ratePerUnit), // equals the tariff's uint128 rate
            unitSeconds: p.unitSeconds,
            expiresAt: p.expiresAt,
            deposit: uint128(p.deposit), // checked by _requireAmount
            settled: 0
        });
        emit ChannelOpened(
            channelId,
            p.payer,
            p.department,
            p.tariffId,
            p.tariffVersion,
            p.zone,
            p.ratePerUnit,
            p.unitSeconds,
            p.deposit,
            p.startsAt,
            p.expiresAt
        );
    }

    /// @dev Emits {ChannelToppedUp}.
    function _topUp(bytes32 channelId, Channel storage c, uint128 deposit, uint256 amount, uint64 expiresAt)
        internal
    {
        c.deposit = deposit;
        c.expiresAt = expiresAt;
        emit ChannelToppedUp(channelId, amount, deposit, expiresAt);
    }

    /// @dev Pays `paid` to `payee`. Emits {ChannelSettled}.
    function _settle(bytes32 channelId, Channel storage c, address payee, uint256 cumulativeAmount, uint256 paid)
        internal
    {
        c.settled = uint128(cumulativeAmount); // within the uint128 deposit
        emit ChannelSettled(channelId, c.department, msg.sender, payee, cumulativeAmount, paid);
        if (paid != 0) token.safeTransfer(payee, paid);
    }

    /// @dev Refunds the unsettled rest to the payer. Emits {ChannelClosed}.
    function _close(bytes32 channelId, Channel storage c) internal {
        c.closed = true;
        uint256 refund = c.deposit - c.settled;
        emit ChannelClosed(channelId, c.payer, c.settled, refund);
        if (refund != 0) token.safeTransfer(c.payer, refund);
    }

    // ---------------------------------------------------------------------------------------------
    // Internal checks

    /// @dev The signed tariff terms must be the fee schedule's current ones, and the tariff active.
    function _requireTariff(OpenChannel calldata p) internal view {
        IFeeSchedule.Tariff memory t = feeSchedule.tariff(p.tariffId);
        if (
            !t.active || t.unitSeconds == 0 || t.unitSeconds != p.unitSeconds || t.version != p.tariffVersion
                || t.department != p.department || t.zone != p.zone || t.ratePerUnit != p.ratePerUnit
        ) revert ChannelTariffMismatch(p.tariffId);
    }

    /// @dev The channel, which must exist, be open and not expired.
    function _requireOpen(bytes32 channelId) internal view returns (Channel storage c) {
        c = _channels[channelId];
        if (c.payer == address(0)) revert ChannelUnknown(channelId);
        if (c.closed) revert ChannelAlreadyClosed(channelId);
        uint64 currentTime = _time();
        if (currentTime >= c.expiresAt) revert ChannelExpired(channelId, c.expiresAt, currentTime);
    }

    function _requireAmount(uint256 amount) internal pure {
        if (amount == 0 || amount > type(uint128).max) revert ChannelInvalidAmount(amount);
    }

    /// @dev `ratePerUnit` times the units started by `at` (the unit running at `startsAt` counts).
    function _tariffCap(Channel storage c, uint64 at) internal view returns (uint256) {
        if (c.unitSeconds == 0) return 0;
        uint256 elapsed = at > c.startsAt ? at - c.startsAt : 0;
        return uint256(c.ratePerUnit) * (elapsed / c.unitSeconds + 1);
    }
}
