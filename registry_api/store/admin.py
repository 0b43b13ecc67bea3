"""``registry keys status | rotate-kek``: the record data keys' key-encryption keys.

Rotation: add the new KEK to ``CITY_API_RECORD_KEKS`` beside the old one, make it
``CITY_API_RECORD_KEK_ID``, run ``registry keys rotate-kek`` (every data key still wrapped by
another KEK is rewrapped; no record content is read or written), then remove the old KEK from
the environment of every process. ``status`` shows how many keys each KEK wraps (0 left under
the old one: it may go). Neither command prints a key.
"""

from __future__ import annotations

import typer

from registry_api.core.config import get_settings
from registry_api.store.data_keys import DataKeyStore, KeyRingError, open_store
from registry_core.cli import EXIT_USAGE, CommandLine, JsonFlag, fail, print_json, print_table, say

key_commands = CommandLine(
    help="Record data keys: how many each key-encryption key (KEK) wraps, and KEK rotation."
)


def _store() -> DataKeyStore:
    try:
        return open_store(get_settings())
    except KeyRingError as exc:
        fail(f"the key-encryption keys: {exc}", EXIT_USAGE)


@key_commands.command("status")
def keys_status(as_json: JsonFlag = False) -> None:
    """Data keys per KEK id, and which KEK wraps new keys."""
    store = _store()
    try:
        counts = store.kek_counts()
    finally:
        store.close()
    active = store.ring.active
    if as_json:
        print_json({"active": active, "data_keys": counts})
        return
    print_table(
        ["kek_id", "data_keys", "active"],
        [
            [kek_id, str(count), "yes" if kek_id == active else "no"]
            for kek_id, count in counts.items()
        ],
    )


@key_commands.command("rotate-kek")
def keys_rotate(
    batch: int = typer.Option(500, min=1, max=10_000, help="keys per transaction"),
) -> None:
    """Rewrap every data key under the active KEK (CITY_API_RECORD_KEK_ID); content untouched.

    Safe to run again: an interrupted run resumes, a finished one finds nothing to do."""
    store = _store()
    try:
        moved = store.rewrap(batch=batch)
    except KeyRingError as exc:
        fail(f"cannot rewrap: {exc}; add that KEK to CITY_API_RECORD_KEKS and run again")
    finally:
        store.close()
    for kek_id, count in sorted(moved.items()):
        say(f"{count} data key(s) rewrapped from KEK {kek_id!r}")
    say(f"every data key is wrapped by KEK {store.ring.active!r}")
