"""`registry demo` seeds both demo registers through the API, idempotently (same answers twice)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from scripts.demo_registers import demo_api_key, seed_demo_registers
from tests.api.conftest import PASSPHRASE, Departments
from tests.api_process import ApiProcess


def test_demo_registers_are_seeded_once_with_amended_and_closed_records(
    gateway_url: str, deployments_dir: Path, departments: Departments, tmp_path: Path
) -> None:
    env = {
        "CITY_API_RPC_URL": gateway_url,
        "CITY_API_DEPLOYMENTS_DIR": str(deployments_dir),
        "CITY_API_DATA_DIR": str(tmp_path),
        "CITY_API_KEYS_DIR": str(departments.keys_dir),
        "CITY_API_KEYSTORE_PASSPHRASE": PASSPHRASE,
        "CITY_API_SIGNERS": json.dumps({"FB02": "dept-fb02"}),
    }
    api = ApiProcess(env=env, log_path=tmp_path / "api.log")
    api.start()
    try:
        key_file = tmp_path / "demo-api-key"
        token = demo_api_key(api_url=api.url, key_file=key_file, env=env)
        seed_demo_registers(api_url=api.url, token=token)
        assert demo_api_key(api_url=api.url, key_file=key_file, env=env) == token
        headers = {"X-API-Key": token}

        def snapshot() -> dict[str, list[tuple[str, str, int]]]:
            result = {}
            for register in ("TRADE", "PROPERTY"):
                body = httpx.get(
                    f"{api.url}/registers/{register}/records",
                    params={"limit": 100},
                    headers=headers,
                ).json()
                result[register] = sorted(
                    (r["id"], r["status"], r["version_count"]) for r in body["data"]
                )
            return result

        first = snapshot()
        seed_demo_registers(api_url=api.url, token=token)
        assert snapshot() == first, "a second seeding run changed the registers"
        trade, premises = first["TRADE"], first["PROPERTY"]
        assert len(trade) == 13 and len(premises) == 8
        assert sum(1 for _, status, _ in trade if status == "closed") == 1
        assert sum(1 for _, status, count in trade if status == "active" and count == 2) == 3
        assert sum(1 for _, status, _ in premises if status == "closed") == 1
    finally:
        api.stop()
