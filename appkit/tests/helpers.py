"""For any app's tests: the text a PDF shows (a receipt, a hall report)."""

from __future__ import annotations

import re
import zlib


def pdf_text(pdf: bytes) -> str:
    """The text a PDF of fpdf2's shows (its page streams, inflated, brackets unescaped)."""
    # Up to "endstream" with its line break: a compressed stream may itself end in a byte
    # that looks like one, and zlib stops at its own end, whatever follows.
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S)
    shown = []
    for stream in streams:
        try:
            shown.append(zlib.decompressobj().decompress(stream).decode("latin-1"))
        except zlib.error:
            shown.append(stream.decode("latin-1"))
    return "\n".join(shown).replace("\\(", "(").replace("\\)", ")")
