"""Dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from registry_api.core.config import Settings, get_settings
from registry_core.manifest import DeploymentManifest, load_manifest
from registry_core.rpc import RpcClient

SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_rpc(request: Request) -> Iterator[RpcClient]:
    yield request.app.state.rpc


RpcDep = Annotated[RpcClient, Depends(get_rpc)]


def get_manifest(rpc: RpcDep, settings: SettingsDep) -> DeploymentManifest:
    # Read on demand: a redeploy shows up without restarting the API.
    return load_manifest(settings.deployments_dir, rpc.chain_id())


ManifestDep = Annotated[DeploymentManifest, Depends(get_manifest)]
