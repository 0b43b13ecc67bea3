// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDepartmentDirectory} from "./IDepartmentDirectory.sol";
import {IPaymentAuthorizations} from "./IPaymentAuthorizations.sol";

/// @title The city's fee schedule: administrative fees, parking tariffs and fee receipts
/// @notice Every service has a German and an English name, an amount in cents, a receiving
/// department and an active flag. A *fee* (`unitSeconds == 0`) is paid once per request; a
/// *tariff* (`unitSeconds > 0`, with a zone) is charged per started unit of `unitSeconds` through
/// a payment channel ({IPaymentChannels}). The council defines and changes services; where it
/// marked a service `departmentManaged`, an active account of the receiving department may change
/// it too (not its department nor that flag). Every change raises the service's `version`.
/// @dev Paying a fee moves the amount from the payer to the receiving department's payee account
/// (set by the council) and records a receipt keyed by (service, request reference): a request is
/// paid at most once, a department releases the service once {paymentOf} shows the receipt, and
/// an auditor reconciles from {FeePaid} events alone (they carry payer, service and version,
/// department, payee, amount and the request reference, e.g. keccak256 of a credential request
/// id; never personal data).
///
/// EIP-712 domain: name "City Fee Schedule", version "1", this chain and contract (ERC-5267).
interface IFeeSchedule is IPaymentAuthorizations {
    /// @notice What the council (or the department) sets for a service.
    /// @param department The receiving department.
    /// @param amount Cents per payment (fee) or per started unit (tariff); above zero.
    /// @param unitSeconds 0 for a fee; the unit a tariff charges per started unit of (e.g. 60).
    /// @param zone Tariffs: the zone's code as bytes32 (e.g. "ZONE5"); zero for fees.
    /// @param active Whether it can be paid (fees) or opened (tariffs) now.
    /// @param departmentManaged Whether the receiving department may change it.
    /// @param nameDe German name (1..`MAX_NAME_LENGTH` bytes).
    /// @param nameEn English name (1..`MAX_NAME_LENGTH` bytes).
    struct ServiceTerms {
        bytes32 department;
        uint128 amount;
        uint32 unitSeconds;
        bytes32 zone;
        bool active;
        bool departmentManaged;
        string nameDe;
        string nameEn;
    }

    /// @notice What a tariff binds a payment channel to (a cheap read without the names).
    /// @param department The receiving department.
    /// @param zone The zone's code (zero for a fee).
    /// @param ratePerUnit Cents per started unit (the service's `amount`).
    /// @param unitSeconds Seconds per unit (zero for a fee).
    /// @param version The service's version; a channel signs it.
    /// @param active Whether channels can be opened under it now.
    struct Tariff {
        bytes32 department;
        bytes32 zone;
        uint128 ratePerUnit;
        uint32 unitSeconds;
        uint32 version;
        bool active;
    }

    /// @notice A payer's signed order to pay fee `serviceId` for request `requestRef`.
    /// @dev EIP-712 type: `FeePayment(address payer,bytes32 serviceId,uint256 amount,bytes32 requestRef,bytes32 nonce,uint256 deadline)`.
    /// @param payer The account that pays and signs.
    /// @param serviceId The fee.
    /// @param amount Cents; must equal the fee's current amount.
    /// @param requestRef The request paid for (e.g. keccak256 of a credential request id; not zero).
    /// @param nonce Payer-chosen random nonce, used once.
    /// @param deadline Last second (block time) at which the order may run.
    struct FeePayment {
        address payer;
        bytes32 serviceId;
        uint256 amount;
        bytes32 requestRef;
        bytes32 nonce;
        uint256 deadline;
    }

    /// @notice The receipt of a paid fee.
    /// @param payer Who paid (zero: unpaid).
    /// @param paidAt Block time of the payment.
    /// @param amount Cents paid.
    /// @param serviceVersion The service's version at payment.
    struct Receipt {
        address payer;
        uint64 paidAt;
        uint128 amount;
        uint32 serviceVersion;
    }

    /// @notice Caller `caller` is not the council.
    error FeeScheduleCallerNotCouncil(address caller);
    /// @notice `caller` may not change service `serviceId` (not the council, and: the service does
    /// not exist yet, is not department-managed, `caller` is not an active account of its
    /// department, or the change touches the department or the `departmentManaged` flag).
    error FeeScheduleCallerNotAllowed(bytes32 serviceId, address caller);
    /// @notice `serviceId` is zero.
    error FeeScheduleInvalidServiceId(bytes32 serviceId);
    /// @notice A name is empty or longer than `maxLength` bytes.
    error FeeScheduleInvalidName(uint256 length, uint256 maxLength);
    /// @notice Department `departmentId` does not exist in the directory.
    error FeeScheduleUnknownDepartment(bytes32 departmentId);
    /// @notice The amount is zero.
    error FeeScheduleInvalidAmount(uint256 amount);
    /// @notice A tariff needs a zone and 1..`maxUnitSeconds` seconds per unit; a fee has neither.
    error FeeScheduleInvalidUnit(uint32 unitSeconds, bytes32 zone, uint32 maxUnitSeconds);
    /// @notice There is no service `serviceId`.
    error FeeScheduleUnknownService(bytes32 serviceId);
    /// @notice Service `serviceId` is not active.
    error FeeScheduleServiceInactive(bytes32 serviceId);
    /// @notice Service `serviceId` is a tariff (paid through a channel), not a fee.
    error FeeScheduleNotAFee(bytes32 serviceId);
    /// @notice The payer signed `signed` cents but fee `serviceId` costs `current`.
    error FeeScheduleAmountMismatch(bytes32 serviceId, uint256 signed, uint256 current);
    /// @notice The request reference is zero.
    error FeeScheduleInvalidRequestRef(bytes32 requestRef);
    /// @notice Request `requestRef` has paid service `serviceId` already (by `payer`).
    error FeeScheduleAlreadyPaid(bytes32 serviceId, bytes32 requestRef, address payer);
    /// @notice Department `departmentId` has no payee account.
    error FeeScheduleNoPayee(bytes32 departmentId);
    /// @notice The payee account is the zero address.
    error FeeScheduleInvalidPayee(address payee);

    /// @notice `actor` set service `serviceId` (version `version`) to these terms.
    event ServiceSet(
        bytes32 indexed serviceId,
        bytes32 indexed department,
        address indexed actor,
        uint32 version,
        uint256 amount,
        uint32 unitSeconds,
        bytes32 zone,
        bool active,
        bool departmentManaged,
        string nameDe,
        string nameEn
    );
    /// @notice Payments to department `department` now go to `payee`.
    event PayeeSet(bytes32 indexed department, address indexed payee);
    /// @notice `payer` paid `amount` cents for service `serviceId` (version `serviceVersion`) and
    /// request `requestRef` to department `department`'s payee `payee`.
    event FeePaid(
        bytes32 indexed serviceId,
        bytes32 indexed requestRef,
        address indexed payer,
        bytes32 department,
        address payee,
        uint256 amount,
        uint32 serviceVersion
    );

    /// @notice Defines service `serviceId` or changes it.
    /// @dev Requirements: caller is the council, or (service exists, is department-managed, the
    /// terms keep its department and `departmentManaged`) an active account of its department;
    /// id not zero; valid names; the department exists; amount above zero; a tariff has a zone and
    /// 1..`MAX_UNIT_SECONDS` seconds per unit, a fee neither.
    /// Emits: {ServiceSet} with the new version (1 for a new service), even if the terms are unchanged.
    /// @param serviceId The service's code as bytes32 (e.g. "RESIDENCE_CERT", "PARK_ZONE5").
    /// @param terms The new terms.
    function setService(bytes32 serviceId, ServiceTerms calldata terms) external;

    /// @notice Sends department `department`'s fee and channel income to `payee`.
    /// @dev Replaces an earlier payee; receipts and settled channel amounts already paid stay where
    /// they went.
    /// Requirements: caller is the council; the department exists; payee not zero.
    /// Emits: {PayeeSet}.
    /// @param department The department.
    /// @param payee The account that receives its income (e.g. its treasury account).
    function setPayee(bytes32 department, address payee) external;

    /// @notice Pays fee `payment.serviceId` for `payment.requestRef` from `payment.payer`; anyone
    /// may relay it.
    /// @dev Requirements: the authorisation's deadline has not passed and its nonce is unused;
    /// `signature` is the payer's over `payment`; the service exists, is an active fee and costs
    /// `payment.amount`; the request reference is not zero and has not paid this service; the
    /// department has a payee; the permit or an existing allowance covers the amount.
    /// Emits: {AuthorizationUsed}, {FeePaid}, the token's `Transfer` (and its `Approval` when a
    /// given permit succeeds).
    /// @param payment The payer's order.
    /// @param signature The payer's EIP-712 signature over `payment`.
    /// @param permit The payer's EIP-2612 permit for this contract (deadline 0: none).
    function payFee(FeePayment calldata payment, bytes calldata signature, Permit calldata permit) external;

    /// @notice Longest service name, in bytes.
    /// @return The limit (64), for each of the German and the English name.
    function MAX_NAME_LENGTH() external view returns (uint256);

    /// @notice Longest tariff unit, in seconds.
    /// @return The limit (86400: one day).
    function MAX_UNIT_SECONDS() external view returns (uint32);

    /// @notice The department directory; its council governs the schedule.
    /// @return The directory (set at construction, fixed); its council is read on every call.
    function directory() external view returns (IDepartmentDirectory);

    /// @notice Service `serviceId`'s terms and version.
    /// @dev Reverts with {FeeScheduleUnknownService} if it does not exist.
    /// @param serviceId The service.
    /// @return terms Its current terms.
    /// @return version Its version (1 after the first {setService}, +1 on every change).
    function service(bytes32 serviceId) external view returns (ServiceTerms memory terms, uint32 version);

    /// @notice Service `serviceId` as a tariff binding: department, zone, rate, unit, version, active.
    /// @dev Reverts with {FeeScheduleUnknownService} if it does not exist (a fee answers `unitSeconds` 0).
    /// @param serviceId The service.
    /// @return Its tariff binding.
    function tariff(bytes32 serviceId) external view returns (Tariff memory);

    /// @notice Where department `department`'s income goes (zero if not set).
    /// @param department The department.
    /// @return The payee account, or zero.
    function payeeOf(bytes32 department) external view returns (address);

    /// @notice The receipt of service `serviceId` for request `requestRef` (all zero if unpaid).
    /// @param serviceId The fee.
    /// @param requestRef The request reference.
    /// @return The receipt.
    function paymentOf(bytes32 serviceId, bytes32 requestRef) external view returns (Receipt memory);
}
