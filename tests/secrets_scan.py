"""Looks for secrets in clear in files and captured output: private keys (hex, either case, with
or without 0x, and base64), mnemonics (the phrase, or any four of its words in a row) and
passphrases. Shared by the wallet tests and the citizen's end-to-end journey."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Secrets:
    private_keys: list[bytes] = field(default_factory=list)
    mnemonics: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)

    def needles(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for key in self.private_keys:
            found += [("private key", key.hex()), ("private key", base64.b64encode(key).decode())]
            found.append(("private key", base64.urlsafe_b64encode(key).decode().rstrip("=")))
        for words in self.mnemonics:
            parts = words.split()
            found += [("mnemonic", " ".join(parts[i : i + 4])) for i in range(len(parts) - 3)]
        found += [("passphrase", p) for p in self.passphrases]
        return found


def leaks(secrets: Secrets, *, files: Iterable[Path] = (), texts: Iterable[str] = ()) -> list[str]:
    """Where each secret shows up in clear (empty if nowhere)."""
    haystacks = [(str(path), path.read_bytes().decode("utf-8", "replace")) for path in files]
    haystacks += [(f"output #{i}", text) for i, text in enumerate(texts)]
    found = []
    for where, text in haystacks:
        # Word lists may be shown numbered ("1. bacon  2. wolf"): compare the words alone.
        flat = re.sub(r"\s+", " ", re.sub(r"\b\d{1,2}\.\s", " ", text)).lower()
        for kind, needle in secrets.needles():
            if needle.lower() in flat:
                found.append(f"{kind} in {where}")
    return found


def all_files(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()]
