"""The citizen's journey, driven through ``city-wallet`` as a subprocess as a citizen would:
create an identity → sign in (EIP-4361) → request a residents' parking permit → the department
approves through the API → the wallet receives it by OpenID4VCI → ``qr`` writes a PNG → the
public verification page in real Chromium shows it valid, with holder binding from a
presentation for the verifier's nonce. Then the wallet folder and the captured output and logs of
wallet and API are scanned for secrets in clear.

Real parts only: a uvicorn API on a loopback port, the session's chain and gateway, Debian's
chromium. Keys use the wallet's marked test-fixture scrypt parameters (cheap).
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.api_process import ApiProcess, credential_api_env, department_key
from tests.browser import guarded_page
from tests.credential_fixtures import CredentialCity
from tests.secrets_scan import Secrets, all_files, leaks

PASSPHRASE = "journey-test-passphrase"  # a throw-away test wallet
CITY_WALLET = str(Path(sys.executable).parent / "city-wallet")
TIMEOUT = 120


@pytest.fixture(scope="module")
def city_api(
    credential_city: CredentialCity,
    gateway_url: str,
    deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ApiProcess, str]]:
    """The API as uvicorn serves it (its public URL is its own loopback address) and an API key
    of the department that issues residents' parking permits."""
    data_dir = tmp_path_factory.mktemp("journey-api")
    token = department_key(data_dir, department="FB32", credential_types=["RESIDENT_PARKING"])
    env = credential_api_env(
        gateway_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data_dir,
        keys_dir=credential_city.keys_dir,
        passphrase=credential_city.passphrase,
    )
    process = ApiProcess(
        env=env,
        log_path=data_dir / "api.log",
    )
    process.env["CITY_API_PUBLIC_URL"] = process.url
    process.start()
    try:
        yield process, token
    finally:
        process.stop()


class Citizen:
    """Runs ``city-wallet`` for one wallet folder and keeps everything it printed."""

    def __init__(self, home: Path, api_url: str) -> None:
        self.env = {
            "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
            "CITY_WALLET_HOME": str(home),
            "CITY_WALLET_PASSPHRASE": PASSPHRASE,
            "CITY_WALLET_API_URL": api_url,
            "CITY_WALLET_TEST_FIXTURE_KEYS": "cheap-scrypt",
        }
        self.outputs: list[str] = []

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [CITY_WALLET, *args], env=self.env, capture_output=True, text=True, timeout=TIMEOUT
        )
        self.outputs += [done.stdout, done.stderr]
        assert done.returncode == 0, (args, done.returncode, done.stdout, done.stderr)
        return done.stdout

    def json(self, *args: str) -> dict[str, Any]:
        return dict(json.loads(self.run(*args, "--json")))

    def init(self) -> tuple[str, str]:
        """``init`` as a person does it: read the words, type back the two it asks for."""
        process = subprocess.Popen(
            [CITY_WALLET, "init"], env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, bufsize=0,
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        seen = ""
        while "identity personal" not in seen:
            char = process.stdout.read(1)
            assert char, (seen, process.stderr.read() if process.stderr else "")
            seen += char
            asked = re.search(r"word #(\d+): $", seen)
            if asked:
                words = dict(re.findall(r"(\d+)\. (\w+)", seen))
                process.stdin.write(words[asked.group(1)] + "\n")
                seen += "\n"
        process.stdin.close()
        rest = process.stdout.read()  # not communicate(): it would skip what the reader buffered
        errors = process.stderr.read() if process.stderr else ""
        assert process.wait(timeout=TIMEOUT) == 0, (seen, rest, errors)
        words = dict(re.findall(r"(\d+)\. (\w+)", seen))
        mnemonic = " ".join(words[str(n)] for n in range(1, len(words) + 1))
        return mnemonic, seen + rest + errors


def test_a_citizen_gets_a_parking_permit_into_the_wallet_and_shows_it(
    city_api: tuple[ApiProcess, str],
    browser: Any,
    tmp_path: Path,
) -> None:
    from registry_core.sign_in import parse_message
    from wallet.core import Wallet

    api, department_key = city_api
    home = tmp_path / "wallet"
    citizen = Citizen(home, api.url)
    mnemonic, shown = citizen.init()
    did = citizen.run("did").strip()
    assert did.startswith("did:ethr:0xcb5e:0x") and did in shown

    signed_in = citizen.json("login")
    assert signed_in["did"] == did and "wants you to sign in" in signed_in["message"]
    parse_message(signed_in["message"]).verify(signed_in["signature"])  # siwe, independently

    asked = citizen.json(
        "request", "RESIDENT_PARKING",
        "--claim", "zone=A3", "--claim", "licensePlate=AC-EM 1964", "--claim", "validUntil=2027-11-30",
    )  # fmt: skip
    assert asked["state"] == "submitted"
    department = httpx.Client(
        base_url=api.url, headers={"X-API-Key": department_key}, timeout=30, trust_env=False
    )
    with department:
        pending = department.get("/department/credential-requests").json()["data"]
        assert [r["id"] for r in pending] == [asked["id"]]
        approved = department.post(
            f"/department/credential-requests/{asked['id']}/approve", json={}
        ).json()
        offer_png = department.get(f"/department/credential-requests/{asked['id']}/offer.png")
    assert approved["state"] == "approved"
    (scanned,) = zxingcpp.read_barcodes(Image.open(__import__("io").BytesIO(offer_png.content)))
    assert scanned.text.startswith("openid-credential-offer://")
    assert "ausgestellt" not in citizen.run("requests", asked["id"])

    received = citizen.json("receive", scanned.text)  # the offer from the counter's QR code
    assert received["type"] == "ResidentParkingCredential"
    assert citizen.json("requests", asked["id"])["state"] == "issued"
    permit = tmp_path / "permit.png"
    assert "QR version" in citizen.run("qr", received["id"][:12], "--out", str(permit))

    # The verifier scans the PNG and asks the holder for a presentation over its own nonce.
    (decoded,) = zxingcpp.read_barcodes(Image.open(permit))
    verifier_nonce = secrets.token_urlsafe(12)
    audience = f"{api.url}/verify"
    presentation = citizen.json(
        "present", received["id"], "--aud", audience, "--nonce", verifier_nonce
    )["presentation"]
    query = urlencode(
        {
            "payload": decoded.text,
            "presentation": presentation,
            "nonce": verifier_nonce,
            "audience": audience,
        }
    )
    with guarded_page(browser, api.url, locale="de-DE") as (page, guard):
        with page.expect_response(lambda r: r.url == f"{api.url}/verify", timeout=30_000) as info:
            page.goto(f"{api.url}/verify?{query}")
        answer = info.value.json()
        assert answer["valid"] is True, answer["checks"]
        page.locator("#verdict.valid").wait_for(timeout=10_000)
        assert page.locator("#verdict").inner_text().startswith("GÜLTIG")
        holder = page.locator("#checks tr[data-check=holder]")
        assert holder.get_attribute("data-status") == "passed", answer["checks"]
        guard.assert_clean(page)

    citizen.run("logout")
    # No private key, mnemonic or passphrase in clear in the wallet folder, the wallet's output
    # (but for the one display of the words) or the API's log.
    key = Wallet(home).unlock(PASSPHRASE)
    found = leaks(
        Secrets([bytes(key.key)], [mnemonic], [PASSPHRASE]),
        files=[*all_files(home), api.log_path],
        texts=citizen.outputs,
    )
    assert found == [], found
    assert leaks(Secrets(mnemonics=[mnemonic]), texts=[shown]) != []  # shown once, at init
