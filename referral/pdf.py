"""A hall report as a landscape Letter PDF: the local's name, the report's title and what it
shows, then its table, the header again on every page, each page numbered. About 0.6 ms a
row: a list of thousands is laid out by a job (referral/report_files.py)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from fpdf import FPDF


def table_pdf(
    *,
    title: str,
    lines: list[str],
    header: Iterable[str],
    rows: Iterable[Iterable[object]],
    widths: Iterable[float],
) -> bytes:
    """The PDF's bytes; `lines` say what it shows, under the title. The rows are read as
    they come (a job's iterator counts them)."""
    header, widths = list(header), list(widths)
    pdf = _ReportPdf(orientation="landscape", format="letter")
    pdf.set_margins(12, 12)
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_title(_printable(title))
    pdf.set_author(_printable(settings.LOCAL_NAME))
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.cell(0, 6, _printable(settings.LOCAL_NAME), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.multi_cell(0, 8, _printable(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for line in lines:
        pdf.multi_cell(0, 5, _printable(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    scale = (pdf.w - pdf.l_margin - pdf.r_margin) / sum(widths)
    widths = [w * scale for w in widths]
    _pdf_header(pdf, header, widths)
    pdf.set_font("Helvetica", size=8)
    count, fitted = 0, {}
    for row in rows:
        if pdf.will_page_break(5):
            pdf.add_page()
            _pdf_header(pdf, header, widths)
            pdf.set_font("Helvetica", size=8)
        for width, value in zip(widths, row, strict=False):
            text = _text(value)
            # Dates, statuses and tiers repeat down a column: each is measured once.
            if (text, width) not in fitted:
                fitted[text, width] = _fitted(pdf, _printable(text), width)
            pdf.cell(width, 5, fitted[text, width], border="B")
        pdf.ln(5)
        count += 1
    if not count:
        pdf.cell(0, 6, "None.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


class _ReportPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", size=7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"Page {self.page_no()}", align="R")
        self.set_text_color(0, 0, 0)


def _pdf_header(pdf: FPDF, header: list[str], widths: list[float]) -> None:
    pdf.set_font("Helvetica", style="B", size=8)
    for width, name in zip(widths, header, strict=False):
        label = name.replace("_", " ").capitalize()
        pdf.cell(width, 6, _fitted(pdf, label, width), border="B")
    pdf.ln(6)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _fitted(pdf: FPDF, text: str, width: float) -> str:
    """Text cut (with an ellipsis) to fit its column, so a long name never runs into the
    next one."""
    room = width - 2 * pdf.c_margin
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "...") > room:
        text = text[:-1]
    return text + "..."


def _printable(text: str) -> str:
    # The PDF's built-in fonts know Latin-1 only (as dues/receipts.py): other letters
    # print as a "?", never as an error that loses the report.
    return text.replace("—", "-").encode("latin-1", "replace").decode("latin-1")
