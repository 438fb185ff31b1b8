"""Printable documents: a Django template rendered to PDF by WeasyPrint, in Chinese.

Reminder letters (督办函) and bulletins are read on paper and in PDF, so every PDF the
platform makes comes from here: one base stylesheet, one font check. WeasyPrint draws
text with the fonts fontconfig knows; without a font that covers Chinese it would print
empty boxes, so `render_pdf` refuses with a message that says what to install instead.
Debian's `fonts-noto-cjk` (what `make run` installs as root) or `fonts-wqy-microhei`
render correctly.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# Tried in this order by the stylesheet (templates/documents/base.html); any one will do.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC",
                "WenQuanYi Micro Hei", "WenQuanYi Zen Hei")


class DocumentUnavailable(RuntimeError):
    """A PDF cannot be made on this machine (no PDF library, or no Chinese font)."""


@functools.cache
def cjk_fonts() -> tuple[str, ...]:
    """The font families fontconfig offers for Chinese text (empty: none, or no fc-list)."""
    if shutil.which("fc-list") is None:
        return ()
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                             text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    families = {name.strip() for line in out.splitlines() for name in line.split(",")}
    return tuple(sorted(f for f in families if f))


def check_pdf_support() -> None:
    """Raise DocumentUnavailable, saying what to install, unless PDFs can be made here."""
    try:
        import weasyprint  # noqa: F401  (needs the pango library at import)
    except (ImportError, OSError) as exc:
        raise DocumentUnavailable(_(
            "PDF documents cannot be made on this server: WeasyPrint is unavailable (%(error)s). "
            "Install the pango library (Debian: apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0).") % {"error": exc}) from None
    if not cjk_fonts():
        raise DocumentUnavailable(_(
            "PDF documents cannot be made on this server: no font for Chinese text is "
            "installed, and the document would print empty boxes. Install one "
            "(Debian: apt-get install fonts-noto-cjk)."))


def qr_data_uri(url: str) -> str:
    """The address as a QR code, an SVG data URI (sharp at any print size). Error
    correction M: a printed code survives some dirt and a crease. Keep `url` ASCII: some
    readers garble other text."""
    import segno

    return segno.make(url, error="m", micro=False).svg_data_uri(scale=10, border=4)


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a template that extends documents/base.html into PDF bytes."""
    check_pdf_support()
    from weasyprint import HTML

    html = render_to_string(template_name, {**context, "cjk_families": CJK_FAMILIES})
    return HTML(string=html).write_pdf()
