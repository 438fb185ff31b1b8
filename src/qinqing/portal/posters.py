"""Printable QR posters for the couldn't-get-it-done windows (one A4 per hall)."""

from __future__ import annotations

from qinqing.documents import qr_data_uri, render_pdf


def hall_poster(hall, url: str) -> bytes:
    return render_pdf("portal/poster.html", {"hall": hall, "url": url,
                                             "qr": qr_data_uri(url)})
