// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ERC-1056 lightweight identity registry (did:ethr)
/// @notice Every Ethereum address is an identity without registration. Its owner (the address
/// itself until changed) may hand ownership on, add and revoke delegates of a type for a time, and
/// publish attributes (keys, services) as events. Standard did:ethr resolvers read `changed` and
/// follow the linked list of events (`previousChange`) back to build the DID document.
/// @dev ABI, events and signed-message hashing are those of uPort's reference EthereumDIDRegistry
/// v1.0 (the one deployed for `did:ethr`), so ethr-did-resolver and ethr-did work unchanged with
/// this contract's chain id and address. Signed variants hash, byte for byte,
/// `keccak256(abi.encodePacked(bytes1(0x19), bytes1(0), registry, nonce[identityOwner(identity)],
/// identity, "<functionName>", <arguments packed>))` and are signed without any further prefix; the
/// nonce of the identity's owner increments on every accepted signature, which also makes every
/// other signature the owner has made for that nonce unusable. Because of this compatibility the
/// signed variants carry no deadline and use the ERC-1056 hash instead of EIP-712.
interface IEthereumDIDRegistry {
    /// @notice `actor` is not the owner (`owner`) of `identity` ("bad_actor" in the reference).
    error DIDRegistryBadActor(address identity, address actor, address owner);
    /// @notice The signature over `digest` is not valid for `owner`, the owner of `identity`
    /// ("bad_signature" in the reference).
    error DIDRegistryBadSignature(address identity, address owner, bytes32 digest);

    /// @notice The owner of `identity` is now `owner`; `previousChange` is the block of the
    /// identity's previous change (0 if none).
    event DIDOwnerChanged(address indexed identity, address owner, uint256 previousChange);

    /// @notice `delegate` is a delegate of type `delegateType` for `identity` until `validTo` (a
    /// timestamp; revocation sets it to the current time); `previousChange` as above.
    event DIDDelegateChanged(
        address indexed identity, bytes32 delegateType, address delegate, uint256 validTo, uint256 previousChange
    );

    /// @notice Attribute `name` = `value` of `identity` is valid until `validTo` (0: revoked);
    /// `previousChange` as above.
    event DIDAttributeChanged(
        address indexed identity, bytes32 name, bytes value, uint256 validTo, uint256 previousChange
    );

    /// @notice The explicitly set owner of `identity` (zero if never changed).
    /// @param identity The identity's address.
    /// @return owner The stored owner, zero meaning the identity owns itself.
    function owners(address identity) external view returns (address owner);

    /// @notice Until when `delegate` is a delegate of `identity` for the hashed delegate type.
    /// @param identity The identity's address.
    /// @param delegateTypeHash `keccak256(abi.encode(delegateType))`.
    /// @param delegate The delegate's address.
    /// @return validTo Timestamp until which the delegate is valid (exclusive); 0 if never added.
    function delegates(address identity, bytes32 delegateTypeHash, address delegate)
        external
        view
        returns (uint256 validTo);

    /// @notice The block of the last change of `identity` (0 if none), where resolvers start reading events.
    /// @param identity The identity's address.
    /// @return blockNumber Block number of the last owner, delegate or attribute change.
    function changed(address identity) external view returns (uint256 blockNumber);

    /// @notice The signature nonce of `signer`, an identity owner.
    /// @param signer The owner's address.
    /// @return count Number of signatures of `signer` accepted so far.
    function nonce(address signer) external view returns (uint256 count);

    /// @notice The current owner of `identity`: the stored owner, or `identity` itself if none.
    /// @param identity The identity's address.
    /// @return owner The address allowed to change `identity`.
    function identityOwner(address identity) external view returns (address owner);

    /// @notice Whether `delegate` is a delegate of type `delegateType` for `identity` right now.
    /// @param identity The identity's address.
    /// @param delegateType Delegate type, e.g. "veriKey" or "sigAuth" right-padded to 32 bytes.
    /// @param delegate The delegate's address.
    /// @return valid True while the delegation has not expired or been revoked.
    function validDelegate(address identity, bytes32 delegateType, address delegate) external view returns (bool valid);

    /// @notice Makes `newOwner` the owner of `identity`.
    /// @dev Requirements: caller is `identityOwner(identity)` (else {DIDRegistryBadActor}).
    /// Emits: {DIDOwnerChanged}.
    /// @param identity The identity's address.
    /// @param newOwner The new owner.
    function changeOwner(address identity, address newOwner) external;

    /// @notice {changeOwner} authorised by the owner's signature, submitted by anyone.
    /// @dev Signed data: `0x19 0x00 ‖ registry ‖ nonce[owner] ‖ identity ‖ "changeOwner" ‖ newOwner`.
    /// Requirements: the signature is the current owner's over that hash (else {DIDRegistryBadSignature}).
    /// Emits: {DIDOwnerChanged}.
    /// @param identity The identity's address.
    /// @param sigV Signature recovery id (27 or 28).
    /// @param sigR Signature r.
    /// @param sigS Signature s (lower half of the curve order).
    /// @param newOwner The new owner.
    function changeOwnerSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, address newOwner) external;

    /// @notice Makes `delegate` a delegate of type `delegateType` for `identity` for `validity` seconds.
    /// @dev Requirements: caller is `identityOwner(identity)` (else {DIDRegistryBadActor}).
    /// Emits: {DIDDelegateChanged} with `validTo` = now + `validity`.
    /// @param identity The identity's address.
    /// @param delegateType Delegate type, e.g. "veriKey" or "sigAuth".
    /// @param delegate The delegate's address.
    /// @param validity Seconds from now.
    function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) external;

    /// @notice {addDelegate} authorised by the owner's signature, submitted by anyone.
    /// @dev Signed data: `0x19 0x00 ‖ registry ‖ nonce[owner] ‖ identity ‖ "addDelegate" ‖ delegateType
    /// ‖ delegate ‖ validity`.
    /// Requirements: the signature is the current owner's over that hash (else {DIDRegistryBadSignature}).
    /// Emits: {DIDDelegateChanged}.
    /// @param identity The identity's address.
    /// @param sigV Signature recovery id (27 or 28).
    /// @param sigR Signature r.
    /// @param sigS Signature s.
    /// @param delegateType Delegate type.
    /// @param delegate The delegate's address.
    /// @param validity Seconds from now.
    function addDelegateSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 delegateType,
        address delegate,
        uint256 validity
    ) external;

    /// @notice Ends delegation of type `delegateType` to `delegate` for `identity` now.
    /// @dev Requirements: caller is `identityOwner(identity)` (else {DIDRegistryBadActor}).
    /// Emits: {DIDDelegateChanged} with `validTo` = now.
    /// @param identity The identity's address.
    /// @param delegateType Delegate type.
    /// @param delegate The delegate's address.
    function revokeDelegate(address identity, bytes32 delegateType, address delegate) external;

    /// @notice {revokeDelegate} authorised by the owner's signature, submitted by anyone.
    /// @dev Signed data: `0x19 0x00 ‖ registry ‖ nonce[owner] ‖ identity ‖ "revokeDelegate" ‖
    /// delegateType ‖ delegate`.
    /// Requirements: the signature is the current owner's over that hash (else {DIDRegistryBadSignature}).
    /// Emits: {DIDDelegateChanged}.
    /// @param identity The identity's address.
    /// @param sigV Signature recovery id (27 or 28).
    /// @param sigR Signature r.
    /// @param sigS Signature s.
    /// @param delegateType Delegate type.
    /// @param delegate The delegate's address.
    function revokeDelegateSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 delegateType,
        address delegate
    ) external;

    /// @notice Publishes attribute `name` = `value` of `identity`, valid for `validity` seconds.
    /// @dev Only an event is written: resolvers read the attribute from the logs. No personal data.
    /// Requirements: caller is `identityOwner(identity)` (else {DIDRegistryBadActor}).
    /// Emits: {DIDAttributeChanged} with `validTo` = now + `validity`.
    /// @param identity The identity's address.
    /// @param name Attribute name, e.g. "did/pub/Secp256k1/veriKey/hex" or "did/svc/VerificationService".
    /// @param value Attribute value.
    /// @param validity Seconds from now.
    function setAttribute(address identity, bytes32 name, bytes calldata value, uint256 validity) external;

    /// @notice {setAttribute} authorised by the owner's signature, submitted by anyone.
    /// @dev Signed data: `0x19 0x00 ‖ registry ‖ nonce[owner] ‖ identity ‖ "setAttribute" ‖ name ‖
    /// value ‖ validity`.
    /// Requirements: the signature is the current owner's over that hash (else {DIDRegistryBadSignature}).
    /// Emits: {DIDAttributeChanged}.
    /// @param identity The identity's address.
    /// @param sigV Signature recovery id (27 or 28).
    /// @param sigR Signature r.
    /// @param sigS Signature s.
    /// @param name Attribute name.
    /// @param value Attribute value.
    /// @param validity Seconds from now.
    function setAttributeSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 name,
        bytes calldata value,
        uint256 validity
    ) external;

    /// @notice Revokes attribute `name` = `value` of `identity`.
    /// @dev Requirements: caller is `identityOwner(identity)` (else {DIDRegistryBadActor}).
    /// Emits: {DIDAttributeChanged} with `validTo` = 0.
    /// @param identity The identity's address.
    /// @param name Attribute name.
    /// @param value Attribute value.
    function revokeAttribute(address identity, bytes32 name, bytes calldata value) external;

    /// @notice {revokeAttribute} authorised by the owner's signature, submitted by anyone.
    /// @dev Signed data: `0x19 0x00 ‖ registry ‖ nonce[owner] ‖ identity ‖ "revokeAttribute" ‖ name ‖ value`.
    /// Requirements: the signature is the current owner's over that hash (else {DIDRegistryBadSignature}).
    /// Emits: {DIDAttributeChanged}.
    /// @param identity The identity's address.
    /// @param sigV Signature recovery id (27 or 28).
    /// @param sigR Signature r.
    /// @param sigS Signature s.
    /// @param name Attribute name.
    /// @param value Attribute value.
    function revokeAttributeSigned(
        address identity,
        uint8 sigV,
        bytes32 sigR,
        bytes32 sigS,
        bytes32 name,
        bytes calldata value
    ) external;
}
