"""Deploying the city onto a kit's Besu network: the kit's deployer creates the ``CityCouncil``
at the address the genesis validator set names as its council, and the manifest gains the
``ValidatorSet`` (deployed in the genesis block)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from eth_utils.crypto import keccak

from registry_core.manifest import DeployedContract, DeploymentManifest, save_manifest
from registry_core.rpc import RpcClient
from scripts.compile import compile_contracts
from scripts.deploy import DeploymentResult, deploy_city
from scripts.network.kit import DEPLOYER_KEY, KitError, NetworkKit
from scripts.network.validator_set import VALIDATOR_SET


def _check_chain(rpc: RpcClient, kit: NetworkKit) -> None:
    chain_id = rpc.chain_id()
    if chain_id != kit.chain.chain_id:
        raise KitError(
            f"the node serves chain {chain_id}, the kit's genesis is chain {kit.chain.chain_id}"
        )
    if not rpc.get_code(kit.validator_set):
        raise KitError(
            f"no validator set at {kit.validator_set}: this node was not started from the kit's "
            "genesis.json"
        )
    if not rpc.get_code(kit.council) and rpc.nonce(kit.deployer, "latest") != 0:
        raise KitError(
            f"the kit's deployer {kit.deployer} has sent transactions, but no council exists at "
            f"{kit.council}: the validator set can never be governed on this chain; start a new "
            "network with a new kit (`registry network init`)"
        )


def with_validator_set(
    manifest: DeploymentManifest, rpc: RpcClient, address: str
) -> DeploymentManifest:
    """The manifest with the genesis ``ValidatorSet`` (deploy block 0, no deploy transaction)."""
    compiled = compile_contracts()[VALIDATOR_SET]
    entry = DeployedContract(
        name=VALIDATOR_SET,
        address=address,
        abi=compiled.abi,
        deploy_block=0,
        deploy_tx="",
        bytecode_hash=compiled.bytecode_hash,
        code_hash="0x" + keccak(rpc.get_code(address)).hex(),
    )
    return DeploymentManifest(
        chain_id=manifest.chain_id,
        compiler=manifest.compiler,
        source_commit=manifest.source_commit,
        contracts={**manifest.contracts, VALIDATOR_SET: entry},
    )


def deploy_on_network(
    *,
    rpc: RpcClient,
    kit: NetworkKit,
    passphrase: str,
    council_members: list[str],
    threshold: int,
    deployments_dir: Path,
    redeploy: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> DeploymentResult:
    """``registry deploy --kit``: deploy with the kit's deployer, check the council is the
    validator set's, and record the validator set in the manifest."""
    _check_chain(rpc, kit)
    deployer = kit.keystore.load(DEPLOYER_KEY, passphrase)
    result = deploy_city(
        rpc=rpc,
        council_members=council_members,
        threshold=threshold,
        deployments_dir=deployments_dir,
        redeploy=redeploy,
        deployer=deployer,
        log=log,
    )
    council = result.manifest.address("CityCouncil")
    if council != kit.council:
        raise KitError(
            f"the manifest's council {council} is not the validator set's council {kit.council} "
            "(deployed without the kit?): deploy again with --kit and --redeploy"
        )
    manifest = with_validator_set(result.manifest, rpc, kit.validator_set)
    save_manifest(deployments_dir, manifest)
    log(f"recorded the genesis {VALIDATOR_SET} at {kit.validator_set} (its council: {council})")
    return DeploymentResult(manifest, changed=result.changed, deployed=result.deployed)
