"""The register cache of the services: one per store, so a process serving several stores (two
apps in one test session, an operator tool) never answers with another store's register."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from registry_api.core.db import make_engine, upgrade
from registry_api.models.tables import Register
from registry_api.services.registers import get_register


def test_a_register_is_cached_per_store(tmp_path: Path) -> None:
    engines = []
    for store in ("first", "second"):
        url = f"sqlite:///{tmp_path / store}.db"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            session.add(
                Register(id="TRADE", name=store, department="FB32", schema_={},
                         schema_hash="0x" + "00" * 32, write_id="w-" + store)
            )  # fmt: skip
            session.commit()
        engines.append(engine)
    for engine, store in zip(engines, ("first", "second"), strict=True):
        with Session(engine) as session:
            assert get_register(session=session, register_id="TRADE").name == store
