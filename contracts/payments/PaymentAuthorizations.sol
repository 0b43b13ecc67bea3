// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ICityToken} from "../interfaces/ICityToken.sol";
import {IPaymentAuthorizations} from "../interfaces/IPaymentAuthorizations.sol";

/// @title Payer-signed authorisations: nonces, deadlines, signatures, permit-then-pull
/// @notice See {IPaymentAuthorizations}; the fee schedule and the payment channels inherit it.
abstract contract PaymentAuthorizations is IPaymentAuthorizations, EIP712 {
    using SafeERC20 for ICityToken;

    /// @dev keccak256("CancelAuthorization(address payer,bytes32 nonce)")
    bytes32 private constant _CANCEL_AUTHORIZATION_TYPEHASH =
        0x7c5c3a28309718364b1adff69f03f4c0b01f3b4f16f868a6708b67c9c96c0795;

    /// @inheritdoc IPaymentAuthorizations
    ICityToken public immutable token;

    mapping(address payer => mapping(bytes32 nonce => bool used)) private _usedNonces;

    /// @param token_ The city token.
    /// @param name EIP-712 domain name.
    constructor(ICityToken token_, string memory name) EIP712(name, "1") {
        if (address(token_) == address(0)) revert PaymentsInvalidDependency(address(token_));
        token = token_;
    }

    /// @inheritdoc IPaymentAuthorizations
    function authorizationState(address payer, bytes32 nonce) external view returns (bool) {
        return _usedNonces[payer][nonce];
    }

    /// @inheritdoc IPaymentAuthorizations
    function cancelAuthorization(address payer, bytes32 nonce, bytes calldata signature) external {
        _requireSignature(payer, keccak256(abi.encode(_CANCEL_AUTHORIZATION_TYPEHASH, payer, nonce)), signature);
        _consumeNonce(payer, nonce);
        emit AuthorizationCanceled(payer, nonce);
    }

    /// @dev Checks deadline, nonce and `payer`'s signature over the struct hash, then uses the nonce.
    /// Returns the EIP-712 digest. Emits {AuthorizationUsed}.
    function _useAuthorization(
        address payer,
        bytes32 nonce,
        uint256 deadline,
        bytes32 structHash,
        bytes calldata signature
    ) internal returns (bytes32 digest) {
        uint64 currentTime = _time();
        if (deadline < currentTime) revert PaymentsAuthorizationExpired(deadline, currentTime);
        digest = _requireSignature(payer, structHash, signature);
        _consumeNonce(payer, nonce);
        emit AuthorizationUsed(payer, nonce);
    }

    /// @dev Moves `amount` from `payer` to `to` with this contract's allowance, after trying
    /// `permit`. A failed permit (front-run, used, expired, ...) is ignored while the allowance covers
    /// `amount`; otherwise its error is passed on.
    function _pull(address payer, address to, uint256 amount, Permit calldata permit) internal {
        if (permit.deadline != 0) {
            try token.permit(payer, address(this), permit.value, permit.deadline, permit.v, permit.r, permit.s) {}
            catch (bytes memory reason) {
                uint256 allowance = token.allowance(payer, address(this));
                if (allowance < amount) {
                    if (reason.length == 0) revert PaymentsPermitFailed(payer, allowance, amount);
                    assembly ("memory-safe") {
                        revert(add(reason, 0x20), mload(reason))
                    }
                }
            }
        }
        token.safeTransferFrom(payer, to, amount);
    }

    /// @dev The EIP-712 digest of `structHash`, checked to be signed by `signer` (EOA or ERC-1271).
    function _requireSignature(address signer, bytes32 structHash, bytes calldata signature)
        internal
        view
        returns (bytes32 digest)
    {
        digest = _hashTypedDataV4(structHash);
        if (!SignatureChecker.isValidSignatureNowCalldata(signer, digest, signature)) {
            revert PaymentsInvalidSignature(signer);
        }
    }

    /// @dev The current time; overridden in tests (EAS's `TestEAS` habit).
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }

    function _consumeNonce(address payer, bytes32 nonce) private {
        if (_usedNonces[payer][nonce]) revert PaymentsAuthorizationUsed(payer, nonce);
        _usedNonces[payer][nonce] = true;
    }
}
