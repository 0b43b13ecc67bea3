"""The audit report of a register or a period: printable HTML with the block range and chain head
it was made at, the same rows as CSV/JSON, and as PDF (its text read back with pypdf)."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.explorer.explorer_seed import REGISTER, Seeded


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(body)).pages
    return "\n".join(page.extract_text() for page in pages)


def test_register_report_as_html_json_and_pdf(
    explorer_client: TestClient, explorer_history: Seeded
) -> None:
    record = _hex(explorer_history.record_a[0].record_id)
    rows = explorer_client.get(f"/report?register={REGISTER}&format=json").json()
    assert rows["count"] == len(rows["data"]) > 0
    assert {r["subject"] for r in rows["data"]} >= {record}
    head = rows["chain_head"]
    first = int(rows["data"][0]["block"])
    html = explorer_client.get(f"/report?register={REGISTER}&to={head}&lang=en")
    assert html.status_code == 200, html.text
    assert "Audit report: EXPLORE \u2013 Explorer-Testregister" in html.text
    assert f"0 \u2013 {head}" in html.text and record in html.text
    assert (
        f'href="/report?register={REGISTER}&amp;to={head}&amp;format=pdf&amp;lang=en"' in html.text
    )
    assert 'id="register-report"' in explorer_client.get(f"/registers/{REGISTER}").text

    pdf = explorer_client.get(
        f"/report?register={REGISTER}&from={first}&to={head}&format=pdf&lang=en"
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "Audit report: EXPLORE - Explorer-Testregister" in text
    assert f"Block range: {first} - {head}" in text and f"Made at chain head: {head}" in text
    assert record in "".join(text.split())  # a hash may wrap inside its table cell

    german = _pdf_text(
        explorer_client.get(f"/report?register={REGISTER}&format=pdf&lang=de").content
    )
    assert "Prüfbericht: EXPLORE" in german and "Blockbereich: 0 -" in german


def test_period_report_holds_only_its_blocks(explorer_client: TestClient) -> None:
    every = explorer_client.get("/report?format=json").json()
    block = int(every["data"][0]["block"])
    period = explorer_client.get(f"/report?from={block}&to={block}&format=json").json()
    assert 0 < period["count"] < every["count"]
    assert {int(r["block"]) for r in period["data"]} == {block}
    text = _pdf_text(
        explorer_client.get(f"/report?from={block}&to={block}&format=pdf&lang=en").content
    )
    assert "all of the city's registers and actions" in text and f"{block} - {block}" in text


def test_report_refusals(explorer_client: TestClient) -> None:
    json = {"Accept": "application/json"}
    assert explorer_client.get("/report?from=9&to=3", headers=json).status_code == 400
    assert explorer_client.get("/report?from=x", headers=json).status_code == 400
    assert explorer_client.get("/report?to=99999999", headers=json).status_code == 404
    unknown = explorer_client.get("/report?register=NOPE&lang=de")
    assert unknown.status_code == 404 and "Es gibt kein Register NOPE" in unknown.text
    assert explorer_client.get(f"/registers/{REGISTER}?format=pdf").status_code == 400
