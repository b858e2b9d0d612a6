"""The repository stands on its own: every document the code and README cite is in docs/,
and every section cited ("docs/design.md §9", "docs/domain.md §3-4") is one of its headings;
nothing cites a document a clone does not hold."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"docs/(\w+)\.md(?: §(\d+)(?:[-\u2013](\d+))?)?")
# The names the documents had before they were brought into docs/.
OUTSIDE = re.compile(r"\b(?:DESIGN|DOMAIN) §|(?<![\w/])(?:DESIGN|DOMAIN|STYLE)\.md")


def cited_in() -> list[Path]:
    found = []
    for pattern in ("*.py", "*.md", "*.html"):
        for path in ROOT.rglob(pattern):
            parts = path.relative_to(ROOT).parts
            if parts[0] in {".venv", ".git", "node_modules", "staticfiles"}:
                continue
            found.append(path)
    return found


def sections(document: Path) -> set[int]:
    return {int(n) for n in re.findall(r"^## (\d+)\.", document.read_text(), re.MULTILINE)}


def test_every_cited_document_and_section_is_in_docs():
    wrong = []
    for path in cited_in():
        for match in CITATION.finditer(path.read_text(errors="replace")):
            name, first, last = match[1], match[2], match[3]
            document = ROOT / "docs" / f"{name}.md"
            if not document.is_file():
                wrong.append((str(path.relative_to(ROOT)), match[0]))
                continue
            wanted = range(int(first), int(last or first) + 1) if first else []
            if not set(wanted) <= sections(document):
                wrong.append((str(path.relative_to(ROOT)), match[0]))
    assert wrong == []


def test_nothing_cites_a_document_outside_the_repository():
    wrong = [
        (str(path.relative_to(ROOT)), match[0])
        for path in cited_in()
        for match in OUTSIDE.finditer(path.read_text(errors="replace"))
    ]
    assert wrong == []
