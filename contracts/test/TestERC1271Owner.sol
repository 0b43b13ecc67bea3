// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TEST ONLY: a contract identity owner that accepts its signer's ECDSA signatures (ERC-1271)
/// @notice NOT FOR DEPLOYMENT. Stands in for a multisig or smart wallet owning a DID, to test the
/// ERC-1271 path of {EthereumDIDRegistry}'s signed variants.
contract TestERC1271Owner {
    address public immutable signer;

    constructor(address signer_) {
        signer = signer_;
    }

    /// @notice ERC-1271: 0x1626ba7e if `signature` is the signer's over `hash`, else 0xffffffff.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == signer ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}
