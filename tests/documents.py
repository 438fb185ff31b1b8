"""Helpers for tests that open the PDFs the platform makes: read their text, and render a
page to PNG (for docs/screenshots/)."""

from __future__ import annotations

import io
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def pdf_text(pdf: bytes) -> str:
    """All the text of a PDF, page after page, as a reader would copy it."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def render_page_png(pdf: bytes, path: Path, page: int = 0, scale: float = 1.5) -> Path:
    """Render one page to a PNG file (pdfium draws it as a viewer would)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        document[page].render(scale=scale).to_pil().save(path)
    finally:
        document.close()
    return path
