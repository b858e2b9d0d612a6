"""The bench's mail: each message is made whole (its MIME text, attachments and all, as
SMTP would send it) and dropped, rather than printed (the console backend wrote 10,000
receipts with their PDFs to the bench's output during autopay, and the printing was timed)."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            message.message().as_bytes()
        return len(email_messages)
