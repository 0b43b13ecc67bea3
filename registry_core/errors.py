"""The shared core's exception root, :class:`RegistryCoreError`, and its I/O and key errors.

The core's refusals and failures derive from it, each module's own error included (``DidError``,
``IssuanceError``, ``QrPayloadError`` ...). Not everything the core raises does:

- ``RpcClient.wait_for_receipt`` raises the builtin ``TimeoutError`` when no receipt comes in time;
- ``eip712.SignatureError`` and ``schemas.SchemaInvalidError`` are ``ValueError`` subclasses, and
  ``pages.MissingPackageError`` is a ``RuntimeError``;
- arguments a caller should have checked raise plain ``ValueError``, ``TypeError`` or ``KeyError``
  (a code longer than 32 bytes, a salt of the wrong length, an unknown ABI function ...).
"""

from __future__ import annotations


class RegistryCoreError(Exception):
    """Root of the core's own errors (see the module docstring for what escapes it); ``detail`` is
    safe to show to users."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ManifestError(RegistryCoreError):
    """The deployment manifest is missing, unreadable or lacks a contract."""


class RpcError(RegistryCoreError):
    """A JSON-RPC error object returned by the node (or the gateway)."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class RpcConnectionError(RegistryCoreError):
    """The JSON-RPC endpoint could not be reached or answered with something that is not JSON-RPC."""


class TransactionFailedError(RegistryCoreError):
    """A transaction was mined but reverted, or never got a receipt in time."""

    def __init__(self, detail: str, *, tx_hash: str, error_name: str | None = None) -> None:
        super().__init__(detail)
        self.tx_hash = tx_hash
        self.error_name = error_name


class KeystoreError(RegistryCoreError):
    """A key could not be created, found or decrypted."""


class KeystoreNotFoundError(KeystoreError):
    """No key file of that name."""


class KeystorePassphraseError(KeystoreError):
    """The passphrase does not open the key file (its MAC does not match)."""


class KeystoreFormatError(KeystoreError):
    """The file is not a readable Web3 Secret Storage (version 3) key file."""
