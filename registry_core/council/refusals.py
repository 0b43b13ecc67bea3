"""Why the council (or a member) cannot do something, in one line of German and English, with the
exit status the council's command line ends with.

The reasons come from the contracts themselves: every action is simulated (``eth_call``) before
it is signed, and the custom error it would revert with is turned into a :class:`CouncilRefusedError`
here. Exit statuses (documented in the README and in ``registry council --help``):

====  ==============================================================================
0     done
1     failed: the node or gateway could not be reached, a transaction failed
2     invalid arguments or settings (an address that is none, a keystore that does not open)
3     not allowed: the key is no council member, or only the proposer may cancel
4     no such open proposal: unknown, executed or cancelled already
5     the proposal is of a past epoch (membership or threshold changed since): propose it again
6     already done by this member: confirmed already, or no confirmation to take back
7     below the threshold: not enough confirmations to execute
8     would revert: the decision's call fails as the council would make it (decoded error)
====  ==============================================================================
"""

from __future__ import annotations

from typing import Any

from registry_core.abi import DecodedError
from registry_core.codes import bytes32_to_code
from registry_core.council.decisions import GovernanceError

EXIT_NOT_ALLOWED = 3
EXIT_NO_OPEN_PROPOSAL = 4
EXIT_PAST_EPOCH = 5
EXIT_ALREADY_DONE = 6
EXIT_BELOW_THRESHOLD = 7
EXIT_WOULD_REVERT = 8

# The statuses a refusal ends with (0, 1 and 2 are every command's, registry_core.cli).
REFUSAL_STATUSES = (
    "3 not a council member (or not the proposer, for cancel); 4 no such open proposal; 5 "
    "proposal of a past epoch; 6 already confirmed (or nothing to revoke); 7 below the "
    "threshold; 8 would revert (the decoded error is shown)."
)


class CouncilRefusedError(GovernanceError):
    """A refused council action: ``de`` and ``en`` say why, ``exit_status`` is the CLI's."""

    def __init__(self, de: str, en: str, exit_status: int, *, error: str | None = None) -> None:
        super().__init__(f"{de} / {en}")
        self.de = de
        self.en = en
        self.exit_status = exit_status
        self.error = error  # the contract's custom error, e.g. "CouncilProposalStale(...)"


def _plain(value: Any) -> str:
    if isinstance(value, bytes) and len(value) == 32:
        try:
            return bytes32_to_code(value)
        except ValueError:
            return "0x" + value.hex()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def error_text(error: DecodedError) -> str:
    """A custom error with codes as codes: ``DirectoryDepartmentExists(departmentId=FB61)``."""
    return f"{error.name}({', '.join(f'{k}={_plain(v)}' for k, v in error.args.items())})"


_STATES = {
    1: ("offen", "pending"),
    2: ("ausgeführt", "executed"),
    3: ("zurückgezogen", "cancelled"),
}

# The target contracts' errors people meet most, in words; any other is shown as it is decoded.
_REASONS: dict[str, tuple[str, str]] = {
    "DirectoryDepartmentExists": ("Dienststelle {departmentId} gibt es schon",
                                  "department {departmentId} exists already"),
    "DirectoryUnknownDepartment": ("Dienststelle {departmentId} gibt es nicht",
                                   "there is no department {departmentId}"),
    "DirectoryDepartmentStatusUnchanged": ("Dienststelle {departmentId} ist schon so",
                                           "department {departmentId} is so already"),
    "DirectoryAccountAssigned": ("Konto {account} handelt schon für {departmentId}",
                                 "account {account} acts for {departmentId} already"),
    "DirectoryAccountNotInDepartment": ("Konto {account} gehört nicht zu {departmentId}",
                                        "account {account} is not one of {departmentId}"),
    "TrustedIssuersUnknownType": ("Nachweisart {typeId} gibt es nicht",
                                  "there is no credential type {typeId}"),
    "TrustedIssuersUnknownDepartment": ("Dienststelle {departmentId} gibt es nicht",
                                        "there is no department {departmentId}"),
    "TrustedIssuersTypeExists": ("Nachweisart {typeId} gibt es schon",
                                 "credential type {typeId} exists already"),
    "TrustedIssuersInvalidWindow": ("der Zeitraum {validFrom}..{validUntil} passt nicht",
                                    "the window {validFrom}..{validUntil} does not fit"),
    "CouncilMemberExists": ("{member} ist schon Ratsmitglied", "{member} is a member already"),
    "CouncilMemberUnknown": ("{member} ist kein Ratsmitglied", "{member} is no member"),
    "CouncilInvalidThreshold": ("Schwelle {threshold} passt nicht zu {members} Mitgliedern",
                                "threshold {threshold} does not fit {members} members"),
}  # fmt: skip


def reason(error: DecodedError | None, fallback: str) -> tuple[str, str]:
    """The German and English words for a target contract's error (its name in brackets)."""
    if error is None:
        return fallback, fallback
    texts = _REASONS.get(error.name)
    if texts is None:
        return error_text(error), error_text(error)
    values = {key: _plain(value) for key, value in error.args.items()}
    de, en = (text.format(**values) for text in texts)
    return f"{de} ({error.name})", f"{en} ({error.name})"


def would_revert(
    what_de: str, what_en: str, error: DecodedError | None, fallback: str
) -> CouncilRefusedError:
    de, en = reason(error, fallback)
    return CouncilRefusedError(
        f"{what_de} würde scheitern: {de}",
        f"{what_en} would fail: {en}",
        EXIT_WOULD_REVERT,
        error=error_text(error) if error else fallback,
    )


def council_refusal(
    error: DecodedError, *, inner: DecodedError | None = None
) -> CouncilRefusedError | None:
    """The refusal a CityCouncil custom error stands for (``inner``: the decoded error of a
    failing proposal's call, for CouncilExecutionFailed); None for errors not about the caller."""
    a = {key: _plain(value) for key, value in error.args.items()}
    raw = error_text(error)
    pid = a.get("proposalId", "?")
    if error.name == "CouncilNotMember":
        return CouncilRefusedError(
            f"Konto {a['caller']} ist kein Ratsmitglied",
            f"account {a['caller']} is not a council member",
            EXIT_NOT_ALLOWED, error=raw,
        )  # fmt: skip
    if error.name == "CouncilNotProposer":
        return CouncilRefusedError(
            f"nur {a['proposer']}, der Vorschlag {pid} gemacht hat, kann ihn zurückziehen",
            f"only {a['proposer']}, who made proposal {pid}, can cancel it",
            EXIT_NOT_ALLOWED, error=raw,
        )  # fmt: skip
    if error.name == "CouncilUnknownProposal":
        return CouncilRefusedError(
            f"es gibt keinen Vorschlag {pid}", f"there is no proposal {pid}",
            EXIT_NO_OPEN_PROPOSAL, error=raw,
        )  # fmt: skip
    if error.name == "CouncilProposalNotPending":
        de, en = _STATES.get(int(error.args["state"]), ("?", "?"))
        return CouncilRefusedError(
            f"Vorschlag {pid} ist nicht mehr offen ({de})",
            f"proposal {pid} is no longer open ({en})",
            EXIT_NO_OPEN_PROPOSAL, error=raw,
        )  # fmt: skip
    if error.name == "CouncilProposalStale":
        return CouncilRefusedError(
            f"Vorschlag {pid} stammt aus Epoche {a['proposalEpoch']}; seitdem haben sich "
            f"Mitglieder oder Schwelle geändert (jetzt Epoche {a['currentEpoch']}): neu vorschlagen",
            f"proposal {pid} is of epoch {a['proposalEpoch']}; membership or threshold changed "
            f"since (epoch {a['currentEpoch']} now): propose it again",
            EXIT_PAST_EPOCH, error=raw,
        )  # fmt: skip
    if error.name == "CouncilAlreadyConfirmed":
        return CouncilRefusedError(
            f"{a['member']} hat Vorschlag {pid} schon bestätigt",
            f"{a['member']} confirmed proposal {pid} already",
            EXIT_ALREADY_DONE, error=raw,
        )  # fmt: skip
    if error.name == "CouncilNotConfirmed":
        return CouncilRefusedError(
            f"{a['member']} hat Vorschlag {pid} nicht bestätigt: nichts zurückzunehmen",
            f"{a['member']} has not confirmed proposal {pid}: nothing to revoke",
            EXIT_ALREADY_DONE, error=raw,
        )  # fmt: skip
    if error.name == "CouncilThresholdNotReached":
        return CouncilRefusedError(
            f"Vorschlag {pid} hat {a['confirmations']} von {a['threshold']} nötigen Bestätigungen",
            f"proposal {pid} has {a['confirmations']} of the {a['threshold']} confirmations it needs",
            EXIT_BELOW_THRESHOLD, error=raw,
        )  # fmt: skip
    if error.name == "CouncilExecutionFailed":
        fallback = f"returnData={a['returnData']}"
        return would_revert(f"Vorschlag {pid}", f"proposal {pid}", inner, fallback)
    return None
