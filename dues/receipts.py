"""A payment's receipt: the printable page (views.receipt), a PDF of the same facts
(views.receipt_pdf, and the email that carries it to the member). Each names the local,
what the payment paid and who received it."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from fpdf import FPDF

from appkit.templatetags.office import currency

from .models import Payment, PaymentMethod
from .selectors import payment_application

ONLINE_METHODS = (PaymentMethod.STRIPE_CARD, PaymentMethod.STRIPE_ACH, PaymentMethod.STRIPE_OTHER)


def receipt_issuer() -> list[str]:
    """Who issues the receipt: the local's name, then its address, a line each."""
    return [settings.LOCAL_NAME, *settings.LOCAL_ADDRESS]


def receipt_received_by(payment: Payment) -> str:
    """Who took the money: "Online" for Stripe, else the person who recorded it."""
    if payment.method in ONLINE_METHODS:
        return "Online"
    user = payment.recorded_by
    if user is None:
        return "The union office"
    return user.get_full_name() or user.get_username()


def receipt_facts(payment: Payment) -> list[tuple[str, str]]:
    """What a receipt says, in order: the page, the PDF and the email all say this."""
    facts = [
        ("Received from", f"{payment.member.full_name}, member #{payment.member.member_number}"),
        ("Received on", f"{payment.received_date:%B %d, %Y}" if payment.received_date else "—"),
        (
            "Paid by",
            payment.get_method_display() + (f" ({payment.reference})" if payment.reference else ""),
        ),
        ("Received by", receipt_received_by(payment)),
        ("Amount", currency(payment.amount)),
    ]
    refunds = list(payment.refunds.order_by("refunded_date", "id"))
    facts += [(f"Refunded {r.refunded_date:%b %d, %Y}", f"-{currency(r.amount)}") for r in refunds]
    if refunds:
        facts.append(("Net paid", currency(payment.amount - payment.refunded_amount)))
    facts.append(("Status", payment.get_status_display()))
    return facts + _paid_for(payment)


def _paid_for(payment: Payment) -> list[tuple[str, str]]:
    """What the payment paid when it was received (oldest charges first), and the
    paid-through it left."""
    if not payment.receipt_number:
        return []
    applied = payment_application(payment)
    lines = []
    for covered in applied.covered:
        what = f"{covered.period.first_day:%B %Y} dues: {currency(covered.covered)}"
        if covered.covered != covered.charged:
            what += f" of {currency(covered.charged)}"
        what += (
            " (paid in full)"
            if covered.paid_off
            else f" ({currency(covered.still_owed)} still owed)"
        )
        lines.append(("Paid for" if not lines else "", what))
    if applied.credit_left > 0:
        lines.append(("Kept as credit", f"{currency(applied.credit_left)}, for the next dues"))
    paid_through = applied.paid_through
    lines.append(
        ("Paid through", f"{paid_through.first_day:%B %Y}" if paid_through else "No month yet")
    )
    return lines


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt as a one-page PDF (A4/Letter-safe margins)."""
    pdf = FPDF(format="letter")
    pdf.set_margins(20, 20)
    pdf.add_page()
    pdf.set_title(f"Receipt {payment.receipt}")
    pdf.set_author(_printable(settings.LOCAL_NAME))
    name, *address = receipt_issuer()
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.cell(0, 6, _printable(name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in address:
        pdf.cell(0, 5, _printable(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 6, "Dues receipt", new_x="LMARGIN", new_y="NEXT")
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
        pdf.multi_cell(0, 8, _printable(value), new_x="LMARGIN", new_y="NEXT")
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
    payment = Payment.objects.select_related("member", "recorded_by").get(pk=payment_id)
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
