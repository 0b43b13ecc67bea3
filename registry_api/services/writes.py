"""Rules every department write follows, whatever its domain.

A write of a department that is suspended on chain is refused with a ``403`` problem before
anything is stored: the chain would refuse its transactions anyway (the gateway admits only
active departments' accounts). The chain's flag is cached for
``CITY_API_DEPARTMENT_STATUS_CACHE_SECONDS``; while the chain cannot be asked the write is
accepted and queues (the sender fails it with the reason if the department is suspended by then).
"""

from __future__ import annotations

from registry_api.chain.directory import DepartmentStatusCache
from registry_api.chain.node import Node
from registry_api.core.errors import RegistryError
from registry_core.errors import RegistryCoreError, RpcError
from registry_core.manifest import DeploymentManifest


def refuse_suspended(
    cache: DepartmentStatusCache, rpc: Node, manifest: DeploymentManifest, department: str
) -> None:
    try:
        active = cache.active(rpc, manifest, department)
    except (RegistryCoreError, RpcError):
        return  # no verdict now: accept, the write queues
    if not active:
        raise RegistryError(
            status=403,
            kind="department-suspended",
            title="The department is suspended",
            detail=(
                f"department {department} is suspended on chain by the city council; it cannot "
                "write until the council reactivates it"
            ),
            department=department,
        )
