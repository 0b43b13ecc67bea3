"""The wallet's one exception root and its exit codes.

Every error carries a message for the citizen in German and English and the exit code that
``city-wallet`` ends with, so that scripts can tell the cases apart (documented in ``--help`` and
the README).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    DONE = 0  # done; for `verify`: valid
    NEGATIVE = 1  # a negative answer: invalid, refused by the city
    USAGE = 2  # the command cannot run as given (arguments, missing wallet, missing trust bundle)
    NOT_YET = (
        3  # cannot be confirmed yet (offline verification with a bundle older than the credential)
    )
    WRONG_PASSPHRASE = 4  # the passphrase does not open the key, backup or key file
    CORRUPT_OR_UNKNOWN = 5  # a damaged file, or an identity/credential/item that does not exist


EXIT_CODES_HELP = "\n\n".join(
    (
        "Exit codes / Rückgabewerte:",
        "0 done, valid / erledigt, gültig",
        "1 negative answer, invalid / abgelehnt, ungültig",
        "2 usage error / falscher Aufruf",
        "3 cannot be confirmed yet / noch nicht bestätigbar",
        "4 wrong passphrase / falsche Passphrase",
        "5 corrupt file or unknown item / beschädigte Datei oder unbekannter Eintrag",
    )
)


class WalletError(Exception):
    """Root of the wallet's errors; ``detail`` (English) and ``detail_de`` are safe to show."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, detail: str, *, de: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_de = de

    @property
    def message(self) -> str:
        """The text for people: German and English when both exist."""
        return f"{self.detail_de} / {self.detail}" if self.detail_de else self.detail


class NegativeAnswerError(WalletError):
    """The city (or a check) said no."""

    exit_code = ExitCode.NEGATIVE


class WrongPassphraseError(WalletError):
    exit_code = ExitCode.WRONG_PASSPHRASE


class CorruptFileError(WalletError):
    exit_code = ExitCode.CORRUPT_OR_UNKNOWN


class UnknownItemError(WalletError):
    exit_code = ExitCode.CORRUPT_OR_UNKNOWN
