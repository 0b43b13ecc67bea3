// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

// TEST ONLY. The trusted-issuer and credential status registries with a clock the tests set
// (EAS's `TestEAS` habit). Never deploy these.

import {IDepartmentDirectory} from "../interfaces/IDepartmentDirectory.sol";
import {ITrustedIssuerRegistry} from "../interfaces/ITrustedIssuerRegistry.sol";
import {TrustedIssuerRegistry} from "../credentials/TrustedIssuerRegistry.sol";
import {CredentialStatusRegistry} from "../credentials/CredentialStatusRegistry.sol";

/// @title TEST ONLY: trusted-issuer registry whose clock the tests set (EAS's `TestEAS` habit)
/// @notice NOT FOR DEPLOYMENT. `setTime(t)` makes `_time()` return `t` (0: the block's timestamp).
contract TestTrustedIssuerRegistry is TrustedIssuerRegistry {
    uint64 private _fakeTime;

    constructor(IDepartmentDirectory directory_) TrustedIssuerRegistry(directory_) {}

    /// @notice TEST ONLY: the time the registry believes it is (0: real block time).
    function setTime(uint64 fakeTime) external {
        _fakeTime = fakeTime;
    }

    function _time() internal view override returns (uint64) {
        return _fakeTime == 0 ? super._time() : _fakeTime;
    }
}

/// @title TEST ONLY: credential status registry whose clock the tests set (EAS's `TestEAS` habit)
/// @notice NOT FOR DEPLOYMENT. `setTime(t)` makes `_time()` return `t` (0: the block's timestamp).
contract TestCredentialStatusRegistry is CredentialStatusRegistry {
    uint64 private _fakeTime;

    constructor(IDepartmentDirectory directory_, ITrustedIssuerRegistry trustedIssuers_)
        CredentialStatusRegistry(directory_, trustedIssuers_)
    {}

    /// @notice TEST ONLY: the time the registry believes it is (0: real block time).
    function setTime(uint64 fakeTime) external {
        _fakeTime = fakeTime;
    }

    function _time() internal view override returns (uint64) {
        return _fakeTime == 0 ? super._time() : _fakeTime;
    }
}
