"""Payments from the chain alone: fee receipts, channel openings and settlements, totals per
month and department, and a reconciliation per payee: income by receipts (FeePaid,
ChannelSettled) against the token transfers of the same transactions, and the balance by all
transfers against the token's balance now (``balanceOf`` at the latest block: current state)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from explorer.catalog import CHANNEL_EVENTS, NONE
from explorer.queries import events
from explorer.routes.chain_views import event_listing
from explorer.web import explorer_of, language, paging, respond

router = APIRouter()


def _month(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m") if timestamp else NONE


def reconciliation(explorer: Any) -> dict[str, Any]:
    """Totals and the per-payee reconciliation (integers in cents)."""
    engine = explorer.engine
    income_rows, _ = events(engine, names=["FeePaid", "ChannelSettled"], newest_first=False)
    transfers, _ = events(engine, names=["Transfer"], newest_first=False)
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    by_receipts: dict[str, int] = defaultdict(int)
    income_txs: set[str] = set()
    for row in income_rows:
        args = json.loads(row.args)
        amount = int(args["amount"] if row.name == "FeePaid" else args["paid"])
        totals[(_month(row.timestamp), args["department"])][row.name != "FeePaid"] += amount
        by_receipts[args["payee"].lower()] += amount
        income_txs.add(row.tx_hash)
    by_transfers: dict[str, int] = defaultdict(int)
    balances: dict[str, int] = defaultdict(int)
    for row in transfers:
        args = json.loads(row.args)
        value, to, sender = int(args["value"]), args["to"].lower(), args["from"].lower()
        balances[to] += value
        balances[sender] -= value
        if row.tx_hash in income_txs:
            by_transfers[to] += value
    payees = sorted(by_receipts)
    on_chain = _balances(explorer, payees)
    return {
        "totals": [
            {"month": m, "department": d, "fees": f, "channels": c, "total": f + c}
            for (m, d), (f, c) in sorted(totals.items())
        ],
        "payees": [
            {
                "payee": p,
                "income_events": by_receipts[p],
                "income_transfers": by_transfers[p],
                "balance_events": balances[p],
                "balance_chain": on_chain.get(p),
                "ok": by_receipts[p] == by_transfers[p] and balances[p] == on_chain.get(p),
            }
            for p in payees
        ],
    }


def _balances(explorer: Any, payees: list[str]) -> dict[str, int]:
    manifest = explorer.manifest()
    if not payees or "CityToken" not in manifest.contracts:
        return {}
    token = manifest.contract("CityToken")
    calls = [
        (
            "eth_call",
            [
                {
                    "to": token.address,
                    "data": "0x" + token.interface.encode_call("balanceOf", p).hex(),
                },
                "latest",
            ],
        )
        for p in payees
    ]
    replies = explorer.rpc.batch(calls)
    return {p: int(r, 16) for p, r in zip(payees, replies, strict=True) if isinstance(r, str)}


@router.get("/payments")
def payments(request: Request) -> Response:
    explorer = explorer_of(request)
    page = paging(request)
    rows, total = events(explorer.engine, names=["FeePaid"], paging=page)
    listing = event_listing(request, "fee-receipts", rows, total, page)
    channel_rows, _ = events(explorer.engine, names=CHANNEL_EVENTS)
    channels = event_listing(request, "channels", channel_rows[:200], len(channel_rows), None)
    names, lang = explorer.names(), language(request)
    summary = reconciliation(explorer)
    for payee in summary["payees"]:
        payee["who"] = names.who(payee["payee"], lang)
    return respond(request, "payments.html", {"channels": channels, **summary}, listing)
