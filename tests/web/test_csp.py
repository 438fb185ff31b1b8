"""The Content-Security-Policy: sent on every page, and no template needs an exception."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import qinqing

ROOT = Path(qinqing.__file__).resolve().parent
# Printable documents are rendered to PDF by WeasyPrint, never served to a browser.
PAGES = [p for p in ROOT.glob("**/templates/**/*.html") if "templates/documents" not in str(p)]


@pytest.mark.django_db
def test_every_answer_carries_the_policy(client):
    for answer in (client.get("/login/"), Client().get("/api/v1/track/QQ-1?code=x")):
        policy = answer["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'", policy
        assert directives["style-src"] == "'self'", policy
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


def test_templates_have_no_inline_script_style_or_handler():
    assert PAGES
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)[^>]*>")
    offending = []
    for path in PAGES:
        text = path.read_text()
        for pattern in (inline_script, re.compile(r"<style\b"), re.compile(r"\sstyle="),
                        re.compile(r"\son[a-z]+=\s*[\"']"), re.compile(r"javascript:"),
                        re.compile(r"\shx-on")):
            offending += [f"{path.relative_to(ROOT)}: {m.group(0)}"
                          for m in pattern.finditer(text)]
    assert not offending, "\n".join(offending)
