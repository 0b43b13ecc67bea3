"""``make fuzz``: schemathesis against a throw-away demo city's API, with every check.

Starts ``registry demo`` in ``build/fuzz-city`` (fresh each run, its own ports, rate limits off,
cheap scrypt on its throw-away keys), signs a citizen in (EIP-4361) and runs schemathesis from its
own environment (``.venv-fuzz``: its pins clash with brownie's, TOOLCHAIN.md) against the API's own
OpenAPI document, with the department's API key and the citizen's session. schemathesis's exit
status is this script's: any server error, schema violation or undocumented answer fails CI.
Settings of the run (checks, examples, time) live in ``schemathesis.toml``.

    python -m scripts.fuzz_api [--max-examples N] [--max-time SECONDS] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from eth_account import Account

from registry_core.demo import COUNCIL_SIZE, DEMO_DEPARTMENTS
from registry_core.did import make_did
from registry_core.keystore import Keystore
from registry_core.sign_in import Audience, build_message, sign_message
from scripts.paths import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "build" / "fuzz-city"
REPORT_DIR = PROJECT_ROOT / "build" / "fuzz-report"
SCHEMATHESIS = PROJECT_ROOT / ".venv-fuzz" / "bin" / "schemathesis"
CHAIN_ID = 52062
# The fuzz city's ports (BROWNIE_PORT + 20000.., so two worktrees' runs do not meet).
BASE_PORT = 20000 + int(os.environ.get("BROWNIE_PORT", "8555"))
PASSPHRASE = "fuzz-only-passphrase"  # noqa: S105  (throw-away keys of a throw-away chain)
# Throw-away keys of a throw-away chain: unlocking them must not cost the run's time.
CHEAP_SCRYPT_N = 2**10
READY_LINE = "The demo city is running"


def say(message: str) -> None:
    print(f"[fuzz] {message}", flush=True)


def _cheap_keys(keys_dir: Path) -> None:
    keystore = Keystore(keys_dir)
    names = [f"council-{i}" for i in range(1, COUNCIL_SIZE + 1)]
    names += [d.signer_key for d in DEMO_DEPARTMENTS] + [d.credential_key for d in DEMO_DEPARTMENTS]
    names.append("trust-bundle")
    for name in names:
        keystore.create(name, PASSPHRASE, scrypt_n=CHEAP_SCRYPT_N)


def _start_city() -> tuple[subprocess.Popen[str], dict[str, str]]:
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    _cheap_keys(DATA_DIR / "keys")
    api_port = BASE_PORT
    env = {
        **os.environ,
        "CITY_DATA_DIR": str(DATA_DIR),
        "CITY_DEPLOYMENTS_DIR": str(DATA_DIR / "deployments"),
        "CITY_API_PORT": str(api_port),
        "CITY_GATEWAY_PORT": str(BASE_PORT + 1),
        "CITY_NODE_PORT": str(BASE_PORT + 2),
        "CITY_KEYSTORE_PASSPHRASE": PASSPHRASE,
        "CITY_API_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
        # Thousands of requests from one client in two minutes: the per-client limits are off
        # (the image limit too, or most /verify/image cases would only see 429).
        "CITY_API_RATE_LIMIT_PER_MINUTE": "0",
        "CITY_API_RATE_LIMIT_IMAGES_PER_MINUTE": "0",
        "CITY_API_CREDENTIAL_WAIT_SECONDS": "2",
    }
    say(f"starting a demo city in {DATA_DIR}")
    city = subprocess.Popen(
        [str(Path(sys.executable).parent / "registry"), "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert city.stdout is not None
    deadline = time.monotonic() + 300
    for line in city.stdout:
        print(line, end="", flush=True)
        if READY_LINE in line:
            break
        if time.monotonic() > deadline:
            break
    else:
        raise SystemExit(f"the demo city exited ({city.wait()}) before it was running")
    if READY_LINE not in line:
        raise SystemExit("the demo city did not come up within 300 s")
    return city, env


def _stop_city(city: subprocess.Popen[str]) -> None:
    if city.poll() is None:
        city.send_signal(signal.SIGINT)  # the demo stops the API, gateway and chain in order
        try:
            city.wait(60)
        except subprocess.TimeoutExpired:
            city.kill()


def _citizen_session(api_url: str) -> str:
    """A session token of a new citizen (its did:ethr on the fuzz chain)."""
    account = Account.create()
    with httpx.Client(base_url=api_url, timeout=30, trust_env=False) as client:
        nonce = client.post("/auth/nonce").raise_for_status().json()["nonce"]
        message = build_message(
            audience=Audience.from_public_url(api_url),
            address=account.address,
            chain_id=CHAIN_ID,
            nonce=nonce,
            issued_at=datetime.now(UTC),
            did=None,
        )
        answer = client.post(
            "/auth/siwe", json={"message": message, "signature": sign_message(message, account)}
        )
        session = answer.raise_for_status().json()
    assert session["did"] == make_did(account.address, CHAIN_ID)
    return str(session["token"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=None)
    parser.add_argument("--max-time", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="leave the city running at the end")
    args = parser.parse_args(argv)
    city, env = _start_city()
    api_url = env["CITY_API_PUBLIC_URL"]
    try:
        api_key = (DATA_DIR / "demo-api-key").read_text().strip()
        token = _citizen_session(api_url)
        command = [
            str(SCHEMATHESIS),
            "--config-file",
            str(PROJECT_ROOT / "schemathesis.toml"),
            "run",
            f"{api_url}/openapi.json",
            "--header",
            f"X-API-Key: {api_key}",
            "--header",
            f"Authorization: Bearer {token}",
            "--report",
            "junit,ndjson",
            "--report-dir",
            str(REPORT_DIR),
        ]
        if args.max_examples:
            command += ["--max-examples", str(args.max_examples)]
        if args.max_time:
            command += ["--max-time", str(args.max_time)]
        say("schemathesis " + " ".join(command[3:5]) + " …")
        status = subprocess.call(command, cwd=PROJECT_ROOT)
        say(f"schemathesis exit status {status}; the API's log is {DATA_DIR / 'api.log'}")
        if args.keep:
            say(f"the city keeps running at {api_url} (Ctrl-C stops it)")
            city.wait()
        return status
    finally:
        _stop_city(city)


if __name__ == "__main__":
    sys.exit(main())
