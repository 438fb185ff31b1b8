"""Printable QR posters for the couldn't-get-it-done windows (one A4 per hall)."""

from __future__ import annotations

import segno

from qinqing.documents import render_pdf


def qr_data_uri(url: str) -> str:
    """The address as a QR code, an SVG data URI (sharp at any print size). Error
    correction M: a poster survives some dirt and a crease."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=10, border=4)


def hall_poster(hall, url: str) -> bytes:
    return render_pdf("portal/poster.html", {"hall": hall, "url": url,
                                             "qr": qr_data_uri(url)})
