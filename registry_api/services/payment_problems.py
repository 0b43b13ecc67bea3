"""The payments domain's refusals as problems (RFC 9457), in English and German.

Voucher rules come from ``registry_core.payments.vouchers.VoucherError`` (the contract's rules);
contract refusals of a dry run (``chain/payments.dry_run``) keep the contract's error name.
"""

from __future__ import annotations

from registry_api.core.errors import RegistryError
from registry_core.abi import DecodedError
from registry_core.payments.vouchers import VoucherError

TITLE = "Payment refused / Zahlung abgelehnt"

# VoucherError code -> (status, German detail)
VOUCHER_RULES: dict[str, tuple[int, str]] = {
    "voucher-wrong-channel": (422, "der Beleg nennt einen anderen Zahlungskanal"),
    "voucher-wrong-chain": (
        422,
        "der Beleg gilt für eine andere Blockchain oder einen anderen Vertrag als den der Stadt",
    ),
    "channel-closed": (409, "der Zahlungskanal ist geschlossen"),
    "channel-expired": (
        409,
        "der Zahlungskanal ist abgelaufen oder läuft ab, bevor er abgerechnet werden kann",
    ),
    "voucher-not-increasing": (
        409,
        "der Gesamtbetrag des Belegs liegt nicht über dem schon angenommenen",
    ),
    "voucher-above-deposit": (422, "der Gesamtbetrag übersteigt die hinterlegte Kaution"),
    "voucher-above-tariff-cap": (
        422,
        "der Gesamtbetrag übersteigt, was der Tarif bis jetzt erlaubt",
    ),
    "voucher-signature-invalid": (
        422,
        "der Beleg ist nicht vom Zahler dieses Kanals für diese Blockchain unterschrieben",
    ),
}

# Contract error -> (status, problem type, German detail)
CONTRACT_RULES: dict[str, tuple[int, str, str]] = {
    "ERC2612ExpiredSignature": (422, "permit-expired", "die Genehmigung (Permit) ist abgelaufen"),
    "ERC2612InvalidSigner": (
        422, "permit-invalid-signer", "die Genehmigung (Permit) ist nicht vom Zahler unterschrieben"
    ),
    "PaymentsPermitFailed": (422, "permit-failed", "die Genehmigung (Permit) griff nicht"),
    "PaymentsInvalidSignature": (
        422, "payment-signature-invalid", "der Auftrag ist nicht vom Zahler unterschrieben"
    ),
    "PaymentsAuthorizationExpired": (422, "authorization-expired", "der Auftrag ist abgelaufen"),
    "PaymentsAuthorizationUsed": (
        409, "authorization-used", "der Auftrag wurde schon ausgeführt oder widerrufen"
    ),
    "FeeScheduleUnknownService": (404, "unknown-fee", "diese Gebühr gibt es nicht"),
    "FeeScheduleServiceInactive": (409, "fee-inactive", "diese Gebühr wird derzeit nicht erhoben"),
    "FeeScheduleNotAFee": (422, "not-a-fee", "das ist ein Tarif, keine Gebühr"),
    "FeeScheduleAmountMismatch": (
        422, "fee-amount-mismatch", "der Betrag ist nicht die Gebühr laut Gebührenordnung"
    ),
    "FeeScheduleAlreadyPaid": (409, "fee-already-paid", "dieser Antrag ist schon bezahlt"),
    "FeeScheduleNoPayee": (503, "no-payee", "das Amt hat kein Empfangskonto"),
    "ERC20InsufficientBalance": (422, "insufficient-balance", "das Guthaben reicht nicht"),
    "ERC20InsufficientAllowance": (
        422, "insufficient-allowance", "die Genehmigung deckt den Betrag nicht"
    ),
    "ChannelTariffMismatch": (
        422, "tariff-mismatch", "der Tarif ist unbekannt, inaktiv oder hat andere Bedingungen"
    ),
    "ChannelInvalidStart": (422, "channel-invalid-start", "der Beginn der Parksitzung ist ungültig"),
    "ChannelInvalidExpiry": (422, "channel-invalid-expiry", "das Ende des Kanals ist ungültig"),
    "ChannelInvalidAmount": (422, "channel-invalid-amount", "der Betrag ist ungültig"),
    "ChannelUnknown": (404, "unknown-channel", "diesen Zahlungskanal gibt es nicht"),
    "ChannelAlreadyClosed": (409, "channel-closed", "der Zahlungskanal ist geschlossen"),
    "ChannelExpired": (409, "channel-expired", "der Zahlungskanal ist abgelaufen"),
    "EnforcedPause": (503, "payments-paused", "der Rat hat Zahlungen angehalten"),
}  # fmt: skip


def refused(status: int, kind: str, detail: str, detail_de: str, **extra: object) -> RegistryError:
    return RegistryError(
        status=status, kind=kind, title=TITLE, detail=detail, detail_de=detail_de, **extra
    )


def voucher_problem(exc: VoucherError) -> RegistryError:
    status, german = VOUCHER_RULES.get(exc.code, (422, "der Beleg wird nicht angenommen"))
    return refused(status, exc.code, exc.detail, german, **exc.values)


def contract_problem(decoded: DecodedError, contract: str) -> RegistryError:
    status, kind, german = CONTRACT_RULES.get(
        decoded.name, (422, "contract-rejected", "die Blockchain lehnt die Zahlung ab")
    )
    return refused(
        status,
        kind,
        f"the {contract} contract would revert with {decoded}",
        german,
        contract_error=decoded.name,
    )


def unknown_channel() -> RegistryError:
    return refused(
        404, "unknown-channel", "the API knows no channel with that id",
        "diesen Zahlungskanal kennt die Stadt nicht",
    )  # fmt: skip


def no_relay() -> RegistryError:
    return refused(
        503, "no-relay-key", "no payment relay key is unlocked in this API",
        "die Stadt kann Zahlungen gerade nicht weiterleiten",
    )  # fmt: skip
