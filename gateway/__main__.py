"""``python -m gateway``: run the permissioning gateway (flags override CITY_GATEWAY_* settings)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from gateway.config import GatewaySettings
from gateway.server import run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m gateway",
        description="Permissioning JSON-RPC gateway in front of the city chain's node.",
    )
    parser.add_argument("--upstream-url", help="the node's JSON-RPC URL (loopback)")
    parser.add_argument("--host", help="address to listen on")
    parser.add_argument("--port", type=int, help="port to listen on (0: any free port)")
    parser.add_argument("--deployments-dir", type=Path, help="folder of <chainId>.json manifests")
    parser.add_argument("--chain-id", type=int, help="expected chain id (default: the node's)")
    parser.add_argument("--max-body-bytes", type=int, help="largest accepted request body")
    parser.add_argument("--max-batch-size", type=int, help="most requests in one batch")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    overrides: dict[str, Any] = {k: v for k, v in vars(args).items() if v is not None}
    settings = GatewaySettings(**overrides)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run(settings)


if __name__ == "__main__":
    main()
