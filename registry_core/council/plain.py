"""The council's decisions, proposals and history in plain German and English: one home for the
words, so that the council's command line and the explorer say the same thing.

Values: times as UTC dates (``2027-01-01`` or ``2027-01-01 12:30 UTC``), a zero time as what it
means for its parameter ("sofort" / "now"), department codes with their names where known
("FB33 (Bürgerservice / Citizen Services)"). Proposals: state, confirmations ("2 von 2" / "2 of
2"), who is missing, whether it can be executed. History: executed and cancelled proposals,
membership and threshold changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from registry_core.council.proposals import HistoryEntry, Proposal

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, Language] = ("de", "en")


def parse_time(text: str) -> int:
    """Unix seconds of an ISO date or date-time (``2027-01-01``, ``2027-01-01T12:00+01:00``);
    a time without a zone is UTC. ValueError for anything else."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is no date (YYYY-MM-DD[THH:MM]) or unix seconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int(moment.timestamp())
    if seconds < 0:
        raise ValueError(f"{text!r} is before 1970")
    return seconds


def plain_time(seconds: int) -> str:
    """A UTC date, with the time of day unless it is midnight."""
    moment = datetime.fromtimestamp(seconds, UTC)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def plain_value(
    kind: str,
    value: Any,
    language: Language,
    *,
    zero: tuple[str, str] = ("0", "0"),
    names: Mapping[str, str] | None = None,
) -> str:
    """One decision argument as people read it (``kind``: an intent parameter's kind)."""
    if kind == "time":
        seconds = int(value)
        if seconds == 0:
            return zero[0] if language == "de" else zero[1]
        return plain_time(seconds)
    if kind == "code" and names and value in names:
        return f"{value} ({names[value]})"
    return str(value)


def _choose(language: Language, de: str, en: str) -> str:
    return de if language == "de" else en


def both(de: str, en: str) -> str:
    """German and English on one line."""
    return f"{de} / {en}"


def state_text(state: str, language: Language) -> str:
    texts = {
        "pending": ("offen", "pending"),
        "executed": ("ausgeführt", "executed"),
        "cancelled": ("zurückgezogen", "cancelled"),
        "unknown": ("unbekannt", "unknown"),
    }
    de, en = texts[state]
    return _choose(language, de, en)


def decision_text(proposal: Proposal, language: Language) -> str:
    """What the proposal does: its decision in plain words, or the raw call it makes."""
    if proposal.decision is not None:
        return proposal.decision.describe(language, proposal.names)
    if proposal.call is not None:
        args = ", ".join(f"{key}={_raw(value)}" for key, value in proposal.call.args.items())
        de = f"Aufruf {proposal.target_contract}.{proposal.call.name}({args}), kein bekannter Beschluss"
        en = f"call {proposal.target_contract}.{proposal.call.name}({args}), no known decision"
        return _choose(language, de, en)
    return _choose(
        language,
        f"unbekannter Aufruf von {proposal.target} (Daten siehe show)",
        f"unknown call of {proposal.target} (see show for its data)",
    )


def _raw(value: Any) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)


def _addresses(addresses: Sequence[str], language: Language) -> str:
    return ", ".join(addresses) if addresses else _choose(language, "niemand", "nobody")


def proposal_lines(proposal: Proposal, language: Language) -> list[tuple[str, str]]:
    """(label, value) pairs that describe a proposal, in one language."""
    yes, no = _choose(language, "ja", "yes"), _choose(language, "nein", "no")
    epoch = str(proposal.epoch)
    if not proposal.current and proposal.state == "pending":
        epoch += _choose(
            language,
            f" (vergangen, jetzt {proposal.council.epoch}: neu vorschlagen)",
            f" (past, now {proposal.council.epoch}: propose again)",
        )
    lines = [
        (_choose(language, "Beschluss", "decision"), decision_text(proposal, language)),
        (_choose(language, "Status", "state"), state_text(proposal.state, language)),
        (_choose(language, "Epoche", "epoch"), epoch),
        (_choose(language, "vorgeschlagen von", "proposed by"), proposal.proposer),
        (
            _choose(language, "Bestätigungen", "confirmations"),
            _choose(
                language,
                f"{proposal.confirmations} von {proposal.council.threshold}",
                f"{proposal.confirmations} of {proposal.council.threshold}",
            ),
        ),
        (
            _choose(language, "bestätigt von", "confirmed by"),
            _addresses(proposal.confirmed_by, language),
        ),
    ]
    if proposal.state == "pending":
        lines.append(
            (_choose(language, "fehlt", "missing"), _addresses(proposal.missing, language))
        )
        ready = yes if proposal.executable else no
        if proposal.would_fail:
            ready += _choose(language, " (würde scheitern: ", " (would fail: ")
            ready += f"{proposal.would_fail})"
        lines.append((_choose(language, "ausführbar", "executable"), ready))
    return lines


def history_text(entry: HistoryEntry, language: Language) -> str:
    """One line of the council's history."""
    a = entry.args
    if entry.kind in ("executed", "cancelled"):
        decision = decision_text(entry.proposal, language) if entry.proposal else "?"
        if entry.kind == "executed":
            return _choose(
                language,
                f"Beschluss {a['proposal']} ausgeführt von {a['by']}: {decision}",
                f"Proposal {a['proposal']} executed by {a['by']}: {decision}",
            )
        return _choose(
            language,
            f"Vorschlag {a['proposal']} zurückgezogen von {a['by']}: {decision}",
            f"Proposal {a['proposal']} cancelled by {a['by']}: {decision}",
        )
    if entry.kind == "member-added":
        return _choose(
            language,
            f"{a['member']} ist Ratsmitglied (Epoche {a['epoch']})",
            f"{a['member']} joined the council (epoch {a['epoch']})",
        )
    if entry.kind == "member-removed":
        return _choose(
            language,
            f"{a['member']} hat den Rat verlassen (Epoche {a['epoch']})",
            f"{a['member']} left the council (epoch {a['epoch']})",
        )
    if a["old"] == 0:
        return _choose(
            language,
            f"Schwelle: {a['new']} Bestätigungen (Epoche {a['epoch']})",
            f"Threshold set to {a['new']} confirmations (epoch {a['epoch']})",
        )
    return _choose(
        language,
        f"Schwelle von {a['old']} auf {a['new']} Bestätigungen (Epoche {a['epoch']})",
        f"Threshold changed from {a['old']} to {a['new']} confirmations (epoch {a['epoch']})",
    )
