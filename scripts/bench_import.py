"""Benchmark: `registry import` of a 20,000-row file end to end against the bulk API alone.

``python -m scripts.bench_import [--rows N] [--rounds R]``

Starts its own anvil (temporary directory), deploys the city, adds FB02 with a key, starts the
gateway and the API (uvicorn, SQLite, senders in the API's child process), writes the trade
office's sheet as a Windows-1252 CSV with ``;`` and German dates, then in rounds (ABBA order, so
that a growing chain and store weigh on both alike), each into a fresh register:

(a) baseline: the same records as ready-made JSON (serialised before the clock starts), posted to
    ``POST /registers/{id}/records/bulk`` in requests of 1000, then polled with
    ``POST /writes/status`` until every write is anchored: records/s;
(b) ``registry import REGISTER FILE --mapping scripts/examples/trade-mapping.yaml`` (the command's
    own code in this process: read, detect, map, convert, validate, send with keys, wait for the
    anchoring): rows/s from its start until its last write is anchored.
Target: (b) >= 0.7x (a).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from registry_core.demo import TRADE_SCHEMA
from scripts.bench_registers import start_api
from scripts.cli import main as registry
from scripts.paths import PROJECT_ROOT
from scripts.services import free_port
from scripts.throwaway_city import ThrowawayCity, api_key

PASSPHRASE = "bench-only"  # noqa: S105  (throw-away keys of a temporary chain)
MAPPING = PROJECT_ROOT / "scripts" / "examples" / "trade-mapping.yaml"
HEADERS = "Gewerbe-Nr;Betriebsname;Rechtsform;Tätigkeit;Straße;PLZ;Ort;Angemeldet am"
PER_REQUEST = 1000
TARGET = 0.7


def write_sheet(path: Path, rows: int) -> list[dict[str, Any]]:
    """The CSV file and the records it stands for (the baseline's ready-made content)."""
    lines = [HEADERS]
    records = []
    for n in range(1, rows + 1):
        day = 1 + n % 28
        form = "e.K." if n % 2 else "GmbH"
        lines.append(
            f"GA-{n:06d};Bäckerei Müller {n};{form};Backwaren / bakery;Pontstraße {n % 300};"
            f"52062;Aachen;{day:02d}.01.2026"
        )
        records.append(
            {
                "business_name": f"Bäckerei Müller {n}",
                "legal_form": "eK" if n % 2 else "GmbH",
                "activity": "Backwaren / bakery",
                "address": {"street": f"Pontstraße {n % 300}", "postal_code": "52062",
                            "city": "Aachen"},
                "registered_on": f"2026-01-{day:02d}",
            }
        )  # fmt: skip
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return records


def new_register(client: httpx.Client, name: str) -> str:
    answer = client.post("/registers", json={"id": name, "name": name, "schema": TRADE_SCHEMA})
    if answer.status_code != 202:
        raise SystemExit(f"register refused: {answer.text}")
    wait_anchored(client, [answer.json()["write_id"]])
    return name


def wait_anchored(client: httpx.Client, write_ids: list[str]) -> None:
    """Poll the writes' states in pages of 1000 until all are anchored."""
    open_ids = list(write_ids)
    deadline = time.monotonic() + 600
    while open_ids:
        still = []
        for start in range(0, len(open_ids), 1000):
            page = open_ids[start : start + 1000]
            states = client.post("/writes/status", json={"ids": page}).json()["data"]
            done = {s["id"] for s in states if s["status"] == "anchored"}
            if any(s["status"] == "failed" for s in states):
                raise SystemExit(f"a write failed: {states}")
            still += [w for w in page if w not in done]
        open_ids = still
        if open_ids:
            if time.monotonic() > deadline:
                raise SystemExit(f"{len(open_ids)} writes not anchored after 600 s")
            time.sleep(0.2)


def baseline(client: httpx.Client, register: str, records: list[dict[str, Any]]) -> float:
    bodies = [
        orjson.dumps({"records": records[i : i + PER_REQUEST]})
        for i in range(0, len(records), PER_REQUEST)
    ]
    started = time.perf_counter()
    write_ids: list[str] = []
    for body in bodies:
        answer = client.post(
            f"/registers/{register}/records/bulk",
            content=body,
            headers={"content-type": "application/json"},
        )
        if answer.status_code != 202:
            raise SystemExit(f"bulk refused: {answer.text[:300]}")
        write_ids += [w["write_id"] for w in answer.json()["writes"]]
    sent = time.perf_counter() - started
    wait_anchored(client, write_ids)
    print(
        f"    (a) phases: {{'send': {sent:.2f}, 'wait': {time.perf_counter() - started - sent:.2f}}}"
    )
    return len(records) / (time.perf_counter() - started)


def imported(api_url: str, key_file: Path, register: str, sheet: Path, rows: int) -> float:
    mapping = sheet.with_name(f"mapping-{register}.yaml")  # the example, for this register
    mapping.write_text(
        MAPPING.read_text(encoding="utf-8").replace("register: TRADE", f"register: {register}"),
        encoding="utf-8",
    )
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        status = registry(
            ["import", register, str(sheet), "--mapping", str(mapping), "--api-url", api_url,
             "--api-key-file", str(key_file), "--json"]
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    report = json.loads(out.getvalue())
    if status != 0 or report["imported"] != rows or report["anchored"] != rows:
        raise SystemExit(f"the import did not import every row: {report}")
    print(f"    (b) phases: {report['phase_seconds']}")
    return rows / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds: each runs (a) and (b)")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="bench-import-") as tmp,
        ThrowawayCity(Path(tmp), passphrase=PASSPHRASE, gateway_log="gw.log") as city,
    ):
        root, processes = city.root, city.processes
        env = city.api_env(data_dir=root / "api")
        token = api_key(env, "--department", "FB02", "--registers", "*")
        key_file = root / "api-key"
        key_file.write_text(token)
        api_port = free_port()
        processes.append(start_api(env=env, port=api_port, log_path=root / "api.log"))
        api_url = f"http://127.0.0.1:{api_port}"
        sheet = root / "gewerbe.csv"
        records = write_sheet(sheet, args.rows)
        print(f"{args.rows} rows, {sheet.stat().st_size / 1e6:.1f} MB cp1252 CSV; SQLite; "
              f"anvil (automine) behind the gateway; {args.rounds} ABBA rounds")  # fmt: skip
        rates: dict[str, list[float]] = {"a": [], "b": []}
        with httpx.Client(base_url=api_url, headers={"X-API-Key": token}, timeout=120) as client:
            for round_ in range(args.rounds):
                order = ("a", "b") if round_ % 2 == 0 else ("b", "a")
                for which in order:
                    register = new_register(client, f"BENCH{which.upper()}{round_}")
                    if which == "a":
                        rate = baseline(client, register, records)
                    else:
                        rate = imported(api_url, key_file, register, sheet, args.rows)
                    rates[which].append(rate)
                    print(f"  round {round_ + 1} ({which}) {rate:8.1f} rows/s")
        a = sum(rates["a"]) / len(rates["a"])
        b = sum(rates["b"]) / len(rates["b"])
        print(f"(a) bulk API alone, ready-made JSON:         {a:8.1f} records/s")
        print(f"(b) registry import, CSV end to end:          {b:8.1f} rows/s")
        ratio = b / a
        verdict = "met" if ratio >= TARGET else "missed"
        print(f"target (b) >= {TARGET}x (a): {verdict} ({ratio:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
