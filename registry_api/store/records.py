"""Sealing and opening record versions: the one place the record paths meet the data keys.

The API process installs its :class:`~registry_api.store.data_keys.DataKeyStore` at start
(:func:`install`); the record services call the functions below instead of reading or writing a
version's ``content`` and ``salt`` themselves. Those two columns stay NULL: what is stored is
``sealed`` (see ``data_keys`` for the threat model).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from typing import Any

from registry_api.core.errors import RegistryError
from registry_api.models.tables import RecordVersion
from registry_api.store import sealing
from registry_api.store.data_keys import DataKeyStore, KeyRingError
from registry_api.store.sealing import Opened

Place = tuple[str, int]  # (record id, version index)

# The stores installed by the apps of this process, latest last (tests run several apps in one
# process; each uninstalls its own at stop).
_installed: list[DataKeyStore] = []


def install(store: DataKeyStore) -> None:
    """The key store this process seals with (API replicas share one key database)."""
    _installed.append(store)


def uninstall(store: DataKeyStore) -> None:
    """At stop: forget ``store`` (another app's store, installed before, is used again)."""
    if store in _installed:
        _installed.remove(store)


def key_store() -> DataKeyStore:
    if not _installed:
        raise RuntimeError("no data key store installed (registry_api.core.lifecycle.start)")
    return _installed[-1]


@contextmanager
def _unavailable_as_problem() -> Iterator[None]:
    """A KEK this process lacks (e.g. dropped before ``rotate-kek`` finished): a 503 problem."""
    try:
        yield
    except KeyRingError as exc:
        raise RegistryError(
            status=503,
            kind="record-keys-unavailable",
            title="The record keys are not available",
            detail=f"{exc}; the operator adds it to CITY_API_RECORD_KEKS",
        ) from exc


def seal_rows(rows: Sequence[MutableMapping[str, Any]]) -> None:
    """Seal new version rows (dicts for a Core insert) in place: ``content`` and ``salt`` are
    replaced by ``sealed``, each under a fresh data key."""
    for row, (key_id, key) in zip(rows, key_store().create(len(rows)), strict=True):
        row["sealed"] = sealing.seal(
            key_id, key, record_id=row["record_id"], version_index=row["version_index"],
            content=row["content"], salt=row["salt"],
        )  # fmt: skip
        row["content"] = row["salt"] = None


def seal_version(version: RecordVersion, *, content: dict[str, Any], salt: str) -> None:
    """Seal one new version (an ORM object) under a fresh data key."""
    [(key_id, key)] = key_store().create(1)
    version.sealed = sealing.seal(
        key_id, key, record_id=version.record_id, version_index=version.version_index,
        content=content, salt=salt,
    )  # fmt: skip
    version.content = version.salt = None


def open_versions(versions: Iterable[RecordVersion]) -> dict[Place, Opened]:
    """Content and salt of each version that still has them (erased ones are absent)."""
    sealed = [(v, v.sealed) for v in versions if v.sealed is not None]
    with _unavailable_as_problem():
        keys = key_store().fetch(sealing.key_id_of(blob) for _, blob in sealed)
    opened: dict[Place, Opened] = {}
    for version, blob in sealed:
        key = keys.get(sealing.key_id_of(blob))
        if key is not None:
            opened[(version.record_id, version.version_index)] = sealing.open_sealed(
                key, blob, record_id=version.record_id, version_index=version.version_index
            )
    return opened


def shred(versions: Sequence[RecordVersion]) -> None:
    """Erase: destroy the versions' data keys (committed at once, before the caller's erasure
    commits: should that fail, the content is unreadable already rather than left readable in
    every backup) and drop their ciphertext from the row."""
    key_store().destroy([sealing.key_id_of(v.sealed) for v in versions if v.sealed is not None])
    for version in versions:
        version.sealed = None
        version.content = version.salt = None
