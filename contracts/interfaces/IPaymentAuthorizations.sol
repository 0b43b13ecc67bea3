// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {ICityToken} from "./ICityToken.sol";

/// @title Payer-signed authorisations, shared by the fee schedule and the payment channels
/// @notice Citizens hold no gas: they sign an EIP-712 authorisation (pay this fee, open or top up
/// this channel) and an EIP-2612 permit, and any allowed account relays both in one transaction.
/// Each authorisation carries a payer-chosen random `nonce` (used once, as in ERC-3009) and a
/// `deadline`; a payer cancels an unused authorisation with a signed {cancelAuthorization}, which
/// anyone may relay.
/// @dev Signatures are checked with OpenZeppelin's SignatureChecker, so contract wallets (ERC-1271)
/// pay too. The permit is tried first and its failure ignored when the allowance already covers
/// the amount: a permit that someone front-ran (submitted on its own) or that was used before does
/// not make the payment fail. When the allowance is short the permit's own error is passed on
/// (`ERC2612ExpiredSignature`, `ERC2612InvalidSigner`, ...). A zero permit `deadline` means "no
/// permit, use the existing allowance".
interface IPaymentAuthorizations is IERC5267 {
    /// @notice An EIP-2612 permit of the payer for this contract (`spender`), as its parts.
    /// @param value The allowance the permit sets.
    /// @param deadline The permit's deadline (0: no permit given).
    /// @param v The signature's recovery id.
    /// @param r The signature's `r`.
    /// @param s The signature's `s`.
    struct Permit {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice A contract given at construction (token, directory or fee schedule) is the zero address.
    error PaymentsInvalidDependency(address dependency);
    /// @notice The authorisation's `deadline` lies before the current time `time`.
    error PaymentsAuthorizationExpired(uint256 deadline, uint64 time);
    /// @notice `payer` has used or cancelled authorisation `nonce` already.
    error PaymentsAuthorizationUsed(address payer, bytes32 nonce);
    /// @notice The signature is not `payer`'s over the authorisation.
    error PaymentsInvalidSignature(address payer);
    /// @notice The permit failed without an error of its own and the allowance is short.
    error PaymentsPermitFailed(address payer, uint256 allowance, uint256 amount);

    /// @notice `payer`'s authorisation `nonce` was used (a payment, channel opening or top-up ran).
    event AuthorizationUsed(address indexed payer, bytes32 indexed nonce);
    /// @notice `payer` cancelled unused authorisation `nonce`.
    event AuthorizationCanceled(address indexed payer, bytes32 indexed nonce);

    /// @notice The city token that payments move.
    /// @return The token (set at construction, fixed).
    function token() external view returns (ICityToken);

    /// @notice Whether `payer` has used or cancelled authorisation `nonce`.
    /// @param payer The payer.
    /// @param nonce The authorisation's nonce.
    /// @return True once used or cancelled (for good: a nonce is never released).
    function authorizationState(address payer, bytes32 nonce) external view returns (bool);

    /// @notice Cancels `payer`'s unused authorisation `nonce`; anyone may relay it.
    /// @dev Signed EIP-712 type: `CancelAuthorization(address payer,bytes32 nonce)`. The
    /// cancellation has no deadline of its own, and a nonce can be cancelled before any
    /// authorisation with it was signed.
    /// Requirements: `signature` is `payer`'s; the nonce is unused.
    /// Emits: {AuthorizationCanceled}.
    /// @param payer Whose authorisation.
    /// @param nonce The authorisation's nonce.
    /// @param signature `payer`'s signature over the cancellation.
    function cancelAuthorization(address payer, bytes32 nonce, bytes calldata signature) external;
}
