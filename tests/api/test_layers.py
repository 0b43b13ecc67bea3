"""registry_api's layer rule (its package docstring), checked by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "registry_api"
HTTP = ("fastapi", "starlette", "httpx")
RPC = ("registry_core.rpc",)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _breaches(folder: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        bad = sorted(
            name
            for name in _imports(path)
            if any(name == f or name.startswith(f + ".") for f in forbidden)
        )
        if bad:
            found[str(path.relative_to(PACKAGE))] = bad
    return found


def _rpc_calls(path: Path) -> list[str]:
    """Calls of a method of a JSON-RPC handle (``rpc.batch(...)``, ``self.rpc.call(...)``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if name == "rpc":
                found.append(f"{path.name}:{node.lineno} rpc.{node.func.attr}")
    return found


def test_routes_use_only_http_and_services() -> None:
    routes = tuple(
        f"registry_api.api.routes.{p.stem}" for p in (PACKAGE / "api" / "routes").glob("*.py")
    )
    assert _breaches("api/routes", ("registry_api.chain", "registry_api.core.db", *routes)) == {}


MODEL_BASES = {"BaseModel", "RequestBody", "ExactNumbers", "SQLModel"}


def test_routes_define_no_models() -> None:
    """Request and response models live per domain under ``models/``, not in a route module."""
    found = [
        f"{path.name}:{node.name}"
        for path in sorted((PACKAGE / "api" / "routes").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and any(isinstance(base, ast.Name) and base.id in MODEL_BASES for base in node.bases)
    ]
    assert found == []


def test_services_know_no_http_and_no_rpc() -> None:
    assert _breaches("services", (*HTTP, *RPC, "registry_api.api")) == {}


def test_services_do_no_json_rpc_themselves() -> None:
    """A service hands the node to ``chain/`` (or a core reader); it never calls it."""
    assert [c for p in sorted((PACKAGE / "services").rglob("*.py")) for c in _rpc_calls(p)] == []


def test_models_import_no_layer_above_or_beside() -> None:
    assert (
        _breaches("models", ("registry_api.chain", "registry_api.services", "registry_api.api"))
        == {}
    )


def test_the_walk_sees_imports() -> None:
    """The walk finds a known import, so the tests above cannot pass by finding nothing."""
    imports = _imports(PACKAGE / "services" / "payments.py")
    assert any(name.startswith("registry_api.chain") for name in imports)
    assert _rpc_calls(PACKAGE / "chain" / "record_status.py") != []
