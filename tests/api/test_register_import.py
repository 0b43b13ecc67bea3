"""`registry import` / `registry export` against the real API (one uvicorn process for the module)
and chain, with files made in the tests: CSV in UTF-8 and Windows-1252, .xlsx, .ods."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry_api.core.db import make_engine, upgrade
from registry_core.demo import TRADE_SCHEMA
from scripts.cli import main
from tests.api.conftest import PASSPHRASE, Departments, make_key
from tests.api.import_files import trade_rows, write_csv
from tests.api_process import ApiProcess, poll

PROJECT = Path(__file__).resolve().parents[2]
MAPPING = PROJECT / "scripts" / "examples" / "trade-mapping.yaml"


@dataclass
class Office:
    api: ApiProcess
    key_file: Path
    client: httpx.Client

    def new_register(self) -> str:
        register = "IMP" + secrets.token_hex(3).upper()
        answer = self.client.post(
            "/registers", json={"id": register, "name": "Import test", "schema": TRADE_SCHEMA}
        )
        assert answer.status_code == 202, answer.text
        write = answer.json()["write_id"]
        poll(
            lambda: self.client.get(f"/writes/{write}").json()["status"] == "anchored",
            timeout=30,
            what=f"register {register} to be anchored",
        )
        return register

    def archive(self, register: str) -> list[dict[str, Any]]:
        answer = self.client.get(f"/registers/{register}/archive", params={"limit": 1000})
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    def mapping(self, register: str, folder: Path) -> Path:
        """The checked-in example mapping, for ``register`` instead of TRADE."""
        text = MAPPING.read_text(encoding="utf-8").replace(
            "register: TRADE", f"register: {register}"
        )
        path = folder / "mapping.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def registry(self, *args: str | Path) -> list[str]:
        return [*(str(a) for a in args), "--api-url", self.api.url,
                "--api-key-file", str(self.key_file)]  # fmt: skip


@pytest.fixture(scope="module")
def office(
    gateway_url: str,
    deployments_dir: Path,
    departments: Departments,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Office]:
    data = tmp_path_factory.mktemp("import-api")
    database_url = f"sqlite:///{data / 'registry.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    token = make_key(engine, "FB02", ["*"])
    engine.dispose()
    key_file = data / "api-key"
    key_file.write_text(token)
    env = {
        "CITY_API_RPC_URL": gateway_url,
        "CITY_API_DEPLOYMENTS_DIR": str(deployments_dir),
        "CITY_API_DATA_DIR": str(data),
        "CITY_API_DATABASE_URL": database_url,
        "CITY_API_KEYS_DIR": str(departments.keys_dir),
        "CITY_API_KEYSTORE_PASSPHRASE": PASSPHRASE,
        "CITY_API_SIGNERS": json.dumps({"FB02": "dept-fb02"}),
    }
    api = ApiProcess(env=env, log_path=data / "api.log")
    api.start()
    try:
        with httpx.Client(base_url=api.url, headers={"X-API-Key": token}, timeout=60) as client:
            yield Office(api=api, key_file=key_file, client=client)
    finally:
        api.stop()


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict[str, Any]]:
    status = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert captured.out, f"exit {status}, no report; stderr: {captured.err}"
    report: dict[str, Any] = json.loads(captured.out)
    report.pop("seconds")
    return status, report


def expected_record(n: int, tag: str = "") -> dict[str, Any]:
    return {
        "business_name": f"Bäckerei Müller {n}{tag}",
        "legal_form": "eK" if n % 2 else "GmbH",
        "activity": "Backwaren / bakery",
        "address": {"street": f"Pontstraße {n}", "postal_code": "52062", "city": "Aachen"},
        "registered_on": f"2026-01-{1 + n % 28:02d}",
    }


def contents_by_key(archive: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keys = [r["key"] for r in archive]
    assert len(keys) == len(set(keys)), f"a key is stored twice: {sorted(keys)}"
    return {r["key"]: r["versions"][-1]["content"] for r in archive}


def test_dry_run_reports_every_rejected_row_in_a_rejects_file_a_spreadsheet_opens(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = trade_rows(3)
    rows += [
        ["GA-00004", "Ltd-Laden", "Ltd", "Handel", "Markt 1", "52A62", "Aachen", "32.01.2026"],
        ["GA-00001", "Doppelt", "eK", "Handel", "Markt 2", "52062", "Aachen", "05.01.2026"],
        ["", "Ohne Nummer", "GbR", "Handel", "Markt 3", "52062", "Aachen", "05.01.2026"],
        ["GA-00007", "", "AG", "Handel", "Markt 4", "52062", "", "2026-02-30"],
    ]
    source = write_csv(tmp_path / "gewerbe.csv", rows, encoding="cp1252")
    register = office.new_register()
    status, report = run(
        capsys,
        office.registry(
            "import", register, source, "--mapping", office.mapping(register, tmp_path), "--dry-run"
        ),
    )
    assert status == 1, report
    assert report == {
        "dry_run": True, "register": register, "file": str(source), "rows": 7, "ok": 3,
        "ignored_columns": [], "encoding": "cp1252", "delimiter": ";", "rejected": 4,
        "rejected_by_reason": {"conversion": 2, "enum": 1, "key-duplicate": 1, "key-missing": 1,
                               "pattern": 1, "required": 1},
        "rejects_file": f"{source}.rejects.csv",
    }  # fmt: skip
    raw = Path(report["rejects_file"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the rejects file starts with a UTF-8 BOM"
    assert raw[3:].split(b"\r\n")[0].decode("utf-8") == (
        "Zeile / row;Schlüssel / key;Feld / field;Grund;Reason;Gewerbe-Nr;Betriebsname;"
        "Rechtsform;Tätigkeit;Straße;PLZ;Ort;Angemeldet am"
    )
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    not_a_date = "„{0}“ ist kein Datum der Form TT.MM.JJJJ / TT.MM.JJ / JJJJ-MM-TT"
    not_a_date_en = "'{0}' is not a date of the form DD.MM.YYYY / DD.MM.YY / YYYY-MM-DD"
    ltd = '"Ltd" is not one of "Einzelunternehmen", "GbR" or 4 other candidates'
    plz = '"52A62" does not match "^[0-9]{5}$"'
    assert lines[1:] == [
        ["5", "GA-00004", "registered_on, legal_form, address.postal_code",
         f"{not_a_date.format('32.01.2026')} | Wert ist nicht erlaubt ({ltd}) | "
         f"Wert hat nicht die verlangte Form ({plz})",
         f"{not_a_date_en.format('32.01.2026')} | {ltd} | {plz}",
         "GA-00004", "Ltd-Laden", "Ltd", "Handel", "Markt 1", "52A62", "Aachen", "32.01.2026"],
        ["6", "GA-00001", "Gewerbe-Nr", "Schlüssel steht schon in Zeile 2",
         "the key is in row 2 already",
         "GA-00001", "Doppelt", "eK", "Handel", "Markt 2", "52062", "Aachen", "05.01.2026"],
        ["7", "", "Gewerbe-Nr", "Schlüssel fehlt", "the key is empty",
         "", "Ohne Nummer", "GbR", "Handel", "Markt 3", "52062", "Aachen", "05.01.2026"],
        ["8", "GA-00007", "registered_on, business_name, address.city",
         f"{not_a_date.format('2026-02-30')} | "
         'Pflichtfeld fehlt ("business_name" is a required property) | '
         'Pflichtfeld fehlt ("city" is a required property)',
         f"{not_a_date_en.format('2026-02-30')} | "
         '"business_name" is a required property | "city" is a required property',
         "GA-00007", "", "AG", "Handel", "Markt 4", "52062", "", "2026-02-30"],
    ]  # fmt: skip
    assert office.archive(register) == [], "a dry run sends nothing"
