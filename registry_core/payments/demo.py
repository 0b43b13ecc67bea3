"""The demo city's fee schedule, parking tariffs and citizens' balances (synthetic).

Fee services carry the code of the credential type they are charged for, so a request for a
fee-bearing credential type waits for the receipt of the fee with the same code. Parking tariffs
charge per started minute, except the park-and-ride tariff, which charges per started quarter hour.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoFee:
    service: str  # the service code; equal to the credential type it is charged for
    department: str
    amount: int  # cents
    name_de: str
    name_en: str


@dataclass(frozen=True)
class DemoTariff:
    service: str
    department: str
    zone: str
    rate: int  # cents per started unit
    unit_seconds: int
    name_de: str
    name_en: str


DEMO_FEES: tuple[DemoFee, ...] = (
    DemoFee("RESIDENCE_CERT", "FB33", 1_000, "Meldebescheinigung", "Registration certificate"),
    DemoFee("BUSINESS_REG", "FB02", 2_600, "Gewerbeanmeldung", "Business registration"),
    DemoFee("RESIDENT_PARKING", "FB32", 3_060, "Bewohnerparkausweis", "Residents' parking permit"),
)
DEMO_TARIFFS: tuple[DemoTariff, ...] = (
    DemoTariff("PARK_ZONE1", "FB32", "ZONE1", 5, 60, "Parken Innenstadt (Zone 1)", "Parking city centre (zone 1)"),
    DemoTariff("PARK_ZONE5", "FB32", "ZONE5", 2, 60, "Parken Zone 5", "Parking zone 5"),
    DemoTariff("PARK_RIDE", "FB32", "PR_TIVOLI", 50, 900, "Park & Ride Tivoli", "Park and ride Tivoli"),
)  # fmt: skip

# Keystore entries of the demo's treasury account and its two citizens, and what each citizen holds.
TREASURY_KEY = "treasury"
DEMO_BALANCES: dict[str, int] = {"citizen-erika": 5_000, "citizen-max": 2_000}  # cents
