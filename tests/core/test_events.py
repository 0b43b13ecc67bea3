"""Event paging and decoding (registry_core.events) against the real anvil of the test session."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest
from eth_abi.abi import decode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry_core.abi import ContractABI, signature
from registry_core.council.decisions import decide
from registry_core.council.intents import INTENTS
from registry_core.errors import RpcError
from registry_core.events import (
    ChainEvent,
    EventDecoder,
    EventReader,
    LogPager,
    batched,
    block_timestamps,
    get_blocks,
    get_receipts,
    get_transactions,
    is_range_refusal,
)
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.chain import EmbeddedChain
from tests.credential_fixtures import CredentialCity
from tests.log_range_limit import LogRangeLimitProxy


@pytest.fixture(scope="module")
def history(
    credential_city: CredentialCity, node_rpc: RpcClient, council_keys: list[LocalAccount]
) -> tuple[DeploymentManifest, int]:
    """The seeded city plus a council decision with a long description (dynamic ABI values)."""
    decide(
        rpc=node_rpc,
        manifest=credential_city.manifest,
        members=council_keys,
        decision=INTENTS["add-department"].decide(
            department="EVTEST", name="Ereignis-Test mit langem Namen / event test, long name"
        ),
    )
    return credential_city.manifest, node_rpc.block_number()


def _reference_decode(interface: ContractABI, log: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The event decoded by eth_abi alone, input by input (the slow, obvious way)."""
    for entry in interface.abi:
        if entry.get("type") != "event":
            continue
        if "0x" + keccak(text=signature(entry)).hex() != log["topics"][0]:
            continue
        topics = iter(log["topics"][1:])
        plain = [p for p in entry["inputs"] if not p.get("indexed")]
        values = iter(decode([p["type"] for p in plain], bytes.fromhex(log["data"][2:])))
        args: dict[str, Any] = {}
        for param in entry["inputs"]:
            if param.get("indexed"):
                word = bytes.fromhex(next(topics)[2:])
                args[param["name"]] = (
                    word
                    if param["type"] in ("string", "bytes")
                    else decode([param["type"]], word)[0]
                )
            else:
                args[param["name"]] = next(values)
            if param["type"] == "address":
                args[param["name"]] = to_checksum_address(args[param["name"]])
        return entry["name"], args
    raise AssertionError(f"no event of the ABI has topic {log['topics'][0]}")


def test_every_log_decodes_as_eth_abi_decodes_it(
    history: tuple[DeploymentManifest, int], node_rpc: RpcClient
) -> None:
    manifest, head = history
    decoder = EventDecoder(manifest)
    logs = LogPager(node_rpc).get_logs(address=decoder.addresses, from_block=0, to_block=head)
    names = set()
    for log in logs:
        event = decoder.decode(log)
        assert event is not None, log
        contract = manifest.contract(event.contract)
        assert contract.address.lower() == log["address"].lower()
        expected = _reference_decode(contract.interface, log)
        assert (event.name, event.args) == expected
        assert event.block_number == int(log["blockNumber"], 16)
        assert event.log_index == int(log["logIndex"], 16)
        assert event.tx_hash == log["transactionHash"]
        names.add(event.name)
    # Static-only events (sliced) and events with strings and bytes (eth_abi) were both seen.
    assert {"MemberAdded", "DepartmentAccountAdded", "ProposalCreated", "DepartmentAdded"} <= names


def test_pages_cover_the_range_in_order(
    history: tuple[DeploymentManifest, int], node_rpc: RpcClient
) -> None:
    manifest, head = history
    decoder = EventDecoder(manifest)
    everything = node_rpc.request(
        "eth_getLogs", [{"address": decoder.addresses, "fromBlock": "0x0", "toBlock": hex(head)}]
    )
    pages = list(LogPager(node_rpc, page_blocks=7).pages(
        address=decoder.addresses, from_block=0, to_block=head
    ))  # fmt: skip
    assert pages[0].from_block == 0 and pages[-1].to_block == head
    assert all(a.to_block + 1 == b.from_block for a, b in itertools.pairwise(pages))
    assert all(p.to_block - p.from_block + 1 <= 7 for p in pages)
    assert [log for page in pages for log in page.logs] == everything
    assert list(LogPager(node_rpc).pages(address=decoder.addresses, from_block=5, to_block=4)) == []


def test_refused_ranges_are_halved_until_the_node_accepts_them(
    history: tuple[DeploymentManifest, int], chain: EmbeddedChain, node_rpc: RpcClient
) -> None:
    manifest, head = history
    assert head > 40, "the session chain should have some history by now"
    decoder = EventDecoder(manifest)
    expected = LogPager(node_rpc).get_logs(address=decoder.addresses, from_block=0, to_block=head)
    with LogRangeLimitProxy(chain.url, max_range=9) as proxy, RpcClient(proxy.url) as limited:
        pager = LogPager(limited)  # 1,000 blocks by default
        assert pager.get_logs(address=decoder.addresses, from_block=0, to_block=head) == expected
    # The first page (blocks 0..head, at most 1,000) is halved until Besu's limit passes it (the
    # session chain may be past block 1,000 when this module runs late in the session).
    size = min(head, 999) + 1
    while size - 1 > 9:
        size //= 2
    assert pager.page_blocks == size
    assert proxy.refused[0] == (0, min(head, 999))
    assert all(end - start <= 9 for start, end in proxy.served)
    # The smaller size is kept: only the first page needed halving.
    assert all(start == 0 for start, _ in proxy.refused)


def test_a_refused_single_block_and_other_errors_are_raised(
    history: tuple[DeploymentManifest, int], chain: EmbeddedChain
) -> None:
    manifest, head = history
    with (
        LogRangeLimitProxy(chain.url, max_range=-1) as proxy,
        RpcClient(proxy.url) as limited,
        pytest.raises(RpcError) as refused,
    ):
        LogPager(limited, page_blocks=4).get_logs(
            address=manifest.address("CityCouncil"), from_block=0, to_block=head
        )
    assert refused.value.code == -32005 and proxy.refused[-1] == (0, 0)
    with RpcClient(chain.url) as rpc, pytest.raises(RpcError) as invalid:
        LogPager(rpc).get_logs(address="0xnot-an-address", from_block=0, to_block=head)
    assert not is_range_refusal(invalid.value)


def test_refusal_codes_and_messages() -> None:
    assert is_range_refusal(RpcError(-32005, "Requested range exceeds maximum RPC range limit"))
    assert is_range_refusal(RpcError(-32005, "query returned more than 10000 results"))
    assert is_range_refusal(RpcError(-32602, "Log response size exceeded."))
    assert not is_range_refusal(RpcError(-32602, "invalid argument 0: hex string without 0x"))
    assert not is_range_refusal(RpcError(-32601, "the method eth_getLogs does not exist"))


def test_reader_names_contracts_and_skips_others(
    history: tuple[DeploymentManifest, int], node_rpc: RpcClient
) -> None:
    manifest, head = history
    reader = EventReader(node_rpc, manifest, contracts=["CityCouncil"], page_blocks=50)
    events = reader.events(from_block=0, to_block=head)
    assert events and {e.contract for e in events} == {"CityCouncil"}
    assert [e.position for e in events] == sorted(e.position for e in events)
    assert reader.decoder.from_block == manifest.contract("CityCouncil").deploy_block
    directory_log = LogPager(node_rpc).get_logs(
        address=manifest.address("DepartmentDirectory"), from_block=0, to_block=head
    )[0]
    assert reader.decoder.decode(directory_log) is None  # not one of the named contracts
    council_log = LogPager(node_rpc).get_logs(
        address=manifest.address("CityCouncil"), from_block=0, to_block=head
    )[0]
    assert reader.decoder.decode({**council_log, "removed": True}) is None
    assert reader.decoder.decode({**council_log, "address": "0x" + "00" * 20}) is None
    unknown_topic = {**council_log, "topics": ["0x" + "ab" * 32, *council_log["topics"][1:]]}
    assert reader.decoder.decode(unknown_topic) is None


def test_blocks_receipts_and_transactions_in_batches(
    history: tuple[DeploymentManifest, int], node_rpc: RpcClient
) -> None:
    manifest, head = history
    events = EventReader(node_rpc, manifest).events(from_block=0, to_block=head)
    numbers = sorted({e.block_number for e in events})
    blocks = get_blocks(node_rpc, [*numbers, head + 1000])
    assert sorted(blocks) == numbers  # beyond the head: left out
    assert all(int(blocks[n]["number"], 16) == n for n in numbers)
    hashes = [e.tx_hash for e in events]
    receipts = get_receipts(node_rpc, [*hashes, "0x" + "00" * 32])
    assert set(receipts) == set(hashes)
    assert all(receipts[e.tx_hash]["blockHash"] == e.block_hash for e in events)
    transactions = get_transactions(node_rpc, hashes)
    assert all(transactions[h]["hash"] == h for h in hashes)
    # Small batches give the same answers in the same order.
    calls = [("eth_getBlockByNumber", [hex(n), False]) for n in numbers]
    assert [b["hash"] for b in batched(node_rpc, calls, size=3)] == [
        blocks[n]["hash"] for n in numbers
    ]
    with pytest.raises(RpcError):
        batched(node_rpc, [("eth_getBlockByNumber", ["latest", False]), ("no_such_method", [])])


def test_block_timestamps_from_logs_or_from_blocks(
    history: tuple[DeploymentManifest, int], node_rpc: RpcClient
) -> None:
    manifest, head = history
    events = EventReader(node_rpc, manifest).events(from_block=0, to_block=head)
    with_stamps = block_timestamps(node_rpc, events)
    # A node that leaves blockTimestamp out of logs (as older Besu does): read from the blocks.
    bare: list[ChainEvent] = [replace(e, block_timestamp=None) for e in events]
    assert block_timestamps(node_rpc, bare) == with_stamps
    assert set(with_stamps) == {e.block_number for e in events}
