"""slither over brownie's build artifacts (``make slither``): nothing is compiled a second time.

Run with the slither environment's Python (``.venv-slither``), with slither's own arguments:

    .venv-slither/bin/python toolchain/slither_brownie.py . --json build/slither.json

crytic-compile's brownie platform registers only files that hold a contract, but brownie keeps
no artifact (and so no AST) for a file that only re-exports (OpenZeppelin's
``interfaces/IERC20.sol``): slither then stops at the import ("… does not exist"). This registers
every file the artifacts name (``allSourcePaths``), an empty source unit for those without one.

brownie also deletes, whenever it loads the project, the artifacts of libraries no contract lists
as a dependency (OpenZeppelin's ``ShortStrings``, used only inline), and slither needs their ASTs.
``--check`` exits 3 when a file that defines something has no artifact; ``make slither`` then
has brownie compile once more (``brownie compile --all``), which writes them all again.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from crytic_compile.platform import brownie
from crytic_compile.utils.naming import convert_filename

_original = brownie._iterate_over_files


def _imports(node: Any) -> list[str]:
    """The files an AST imports (``absolutePath`` of its import directives)."""
    if isinstance(node, list):
        return [path for item in node for path in _imports(item)]
    if not isinstance(node, dict):
        return []
    own = [node["absolutePath"]] if node.get("nodeType") == "ImportDirective" else []
    return own + [path for value in node.values() for path in _imports(value)]


DEFINES = re.compile(
    r"^\s*(abstract\s+contract|contract|library|interface|type|struct|enum)\s", re.M
)


def _needed(artifacts: list[Path]) -> tuple[set[str], set[str]]:
    """The files the artifacts name, and those that have an artifact of their own."""
    needed: set[str] = set()
    present: set[str] = set()
    for artifact in artifacts:
        loaded = json.loads(artifact.read_text())
        present.add(loaded.get("sourcePath", ""))
        needed |= set(loaded.get("allSourcePaths", {}).values()) | set(_imports(loaded.get("ast")))
    return needed, present


def check(project: Path) -> int:
    artifacts = sorted(project.glob("build/brownie/contracts/*.json"))
    needed, present = _needed(artifacts)
    missing = [p for p in sorted(needed - present) if DEFINES.search((project / p).read_text())]
    if not artifacts or missing:
        print(f"slither: brownie's artifacts lack {len(missing) or 'all'} file(s): {missing[:5]}")
        return 3
    return 0


def _iterate_over_files(crytic_compile: Any, target: Path, filenames: list[Path]) -> None:
    _original(crytic_compile, target, filenames)
    unit = next(iter(crytic_compile.compilation_units.values()))
    known = {str(name.used) for name in unit.filenames}
    needed, _ = _needed(filenames)
    # Source indexes past the real ones: nothing in the artifacts points into these files.
    for index, path in enumerate(sorted(needed - known), start=10_000):
        filename = convert_filename(path, lambda name: name, crytic_compile, working_dir=target)
        source_unit = unit.create_source_unit(filename)
        if source_unit.ast is None:
            source_unit.ast = {
                "absolutePath": path,
                "exportedSymbols": {},
                "id": -index,
                "nodeType": "SourceUnit",
                "nodes": [],
                "src": f"0:0:{index}",
            }


brownie._iterate_over_files = _iterate_over_files  # type: ignore[assignment]

if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(check(Path.cwd()))
    from slither.__main__ import main

    sys.argv = [
        "slither",
        *sys.argv[1:],
        "--compile-force-framework",
        "brownie",
        "--brownie-ignore-compile",
    ]
    main()
