"""Small file helpers of the wallet: owner-only folders, atomic JSON writes, guarded reads."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from wallet.errors import CorruptFileError


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` atomically (a crash leaves the old or the new file, never half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; :class:`FileNotFoundError` if absent, :class:`CorruptFileError` if
    it is not a JSON object."""
    text = path.read_bytes()
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise CorruptFileError(
            f"{path} is damaged (not a JSON object)", de=f"{path} ist beschädigt (kein JSON-Objekt)"
        )
    return data
