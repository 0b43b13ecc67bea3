"""The EIP-712 struct types and domains of the city token, fee schedule and payment channels.

The type strings are the ones in the contracts' interfaces (``IFeeSchedule``, ``IPaymentChannels``,
``IPaymentAuthorizations``) and EIP-2612; the contract tests check that signatures made from these
types are the ones the contracts accept.
"""

from __future__ import annotations

from registry_core.eip712 import Domain, StructType

DOMAIN_VERSION = "1"
TOKEN_DOMAIN_NAME = "City Token"  # noqa: S105 (a name, not a password)
FEE_SCHEDULE_DOMAIN_NAME = "City Fee Schedule"
CHANNELS_DOMAIN_NAME = "City Payment Channels"

# Names of the contracts in the deployment manifest.
TOKEN_CONTRACT = "CityToken"  # noqa: S105 (a contract name)
FEE_SCHEDULE_CONTRACT = "FeeSchedule"
CHANNELS_CONTRACT = "PaymentChannels"

PERMIT = StructType(
    "Permit",
    (
        ("owner", "address"),
        ("spender", "address"),
        ("value", "uint256"),
        ("nonce", "uint256"),
        ("deadline", "uint256"),
    ),
)
FEE_PAYMENT = StructType(
    "FeePayment",
    (
        ("payer", "address"),
        ("serviceId", "bytes32"),
        ("amount", "uint256"),
        ("requestRef", "bytes32"),
        ("nonce", "bytes32"),
        ("deadline", "uint256"),
    ),
)
OPEN_CHANNEL = StructType(
    "OpenChannel",
    (
        ("payer", "address"),
        ("department", "bytes32"),
        ("tariffId", "bytes32"),
        ("tariffVersion", "uint32"),
        ("zone", "bytes32"),
        ("ratePerUnit", "uint256"),
        ("unitSeconds", "uint32"),
        ("deposit", "uint256"),
        ("startsAt", "uint64"),
        ("expiresAt", "uint64"),
        ("nonce", "bytes32"),
        ("deadline", "uint256"),
    ),
)
TOP_UP = StructType(
    "TopUp",
    (
        ("channelId", "bytes32"),
        ("amount", "uint256"),
        ("expiresAt", "uint64"),
        ("nonce", "bytes32"),
        ("deadline", "uint256"),
    ),
)
VOUCHER = StructType("Voucher", (("channelId", "bytes32"), ("cumulativeAmount", "uint256")))
CANCEL_AUTHORIZATION = StructType(
    "CancelAuthorization", (("payer", "address"), ("nonce", "bytes32"))
)


def token_domain(chain_id: int, token: str) -> Domain:
    return Domain(TOKEN_DOMAIN_NAME, DOMAIN_VERSION, chain_id, token)


def fee_schedule_domain(chain_id: int, fee_schedule: str) -> Domain:
    return Domain(FEE_SCHEDULE_DOMAIN_NAME, DOMAIN_VERSION, chain_id, fee_schedule)


def channels_domain(chain_id: int, channels: str) -> Domain:
    return Domain(CHANNELS_DOMAIN_NAME, DOMAIN_VERSION, chain_id, channels)


# Off chain only: the payer asks the city to settle and close its channel now (the department
# relays ``settle(..., close=true)`` with the highest voucher). Its own type, so a voucher that a
# car shows in its QR code cannot be replayed as a request to end the session.
CLOSE_CHANNEL = StructType(
    "CloseChannel", (("channelId", "bytes32"), ("cumulativeAmount", "uint256"))
)
