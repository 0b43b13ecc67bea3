"""Limits of the public endpoints: body sizes (413), per-client rate limits across replicas (429 +
Retry-After), image decodes off the event loop and a phone photo's pixel limit; a key that does
not decrypt at start is logged (without secrets)."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr

from registry_api.api.rate_limit import WINDOW_SECONDS
from registry_api.api.routes import verify
from registry_api.chain.keys import unlock_keys
from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_core.keystore import Keystore
from tests.api.conftest import problem_of
from tests.fixture_keys import TEST_SCRYPT_N

PHONE_PHOTO = (5712, 4284)  # 24.5 MP: a recent iPhone's default photo size


def _settings(tmp: Path, gateway_url: str, deployments_dir: Path, **extra: object) -> Settings:
    return Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'registry.db'}",
        keys_dir=tmp / "keys",
        signers={},
        credential_keys={},
        workers="off",
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def replicas(
    gateway_url: str, deployments_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, TestClient]]:
    """Two API replicas on one store, three public requests a minute per client."""
    tmp = tmp_path_factory.mktemp("limits")
    settings = _settings(tmp, gateway_url, deployments_dir, rate_limit_per_minute=3)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        yield one, two


def _png(size: tuple[int, int]) -> bytes:
    image = Image.new("L", size, 255)
    for x in range(0, size[0], 16):  # stripes: something for the decoder to look at
        image.paste(0, (x, 0, x + 4, size[1]))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_bodies_beyond_the_limit_are_refused_before_they_are_read(
    replicas: tuple[TestClient, TestClient],
) -> None:
    client = replicas[0]
    big = b"x" * (1024 * 1024 + 1)
    problem = problem_of(client.post("/registers", content=big), 413)
    assert problem["type"].endswith("/body-too-large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(17):
            yield b"x" * 65536

    problem_of(client.post("/registers", content=chunks()), 413)
    oauth = client.post("/oid4vci/credential", content=big)
    assert oauth.status_code == 413 and oauth.json()["error"] == "invalid_request"


def test_the_rate_limit_holds_across_replicas(replicas: tuple[TestClient, TestClient]) -> None:
    one, two = replicas
    if time.time() % WINDOW_SECONDS > WINDOW_SECONDS - 3:  # not across a minute's boundary
        time.sleep(4)
    assert [one.post("/auth/nonce").status_code for _ in range(2)] == [200, 200]
    assert two.post("/auth/nonce").status_code == 200
    refused = two.post("/auth/nonce")
    problem = problem_of(refused, 429)
    assert problem["type"].endswith("/too-many-requests")
    assert 1 <= int(refused.headers["retry-after"]) <= WINDOW_SECONDS
    assert one.post("/auth/nonce").status_code == 429
    assert one.get("/health").status_code == 200  # only the public endpoints are limited
    oauth = one.post("/oid4vci/nonce")
    assert oauth.status_code == 429 and oauth.json()["error"] == "invalid_request"


def test_more_pixels_than_a_phone_photo_are_refused_before_decoding(
    gateway_url: str, deployments_dir: Path, tmp_path: Path
) -> None:
    with TestClient(create_app(_settings(tmp_path, gateway_url, deployments_dir))) as client:
        answer = client.post("/verify/image", files={"image": ("x.png", _png((5200, 5000)))})
        assert answer.status_code == 200, answer.text
        assert answer.json()["reason"] == "image-too-large"


def test_small_requests_are_answered_while_a_big_decode_is_in_flight(
    gateway_url: str, deployments_dir: Path, tmp_path: Path
) -> None:
    photo = _png(PHONE_PHOTO)
    with TestClient(create_app(_settings(tmp_path, gateway_url, deployments_dir))) as client:
        answers: list[dict[str, object]] = []
        upload = threading.Thread(
            target=lambda: answers.append(
                client.post("/verify/image", files={"image": ("p.png", photo)}).json()
            )
        )
        upload.start()
        deadline = time.monotonic() + 30
        while verify._decoders.borrowed_tokens == 0:  # the decode runs in a worker thread
            assert upload.is_alive() and time.monotonic() < deadline, answers
            time.sleep(0.001)
        answered_during_decode = 0
        while verify._decoders.borrowed_tokens > 0:
            assert client.get("/health").status_code == 200
            answered_during_decode += verify._decoders.borrowed_tokens > 0
        upload.join(30)
        assert answered_during_decode >= 3, answered_during_decode
        assert answers and answers[0]["reason"] == "no-qr-code", answers  # a phone photo: decoded


def test_a_key_that_does_not_decrypt_is_logged_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    Keystore(tmp_path).create("dept-fb02", "the-right-passphrase", scrypt_n=TEST_SCRYPT_N)
    settings = Settings(
        keys_dir=tmp_path,
        keystore_passphrase=SecretStr("a-wrong-passphrase"),
        signers={"FB02": "dept-fb02"},
        credential_keys={},
    )
    with caplog.at_level(logging.ERROR, logger="registry_api.chain.keys"):
        assert unlock_keys(settings) == []
    assert "dept-fb02" in caplog.text and "FB02" in caplog.text
    assert "passphrase" not in caplog.text.replace("wrong passphrase", "")
    assert "a-wrong-passphrase" not in caplog.text and "the-right" not in caplog.text
