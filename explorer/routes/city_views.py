"""The city's views from the cache: registers → records → version history, the council's log,
departments and their accounts, credentials and their status history, accreditations."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from explorer.catalog import (
    ACCREDITATION_EVENTS,
    COUNCIL_EVENTS,
    CREDENTIAL_STATUS_EVENTS,
    DIRECTORY_EVENTS,
    NONE,
    RECORD_EVENTS,
)
from explorer.describe import proposal_text, short, when
from explorer.queries import events, subjects
from explorer.routes.chain_views import check_hash, event_listing
from explorer.texts import texts
from explorer.web import Cell, ExplorerError, Listing, explorer_of, language, paging, respond
from registry_core.registers import ERASURE_REASONS, STATUS_NAMES

router = APIRouter()
_ERASURE_NAMES = {code: name for name, code in ERASURE_REASONS.items()}


@router.get("/registers")
def registers(request: Request) -> Response:
    explorer, t = explorer_of(request), texts(language(request))
    names = explorer.names()
    rows, _ = events(explorer.engine, names=["RegisterCreated"], newest_first=False)
    listing = Listing(
        "registers",
        [
            ("id", t["register"]),
            ("name", t["name"]),
            ("department", t["department"]),
            ("block", t["block"]),
        ],
    )
    for row in rows:
        args = json.loads(row.args)
        listing.rows.append(
            {
                "id": Cell(args["registerId"], f"/registers/{args['registerId']}"),
                "name": args["name"],
                "department": names.department_name(args["owningDepartment"]),
                "block": Cell(str(row.block_number), f"/block/{row.block_number}"),
            }
        )
    listing.total = len(listing.rows)
    return respond(request, "list.html", {"heading": t["registers"]}, listing)


@router.get("/registers/{register_id}")
def register(request: Request, register_id: str) -> Response:
    explorer, t = explorer_of(request), texts(language(request))
    names = explorer.names()
    if register_id not in names.registers:
        raise ExplorerError(404, "unknown_register", value=register_id[:40])
    page = paging(request)
    found, total = subjects(
        explorer.engine, names=["RecordVersionAnchored"], scope=register_id, paging=page
    )
    listing = Listing(
        f"records-{register_id}",
        [
            ("record", t["record"]),
            ("versions", t["versions"]),
            ("first", t["block"]),
            ("last", t["block"] + " (" + t["changes"] + ")"),
        ],
        [
            {
                "record": Cell(record, f"/records/{record}"),
                "versions": n,
                "first": Cell(str(a), f"/block/{a}"),
                "last": Cell(str(b), f"/block/{b}"),
            }
            for record, n, a, b in found
        ],
        total,
        page,
    )
    batches, _ = events(explorer.engine, names=["BatchAnchored"], scope=register_id)
    batch_rows = [
        {
            "root": json.loads(r.args)["merkleRoot"],
            "count": json.loads(r.args)["leafCount"],
            "block": r.block_number,
            "tx": r.tx_hash,
        }
        for r in batches[:50]
    ]
    return respond(
        request,
        "register.html",
        {
            "register_id": register_id,
            "register_name": names.registers[register_id],
            "batches": batch_rows,
        },
        listing,
    )


def record_versions(explorer: Any, record_id: str, lang: str) -> list[dict[str, Any]]:
    """Versions of one record from its events: anchored status, then what amending, closing and
    erasing did to it, with who, when and which transaction."""
    rows, _ = events(explorer.engine, names=RECORD_EVENTS, subject=record_id, newest_first=False)
    names = explorer.names()
    versions: dict[int, dict[str, Any]] = {}
    for row in rows:
        args = json.loads(row.args)
        index = int(args["versionIndex"])
        if row.name == "RecordVersionAnchored":
            for earlier in versions.values():
                if earlier["status"] in ("active", "closed") and earlier["index"] < index:
                    earlier["status"] = "amended"
                    earlier["changes"].append((row, "amended"))
            versions[index] = {
                "index": index,
                "register": args["registerId"],
                "content_hash": args["contentHash"],
                "previous_hash": args["previousHash"],
                "status": STATUS_NAMES.get(int(args["status"]), str(args["status"])),
                "signer": names.who(args["signer"], lang),
                "signer_address": args["signer"],
                "block": row.block_number,
                "time": when(row.timestamp),
                "tx": row.tx_hash,
                "changes": [],
                "erasure": None,
            }
        elif index in versions:
            version = versions[index]
            version["status"] = "erased"
            version["erasure"] = {
                "reason": _ERASURE_NAMES.get(int(args["reasonCode"]), str(args["reasonCode"])),
                "signer": names.who(args["signer"], lang),
                "block": row.block_number,
                "time": when(row.timestamp),
                "tx": row.tx_hash,
            }
    return [versions[i] for i in sorted(versions)]


@router.get("/records/{record_id}")
def record(request: Request, record_id: str) -> Response:
    record_id = check_hash(record_id)
    explorer, lang = explorer_of(request), language(request)
    versions = record_versions(explorer, record_id, lang)
    if not versions:
        raise ExplorerError(404, "unknown_record", value=record_id)
    t = texts(lang)
    listing = Listing(
        f"record-{record_id}",
        [
            ("version", t["version"]),
            ("status", t["status"]),
            ("content_hash", t["content_hash"]),
            ("previous_hash", t["previous_hash"]),
            ("signer", t["from"]),
            ("time", t["time"]),
            ("block", t["block"]),
            ("tx", t["tx"]),
            ("erasure", t["erased"]),
        ],
        [
            {
                "version": v["index"],
                "status": v["status"],
                "content_hash": v["content_hash"],
                "previous_hash": v["previous_hash"],
                "signer": v["signer"],
                "time": v["time"],
                "block": Cell(str(v["block"]), f"/block/{v['block']}"),
                "tx": Cell(short(v["tx"]), f"/tx/{v['tx']}"),
                "erasure": (
                    f"{v['erasure']['reason']} ({v['erasure']['time']})" if v["erasure"] else ""
                ),
            }
            for v in versions
        ],
        len(versions),
    )
    return respond(
        request,
        "record.html",
        {"record_id": record_id, "versions": versions, "register_id": versions[0]["register"]},
        listing,
    )


@router.get("/council")
def council(request: Request) -> Response:
    explorer, lang = explorer_of(request), language(request)
    t, names, manifest = texts(lang), explorer.names(), explorer.manifest()
    rows, _ = events(explorer.engine, names=COUNCIL_EVENTS, newest_first=False)
    proposals: dict[str, dict[str, Any]] = {}
    membership = []
    for row in rows:
        args = json.loads(row.args)
        if row.name == "ProposalCreated":
            proposals[row.subject or ""] = {
                "id": row.subject,
                "text": proposal_text(manifest, args, lang),
                "proposer": names.who(args["proposer"], lang),
                "block": row.block_number,
                "time": when(row.timestamp),
                "confirmations": [],
                "state": t["open"],
                "tx": row.tx_hash,
                "done": None,
            }
        elif row.subject in proposals:
            proposal = proposals[row.subject or ""]
            if row.name == "ProposalConfirmed":
                proposal["confirmations"].append(names.who(args["member"], lang))
            elif row.name == "ConfirmationRevoked":
                who = names.who(args["member"], lang)
                if who in proposal["confirmations"]:
                    proposal["confirmations"].remove(who)
            elif row.name == "ProposalExecuted":
                proposal["state"] = t["executed"]
                proposal["done"] = (
                    row.block_number,
                    row.tx_hash,
                    names.who(args["executor"], lang),
                )
            elif row.name == "ProposalCanceled":
                proposal["state"] = t["canceled"]
                proposal["done"] = (
                    row.block_number,
                    row.tx_hash,
                    names.who(args["canceledBy"], lang),
                )
        else:
            membership.append(row)
    page = paging(request)
    ordered = list(reversed(proposals.values()))
    listing = Listing(
        "council-proposals",
        [
            ("id", t["proposal"]),
            ("text", t["decision"]),
            ("proposer", t["who"]),
            ("confirmations", t["confirmations"]),
            ("state", t["status"]),
            ("block", t["block"]),
        ],
        [
            {
                "id": Cell(str(p["id"]), f"/tx/{p['tx']}"),
                "text": p["text"],
                "proposer": p["proposer"],
                "confirmations": ", ".join(p["confirmations"]) or NONE,
                "state": p["state"],
                "block": Cell(str(p["block"]), f"/block/{p['block']}"),
            }
            for p in ordered[page.offset : page.offset + page.size]
        ],
        len(ordered),
        page,
    )
    member_listing = event_listing(
        request, "council-membership", list(reversed(membership)), len(membership), None
    )
    info = {"members": sorted(names.members), "threshold": names.threshold}
    return respond(
        request, "council.html", {"council": info, "membership": member_listing}, listing
    )


@router.get("/departments")
def departments(request: Request) -> Response:
    explorer, lang = explorer_of(request), language(request)
    t, names = texts(lang), explorer.names()
    page = paging(request)
    rows, total = events(explorer.engine, names=DIRECTORY_EVENTS, paging=page)
    listing = event_listing(request, "directory-changes", rows, total, page)
    listed = [
        {
            "code": d.code,
            "name": d.name,
            "active": t["active"] if d.active else t["suspended"],
            "accounts": d.accounts,
        }
        for d in sorted(names.departments.values(), key=lambda d: d.code)
    ]
    return respond(request, "departments.html", {"departments": listed}, listing)


@router.get("/credentials")
def credentials(request: Request) -> Response:
    explorer, lang = explorer_of(request), language(request)
    t = texts(lang)
    page = paging(request)
    rows, total = events(
        explorer.engine, names=["CredentialAnchored", "CredentialBatchAnchored"], paging=page
    )
    listing = event_listing(request, "credential-anchors", rows, total, page)
    for row, item in zip(rows, listing.rows, strict=True):
        if row.name == "CredentialAnchored":
            item["what"] = Cell(str(item["what"]), f"/credentials/{row.subject}")
    accreditations, _ = events(explorer.engine, names=ACCREDITATION_EVENTS, newest_first=False)
    accredited = event_listing(request, "accreditations", accreditations, len(accreditations), None)
    return respond(
        request,
        "credentials.html",
        {"accreditations": accredited, "heading": t["credentials"]},
        listing,
    )


CREDENTIAL_STATES = {
    "CredentialAnchored": "active",
    "CredentialBatchMemberRecorded": "active",
    "CredentialRevoked": "revoked",
    "CredentialSuspended": "suspended",
    "CredentialResumed": "active",
}


@router.get("/credentials/{credential_hash}")
def credential(request: Request, credential_hash: str) -> Response:
    credential_hash = check_hash(credential_hash)
    explorer = explorer_of(request)
    rows, total = events(
        explorer.engine, names=CREDENTIAL_STATUS_EVENTS, subject=credential_hash, newest_first=False
    )
    if not rows:
        raise ExplorerError(404, "unknown_credential", value=credential_hash)
    listing = event_listing(request, f"credential-{credential_hash}", rows, total, None)
    # Status records are per issuing department: another department's record of the same hash
    # (e.g. a front-run anchor) has its own state and never changes the issuer's.
    states: dict[str, str] = {}
    for row in rows:
        department = str(json.loads(row.args).get("issuerDepartment", ""))
        states[department] = CREDENTIAL_STATES[row.name]
    state = (
        next(iter(states.values()))
        if len(states) == 1
        else "; ".join(f"{department}: {value}" for department, value in states.items())
    )
    return respond(
        request, "credential.html", {"credential_hash": credential_hash, "state": state}, listing
    )
