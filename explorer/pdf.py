"""The audit report as PDF (fpdf2, pure Python, no system libraries): the same heading, block
range, chain head and rows as the printable HTML report.

fpdf2's core font Helvetica is Latin-1 (WinAnsi), which has ä ö ü ß; the few characters the
pages use beyond it (ellipsis, dashes, arrows) are written as their ASCII look-alikes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from explorer.catalog import NONE

_PLAIN = str.maketrans(
    {"\u2026": "...", "\u2013": "-", "\u2014": "-", "\u2192": "->", "\u2260": "!=",
     "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"}
)  # fmt: skip


def latin1(text: Any) -> str:
    """The text as Latin-1 can show it (anything else left becomes ``?``)."""
    plain = (NONE if text is None else str(text)).translate(_PLAIN)
    return plain.encode("latin-1", "replace").decode("latin-1")


@dataclass
class ReportPdf:
    title: str
    facts: list[tuple[str, str]]  # (label, value) lines under the title
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[dict[str, Any]]  # plain rows: key -> text
    widths: tuple[int, ...]  # relative column widths
    footer: str
    empty: str  # what to say when there are no rows


def render_pdf(report: ReportPdf) -> bytes:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(latin1(report.title))
    pdf.set_creator("city-registry explorer")
    pdf.set_auto_page_break(auto=True, margin=12)
    footer = latin1(report.footer)

    def page_footer() -> None:
        pdf.set_y(-10)
        pdf.set_font("helvetica", size=7)
        pdf.cell(0, 5, f"{footer} - {pdf.page_no()}", align="R")

    pdf.footer = page_footer  # type: ignore[method-assign]
    pdf.add_page()
    pdf.set_font("helvetica", "B", 15)
    pdf.multi_cell(0, 8, latin1(report.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("helvetica", size=9)
    for label, value in report.facts:
        pdf.multi_cell(0, 5, latin1(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if not report.rows:
        pdf.cell(0, 6, latin1(report.empty))
        return bytes(pdf.output())
    pdf.set_font("helvetica", size=7)
    with pdf.table(
        col_widths=report.widths,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        line_height=3.6,
        text_align="LEFT",
        repeat_headings=1,
    ) as table:
        table.row([latin1(label) for _, label in report.columns])
        for row in report.rows:
            table.row([latin1(row.get(key)) for key, _ in report.columns])
    return bytes(pdf.output())
