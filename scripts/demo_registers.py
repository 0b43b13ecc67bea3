"""The demo city's two registers, seeded through the registry API (synthetic data only).

- ``TRADE`` (Gewerberegister / trade register), owned by FB02: business registrations, some
  amended (new address) and one closed (Gewerbeabmeldung).
- ``PROPERTY`` (Gewerbeflächenregister / commercial property register), owned by FB02: commercial
  premises offered for rent, one amended (new rent) and one closed (let).

Seeding is idempotent: every write carries a fixed ``Idempotency-Key``, so a second run gets the
first run's answers (same record ids) and changes nothing. The API key comes from
``registry api-key create`` (run as a child process; the scripts never import the API's code) and
is kept in ``<data_dir>/demo-api-key`` (owner-only) for later runs; it may also issue FB02's
credential types (``DEMO_ACCREDITATIONS``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from registry_core.council import ALLOW_REGISTER_CREATOR, decide_missing
from registry_core.demo import PROPERTY_SCHEMA, TRADE_SCHEMA
from registry_core.errors import RegistryCoreError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.credentials_seed import DEMO_ACCREDITATIONS


class DemoSeedError(RegistryCoreError):
    """The API refused a demo write."""


_STREETS = [
    ("Pontstraße 12", "52062"), ("Jakobstraße 45", "52064"), ("Theaterstraße 7", "52062"),
    ("Roermonder Straße 110", "52072"), ("Trierer Straße 301", "52078"), ("Krefelder Straße 88", "52070"),
    ("Adalbertstraße 20", "52062"), ("Vaalser Straße 150", "52074"), ("Jülicher Straße 210", "52070"),
    ("Kaiserplatz 3", "52062"), ("Bismarckstraße 61", "52066"), ("Süsterfeldstraße 5", "52072"),
]  # fmt: skip
_BUSINESSES = [
    ("Printenbäckerei Beispiel eK", "eK", "Herstellung und Verkauf von Backwaren"),
    ("Öcher Lastenrad GmbH", "GmbH", "Verleih und Reparatur von Lastenrädern"),
    ("Dom-Café Musterfrau", "Einzelunternehmen", "Gastronomie (Café)"),
    ("Campus Robotics UG", "UG", "Entwicklung von Robotiksoftware"),
    ("Aachener Tuchwerkstatt GbR", "GbR", "Textilhandwerk und Verkauf"),
    ("Grenzland Logistik GmbH", "GmbH", "Kurierdienst und Lagerung"),
    ("Elisenbrunnen Optik eK", "eK", "Augenoptik"),
    ("Soers Reitsportbedarf GmbH", "GmbH", "Einzelhandel Reitsport"),
    ("Frankenberger Buchladen", "Einzelunternehmen", "Buchhandel"),
    ("Kaiserbad Wellness UG", "UG", "Sauna und Massage"),
    ("Tivoli Sportbar GbR", "GbR", "Schank- und Speisewirtschaft"),
    ("RWTH Spin-off Photonics GmbH", "GmbH", "Lasertechnik, Forschung und Entwicklung"),
]  # fmt: skip
_PREMISES = [
    ("Gemarkung Aachen, Flur 12, Flurstück 345", "Pontstraße 30", "Einzelhandel", 85.0, 18.5),
    ("Gemarkung Aachen, Flur 3, Flurstück 77/2", "Jülicher Straße 180", "Lager", 640.0, 6.2),
    ("Gemarkung Burtscheid, Flur 5, Flurstück 101", "Kapellenstraße 4", "Büro", 210.0, 12.0),
    ("Gemarkung Aachen, Flur 40, Flurstück 9", "Campus-Boulevard 57", "Labor", 320.0, 21.0),
    ("Gemarkung Laurensberg, Flur 8, Flurstück 220", "Roermonder Straße 315", "Handwerk", 450.0, 8.4),
    ("Gemarkung Aachen, Flur 1, Flurstück 12", "Markt 41", "Gastronomie", 140.0, 24.0),
    ("Gemarkung Brand, Flur 2, Flurstück 56", "Trierer Straße 760", "Büro", 95.0, 10.5),
    ("Gemarkung Eilendorf, Flur 6, Flurstück 18/1", "von-Coels-Straße 90", "Lager", 1200.0, 5.1),
]  # fmt: skip


def trade_records() -> list[dict[str, Any]]:
    return [
        {
            "business_name": name,
            "legal_form": form,
            "activity": activity,
            "address": {"street": street, "postal_code": postal_code, "city": "Aachen"},
            "registered_on": f"2025-{1 + i % 12:02d}-{1 + (7 * i) % 28:02d}",
        }
        for i, ((name, form, activity), (street, postal_code)) in enumerate(
            zip(_BUSINESSES, _STREETS, strict=True)
        )
    ]


def property_records() -> list[dict[str, Any]]:
    return [
        {
            "parcel": parcel,
            "address": f"{address}, Aachen",
            "use": use,
            "area_m2": area,
            "rent_eur_per_m2": rent,
            "available_from": f"2026-{1 + i:02d}-01",
        }
        for i, (parcel, address, use, area, rent) in enumerate(_PREMISES)
    ]


def allow_register_creators(
    *, rpc: RpcClient, manifest: DeploymentManifest, council: list[LocalAccount], codes: list[str]
) -> int:
    """Council decisions letting the departments create their own registers (only if missing)."""
    decisions = [ALLOW_REGISTER_CREATOR.decide(department=code) for code in codes]
    return decide_missing(rpc=rpc, manifest=manifest, members=council, decisions=decisions)


def demo_api_key(*, api_url: str, key_file: Path, env: dict[str, str]) -> str:
    """The demo's FB02 key: the stored one if the API still accepts it, else a new one.

    Scoped to FB02's registers and to the credential types the council accredited FB02 for.
    """
    if key_file.exists():
        token = key_file.read_text(encoding="utf-8").strip()
        probe = httpx.get(
            f"{api_url}/registers/TRADE/records", params={"limit": 1},
            headers={"X-API-Key": token}, timeout=10, trust_env=False,
        )  # fmt: skip
        if probe.status_code != 401:
            return token
    token = subprocess.run(
        [sys.executable, "-m", "registry_api.admin", "api-key", "create", "--department", "FB02",
         "--registers", "TRADE", "PROPERTY", "--credential-types", *DEMO_ACCREDITATIONS["FB02"],
         "--label", "demo city seeding"],
        env={**os.environ, **env}, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


def _post(client: httpx.Client, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    response = client.post(path, json=body, headers={"Idempotency-Key": key})
    if response.status_code != 202:
        raise DemoSeedError(f"the API refused {path}: {response.text[:300]}")
    answer: dict[str, Any] = response.json()
    return answer


def _wait_anchored(client: httpx.Client, write_ids: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    for write_id in write_ids:
        while True:
            status = client.get(f"/writes/{write_id}").json().get("status")
            if status == "anchored":
                break
            if status == "failed" or time.monotonic() > deadline:
                raise DemoSeedError(f"demo write {write_id} did not anchor (status {status})")
            time.sleep(0.05)


def seed_demo_registers(
    *, api_url: str, token: str, log: Callable[[str], None] = lambda _: None
) -> None:
    """Both registers with records; some amended, some closed. Idempotent."""
    with httpx.Client(
        base_url=api_url, headers={"X-API-Key": token}, timeout=60, trust_env=False
    ) as client:
        registers = [
            ("TRADE", "Gewerberegister / Trade register", TRADE_SCHEMA),
            ("PROPERTY", "Gewerbeflächen / Commercial property", PROPERTY_SCHEMA),
        ]
        for register_id, name, schema in registers:
            answer = _post(
                client,
                "/registers",
                {"id": register_id, "name": name, "schema": schema},
                f"demo-register-{register_id}",
            )
            _wait_anchored(client, [answer["write_id"]])
        trade = _post(
            client, "/registers/TRADE/records/bulk", {"records": trade_records()}, "demo-trade-bulk"
        )["writes"]
        premises = _post(
            client,
            "/registers/PROPERTY/records/bulk",
            {"records": property_records()},
            "demo-property-bulk",
        )["writes"]
        single = _post(
            client,
            "/registers/TRADE/records",
            {"content": {**trade_records()[0], "business_name": "Printen-Versand Beispiel eK"}},
            "demo-trade-single",
        )
        writes = [w["write_id"] for w in [*trade, *premises, single]]
        # Lifecycle: two businesses moved, one closed; one rent changed, one let.
        moved = trade_records()
        for index, street in ((1, "Mauerstraße 9"), (3, "Campus-Boulevard 30")):
            content = {**moved[index], "address": {**moved[index]["address"], "street": street}}
            writes.append(
                _post(
                    client,
                    f"/registers/TRADE/records/{trade[index]['record_id']}/amend",
                    {"content": content},
                    f"demo-trade-amend-{index}",
                )["write_id"]
            )
        writes.append(
            _post(
                client,
                f"/registers/TRADE/records/{trade[10]['record_id']}/close",
                {
                    "content": {
                        "closed_on": "2026-06-30",
                        "reason": "Gewerbeabmeldung / deregistered",
                    }
                },
                "demo-trade-close-10",
            )["write_id"]
        )
        writes.append(
            _post(
                client,
                f"/registers/TRADE/records/{single['record_id']}/amend",
                {
                    "content": {
                        **trade_records()[0],
                        "business_name": "Printen-Versand Beispiel GmbH",
                        "legal_form": "GmbH",
                    }
                },
                "demo-trade-single-amend",
            )["write_id"]
        )
        rent = {**property_records()[2], "rent_eur_per_m2": 11.5}
        writes.append(
            _post(
                client,
                f"/registers/PROPERTY/records/{premises[2]['record_id']}/amend",
                {"content": rent},
                "demo-property-amend-2",
            )["write_id"]
        )
        writes.append(
            _post(
                client,
                f"/registers/PROPERTY/records/{premises[5]['record_id']}/close",
                {"content": {"let_on": "2026-04-01", "reason": "vermietet / let"}},
                "demo-property-close-5",
            )["write_id"]
        )
        _wait_anchored(client, writes)
        log(
            f"registers TRADE ({len(trade) + 1} records) and PROPERTY ({len(premises)} records) "
            "seeded and anchored, incl. amended and closed records"
        )
