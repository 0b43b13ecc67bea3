"""`registry import` / `registry export` against the real API (one uvicorn process for the module)
and chain, with files made in the tests: CSV in UTF-8 and Windows-1252, .xlsx, .ods."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry_api.core.db import make_engine, upgrade
from registry_core.demo import TRADE_SCHEMA
from registry_core.hashing import canonical_json, content_hash
from scripts.cli import main
from tests.api.conftest import PASSPHRASE, Departments, make_key
from tests.api.import_files import trade_rows, write_csv, write_ods, write_xlsx
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
    report.pop("seconds", None)
    report.pop("phase_seconds", None)
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
    # The rejects file reads with the same mapping (its BOM says UTF-8; the extra columns are
    # ignored): the row whose key was a duplicate is fine on its own.
    status, again = run(capsys, office.registry("import", register, report["rejects_file"],
                                                "--mapping", office.mapping(register, tmp_path),
                                                "--dry-run", "--rejects", tmp_path / "again.csv"))  # fmt: skip
    assert (status, again["rows"], again["ok"], again["rejected"]) == (1, 4, 1, 3), again
    assert again["encoding"] == "utf-8" and again["ignored_columns"] == [
        "Zeile / row", "Schlüssel / key", "Feld / field", "Grund", "Reason"]  # fmt: skip


def test_import_then_a_rerun_imports_nothing(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    register = office.new_register()
    source = write_csv(tmp_path / "gewerbe.csv", trade_rows(30), encoding="utf-8")
    mapping = office.mapping(register, tmp_path)
    argv = office.registry("import", register, source, "--mapping", mapping, "--chunk-size", "8")
    status, report = run(capsys, argv)
    assert (status, report["imported"], report["unchanged"], report["anchored"]) == (0, 30, 0, 30)
    assert report["encoding"] == "utf-8" and report["rejected"] == 0, report
    status, again = run(capsys, argv)
    assert (status, again["imported"], again["amended"], again["unchanged"]) == (0, 0, 0, 30)
    assert again["anchored"] == 0, again
    stored = contents_by_key(office.archive(register))
    assert stored == {f"GA-{n:05d}": expected_record(n) for n in range(1, 31)}


def test_xlsx_and_ods_cells_keep_their_types(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Spreadsheet cells come typed: a date cell is a date, a postal code typed as a number is
    1067.0 (zfill gives 01067 back), numbers stay numbers."""
    rows: list[list[Any]] = [
        ["GA-00001", "Sachsen-Laden", "GmbH", "Handel", "Prager Str. 1", 1067, "Dresden",
         dt.date(2026, 1, 5)],
        ["GA-00002", "Print & Co", "e.K.", "Druck", "Markt 2", "52062", "Aachen", "06.01.2026"],
    ]  # fmt: skip
    expected = {
        "GA-00001": {
            "business_name": "Sachsen-Laden", "legal_form": "GmbH", "activity": "Handel",
            "address": {"street": "Prager Str. 1", "postal_code": "01067", "city": "Dresden"},
            "registered_on": "2026-01-05",
        },
        "GA-00002": {
            "business_name": "Print & Co", "legal_form": "eK", "activity": "Druck",
            "address": {"street": "Markt 2", "postal_code": "52062", "city": "Aachen"},
            "registered_on": "2026-01-06",
        },
    }  # fmt: skip
    for name, write in (("gewerbe.xlsx", write_xlsx), ("gewerbe.ods", write_ods)):
        register = office.new_register()
        source = write(tmp_path / name, rows)
        mapping = office.mapping(register, tmp_path)
        status, report = run(
            capsys, office.registry("import", register, source, "--mapping", mapping)
        )
        assert (status, report["imported"], report["anchored"]) == (0, 2, 2), (name, report)
        assert contents_by_key(office.archive(register)) == expected, name


def test_a_run_killed_halfway_and_run_again_imports_every_row_exactly_once(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    register = office.new_register()
    total = 600
    source = write_csv(tmp_path / "gewerbe.csv", trade_rows(total), encoding="cp1252")
    mapping = office.mapping(register, tmp_path)
    argv = office.registry("import", register, source, "--mapping", mapping, "--chunk-size", "25")
    child = subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", *argv, "--no-wait", "--json"],
        cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def stored() -> int:
            answer = office.client.get(f"/registers/{register}/records", params={"limit": 1})
            return int(answer.json()["count"]) if answer.status_code == 200 else 0

        poll(lambda: stored() >= 100, timeout=60, what="the first import to store 100 rows")
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    halfway = stored()
    assert 100 <= halfway < total, f"the kill came too late: {halfway} of {total} stored"
    status, report = run(capsys, argv)
    assert status == 0, report
    assert report["imported"] + report["unchanged"] == total, report
    assert report["unchanged"] >= halfway and report["imported"] == total - report["unchanged"]
    stored_rows = contents_by_key(office.archive(register))  # asserts: no key twice
    assert len(stored_rows) == total
    assert stored_rows == {f"GA-{n:05d}": expected_record(n) for n in range(1, total + 1)}


def test_changed_rows_are_rejected_unless_amend_changed(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    register = office.new_register()
    mapping = office.mapping(register, tmp_path)
    first = write_csv(tmp_path / "v1.csv", trade_rows(6), encoding="utf-8")
    status, _ = run(capsys, office.registry("import", register, first, "--mapping", mapping))
    assert status == 0
    changed = trade_rows(6)
    for row in (changed[1], changed[4]):
        row[4] = "Neue Straße 9"  # moved: rows 3 and 6 of the file (keys GA-00002, GA-00005)
    second = write_csv(tmp_path / "v2.csv", [*changed, *trade_rows(2, start=7)], encoding="utf-8")
    argv = office.registry("import", register, second, "--mapping", mapping)
    status, refused = run(capsys, argv)
    assert status == 1, refused
    assert (refused["imported"], refused["amended"], refused["unchanged"]) == (2, 0, 4)
    assert (refused["rejected"], refused["rejected_by_reason"]) == (2, {"changed": 2}), refused
    rejects = list(csv.reader(io.StringIO(Path(refused["rejects_file"]).read_text("utf-8-sig")),
                              delimiter=";"))  # fmt: skip
    assert [(r[0], r[1]) for r in rejects[1:]] == [("3", "GA-00002"), ("6", "GA-00005")]
    assert rejects[1][4] == "a record with this key has other content (--amend-changed amends it)"
    status, amended = run(capsys, [*argv, "--amend-changed"])
    assert status == 0, amended
    assert (amended["imported"], amended["amended"], amended["unchanged"]) == (0, 2, 6)
    assert amended["anchored"] == 2
    archive = {r["key"]: r for r in office.archive(register)}
    assert [len(archive[f"GA-{n:05d}"]["versions"]) for n in range(1, 9)] == [
        1,
        2,
        1,
        1,
        2,
        1,
        1,
        1,
    ]
    assert archive["GA-00002"]["versions"][1]["content"]["address"]["street"] == "Neue Straße 9"
    assert [v["status"] for v in archive["GA-00002"]["versions"]] == ["amended", "active"]


def test_export_round_trips_into_a_new_register(
    office: Office, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    register = office.new_register()
    source = write_csv(tmp_path / "gewerbe.csv", trade_rows(12), encoding="utf-8")
    mapping = office.mapping(register, tmp_path)
    status, _ = run(capsys, office.registry("import", register, source, "--mapping", mapping))
    assert status == 0
    original = office.archive(register)
    exports: dict[str, Path] = {}
    for format_ in ("csv", "xlsx", "json"):
        exports[format_] = tmp_path / f"export.{format_}"
        status, written = run(capsys, office.registry(
            "export", register, "--format", format_, "--out", exports[format_], "--history"))  # fmt: skip
        assert (status, written["records"], written["versions"]) == (0, 12, 12), written
    document = json.loads(exports["json"].read_text(encoding="utf-8"))
    assert document["register"]["schema"] == TRADE_SCHEMA
    for version in (v for r in document["records"] for v in r["versions"]):
        # The archive alone proves each version: salt + content give the hash, the proof the root.
        assert (
            content_hash(version["content"], bytes.fromhex(version["salt"][2:])).hex()
            == (version["content_hash"][2:])
        )
        assert version["tx_hash"] and version["block_number"] and version["proof"] is not None
    for format_ in ("csv", "xlsx"):
        target = office.new_register()
        status, report = run(capsys, office.registry("import", target, exports[format_]))
        assert (status, report["imported"], report["rejected"]) == (0, 12, 0), (format_, report)
        copy = office.archive(target)
        assert {r["key"]: canonical_json(r["versions"][-1]["content"]) for r in copy} == {
            r["key"]: canonical_json(r["versions"][-1]["content"]) for r in original
        }, format_
        hashes = {v["content_hash"] for r in original for v in r["versions"]}
        assert hashes.isdisjoint(v["content_hash"] for r in copy for v in r["versions"]), (
            "every version has its own salt, so the copies' hashes differ"
        )
