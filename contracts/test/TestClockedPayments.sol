// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// TEST ONLY. The payment channels with a clock the tests set (EAS's `TestEAS` habit). Never deploy.

import {ICityToken} from "../interfaces/ICityToken.sol";
import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";
import {IFeeSchedule} from "../interfaces/IFeeSchedule.sol";
import {PaymentChannels} from "../payments/PaymentChannels.sol";

/// @title TEST ONLY: payment channels whose clock the tests set
/// @notice NOT FOR DEPLOYMENT. `setTime(t)` makes `_time()` return `t` (0: the block's timestamp).
contract TestPaymentChannels is PaymentChannels {
    uint64 private _fakeTime;

    constructor(IDepartmentDirectory directory_, ICityToken token_, IFeeSchedule feeSchedule_)
        PaymentChannels(directory_, token_, feeSchedule_)
    {}

    /// @notice TEST ONLY: the time the channels believe it is (0: real block time).
    function setTime(uint64 fakeTime) external {
        _fakeTime = fakeTime;
    }

    function _time() internal view override returns (uint64) {
        return _fakeTime == 0 ? super._time() : _fakeTime;
    }
}
