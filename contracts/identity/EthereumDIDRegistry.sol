// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IEthereumDIDRegistry} from "../interfaces/IEthereumDIDRegistry.sol";

/// @title ERC-1056 identity registry for the city's did:ethr DIDs
/// @notice Drop-in compatible with uPort's reference EthereumDIDRegistry v1.0: same functions,
/// events, storage getters and signed-message hashes, so standard did:ethr tools work against it.
/// @dev Differences from the reference, none visible to honest callers:
/// - custom errors {DIDRegistryBadActor} / {DIDRegistryBadSignature} instead of "bad_actor" /
///   "bad_signature" strings;
/// - signatures are checked with OpenZeppelin's `SignatureChecker`: for an EOA owner that is
///   `ecrecover` that refuses the zero address and high-s (malleable) signatures, which standard
///   signers never produce; an owner that is a contract (a multisig, a smart wallet) is asked through
///   ERC-1271 with the 65-byte signature `r ‖ s ‖ v` over the same hash.
/// The ERC-1056 hash is deliberately not EIP-712 and has no deadline: that is the standard's format.
contract EthereumDIDRegistry is IEthereumDIDRegistry {
    /// @inheritdoc IEthereumDIDRegistry
    mapping(address identity => address owner) public owners;
    /// @inheritdoc IEthereumDIDRegistry
    mapping(address identity => mapping(bytes32 delegateTypeHash => mapping(address delegate => uint256 validTo)))
        public delegates;
    /// @inheritdoc IEthereumDIDRegistry
    mapping(address identity => uint256 blockNumber) public changed;
    /// @inheritdoc IEthereumDIDRegistry
    mapping(address signer => uint256 count) public nonce;

    // ---------------------------------------------------------------------------------------------
    // Views

    /// @inheritdoc IEthereumDIDRegistry
    function identityOwner(address identity) public view returns (address) {
        address owner = owners[identity];
        return owner != address(0) ? owner : identity;
    }

    /// @inheritdoc IEthereumDIDRegistry
    function validDelegate(address identity, bytes32 delegateType, address delegate) external view returns (bool) {
        return delegates[identity][keccak256(abi.encode(delegateType))][delegate] > _time();
    }

    // ---------------------------------------------------------------------------------------------
    // Owner

    /// @inheritdoc IEthereumDIDRegistry
    function changeOwner(address identity, address newOwner) external {
        _changeOwner(identity, msg.sender, newOwner);
    }

    /// @inheritdoc IEthereumDIDRegistry
    function changeOwnerSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, address newOwner) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19),
                bytes1(0),
                address(this),
                nonce[identityOwner(identity)],
                identity,
                "changeOwner",
                newOwner
            )
        );
        _changeOwner(identity, _checkSignature(identity, sigV, sigR, sigS, digest), newOwner);
    }

    // ---------------------------------------------------------------------------------------------
    // Delegates

    /// @inheritdoc IEthereumDIDRegistry
    function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) external {
        _addDelegate(identity, msg.sender, delegateType, delegate, validity);
    }

    /// @inheritdoc IEthereumDIDRegistry
    function addDelegateSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 delegateType,
        address delegate,
        uint256 validity
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19),
                bytes1(0),
                address(this),
                nonce[identityOwner(identity)],
                identity,
                "addDelegate",
                delegateType,
                delegate,
                validity
            )
        );
        _addDelegate(identity, _checkSignature(identity, sigV, sigR, sigS, digest), delegateType, delegate, validity);
    }

    /// @inheritdoc IEthereumDIDRegistry
    function revokeDelegate(address identity, bytes32 delegateType, address delegate) external {
        _revokeDelegate(identity, msg.sender, delegateType, delegate);
    }

    /// @inheritdoc IEthereumDIDRegistry
    function revokeDelegateSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 delegateType,
        address delegate
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19),
                bytes1(0),
                address(this),
                nonce[identityOwner(identity)],
                identity,
                "revokeDelegate",
                delegateType,
                delegate
            )
        );
        _revokeDelegate(identity, _checkSignature(identity, sigV, sigR, sigS, digest), delegateType, delegate);
    }

    // ---------------------------------------------------------------------------------------------
    // Attributes

    /// @inheritdoc IEthereumDIDRegistry
    function setAttribute(address identity, bytes32 name, bytes calldata value, uint256 validity) external {
        _setAttribute(identity, msg.sender, name, value, validity);
    }

    /// @inheritdoc IEthereumDIDRegistry
    function setAttributeSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 name,
        bytes calldata value,
        uint256 validity
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19),
                bytes1(0),
                address(this),
                nonce[identityOwner(identity)],
                identity,
                "setAttribute",
                name,
                value,
                validity
            )
        );
        _setAttribute(identity, _checkSignature(identity, sigV, sigR, sigS, digest), name, value, validity);
    }

    /// @inheritdoc IEthereumDIDRegistry
    function revokeAttribute(address identity, bytes32 name, bytes calldata value) external {
        _revokeAttribute(identity, msg.sender, name, value);
    }

    /// @inheritdoc IEthereumDIDRegistry
    function revokeAttributeSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 name,
        bytes calldata value
    ) external {
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0x19),
                bytes1(0),
                address(this),
                nonce[identityOwner(identity)],
                identity,
                "revokeAttribute",
                name,
                value
            )
        );
        _revokeAttribute(identity, _checkSignature(identity, sigV, sigR, sigS, digest), name, value);
    }

    // ---------------------------------------------------------------------------------------------
    // Internal: one function per state change, each emitting right after it

    function _changeOwner(address identity, address actor, address newOwner) internal {
        _requireOwner(identity, actor);
        owners[identity] = newOwner;
        emit DIDOwnerChanged(identity, newOwner, changed[identity]);
        changed[identity] = block.number;
    }

    function _addDelegate(address identity, address actor, bytes32 delegateType, address delegate, uint256 validity)
        internal
    {
        _requireOwner(identity, actor);
        uint256 validTo = _time() + validity;
        delegates[identity][keccak256(abi.encode(delegateType))][delegate] = validTo;
        emit DIDDelegateChanged(identity, delegateType, delegate, validTo, changed[identity]);
        changed[identity] = block.number;
    }

    function _revokeDelegate(address identity, address actor, bytes32 delegateType, address delegate) internal {
        _requireOwner(identity, actor);
        uint256 validTo = _time();
        delegates[identity][keccak256(abi.encode(delegateType))][delegate] = validTo;
        emit DIDDelegateChanged(identity, delegateType, delegate, validTo, changed[identity]);
        changed[identity] = block.number;
    }

    function _setAttribute(address identity, address actor, bytes32 name, bytes calldata value, uint256 validity)
        internal
    {
        _requireOwner(identity, actor);
        emit DIDAttributeChanged(identity, name, value, _time() + validity, changed[identity]);
        changed[identity] = block.number;
    }

    function _revokeAttribute(address identity, address actor, bytes32 name, bytes calldata value) internal {
        _requireOwner(identity, actor);
        emit DIDAttributeChanged(identity, name, value, 0, changed[identity]);
        changed[identity] = block.number;
    }

    /// @dev Accepts a signature of the identity's current owner over `digest` and consumes the
    /// owner's nonce; returns the owner as the actor.
    function _checkSignature(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 digest)
        internal
        returns (address owner)
    {
        owner = identityOwner(identity);
        if (!SignatureChecker.isValidSignatureNow(owner, digest, abi.encodePacked(sigR, sigS, sigV))) {
            revert DIDRegistryBadSignature(identity, owner, digest);
        }
        ++nonce[owner];
    }

    function _requireOwner(address identity, address actor) internal view {
        address owner = identityOwner(identity);
        if (actor != owner) revert DIDRegistryBadActor(identity, actor, owner);
    }

    /// @dev The current time; overridden in tests (EAS's `TestEAS` habit).
    function _time() internal view virtual returns (uint256) {
        return block.timestamp;
    }
}
