"""What every explorer page shares: the language, rendering with the CSP, refusals in both
languages (HTML for people, problem+json for programs, never a 500), pagination, and the one
export mechanism (``?format=csv|json``) for every list.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from explorer.chain import Explorer
from explorer.texts import PROBLEMS, texts
from registry_core.pages import choose_language

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATIC_URL = "/static"
FORMATS = ("html", "csv", "json")  # and "pdf" for the audit report (routes/report_view.py)
EXPORT_ROWS = 10_000


class ExplorerError(Exception):
    """A refusal: HTTP status, a PROBLEMS key and its parameters."""

    def __init__(self, status: int, key: str, **params: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params

    def text(self, lang: str) -> str:
        pair = PROBLEMS[self.key]
        return pair[0 if lang == "de" else 1].format(**self.params)


def language(request: Request) -> str:
    return choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))


def explorer_of(request: Request) -> Explorer:
    explorer: Explorer = request.app.state.explorer
    return explorer


def wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json" or request.headers.get(
        "accept", ""
    ).startswith(("application/json", "application/problem+json"))


def problem_response(request: Request, problem: ExplorerError) -> Response:
    lang = language(request)
    if wants_json(request):
        return JSONResponse(
            {
                "type": f"urn:city:explorer:{problem.key.replace('_', '-')}",
                "title": problem.text("en"),
                "status": problem.status,
                "detail": {"de": problem.text("de"), "en": problem.text("en")},
            },
            status_code=problem.status,
            media_type="application/problem+json",
        )
    return render(
        request,
        "error.html",
        {"message": problem.text(lang), "status": problem.status},
        status=problem.status,
        chain=False,
    )


def base_context(request: Request, *, chain: bool = True) -> dict[str, Any]:
    """Language, texts and (unless the chain is what failed) the head, lag and code check."""
    lang = language(request)
    context: dict[str, Any] = {
        "lang": lang,
        "t": texts(lang),
        "static": request.scope.get("root_path", "").rstrip("/") + STATIC_URL,
        "path": request.url.path,
        "query": dict(request.query_params),
    }
    if chain:
        explorer = explorer_of(request)
        state = explorer.state()
        head = explorer.head()
        indexed = state.indexed_to if state else -1
        context.update(
            head=head,
            indexed=indexed,
            lag=max(0, head - indexed),
            index_error=explorer.indexer.last_error,
            mismatches=explorer.code_mismatches(),
        )
    return context


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    chain: bool = True,
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, template, {**base_context(request, chain=chain), **context}, status_code=status
    )


@dataclass
class Paging:
    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def paging(request: Request) -> Paging:
    size = explorer_of(request).settings.page_size
    if request.query_params.get("format") in ("csv", "json"):
        size = EXPORT_ROWS  # an export holds the whole list (up to this many rows per page)
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise ExplorerError(400, "bad_input", detail=f"page={raw[:20]}")
    return Paging(int(raw), size)


@dataclass
class Cell:
    text: str
    href: str | None = None


@dataclass
class Listing:
    """One list of a page: columns, rows of cells, and how many rows there are in all."""

    name: str  # export file name, e.g. "records-TRADE"
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[dict[str, Cell | str | int | None]] = field(default_factory=list)
    total: int = 0
    paging: Paging | None = None

    @property
    def pages(self) -> int:
        if self.paging is None:
            return 1
        return max(1, -(-self.total // self.paging.size))

    def plain_rows(self) -> list[dict[str, Any]]:
        return [
            {key: (v.text if isinstance(v, Cell) else v) for key, v in row.items()}
            for row in self.rows
        ]


def export_format(request: Request) -> str:
    chosen = request.query_params.get("format", "html")
    if chosen not in FORMATS:
        raise ExplorerError(400, "bad_format", value=chosen[:20])
    return chosen


def respond(
    request: Request, template: str, context: dict[str, Any], listing: Listing | None = None
) -> Response:
    """The page, or with ``?format=csv|json`` its main list (the same rows, all columns)."""
    chosen = export_format(request)
    if chosen == "html" or listing is None:
        return render(request, template, {**context, "listing": listing})
    head = explorer_of(request).head()
    if chosen == "json":
        body = {
            "data": listing.plain_rows(),
            "count": listing.total,
            "page": listing.paging.page if listing.paging else 1,
            "chain_head": head,
        }
        return Response(
            json.dumps(body, ensure_ascii=False),
            media_type="application/json",
            headers={"Content-Disposition": f'inline; filename="{listing.name}.json"'},
        )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[key for key, _ in listing.columns])
    writer.writerow({key: label for key, label in listing.columns})
    for row in listing.plain_rows():
        writer.writerow({key: row.get(key, "") for key, _ in listing.columns})
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{listing.name}.csv"'},
    )
