"""``python -m explorer`` serves the explorer (settings: CITY_EXPLORER_* variables);
``python -m explorer rebuild`` drops its cache and indexes the chain again from block 0."""

from __future__ import annotations

import argparse
import logging

from explorer.config import ExplorerSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer", description=__doc__)
    parser.add_argument("command", nargs="?", choices=("serve", "rebuild"), default="serve")
    args = parser.parse_args(argv)
    settings = ExplorerSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "rebuild":
        from explorer.chain import Explorer

        progress = Explorer(settings).indexer.rebuild()
        print(
            f"indexed {progress.events} events up to block {progress.indexed_to} (head {progress.head})"
        )
        return 0
    import uvicorn

    from explorer.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
