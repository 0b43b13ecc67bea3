"""Benchmark: the p99 of small concurrent reads while a big image decode is in flight, with the
decode off the event loop (``POST /verify/image``, as served) and on it (the baseline).

``python -m scripts.bench_public_limits [--readers N] [--uploads M]``

Starts its own anvil and deploys the city (``/verify/image`` reads the deployment), then the API
under uvicorn as its own process (:func:`bench_app`: the API plus one baseline route,
``POST /bench/verify-image-inline``, that runs the same ``decode_image`` inline in its ``async``
handler, as ``/verify/image`` did before issue 12). ``N`` readers send ``GET /health`` back to
back, first with nothing else going on, then while ``M`` phone photos (24.5 MP PNGs, just under
the pixel limit) are decoded one after another by each route. It prints mean/p50/p99 per phase
and the ratio of the baseline's p99 to that of the served route.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import httpx
from eth_account import Account
from fastapi import FastAPI, File, UploadFile

from scripts.bench_timing import percentile
from scripts.services import free_port

PHONE_PHOTO = (5712, 4284)  # 24.5 MP: a recent iPhone's default photo size
INLINE_PATH = "/bench/verify-image-inline"


def bench_app() -> FastAPI:
    """The API (settings from the environment) and the baseline route (uvicorn ``--factory``)."""
    from registry_api.api.routes.verify import decode_image
    from registry_api.main import create_app

    app = create_app()

    @app.post(INLINE_PATH, include_in_schema=False)
    async def inline(image: Annotated[UploadFile, File()]) -> dict[str, str]:
        decoded = decode_image(await image.read())  # on the event loop: what issue 12 measured
        return {"reason": decoded[0] if isinstance(decoded, tuple) else ""}

    return app


def photo() -> bytes:
    from PIL import Image

    image = Image.new("L", PHONE_PHOTO, 255)
    for x in range(0, PHONE_PHOTO[0], 16):  # stripes: something for the decoder to look at
        image.paste(0, (x, 0, x + 4, PHONE_PHOTO[1]))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def reads_while(
    client: httpx.AsyncClient, readers: int, busy: Callable[[], Awaitable[None]]
) -> list[float]:
    """Latencies of ``GET /health`` from ``readers`` back-to-back readers while ``busy`` runs."""
    done = asyncio.Event()
    samples: list[float] = []

    async def reader() -> None:
        while not done.is_set():
            start = time.perf_counter()
            answer = await client.get("/health")
            samples.append(time.perf_counter() - start)
            answer.raise_for_status()

    tasks = [asyncio.create_task(reader()) for _ in range(readers)]
    try:
        await busy()
    finally:
        done.set()
        await asyncio.gather(*tasks)
    return samples


async def measure(url: str, readers: int, uploads: int, image: bytes) -> dict[str, list[float]]:
    limits = httpx.Limits(max_connections=readers + 2)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def idle() -> None:
            await asyncio.sleep(3)

        def decoding(path: str) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                for _ in range(uploads):
                    answer = await client.post(path, files={"image": ("p.png", image)})
                    answer.raise_for_status()
                    assert answer.json()["reason"] == "no-qr-code", answer.text

            return run

        return {
            "idle": await reads_while(client, readers, idle),
            "decode off the loop (/verify/image)": await reads_while(
                client, readers, decoding("/verify/image")
            ),
            "decode on the loop (baseline)": await reads_while(
                client, readers, decoding(INLINE_PATH)
            ),
        }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def start_api(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "scripts.bench_public_limits:bench_app",
        "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the API did not start; see {log_path}:\n{log_path.read_text()}")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_public_limits", description=__doc__
    )
    parser.add_argument("--readers", type=int, default=4, help="concurrent small readers")
    parser.add_argument("--uploads", type=int, default=3, help="photos decoded per route")
    args = parser.parse_args(argv)

    from registry_core.rpc import RpcClient
    from scripts.chain import EmbeddedChain
    from scripts.deploy import deploy_city

    image = photo()
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as tmp:
        root = Path(tmp)
        with EmbeddedChain(data_dir=root / "chain", port=free_port()) as chain:
            with RpcClient(chain.url) as rpc:
                deploy_city(
                    rpc=rpc,
                    council_members=[Account.create().address for _ in range(3)],
                    threshold=2,
                    deployments_dir=root / "deployments",
                )
            env = {
                **os.environ,
                "CITY_API_RPC_URL": chain.url,
                "CITY_API_DEPLOYMENTS_DIR": str(root / "deployments"),
                "CITY_API_DATA_DIR": str(root / "api"),
                "CITY_API_WORKERS": "off",
                "CITY_API_SIGNERS": "{}",
                "CITY_API_CREDENTIAL_KEYS": "{}",
                "CITY_API_RATE_LIMIT_PER_MINUTE": "0",
                "CITY_API_RATE_LIMIT_IMAGES_PER_MINUTE": "0",
            }
            port = free_port()
            api = start_api(env, port, root / "api.log")
            try:
                phases = asyncio.run(
                    measure(f"http://127.0.0.1:{port}", args.readers, args.uploads, image)
                )
            finally:
                api.terminate()
                api.wait(10)
    print(
        f"GET /health, {args.readers} concurrent readers; {args.uploads} decodes of a "
        f"{PHONE_PHOTO[0]}x{PHONE_PHOTO[1]} PNG ({len(image) // 1024} KiB) per route"
    )
    print(f"{'phase':<38}{'reads':>7}{'mean':>11}{'p50':>11}{'p99':>11}")
    p99 = {}
    for name, samples in phases.items():
        p99[name] = percentile(samples, 0.99)
        print(
            f"{name:<38}{len(samples):>7}{ms(statistics.mean(samples)):>11}"
            f"{ms(percentile(samples, 0.5)):>11}{ms(p99[name]):>11}"
        )
    off, on = p99["decode off the loop (/verify/image)"], p99["decode on the loop (baseline)"]
    print(f"p99 while decoding: {ms(off)} off the loop, {ms(on)} on it: {on / off:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
