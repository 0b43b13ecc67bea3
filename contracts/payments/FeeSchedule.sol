// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICityToken} from "../interfaces/ICityToken.sol";
import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";
import {IFeeSchedule} from "../interfaces/IFeeSchedule.sol";
import {PaymentAuthorizations} from "./PaymentAuthorizations.sol";

/// @title The city's fee schedule, parking tariffs and fee receipts
/// @notice See {IFeeSchedule}.
contract FeeSchedule is IFeeSchedule, PaymentAuthorizations {
    /// @inheritdoc IFeeSchedule
    uint256 public constant MAX_NAME_LENGTH = 64;
    /// @inheritdoc IFeeSchedule
    uint32 public constant MAX_UNIT_SECONDS = 1 days;

    /// @dev keccak256("FeePayment(address payer,bytes32 serviceId,uint256 amount,bytes32 requestRef,bytes32 nonce,uint256 deadline)")
    bytes32 private constant _FEE_PAYMENT_TYPEHASH = 0x9b426d37403974655fae82abbcd1e48cff165d4f35bc2a608f1e96021d741034;

    /// @dev {ServiceTerms} plus version, in storage order (amount, unit, version and flags share a slot).
    struct Service {
        bytes32 department;
        bytes32 zone;
        uint128 amount;
        uint32 unitSeconds;
        uint32 version;
        bool active;
        bool departmentManaged;
        string nameDe;
        string nameEn;
    }

    /// @inheritdoc IFeeSchedule
    IDepartmentDirectory public immutable directory;

    mapping(bytes32 serviceId => Service service) private _services;
    mapping(bytes32 department => address payee) private _payees;
    mapping(bytes32 serviceId => mapping(bytes32 requestRef => Receipt receipt)) private _receipts;

    /// @param directory_ The department directory; its council governs the schedule.
    /// @param token_ The city token fees are paid in.
    constructor(IDepartmentDirectory directory_, ICityToken token_)
        PaymentAuthorizations(token_, "City Fee Schedule")
    {
        if (address(directory_) == address(0)) revert PaymentsInvalidDependency(address(directory_));
        directory = directory_;
    }

    // ---------------------------------------------------------------------------------------------
    // Council and department actions

    /// @inheritdoc IFeeSchedule
    function setService(bytes32 serviceId, ServiceTerms calldata terms) external {
        if (serviceId == bytes32(0)) revert FeeScheduleInvalidServiceId(serviceId);
        Service storage current = _services[serviceId];
        if (msg.sender != directory.council()) {
            bool allowed = current.version != 0 && current.departmentManaged && terms.departmentManaged
                && terms.department == current.department
                && directory.isActiveAccountOf(current.department, msg.sender);
            if (!allowed) revert FeeScheduleCallerNotAllowed(serviceId, msg.sender);
        }
        _requireValidTerms(terms);
        _setService(serviceId, terms);
    }

    /// @inheritdoc IFeeSchedule
    function setPayee(bytes32 department, address payee) external {
        if (msg.sender != directory.council()) revert FeeScheduleCallerNotCouncil(msg.sender);
        if (!directory.departmentExists(department)) revert FeeScheduleUnknownDepartment(department);
        if (payee == address(0)) revert FeeScheduleInvalidPayee(payee);
        _payees[department] = payee;
        emit PayeeSet(department, payee);
    }

    // ---------------------------------------------------------------------------------------------
    // Payment

    /// @inheritdoc IFeeSchedule
    function payFee(FeePayment calldata payment, bytes calldata signature, Permit calldata permit) external {
        bytes32 serviceId = payment.serviceId;
        Service storage s = _requireService(serviceId);
        if (!s.active) revert FeeScheduleServiceInactive(serviceId);
        if (s.unitSeconds != 0) revert FeeScheduleNotAFee(serviceId);
        if (payment.amount != s.amount) revert FeeScheduleAmountMismatch(serviceId, payment.amount, s.amount);
        if (payment.requestRef == bytes32(0)) revert FeeScheduleInvalidRequestRef(payment.requestRef);
        address earlierPayer = _receipts[serviceId][payment.requestRef].payer;
        if (earlierPayer != address(0)) revert FeeScheduleAlreadyPaid(serviceId, payment.requestRef, earlierPayer);
        address payee = _payees[s.department];
        if (payee == address(0)) revert FeeScheduleNoPayee(s.department);
        _useAuthorization(
            payment.payer,
            payment.nonce,
            payment.deadline,
            keccak256(abi.encode(_FEE_PAYMENT_TYPEHASH, payment)),
            signature
        );
        _recordReceipt(payment, s, payee);
        _pull(payment.payer, payee, payment.amount, permit);
    }

    // ---------------------------------------------------------------------------------------------
    // Views

    /// @inheritdoc IFeeSchedule
    function service(bytes32 serviceId) external view returns (ServiceTerms memory terms, uint32 version) {
        Service storage s = _requireService(serviceId);
        terms = ServiceTerms({
            department: s.department,
            amount: s.amount,
            unitSeconds: s.unitSeconds,
            zone: s.zone,
            active: s.active,
            departmentManaged: s.departmentManaged,
            nameDe: s.nameDe,
            nameEn: s.nameEn
        });
        version = s.version;
    }

    /// @inheritdoc IFeeSchedule
    function tariff(bytes32 serviceId) external view returns (Tariff memory) {
        Service storage s = _requireService(serviceId);
        return Tariff({
            department: s.department,
            zone: s.zone,
            ratePerUnit: s.amount,
            unitSeconds: s.unitSeconds,
            version: s.version,
            active: s.active
        });
    }

    /// @inheritdoc IFeeSchedule
    function payeeOf(bytes32 department) external view returns (address) {
        return _payees[department];
    }

    /// @inheritdoc IFeeSchedule
    function paymentOf(bytes32 serviceId, bytes32 requestRef) external view returns (Receipt memory) {
        return _receipts[serviceId][requestRef];
    }

    // ---------------------------------------------------------------------------------------------
    // Internal

    /// @dev Stores the terms with the next version. Emits {ServiceSet}.
    function _setService(bytes32 serviceId, ServiceTerms calldata terms) internal {
        Service storage s = _services[serviceId];
        uint32 version = s.version + 1;
        s.department = terms.department;
        s.zone = terms.zone;
        s.amount = terms.amount;
        s.unitSeconds = terms.unitSeconds;
        s.version = version;
        s.active = terms.active;
        s.departmentManaged = terms.departmentManaged;
        s.nameDe = terms.nameDe;
        s.nameEn = terms.nameEn;
        emit ServiceSet(
            serviceId,
            terms.department,
            msg.sender,
            version,
            terms.amount,
            terms.unitSeconds,
            terms.zone,
            terms.active,
            terms.departmentManaged,
            terms.nameDe,
            terms.nameEn
        );
    }

    /// @dev Records the receipt of `payment`. Emits {FeePaid}.
    function _recordReceipt(FeePayment calldata payment, Service storage s, address payee) internal {
        uint32 version = s.version;
        _receipts[payment.serviceId][payment.requestRef] = Receipt({
            payer: payment.payer,
            paidAt: _time(),
            amount: uint128(payment.amount), // equals the stored uint128 amount
            serviceVersion: version
        });
        emit FeePaid(
            payment.serviceId, payment.requestRef, payment.payer, s.department, payee, payment.amount, version
        );
    }

    function _requireService(bytes32 serviceId) internal view returns (Service storage s) {
        s = _services[serviceId];
        if (s.version == 0) revert FeeScheduleUnknownService(serviceId);
    }

    function _requireValidTerms(ServiceTerms calldata terms) internal view {
        _requireValidName(terms.nameDe);
        _requireValidName(terms.nameEn);
        if (!directory.departmentExists(terms.department)) revert FeeScheduleUnknownDepartment(terms.department);
        if (terms.amount == 0) revert FeeScheduleInvalidAmount(terms.amount);
        bool isTariff = terms.unitSeconds != 0;
        if (terms.unitSeconds > MAX_UNIT_SECONDS || isTariff != (terms.zone != bytes32(0))) {
            revert FeeScheduleInvalidUnit(terms.unitSeconds, terms.zone, MAX_UNIT_SECONDS);
        }
    }

    function _requireValidName(string calldata name) internal pure {
        uint256 length = bytes(name).length;
        if (length == 0 || length > MAX_NAME_LENGTH) revert FeeScheduleInvalidName(length, MAX_NAME_LENGTH);
    }
}
