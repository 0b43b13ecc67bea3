"""Where the project's own files are, wherever the scripts are started from."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = PROJECT_ROOT / "node_modules"
ANVIL = NODE_MODULES / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
SOLCX_DIR = PROJECT_ROOT / "toolchain" / "solcx"
BUILD_DIR = PROJECT_ROOT / "build"
