"""Reminder letters (督办函 / 工作提示函) as PDF, through qinqing.documents.

The letter is an official document in Chinese whatever the reader's interface language,
so its template is written in Chinese rather than translated.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from qinqing.cases.models import Case, Stage
from qinqing.documents import render_pdf
from qinqing.org.models import Unit


def letter_number(prefix: str, year: int, seq: int) -> str:
    """督办〔2026〕第12号"""
    return f"{prefix}〔{year}〕第{seq}号"


def chinese_date(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日"


STAGE_NAMES = {Stage.DISPATCH: "派单", Stage.SIGN: "签收", Stage.RESOLVE: "办理",
               Stage.REVIEW: "单位审核", Stage.CALLBACK: "回访"}


def _moment(iso: str | None) -> str:
    if not iso:
        return ""
    return timezone.localtime(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M")


def render_letter(*, number: str, policy, case: Case, stages: list[dict], unit: Unit,
                  days_overdue: int, issued_at: datetime) -> bytes:
    """One letter per case: a row per late stage (`stages`: {"stage", "due", "started",
    "days_overdue"}, most overdue first); `days_overdue` is the most overdue stage's."""
    return render_pdf("supervision/letter.html", {
        "number": number, "title": policy.letter_title, "unit": unit, "case": case,
        "stages": [{"name": STAGE_NAMES.get(row["stage"], row["stage"]),
                    "started": _moment(row.get("started")), "due": _moment(row["due"]),
                    "days_overdue": row["days_overdue"]} for row in stages],
        "days_overdue": days_overdue, "issued": chinese_date(issued_at),
        "issuing_unit": policy.issuing_unit, "signatory": policy.signatory,
        "contact": policy.contact,
    })
