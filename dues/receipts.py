"""A payment's receipt: the printable page (views.receipt), a PDF of the same facts, and
the email that carries it to the member."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from fpdf import FPDF

from appkit.templatetags.office import currency

from .models import Payment


def receipt_facts(payment: Payment) -> list[tuple[str, str]]:
    """What a receipt says, in order: the page, the PDF and the email all say this."""
    facts = [
        ("Received from", f"{payment.member.full_name}, member #{payment.member.member_number}"),
        ("Received on", f"{payment.received_date:%B %d, %Y}" if payment.received_date else "—"),
        (
            "Paid by",
            payment.get_method_display() + (f" ({payment.reference})" if payment.reference else ""),
        ),
        ("Amount", currency(payment.amount)),
    ]
    refunds = list(payment.refunds.order_by("refunded_date", "id"))
    facts += [(f"Refunded {r.refunded_date:%b %d, %Y}", f"-{currency(r.amount)}") for r in refunds]
    if refunds:
        facts.append(("Net paid", currency(payment.amount - payment.refunded_amount)))
    facts.append(("Status", payment.get_status_display()))
    return facts


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt as a one-page PDF (A4/Letter-safe margins)."""
    pdf = FPDF(format="letter")
    pdf.set_margins(20, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 6, "Union Hall - dues receipt", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", style="B", size=18)
    pdf.cell(0, 12, f"Receipt {payment.receipt}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in receipt_facts(payment):
        pdf.set_font("Helvetica", size=11)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(45, 8, _printable(label))
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("Helvetica", style="B" if value.startswith(("$", "-$")) else "", size=11)
        pdf.cell(0, 8, _printable(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", size=9)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(
        0,
        5,
        "Applied to the member's dues, oldest charge first. Keep this receipt for your records.",
    )
    return bytes(pdf.output())


def _printable(text: str) -> str:
    # The PDF's built-in fonts know Latin-1 only: other letters print as their nearest
    # ASCII or a "?", never as an error that loses the receipt.
    return text.replace("—", "-").encode("latin-1", "replace").decode("latin-1")


def receipt_send(payment_id: int) -> bool:
    """Email the member their receipt, the PDF attached. False when they have no email."""
    payment = Payment.objects.select_related("member").get(pk=payment_id)
    if not payment.member.email or not payment.receipt:
        return False
    message = EmailMessage(
        subject=f"Your union dues receipt {payment.receipt}",
        body=render_to_string(
            "dues/email/receipt.txt",
            {"payment": payment, "member": payment.member, "facts": receipt_facts(payment)},
        ),
        to=[payment.member.email],
    )
    message.attach(f"receipt-{payment.receipt}.pdf", receipt_pdf(payment), "application/pdf")
    message.send()
    return True
