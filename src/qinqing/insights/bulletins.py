"""What a bulletin holds (domain.md §10), and its press-release summary in Chinese.

Every number here comes from qinqing.insights.metrics; this module only chooses which
figures a bulletin shows, in what order, and puts words around them.

A bulletin is turned into one JSON-able *document* (`document()`): its scope, figures
(each with formula, numerator and denominator), the breakdown tables, the summary and
the typical cases. The web page, the Excel and PDF files, the CLI's JSON and the public
page all render a document — a live one, or the one stored when the bulletin was
published (models.Bulletin.document) — so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qinqing.insights import rating_section
from qinqing.insights.metrics import (
    METRICS, STAGES, Figure, Scope, breakdowns, figures, snapshot,
)

Row = tuple[str, str, Figure]
FORMAT = 1

# The figures of a bulletin, in the order the bulletin lists them.
HEADLINE = ["received", "consultations", "direct_answers", "direct_answer_rate", "routed",
            "closed", "in_progress", "closure_rate", "completion_rate", "other_matters",
            "overdue_now", "response_rate", "resolution_rate", "satisfaction_rate",
            "rated_callbacks", "reopen_rate"]
# Every stage of the case's life, the unit's review included (metrics.STAGES).
STAGE_FIGURES = [f"{what}_{stage}" for stage in STAGES
                 for what in ("on_time_rate", "avg_working_time", "p90_working_time")]
REGION_FIGURES = ["received", "routed", "closed", "closure_rate", "satisfaction_rate"]
ACCOUNTABILITY = "accountability_outcomes"  # with its breakdown by sanction
DESTINATION_ORDER = ["discipline_commission", "city_departments", "counties"]


@dataclass(frozen=True)
class BulletinFigures:
    scope: Scope
    figures: dict[str, Figure]
    by_kind: list[Row]  # received
    by_channel: list[Row]  # received
    by_destination: list[Row]  # routed
    by_region: dict[str, list[Row]]  # REGION_FIGURES
    by_sanction: list[Row]  # ACCOUNTABILITY
    computed_at: datetime = field(default_factory=timezone.now)


def bulletin_figures(scope: Scope, *, now: datetime | None = None) -> BulletinFigures:
    """All the figures of a bulletin for a scope (a fixed number of queries), read as of
    one moment (metrics.snapshot)."""
    with snapshot():
        return _bulletin_figures(scope, now)


def _bulletin_figures(scope: Scope, now: datetime | None) -> BulletinFigures:
    return BulletinFigures(
        scope=scope,
        figures=figures(scope, HEADLINE + STAGE_FIGURES + [ACCOUNTABILITY], now=now),
        by_kind=breakdowns(["received"], scope, "kind")["received"],
        by_channel=breakdowns(["received"], scope, "channel")["received"],
        by_destination=breakdowns(["routed"], scope, "destination")["routed"],
        by_region=breakdowns(REGION_FIGURES, scope, "region", now=now),
        by_sanction=breakdowns([ACCOUNTABILITY], scope, "sanction")[ACCOUNTABILITY],
        computed_at=now or timezone.now(),
    )


# ----------------------------------------------------------------------- document

def document(scope: Scope, *, region_name: str, now: datetime | None = None,
             language: str = "zh-hans") -> dict:
    """The bulletin of a scope as a JSON-able dict (labels in `language`)."""
    from qinqing.insights.queries import typical_cases_in

    with translation.override(language):
        data = bulletin_figures(scope, now=now)
        destinations = {key: row for key, *row in
                        ((k, label, f) for k, label, f in data.by_destination)}
        doc = {
            "format": FORMAT,
            "title": title(scope, region_name),
            "scope": {"start": scope.start.isoformat(), "end": scope.end.isoformat(),
                      "region": scope.region, "region_name": region_name,
                      "unit": scope.unit, "kind": scope.kind, "channel": scope.channel,
                      "category": scope.category},
            "computed_at": timezone.localtime(data.computed_at).isoformat(timespec="seconds"),
            "computed_at_text": f"{timezone.localtime(data.computed_at):%Y-%m-%d %H:%M}",
            "figures": [data.figures[name].as_dict() for name in HEADLINE],
            "stage_figures": [data.figures[name].as_dict() for name in STAGE_FIGURES],
            "by_kind": _rows(data.by_kind),
            "by_channel": _rows(r for r in data.by_channel if r[2].value),
            "by_destination": _rows([(k, *destinations[k]) for k in DESTINATION_ORDER
                                     if k in destinations]),
            "by_region": [{"key": key, "label": label,
                           "figures": [data.by_region[name][i][2].as_dict()
                                       for name in REGION_FIGURES]}
                          for i, (key, label, _f) in enumerate(data.by_region[REGION_FIGURES[0]])
                          if data.by_region["received"][i][2].value],
            "region_columns": [str(METRICS[name].label) for name in REGION_FIGURES],
            # Counts only: who was held accountable stays in qinqing.oversight.
            "accountability": data.figures[ACCOUNTABILITY].as_dict(),
            "by_sanction": _rows(r for r in data.by_sanction if r[2].value),
            "typical_cases": typical_cases_in(scope),
            # 好差评 (issue 17 §6): the figures, and each dissatisfied rating's outcome.
            "ratings": rating_section.section(scope),
            "notes": notes(),
        }
        doc["summary"] = summary(doc)
    return doc


def _rows(rows) -> list[dict]:
    """A breakdown's rows: each figure with its group's key and name (`group`)."""
    return [{**figure.as_dict(), "key": key, "group": label} for key, label, figure in rows]


def title(scope: Scope, region_name: str) -> str:
    return _("%(region)s business-environment figures, %(start)s to %(end)s") % {
        "region": region_name, "start": cn_date(scope.start), "end": cn_date(scope.end)}


def notes() -> list[str]:
    return [
        _("Matters are counted by the day they were received (Asia/Shanghai), from the first "
          "to the last day of the period, and described as they stood at the end of the "
          "period: a case closed later is in progress here, and these figures do not change "
          "when cases move on afterwards."),
        _("Overdue now is counted when the bulletin is computed (see its time)."),
        _("Rates show their numerator and denominator; a rate without any case to count is "
          "shown as —, not 0 %. Percentages are rounded to one decimal only when shown."),
        _("Working time is office time by the working calendar (holidays and make-up working "
          "days included), suspensions excluded."),
    ]


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ------------------------------------------------------------------------ summary

def summary(doc: dict) -> str:
    """A few sentences in Chinese, in the style of a press release. Every number in them
    is a figure's value, numerator, denominator or shown text from the document (and the
    dates of the period); tests/insights/test_bulletins.py checks that."""
    f = {fig["name"]: fig for fig in doc["figures"]}
    dest = {row["key"]: row for row in doc["by_destination"]}
    scope = doc["scope"]
    start, end = date.fromisoformat(scope["start"]), date.fromisoformat(scope["end"])
    region = scope["region_name"]

    def n(name: str) -> str:
        return str(f[name]["value"])

    parts = [f"{cn_date(start)}至{cn_date(end)}，{region}共受理营商环境领域各类诉求{n('received')}件。"]
    if int(n("received")) == 0:
        return parts[0] + "本期没有需要办理的事项。" + _accountability_sentence(doc)
    consult, answered = int(n("consultations")), int(n("direct_answers"))
    if consult:
        tail = "，已全部直接答复" if consult == answered else f"，直接答复{answered}件"
        parts.append(f"其中咨询类{consult}件{tail}，直接答复率{f['direct_answer_rate']['text']}。")
    routed = int(n("routed"))
    if routed:
        pieces = [f"{label}{dest[key]['value']}件" for key, label in
                  (("discipline_commission", "转纪委监委"), ("city_departments", "转市直部门"),
                   ("counties", "转县（市、区）"))
                  if key in dest and int(dest[key]["value"])]
        parts.append(f"转办有关单位{routed}件" + (f"，其中{'、'.join(pieces)}" if pieces else "")
                     + "。")
        rate = f["closure_rate"]
        parts.append(f"截至{cn_date(end)}，转办事项已办结{n('closed')}件，正在办理{n('in_progress')}件，"
                     f"办结率{rate['text']}（{rate['numerator']}÷{rate['denominator']}）。")
    sat = f["satisfaction_rate"]
    if sat["denominator"]:
        parts.append(f"回访评价{sat['denominator']}次，满意率{sat['text']}"
                     f"（{sat['numerator']}÷{sat['denominator']}），"
                     f"问题解决率{f['resolution_rate']['text']}，"
                     f"按时响应率{f['response_rate']['text']}。")
    overdue = int(n("overdue_now"))
    computed = datetime.fromisoformat(doc["computed_at"]).date()
    if overdue:
        parts.append(f"截至{cn_date(computed)}，本期受理的事项中仍有{overdue}件有办理环节超过时限。")
    parts.append(_accountability_sentence(doc))
    if doc["typical_cases"]:
        parts.append("现将本期典型案例一并通报。")
    return "".join(parts)


def _accountability_sentence(doc: dict) -> str:
    """The officials held accountable in the period, by sanction (a document stored before
    accountability joined the bulletin has none)."""
    total = doc.get("accountability")
    if not total or not int(total["value"]):
        return ""
    pieces = "、".join(f"{row['group']}{row['value']}人" for row in doc.get("by_sanction", []))
    return f"本期对{total['value']}名责任人进行了问责" + (f"，其中{pieces}" if pieces else "") + "。"
