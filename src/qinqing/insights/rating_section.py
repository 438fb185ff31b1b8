"""The ratings section of a bulletin (好差评, issue 17 §6): the rating figures, the five
levels, the rating SMS, and each dissatisfied rating with what was done about it, in the
words of a press release.

Every number comes from the metrics registry (metrics.figures); the list of dissatisfied
ratings is read here, as they stood at the end of the period like the figures (the
reply, its time, the follow-up and an upheld appeal before the end; what happened later
is not in it), so a live bulletin of a past period does not change and a published one
is its stored document. Nothing in the section names or numbers a rater: no name, no
phone, no text they wrote; a staff member rated is not named either (a bulletin is
public), only the unit answering for them.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases.models.clocks import Stage, StageClock
from qinqing.insights.metrics import Scope, figures
from qinqing.insights.metrics.masters import master_data
from qinqing.org.models import REGION_KINDS, UnitKind
from qinqing.ratings.appeal_models import Appeal, Decision
from qinqing.ratings.levels import FIRST_BAD, Level, Reason, Round
from qinqing.ratings.models import Rating

LEVELS = [f"ratings_level_{n}" for n in Level.values]
FIGURES = ["ratings_received", *LEVELS, "ratings_active", "ratings_active_share",
           "ratings_default", "ratings_default_share", "bad_ratings", "bad_rating_rate",
           "bad_rectified", "bad_rectified_on_time", "bad_rectified_on_time_rate",
           "follow_ups", "rectification_satisfaction", "ratings_invalid"]
SMS = ["rating_sms_queued", "rating_sms_sent"]
CN_LEVEL = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}


def section(scope: Scope) -> dict:
    """The ratings section of a bulletin document (JSON-able)."""
    values = figures(scope, FIGURES + SMS)
    doc = {
        "figures": [values[name].as_dict() for name in FIGURES if name not in LEVELS],
        "by_level": [values[name].as_dict() for name in LEVELS],
        "sms": [values[name].as_dict() for name in SMS],
        # Officials' visits to enterprises (访企登记, issue 17 §5) are not recorded yet:
        # no figure, said so, never a 0.
        "visits": None,
        "visits_note": _("Officials' visits to enterprises (访企登记) are not recorded in "
                         "Qinqing yet: no figure."),
        "dissatisfied": dissatisfied(scope),
    }
    doc["summary"] = summary(doc)
    return doc


def dissatisfied(scope: Scope) -> list[dict]:
    """Each bad first rating of the period (invalid ones too, said so), oldest first, with
    what was done by the end of the period: one query."""
    until = scope.until
    masters = master_data()
    q = Q()
    if scope.region:
        region = masters.unit_by_code[scope.region]
        q &= Q(region_id__in=[pk for pk in masters.subtree(region)
                              if masters.units[pk].kind in REGION_KINDS])
    if scope.unit:
        q &= Q(answerable_unit_id__in=masters.subtree(masters.unit_by_code[scope.unit]))
    resolve = StageClock.objects.filter(case=OuterRef("case_id"), stage=Stage.RESOLVE)
    follow = Rating.objects.filter(follow_up_of=OuterRef("pk"), rated_at__lt=until)
    rows = (Rating.objects.filter(q, round=Round.FIRST, level__gte=FIRST_BAD,
                                  is_default=False, visit_day__gte=scope.start,
                                  visit_day__lte=scope.end)
            .annotate(
                _invalid=Exists(Appeal.objects.filter(rating=OuterRef("pk"),
                                                      decision=Decision.UPHELD,
                                                      decided_at__lt=until)),
                _replied=Exists(resolve.filter(ended_by="reply", done_at__lt=until)),
                _late=Exists(resolve.filter(
                    Q(done_at__lt=until, on_time=False)
                    | Q(due_at__lt=until) & (Q(done_at__isnull=True) | Q(done_at__gte=until)))),
                _follow_level=Subquery(follow.values("level")[:1]))
            .order_by("rated_at", "pk")
            .values("pk", "rated_at", "level", "reason", "unit_id", "staff_id",
                    "enterprise_id", "rated_case_id", "answerable_unit_id", "_invalid",
                    "_replied", "_late", "_follow_level", "case__number"))
    return [_entry(row, masters) for row in rows]


def _entry(row: dict, masters) -> dict:
    answering = masters.units[row["answerable_unit_id"]].label
    if row["unit_id"]:
        unit = masters.units[row["unit_id"]]
        # A window is named with its hall: "综合受理窗口" alone says nothing.
        rated = f"{answering}{unit.label}" if unit.kind == UnitKind.WINDOW else unit.label
    elif row["staff_id"]:
        rated = f"{answering}工作人员"
    elif row["enterprise_id"]:
        rated = "涉企服务"
    else:
        rated = f"{answering}办理的事项"
    follow = row["_follow_level"]
    if row["_invalid"]:
        state, done = "invalid", "经申诉复核认定为误评或恶意评价，评价无效，不计入统计"
    elif follow is not None and follow < FIRST_BAD:
        state = "followed_up_satisfied"
        done = f"已{_on_time(row)}整改答复，评价人复评“{CN_LEVEL[follow]}”，已办结"
    elif follow is not None:
        state = "followed_up_dissatisfied"
        done = f"已{_on_time(row)}整改答复，评价人复评“{CN_LEVEL[follow]}”，已重新交办整改"
    elif row["_replied"]:
        state, done = "replied", f"已{_on_time(row)}整改答复，待评价人复评"
    else:
        state = "rectifying"
        done = "正在整改" + ("，已超过整改时限" if row["_late"] else "")
    day = timezone.localtime(row["rated_at"]).date()
    return {"date": day.isoformat(), "rated": rated, "answering_unit": answering,
            "level": row["level"], "level_label": CN_LEVEL[row["level"]],
            "reason": str(Reason(row["reason"]).label) if row["reason"] else "",
            "case_number": row["case__number"] or "", "state": state,
            "on_time": None if not row["_replied"] else not row["_late"],
            "follow_up_level": follow, "what_was_done": done,
            "text": f"{_md(day)}，对{rated}的评价为“{CN_LEVEL[row['level']]}”：{done}。"}


def _on_time(row: dict) -> str:
    return "按时" if not row["_late"] else "超时"


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def summary(doc: dict) -> str:
    """The section's paragraph in Chinese, press-release style; every number in it is a
    figure's value, numerator or denominator from the section."""
    f = {fig["name"]: fig for fig in doc["figures"] + doc["by_level"] + doc["sms"]}

    def n(name: str) -> int:
        return int(f[name]["value"])

    parts = []
    received = n("ratings_received")
    if not received:
        parts.append("本期未收到办事企业和群众的评价。")
    else:
        levels = "、".join(f"{CN_LEVEL[level]}{n(f'ratings_level_{level}')}条"
                           for level in Level.values)
        parts.append(f"本期共收到办事企业和群众评价{received}条，其中{levels}；"
                     f"主动评价{n('ratings_active')}条，占{f['ratings_active_share']['text']}，"
                     f"默认评价{n('ratings_default')}条。")
    parts.append(f"发送评价短信{n('rating_sms_queued')}条，短信平台已接收"
                 f"{n('rating_sms_sent')}条；干部走访企业登记暂未纳入平台统计。")
    bad = n("bad_ratings")
    if bad:
        rectified, on_time = n("bad_rectified"), n("bad_rectified_on_time")
        rate = f["bad_rating_rate"]
        head = (f"收到差评{bad}条，差评率{rate['text']}（{rate['numerator']}÷"
                f"{rate['denominator']}），均已转为整改工单")
        if rectified == bad:
            done = f"，均已整改答复，其中按时整改{on_time}条"
        else:
            done = (f"，已整改答复{rectified}条（其中按时整改{on_time}条），"
                    f"正在整改{bad - rectified}条")
        parts.append(head + done + "。")
        follow = f["rectification_satisfaction"]
        if follow["denominator"]:
            parts.append(f"整改后评价人复评{follow['denominator']}条，满意（含基本满意）"
                         f"{follow['numerator']}条，整改满意率{follow['text']}。")
    elif received:
        parts.append("本期未收到差评。")
    invalid = n("ratings_invalid")
    if invalid:
        parts.append(f"另有{invalid}条评价经申诉复核认定无效，未计入以上统计。")
    return "".join(parts)
