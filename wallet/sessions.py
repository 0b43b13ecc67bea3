"""Sign-in sessions with the city: only the short-lived token the API issued, never a secret.

``<home>/sessions/<identity>.json`` (owner-only; not part of backups, a token outlives no backup).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from wallet.errors import WalletError
from wallet.files import read_json, write_json


@dataclass(frozen=True)
class CitySession:
    api_url: str
    token: str
    expires_at: int
    did: str
    address: str


def _path(home: Path, identity: str) -> Path:
    return home / "sessions" / f"{identity}.json"


def save_session(home: Path, identity: str, session: CitySession) -> None:
    write_json(_path(home, identity), asdict(session))


def load_session(home: Path, identity: str, *, now: int | None = None) -> CitySession:
    try:
        data = read_json(_path(home, identity))
        session = CitySession(**{k: data[k] for k in CitySession.__dataclass_fields__})
    except (FileNotFoundError, KeyError):
        session = None
    if session is None or session.expires_at <= (int(time.time()) if now is None else now):
        raise WalletError(
            f"{identity!r} is not signed in to the city (or the session ended): "
            "run 'city-wallet login'",
            de=f"{identity!r} ist nicht (mehr) bei der Stadt angemeldet: 'city-wallet login'",
        )
    return session


def drop_session(home: Path, identity: str) -> None:
    _path(home, identity).unlink(missing_ok=True)
