"""The generic views: home (latest blocks, transactions and city actions, index lag), block,
transaction (decoded call, events, revert reason, names), account (who it is, its history) and
search. Blocks, transactions and receipts come from the node (no historical state); lists of
city events from the cache."""

from __future__ import annotations

import json
import re
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from explorer.catalog import NONE
from explorer.describe import describe, sentence, short, when, word
from explorer.queries import events, has_key
from explorer.store import EventRow, TxRow
from explorer.web import (
    Cell,
    ExplorerError,
    Listing,
    Paging,
    explorer_of,
    language,
    paging,
    render,
    respond,
)
from registry_core.did import DidError, parse_did
from registry_core.events import EventDecoder, get_blocks

router = APIRouter()
HASH = re.compile(r"0x[0-9a-fA-F]{64}")
LATEST = 10


def check_hash(value: str) -> str:
    if not HASH.fullmatch(value):
        raise ExplorerError(400, "bad_hash", value=value[:80])
    return value.lower()


def check_address(value: str) -> str:
    if not (value.startswith("0x") and is_address(value)):
        raise ExplorerError(400, "bad_address", value=value[:80])
    return str(to_checksum_address(value))


def event_rows(request: Request, rows: list[EventRow]) -> list[dict[str, Cell | str | int | None]]:
    explorer = explorer_of(request)
    names, manifest, lang = explorer.names(), explorer.manifest(), language(request)
    out: list[dict[str, Cell | str | int | None]] = []
    for row in rows:
        item = describe(row, names, manifest, lang)
        out.append(
            {
                "block": Cell(str(row.block_number), f"/block/{row.block_number}"),
                "time": item.time,
                "event": row.name,
                "what": item.text,
                "tx": Cell(short(row.tx_hash), f"/tx/{row.tx_hash}"),
            }
        )
    return out


def event_listing(
    request: Request, name: str, rows: list[EventRow], total: int, page: Any
) -> Listing:
    t = render_texts(request)
    return Listing(
        name,
        [
            ("block", t["block"]),
            ("time", t["time"]),
            ("event", t["event"]),
            ("what", t["what"]),
            ("tx", t["tx"]),
        ],
        event_rows(request, rows),
        total,
        page,
    )


def render_texts(request: Request) -> dict[str, str]:
    from explorer.texts import texts

    return texts(language(request))


@router.get("/")
def home(request: Request) -> Response:
    explorer = explorer_of(request)
    head = explorer.head()
    blocks = get_blocks(explorer.rpc, range(max(0, head - LATEST + 1), head + 1))
    latest_blocks = [
        {"number": n, "time": when(int(b["timestamp"], 16)), "txs": len(b["transactions"])}
        for n, b in sorted(blocks.items(), reverse=True)
    ]
    with Session(explorer.engine) as session:
        txs = session.exec(
            select(TxRow)
            .order_by(col(TxRow.block_number).desc(), col(TxRow.tx_index).desc())
            .limit(LATEST)
        ).all()
    names, lang = explorer.names(), language(request)
    latest_txs = [
        {
            "hash": tx.hash,
            "block": tx.block_number,
            "who": names.who(tx.sender, lang),
            "to": names.who(tx.target, lang),
            "function": tx.function or NONE,
        }
        for tx in txs
    ]
    page = paging(request)
    if page.size < 1000:  # the overview shows the latest few; exports and later pages as usual
        page = Paging(page.page, LATEST)
    rows, total = events(explorer.engine, paging=page)
    listing = event_listing(request, "events", rows, total, page)
    return respond(request, "home.html", {"blocks": latest_blocks, "txs": latest_txs}, listing)


@router.get("/status")
def status(request: Request) -> JSONResponse:
    """How far the cache is behind the chain head, and whether the deployment checks out."""
    explorer = explorer_of(request)
    state = explorer.state()
    head = explorer.head()
    indexed = state.indexed_to if state else -1
    return JSONResponse(
        {
            "chain_id": explorer.chain_id(),
            "head": head,
            "indexed_to": indexed,
            "lag_blocks": max(0, head - indexed),
            "index_error": explorer.indexer.last_error,
            "code_mismatches": [m.name for m in explorer.code_mismatches()],
        }
    )


@router.get("/block/{number}")
def block(request: Request, number: str) -> Response:
    if not number.isdigit() or len(number) > 18:
        raise ExplorerError(400, "bad_block", value=number[:40])
    explorer = explorer_of(request)
    head = explorer.rpc.block_number()
    if int(number) > head:
        raise ExplorerError(404, "beyond_head", value=number, head=head)
    found = get_blocks(explorer.rpc, [int(number)], full_transactions=True).get(int(number))
    if found is None:
        raise ExplorerError(404, "beyond_head", value=number, head=head)
    names, lang, manifest = explorer.names(), language(request), explorer.manifest()
    interfaces = {c.address.lower(): c.interface for c in manifest.contracts.values()}
    txs = []
    for tx in found["transactions"]:
        target = (tx.get("to") or "").lower()
        call = (
            interfaces[target].decode_call(bytes.fromhex(tx["input"][2:]))
            if target in interfaces
            else None
        )
        txs.append(
            {
                "hash": tx["hash"],
                "who": names.who(tx["from"], lang),
                "to": names.who(target, lang),
                "function": call.name if call else NONE,
            }
        )
    info = {
        "number": int(number),
        "hash": found["hash"],
        "parent": found["parentHash"],
        "time": when(int(found["timestamp"], 16)),
        "miner": found.get("miner"),
    }
    return render(request, "block.html", {"block": info, "block_txs": txs})


def _call_view(explorer: Any, target: str, data: bytes, lang: str) -> dict[str, Any] | None:
    """The decoded call with its arguments in words; a batch (tryEach) with its inner calls."""
    manifest, names = explorer.manifest(), explorer.names()
    contract = next(
        (c for c in manifest.contracts.values() if c.address.lower() == target.lower()), None
    )
    if contract is None:
        return None
    call = contract.interface.decode_call(data)
    if call is None:
        return {"contract": contract.name, "function": "?", "args": [], "inner": []}
    from explorer.catalog import json_args

    args = json_args(call.args)
    view: dict[str, Any] = {
        "contract": contract.name,
        "function": call.name,
        "args": [(k, word(k, v, call.name, names, lang), v) for k, v in args.items()],
        "inner": [],
    }
    if call.name == "tryEach":
        for raw in call.args.get("calls", []):
            inner = _call_view(explorer, target, bytes(raw), lang)
            if inner:
                view["inner"].append(inner)
    if call.name == "propose" and "target" in args:
        view["decision"] = sentence(
            "ProposalCreated", {**args, "proposer": "", "proposalId": ""}, names, manifest, lang
        )
    return view


@router.get("/tx/{tx_hash}")
def transaction(request: Request, tx_hash: str) -> Response:
    tx_hash = check_hash(tx_hash)
    explorer = explorer_of(request)
    tx, receipt = explorer.rpc.batch(
        [
            ("eth_getTransactionByHash", [tx_hash]),
            ("eth_getTransactionReceipt", [tx_hash]),
        ]
    )
    if not isinstance(tx, dict):
        raise ExplorerError(404, "unknown_tx", value=tx_hash)
    lang, names, manifest = language(request), explorer.names(), explorer.manifest()
    target = tx.get("to") or ""
    call = _call_view(explorer, target, bytes.fromhex(tx["input"][2:]), lang) if target else None
    receipt = receipt if isinstance(receipt, dict) else {}
    ok = receipt.get("status") == "0x1"
    revert = None
    if receipt and not ok:
        revert = _revert_reason(manifest, target, receipt)
    decoder = EventDecoder(manifest)
    logs = []
    for event in decoder.decode_all(receipt.get("logs", [])):
        from explorer.catalog import json_args

        args = json_args(event.args)
        text = sentence(event.name, args, names, manifest, lang)
        if event.name == "BatchedCallFailed":
            text += " → " + _error_text(manifest, target, args.get("revertData", "0x"))
        logs.append({"contract": event.contract, "event": event.name, "what": text})
    info = {
        "hash": tx_hash,
        "block": int(tx["blockNumber"], 16) if tx.get("blockNumber") else None,
        "from": tx["from"],
        "from_who": names.who(tx["from"], lang),
        "from_roles": names.roles(tx["from"], lang),
        "to": target,
        "to_who": names.who(target, lang),
        "ok": ok,
        "pending": not receipt,
        "revert": revert,
    }
    return render(request, "tx.html", {"tx": info, "call": call, "logs": logs})


def _error_text(manifest: Any, target: str, data_hex: str) -> str:
    contract = next(
        (c for c in manifest.contracts.values() if c.address.lower() == target.lower()), None
    )
    try:
        data = bytes.fromhex(str(data_hex)[2:])
    except ValueError:
        return str(data_hex)
    decoded = contract.interface.decode_error(data) if contract and data else None
    return str(decoded) if decoded else (str(data_hex) or NONE)


def _revert_reason(manifest: Any, target: str, receipt: dict[str, Any]) -> str | None:
    """Besu puts the revert data in the receipt (``revertReason``) when asked to; anvil does not,
    and re-running the call at the old block would read historical state, which we never do."""
    data = receipt.get("revertReason")
    return _error_text(manifest, target, data) if isinstance(data, str) else None


@router.get("/account/{address}")
def account(request: Request, address: str) -> Response:
    address = check_address(address)
    explorer = explorer_of(request)
    lang, names = language(request), explorer.names()
    page = paging(request)
    rows, total = events(explorer.engine, key=address.lower(), paging=page)
    with Session(explorer.engine) as session:
        signed = session.exec(
            select(TxRow)
            .where(TxRow.sender == address.lower())
            .order_by(col(TxRow.block_number).desc())
            .limit(50)
        ).all()
    listing = event_listing(request, f"account-{address}", rows, total, page)
    info = {
        "address": address,
        "who": names.who(address, lang),
        "roles": names.roles(address, lang),
        "signed": [
            {"hash": t.hash, "block": t.block_number, "function": t.function or NONE}
            for t in signed
        ],
    }
    return respond(request, "account.html", {"account": info}, listing)


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    query = q.strip()[:200]
    explorer = explorer_of(request)
    if not query:
        raise ExplorerError(400, "bad_query", query="")
    if query.isdigit():
        return RedirectResponse(f"/block/{query}", status_code=303)
    if query.startswith("did:"):
        try:
            did = parse_did(query)
        except DidError:
            raise ExplorerError(400, "bad_query", query=query) from None
        return RedirectResponse(f"/account/{did.address}", status_code=303)
    if re.fullmatch(r"0x[0-9a-fA-F]{40}", query):
        return RedirectResponse(f"/account/{check_address(query)}", status_code=303)
    if HASH.fullmatch(query):
        low = query.lower()
        with Session(explorer.engine) as session:
            subject = session.exec(
                select(EventRow.name).where(EventRow.subject == low).limit(1)
            ).first()
            known_tx = session.get(TxRow, low)
        if subject in ("RecordVersionAnchored", "VersionErased", "BatchVersionErased"):
            return RedirectResponse(f"/records/{low}", status_code=303)
        if subject and subject.startswith("Credential"):
            return RedirectResponse(f"/credentials/{low}", status_code=303)
        if known_tx is not None or explorer.rpc.request("eth_getTransactionByHash", [low]):
            return RedirectResponse(f"/tx/{low}", status_code=303)
        if has_key(explorer.engine, low):
            rows, _ = events(explorer.engine, key=low)
            return RedirectResponse(f"/tx/{rows[0].tx_hash}", status_code=303)
        raise ExplorerError(404, "nothing_found", query=query)
    if re.fullmatch(r"[A-Za-z0-9_\-]{1,32}", query):
        names = explorer.names()
        if query in names.registers:
            return RedirectResponse(f"/registers/{query}", status_code=303)
        if query in names.departments:
            return RedirectResponse(f"/departments#{query}", status_code=303)
        raise ExplorerError(404, "nothing_found", query=query)
    raise ExplorerError(400, "bad_query", query=query)


def args_json(row: EventRow) -> dict[str, Any]:
    return dict(json.loads(row.args))
