"""The audit report: everything the chain says about one register, or about the whole city, in a
block range (a period), with the chain head it was made at; printable HTML, and with
``?format=pdf`` the same report as PDF (``?format=csv|json`` its rows, as for every list)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from explorer.catalog import NONE, RECORD_EVENTS
from explorer.pdf import ReportPdf, latin1, render_pdf
from explorer.queries import events
from explorer.routes.chain_views import event_rows
from explorer.texts import texts
from explorer.web import (
    EXPORT_ROWS,
    Cell,
    ExplorerError,
    Listing,
    Paging,
    explorer_of,
    language,
    respond,
)

router = APIRouter()
REGISTER_EVENTS = (*RECORD_EVENTS, "BatchAnchored")  # what is scoped to a register


def _block(request: Request, name: str, default: int, head: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit():
        raise ExplorerError(400, "bad_block", value=raw[:20])
    if int(raw) > head:
        raise ExplorerError(404, "beyond_head", value=int(raw), head=head)
    return int(raw)


@router.get("/report")
def report(request: Request) -> Response:
    explorer, lang = explorer_of(request), language(request)
    t = texts(lang)
    head = explorer.head()
    register_id = request.query_params.get("register") or None
    names = explorer.names()
    if register_id is not None and register_id not in names.registers:
        raise ExplorerError(404, "unknown_register", value=register_id[:40])
    first = _block(request, "from", 0, head)
    last = _block(request, "to", head, head)
    if first > last:
        raise ExplorerError(400, "bad_input", detail=f"from={first} > to={last}")
    chosen = request.query_params.get("format", "html")
    page = Paging(1, EXPORT_ROWS)  # a report is whole: every row, on one page
    rows, total = events(
        explorer.engine,
        names=REGISTER_EVENTS if register_id else None,
        scope=register_id,
        blocks=(first, last),
        paging=page,
        newest_first=False,
    )
    scope_text = (
        f"{register_id} \u2013 {names.registers[register_id]}" if register_id else t["report_all"]
    )
    listing = Listing(
        f"report-{register_id or 'city'}-{first}-{last}",
        [
            ("block", t["block"]),
            ("time", t["time"]),
            ("event", t["event"]),
            ("subject", t["report_subject"]),
            ("what", t["what"]),
            ("tx", t["tx"]),
        ],
        [
            {**item, "subject": Cell(row.subject or NONE, _subject_link(row.name, row.subject))}
            for row, item in zip(rows, event_rows(request, rows), strict=True)
        ],
        total,
        page,
    )
    facts = [
        (t["register"], scope_text),
        (t["report_range"], f"{first} \u2013 {last}"),
        (t["made_at"], str(head)),
        (t["report_rows"], str(total)),
    ]
    if chosen == "pdf":
        plain = listing.plain_rows()
        for original, out in zip(rows, plain, strict=True):
            out["tx"] = original.tx_hash  # paper has no links: the whole hash
        body = render_pdf(
            ReportPdf(
                title=f"{t['report']}: {scope_text}",
                facts=facts,
                columns=listing.columns,
                rows=plain,
                widths=(5, 9, 13, 21, 36, 21),
                footer=f"{t['title']} · {t['made_at']} {head}",
                empty=t["none"],
            )
        )
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{latin1(listing.name)}.pdf"'},
        )
    query = {k: v for k, v in request.query_params.items() if k in ("register", "from", "to")}
    return respond(
        request,
        "report.html",
        {"heading": f"{t['report']}: {scope_text}", "facts": facts, "report_query": query},
        listing,
    )


def _subject_link(event: str, subject: str | None) -> str | None:
    if subject and event in RECORD_EVENTS:
        return f"/records/{subject}"
    return None
