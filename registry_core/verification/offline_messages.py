"""The wording of offline answers that depend on the trust bundle's age, in German and English:
the third outcome (*cannot be confirmed offline yet*) and "status as of block N, M hours ago"."""

from __future__ import annotations

from registry_core.verification.results import Check

_WHAT_TO_DO_DE = (
    "Vertrauenspaket aktualisieren ('city-wallet trust update') oder den Nachweis online prüfen."
)
_WHAT_TO_DO_EN = "Update the trust bundle ('city-wallet trust update') or verify online."


def describe_age(seconds: int) -> tuple[str, str]:
    """How old a bundle's knowledge is, in German (dative, after "vor") and English."""
    seconds = max(0, seconds)
    if seconds < 120:
        return f"{seconds} Sekunden", f"{seconds} seconds"
    if seconds < 7200:
        return f"{seconds // 60} Minuten", f"{seconds // 60} minutes"
    if seconds < 172800:
        return f"{seconds // 3600} Stunden", f"{seconds // 3600} hours"
    return f"{seconds // 86400} Tagen", f"{seconds // 86400} days"


def _as_of(block: int, age: int) -> tuple[str, str]:
    age_de, age_en = describe_age(age)
    return f"Stand Block {block}, vor {age_de}", f"as of block {block}, {age_en} ago"


def newer_than_bundle(block: int, age: int) -> Check:
    as_of_de, as_of_en = _as_of(block, age)
    return Check(
        "anchored",
        "unconfirmed",
        "newer-than-bundle",
        "Offline noch nicht bestätigbar: Der Nachweis ist nicht im Vertrauenspaket "
        f"({as_of_de}), kann aber danach ausgestellt worden sein. {_WHAT_TO_DO_DE}",
        "Cannot be confirmed offline yet: the credential is not in the trust bundle "
        f"({as_of_en}) but may have been issued after it. {_WHAT_TO_DO_EN}",
    )


def waiting_for_anchor(name: str) -> Check:
    return Check(
        name,
        "skipped",
        "not-in-bundle",
        "Offline erst prüfbar, wenn der Nachweis im Vertrauenspaket steht.",
        "Can be checked offline once the credential is in the trust bundle.",
    )


def status_ok_as_of(block: int, age: int) -> Check:
    as_of_de, as_of_en = _as_of(block, age)
    return Check(
        "status",
        "passed",
        "ok",
        f"Der Nachweis ist nicht widerrufen und nicht gesperrt ({as_of_de}; spätere "
        "Änderungen kennt das Vertrauenspaket nicht).",
        f"The credential is neither revoked nor suspended ({as_of_en}; the trust bundle does "
        "not know of later changes).",
    )


def status_outdated(block: int, age: int, max_age: int) -> Check:
    as_of_de, as_of_en = _as_of(block, age)
    limit_de, limit_en = describe_age(max_age)
    limit_de = limit_de.replace("Tagen", "Tage")  # nominative after "höchstens"
    return Check(
        "status",
        "unconfirmed",
        "status-outdated",
        f"Offline noch nicht bestätigbar: Der Status ist zu alt ({as_of_de}; höchstens "
        f"{limit_de} erlaubt). {_WHAT_TO_DO_DE}",
        f"Cannot be confirmed offline yet: the status is too old ({as_of_en}; at most "
        f"{limit_en} allowed). {_WHAT_TO_DO_EN}",
    )
