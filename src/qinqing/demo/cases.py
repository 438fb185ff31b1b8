"""The demo city's assignment catalogue and a believable volume of demo cases.

`build_demo_catalogue()` routes every top-level category (and some children) to the
city department that would own it, and approval services and law enforcement in each
county to the county's own department.

`build_demo_cases(n, seed=...)` files n fictional cases with full histories spread over
the last four months. It never sets a state or writes an event itself: every case is
registered with services.create_case and moved with services.perform, each move
back-dated with `now=` and all moves of all cases made in chronological order, as the
hotline, the dispatcher, the units' handlers and the callback agents would have made
them. About half the matters are consultations answered directly (Linfen's line
answered 89% so; the demo routes more, so that the unit ranking has enough cases); most
routed matters land on ten busy units (LEAD_WEIGHTS), and the rest are drawn freely.
The routed ones are dispatched along the catalogue, and end up signed, returned
and re-dispatched, extended, suspended, replied, sent back, called back satisfied,
reopened, merged, rejected or not accepted, or are still open (some of them overdue).
The same seed gives the same cases. Running it again adds another n cases.
"""

from __future__ import annotations

import heapq
import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any, Callable

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from qinqing.demo import case_texts as texts
from qinqing.cases.models import Case, Category, StageClock, State
from qinqing.cases.queries import propose_assignment
from qinqing.cases.routing_import import RuleRow, import_assignment_rules
from qinqing.demo.city import CITY_CODE, CITY_DEPARTMENTS, CITY_NAME, COUNTIES, DEMO_PASSWORD
from qinqing.org.models import Role, Unit, User
from qinqing.org.services import ensure_staff
from qinqing.worktime.calendar import SHANGHAI, add_office_time, office_time_between
from qinqing.worktime.queries import current_calendar

# ------------------------------------------------------------------------ catalogue

CITY_DEPT = {name: f"{CITY_CODE}-D{i:02d}" for i, name in enumerate(CITY_DEPARTMENTS, start=1)}
DISCIPLINE = f"{CITY_CODE}-JW"
ZONE_CODE = "990171"
HOME_DISTRICT = "990102"  # 河阳区, where the demo's unit logins work
_BASIS = f"{CITY_NAME}营商环境投诉派单目录（演示数据）：{{unit}}权责清单"

# (category, lead unit, co-units); department names as in org.demo.CITY_DEPARTMENTS.
CATALOGUE = [
    ("SPFW", "行政审批服务管理局", []),
    ("ZFJG", "市场监督管理局", []),
    ("ZCLS", "发展和改革委员会", []),
    ("YSBZ", "工业和信息化局", []),
    ("TQZK", "财政局", ["发展和改革委员会"]),
    ("ZWCX", "财政局", ["发展和改革委员会"]),
    ("GBZF", "纪委监委", []),
    ("SQSF", "市场监督管理局", []),
    ("SCHJ", "市场监督管理局", []),
    ("QT", "营商环境建设局", []),
    ("ZCLS-03", "财政局", ["工业和信息化局"]),
    ("YSBZ-02", "自然资源和规划局", []),
    ("YSBZ-03", "地方金融管理局", []),
    ("YSBZ-04", "人力资源和社会保障局", []),
    ("TQZK-02", "住房和城乡建设局", ["财政局"]),
    ("ZWCX-01", "商务局", ["发展和改革委员会"]),
    ("SQSF-03", "民政局", ["市场监督管理局"]),
    ("SCHJ-02", "发展和改革委员会", ["财政局"]),
]
# Per county: these categories go to the county's own department.
COUNTY_CATALOGUE = [("SPFW", "XZSP", "行政审批服务管理局"), ("ZFJG", "SCJG", "市场监督管理局")]


def _unit_code(name: str) -> str:
    return DISCIPLINE if name == "纪委监委" else CITY_DEPT[name]


def demo_catalogue_rows() -> list[RuleRow]:
    rows = []
    for category, lead, co in CATALOGUE:
        rows.append(RuleRow(row=len(rows) + 1, category=category, lead_unit=_unit_code(lead),
                            co_units=tuple(_unit_code(n) for n in co),
                            basis=_BASIS.format(unit=f"市{lead}")))
    for county, county_name in COUNTIES:
        for category, suffix, dept in COUNTY_CATALOGUE:
            rows.append(RuleRow(row=len(rows) + 1, category=category, region=county,
                                lead_unit=f"{county}-{suffix}",
                                basis=_BASIS.format(unit=f"{county_name}{dept}")))
    return rows


def build_demo_catalogue() -> dict[str, int]:
    """Create (or refresh) the demo catalogue through the import service. Safe to rerun."""
    rows = demo_catalogue_rows()
    return {"rules": len(rows), **import_assignment_rules(rows)}


# ---------------------------------------------------------------------- templates

@dataclass(frozen=True)
class Template:
    category: str
    kind: str
    title: str
    content: str
    answer: str = ""


_KINDS = {"c": "complaint", "r": "report", "h": "help", "s": "suggestion", "p": "praise",
          "q": "consultation"}


def _templates() -> list[Template]:
    result = []
    for line in texts.TEMPLATES.strip().splitlines():
        category, kind, title, content, *answer = line.split("|")
        result.append(Template(category, _KINDS[kind], title, content, *answer))
    return result


TEMPLATES = _templates()
TOP_WEIGHTS = {"SPFW": 25, "ZFJG": 15, "ZCLS": 12, "YSBZ": 10, "TQZK": 13, "ZWCX": 5,
               "GBZF": 6, "SQSF": 6, "SCHJ": 5, "QT": 3}
# Where a unit says a case is not theirs, the dispatcher's other candidate.
ALTERNATE = {"SPFW": "住房和城乡建设局", "ZFJG": "城市管理局", "ZCLS": "财政局",
             "YSBZ": "发展和改革委员会", "TQZK": "住房和城乡建设局", "ZWCX": "发展和改革委员会",
             "SQSF": "发展和改革委员会", "SCHJ": "财政局", "QT": "工业和信息化局"}
# Where routed matters land. Complaint lines are concentrated: a few departments take most
# matters, and a unit ranking needs enough cases behind each unit's rates. So the demo
# picks most routed matters' lead unit first (these weights; department names, or a
# district's catalogue suffix), then a matter and a place the catalogue routes to it; a
# TAIL_SHARE of them is drawn freely (any category, any region), so other units get a few.
LEAD_WEIGHTS = {"行政审批服务管理局": 14, "市场监督管理局": 14, "发展和改革委员会": 10, "财政局": 10,
                "住房和城乡建设局": 8, "工业和信息化局": 7, "营商环境建设局": 6, "纪委监委": 5,
                "XZSP": 9, "SCJG": 9}
TAIL_SHARE = 0.05
CHANNELS = [("hotline", 55), ("web", 15), ("window_qr", 5), ("enterprise_qr", 6),
            ("cannot_do_window", 4), ("mayor_mailbox", 5), ("rating", 3),
            ("enterprise_visit", 3), ("monitoring_point", 2), ("transfer", 2)]

# Scenario → weight among the cases not forced (see FORCED). Merged counts two cases.
SCENARIOS = [("direct", 200), ("resolved", 70), ("returned", 8), ("upheld", 3), ("reopened", 10),
             ("merged", 7), ("rejected", 6), ("not_accepted", 10), ("extended", 8),
             ("suspended", 3), ("sent_back", 5), ("stuck", 10)]
# One of each, first, so that even a small demo shows every state and outcome.
FORCED: list[tuple[str, dict]] = [
    ("direct", {}), ("resolved", {}), ("reopened", {}), ("merged", {}),
    ("stuck", {"stop": "received"}), ("fresh", {"stop": "received"}),
    ("fresh", {"stop": "dispatched"}), ("fresh", {"stop": "handling"}),
    ("fresh", {"stop": "returned"}), ("fresh", {"stop": "replied"}),
    ("fresh", {"stop": "reviewed"}), ("rejected", {}), ("not_accepted", {}),
    ("extended", {}), ("suspended", {"open": True}), ("returned", {}),
    ("stuck", {"stop": "handling"}), ("stuck", {"stop": "dispatched"}),
    ("reopened", {"open": True}), ("upheld", {}), ("sent_back", {}), ("suspended", {}),
    ("extended", {"deny": True}),
    # Work on the desks of the demo unit logins (handler and leader of 990102-SCJG,
    # handler2 of 990103-SCJG): law-enforcement matters in their county go to them.
    *[("fresh", {"stop": stop, "top": "ZFJG", "region": "990102"})
      for stop in ("dispatched", "dispatched", "handling", "handling", "replied", "reviewed")],
    ("stuck", {"stop": "handling", "top": "ZFJG", "region": "990102"}),
    ("fresh", {"stop": "dispatched", "top": "ZFJG", "region": "990103"}),
    ("fresh", {"stop": "handling", "top": "ZFJG", "region": "990103"}),
]
SPAN_DAYS = 120
OFFICE_SHARE = 0.82  # of cases received on a working day in office hours


# ------------------------------------------------------------------------- planning

@dataclass
class Step:
    at: datetime
    action: str  # "create" or a move of the transition table
    actor: str  # username
    payload: dict | Callable[["Plan"], tuple[str, dict]] = field(default_factory=dict)


@dataclass
class Plan:
    index: int
    scenario: str
    data: dict
    steps: list[Step] = field(default_factory=list)
    number: str = ""
    state: str = ""
    target: "Plan | None" = None  # for a merge


def _handler_username(unit_code: str) -> str:
    return {"990102-SCJG": "handler", "990103-SCJG": "handler2"}.get(unit_code,
                                                                     f"h-{unit_code}")


def _reviewer(unit_code: str) -> str:
    return "leader" if unit_code == "990102-SCJG" else "dispatcher"


class _Planner:
    def __init__(self, rng: random.Random, cutoff: datetime):
        self.rng = rng
        self.cutoff = cutoff
        self.calendar = current_calendar()
        self.units = {u.code: u for u in Unit.objects.all()}
        self.categories = {c.code: c for c in Category.objects.filter(is_active=True)}
        self.proposals: dict[tuple[str, str], tuple[str, list[str]]] = {}
        self.by_top: dict[str, list[Template]] = {}
        for t in TEMPLATES:
            if t.category in self.categories:
                self.by_top.setdefault(t.category.split("-")[0], []).append(t)
        self.consultations = [t for ts in self.by_top.values() for t in ts
                              if t.kind == "consultation"]
        regions = [(CITY_CODE, 30), (ZONE_CODE, 6)]
        regions += [(code, 9 if code in ("990102", "990103", "990104") else 2.5)
                    for code, _ in COUNTIES]
        self.regions = [(c, w) for c, w in regions if c in self.units]
        self.counter = 0
        self.leads = [(f"{HOME_DISTRICT}-{key}" if key.isascii() else _unit_code(key), w)
                      for key, w in LEAD_WEIGHTS.items()]

    # -- random helpers
    def pick(self, weighted):
        items, weights = zip(*weighted)
        cum = list(accumulate(weights))
        return items[bisect(cum, self.rng.random() * cum[-1])]

    def office(self, t: datetime, lo: float, hi: float) -> datetime:
        return add_office_time(self.calendar, t, timedelta(minutes=self.rng.uniform(lo, hi)))

    def natural(self, t: datetime, lo: float, hi: float) -> datetime:
        return t + timedelta(minutes=self.rng.uniform(lo, hi))

    def before(self, end: datetime, office_minutes: float) -> datetime:
        """The latest moment with `office_minutes` of office time between it and `end`."""
        want = timedelta(minutes=office_minutes)
        lo, hi = end - timedelta(days=40), end
        for _ in range(40):
            mid = lo + (hi - lo) / 2
            if office_time_between(self.calendar, mid, end) >= want:
                lo = mid
            else:
                hi = mid
        return lo.replace(microsecond=0)

    def received_at(self, min_days: float = 0, max_days: float = SPAN_DAYS) -> datetime:
        local_cutoff = timezone.localtime(self.cutoff, SHANGHAI)
        for _ in range(20):
            back = min_days + (max_days - min_days) * self.rng.random() ** 1.15
            day = local_cutoff.date() - timedelta(days=int(back))
            if self.rng.random() < OFFICE_SHARE:
                if not self.calendar.is_workday(day):
                    continue
                moment = self._office_minute(day, self.rng.random())
            else:
                minute = self.rng.uniform(7.5 * 60, 22 * 60)
                moment = datetime.combine(day, time()) + timedelta(minutes=minute)
            moment = moment.replace(second=int(self.rng.random() * 60), tzinfo=SHANGHAI)
            if moment < self.cutoff - timedelta(minutes=30):
                return moment
        return self.cutoff - timedelta(days=max(min_days, 1))

    def _office_minute(self, day: date, share: float) -> datetime:
        periods = self.calendar.office_hours.periods
        lengths = [(datetime.combine(day, e) - datetime.combine(day, s)).total_seconds() / 60
                   for s, e in periods]
        minute = share * sum(lengths)
        for (start, _end), length in zip(periods, lengths):
            if minute < length:
                return datetime.combine(day, start) + timedelta(minutes=minute)
            minute -= length
        return datetime.combine(day, periods[-1][0])

    # -- what a case is about
    def case_data(self, kind_filter: str, top: str | None = None, *,
                  exclude_tops: tuple[str, ...] = (), template: Template | None = None,
                  anonymous_share: float = 0.0, channel: str | None = None,
                  region: str | None = None) -> dict:
        rng = self.rng
        if template is None:
            if kind_filter == "consultation":
                template = rng.choice(self.consultations)
            else:
                tops = [(t, w) for t, w in TOP_WEIGHTS.items()
                        if t in self.by_top and t not in exclude_tops]
                top = top or self.pick(tops)
                choices = [t for t in self.by_top[top] if t.kind != "consultation"]
                template = rng.choice(choices)
        region = region or self.pick(self.regions)
        place = self._place(region)
        enterprise = self.enterprise(place)
        values = dict(ent=enterprise, place=place, n=rng.randint(8, 75), k=rng.randint(3, 8),
                      amt=rng.choice([2, 3, 5, 8, 12, 18, 26, 35, 48, 60, 85, 120]),
                      m=rng.randint(1, 12))
        kind = template.kind
        if channel is None:
            if kind == "consultation":
                channel = self.pick([("hotline", 85), ("web", 15)])
            elif kind == "report":
                channel = self.pick([("hotline", 60), ("web", 25), ("mayor_mailbox", 15)])
            elif template.category in ("SPFW-02", "SPFW-05"):
                channel = self.pick([("hotline", 40), ("window_qr", 30), ("cannot_do_window", 30)])
            else:
                channel = self.pick(CHANNELS)
        anonymous = rng.random() < anonymous_share
        data = {
            "kind": kind, "channel": channel, "category": template.category,
            "urgency": "normal", "title": template.title.format(**values)[:120],
            "content": template.content.format(**values),
            "enterprise_name": enterprise if "{ent}" in template.content else "",
            "region": region, "subject_unit": self._subject(template, region),
            "anonymous": anonymous,
        }
        if not anonymous:
            data["reporter"] = self.reporter(data["enterprise_name"])
        data["_answer"] = template.answer.format(**values) if template.answer else ""
        data["_values"] = values
        return data

    def routed_to(self, lead: str, exclude_tops: tuple[str, ...]) -> tuple[Template | None,
                                                                           str | None]:
        """A matter (template) and a region the catalogue routes to `lead`; (None, None)
        when none is found, and the matter is then drawn freely."""
        tops = [t for t in self.by_top if t not in exclude_tops]
        for _draw in range(12):
            region = HOME_DISTRICT if lead.startswith(HOME_DISTRICT) else self.pick(self.regions)
            matters = [t for top in tops for t in self.by_top[top] if t.kind != "consultation"
                       and self.proposal(t.category, region)[0] == lead]
            if matters:
                return self.rng.choice(matters), region
        return None, None

    def _place(self, region: str) -> str:
        if region == CITY_CODE:
            return CITY_NAME
        if region == ZONE_CODE:
            return f"{CITY_NAME}经济技术开发区"
        return self.units[region].short_name or self.units[region].name

    def _subject(self, template: Template, region: str) -> str | None:
        windows = [c for c in (f"{region}-W01", f"{region}-W02") if c in self.units]
        if region == CITY_CODE:
            windows = [f"{CITY_CODE}-W{i:02d}" for i in range(1, 7)
                       if f"{CITY_CODE}-W{i:02d}" in self.units]
        if template.category in ("SPFW-02", "SPFW-03", "SPFW-05") and windows:
            return self.rng.choice(windows)
        if template.kind == "report":
            if region == CITY_CODE:
                return self.rng.choice([CITY_DEPT["市场监督管理局"], CITY_DEPT["城市管理局"],
                                        CITY_DEPT["行政审批服务管理局"]])
            candidates = [c for c in (f"{region}-XZSP", f"{region}-SCJG", f"{region}-ZJ")
                          if c in self.units]
            return self.rng.choice(candidates) if candidates else None
        return None

    def enterprise(self, place: str) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return f"{place}{rng.choice(texts.SURNAMES)}记{rng.choice(texts.SHOPS)}"
        prefix = CITY_NAME if roll < 0.7 or place == CITY_NAME else place
        return f"{prefix}{rng.choice(texts.BRAND_PAIRS)}{rng.choice(texts.INDUSTRIES)}有限公司"

    def person(self) -> str:
        rng = self.rng
        given = rng.choice(texts.GIVEN) + (rng.choice(texts.GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(texts.SURNAMES) + given

    def reporter(self, enterprise: str) -> dict:
        # 1380000xxxx: a block no real subscriber number is handed out from in the demo.
        return {"name": self.person(), "phone": f"1380000{self.rng.randint(0, 9999):04d}",
                "enterprise": enterprise}

    def proposal(self, category: str, region: str) -> tuple[str, list[str]]:
        key = (category, region)
        if key not in self.proposals:
            rule = propose_assignment(self.categories[category], self.units[region])
            self.proposals[key] = ((rule.lead_unit.code, [u.code for u in rule.co_units.all()])
                                   if rule else (CITY_DEPT["营商环境建设局"], []))
        return self.proposals[key]

    def alternate(self, data: dict, lead: str) -> str:
        top = data["category"].split("-")[0]
        other = CITY_DEPT[ALTERNATE.get(top, "营商环境建设局")]
        return other if other != lead else CITY_DEPT["营商环境建设局"]

    def short(self, code: str) -> str:
        unit = self.units[code]
        return unit.short_name or unit.name

    def reply_text(self, data: dict, lead: str, at: datetime, again: bool = False) -> str:
        values = dict(data["_values"], unit=self.short(lead),
                      date=f"{timezone.localtime(at, SHANGHAI) - timedelta(days=1):%-m月%-d日}")
        if again:
            return self.rng.choice(texts.REPLY_AGAIN).format(**values)
        if data["kind"] == "praise":
            return texts.REPLY_PRAISE
        if data["kind"] == "suggestion":
            return texts.REPLY_SUGGESTION
        top = data["category"].split("-")[0]
        return self.rng.choice(texts.REPLIES.get(top, texts.REPLIES["*"])).format(**values)

    # -- scenarios
    def new(self, scenario: str, data: dict) -> Plan:
        plan = Plan(self.counter, scenario, data)
        self.counter += 1
        return plan

    def plans_for(self, scenario: str, options: dict) -> list[Plan]:
        return getattr(self, f"_{scenario}")(**options)

    def _direct(self) -> list[Plan]:
        data = self.case_data("consultation", anonymous_share=0.15)
        plan = self.new("direct", data)
        at = self.received_at()
        plan.steps.append(Step(at, "create", "intake", data))
        answered = (self.natural(at, 2, 12) if data["channel"] == "hotline"
                    else self.office(at, 10, 150))
        plan.steps.append(Step(answered, "answer", "intake", {"answer": data["_answer"]}))
        return [plan]

    def _rejected(self) -> list[Plan]:
        category, title, content, reason = self.rng.choice(texts.REJECT_CASES)
        data = self.case_data("any", template=Template(category, "complaint", title, content),
                              anonymous_share=0.4, channel="hotline")
        data["enterprise_name"] = ""
        if data.get("reporter"):
            data["reporter"]["enterprise"] = ""
        plan = self.new("rejected", data)
        at = self.received_at()
        plan.steps.append(Step(at, "create", "intake", data))
        plan.steps.append(Step(self.office(at, 5, 45), "reject", "dispatcher", {"reason": reason}))
        return [plan]

    def _not_accepted(self) -> list[Plan]:
        category, title, content, reason, told = self.rng.choice(texts.NOT_ACCEPTED_CASES)
        data = self.case_data("any", template=Template(category, "complaint", title, content),
                              anonymous_share=0.1, channel="hotline")
        plan = self.new("not_accepted", data)
        at = self.received_at()
        plan.steps.append(Step(at, "create", "intake", data))
        values = data["_values"]
        plan.steps.append(Step(self.natural(at, 4, 15), "not_accept", "intake",
                               {"reason": reason, "told": told.format(**values)}))
        return [plan]

    def _start(self, scenario: str, *, at: datetime | None = None, urgent_share: float = 0,
               exclude_tops: tuple[str, ...] = (), channel: str | None = None,
               top: str | None = None, region: str | None = None):
        template = None
        if not (top or region) and self.rng.random() >= TAIL_SHARE:
            template, region = self.routed_to(self.pick(self.leads), exclude_tops)
        data = self.case_data("any", top, exclude_tops=exclude_tops, channel=channel,
                              region=region, template=template)
        if data["kind"] in ("complaint", "help") and self.rng.random() < urgent_share:
            data["urgency"] = "urgent"
        plan = self.new(scenario, data)
        at = at or self.received_at()
        plan.steps.append(Step(at, "create", "intake", data))
        return plan, at

    def _dispatch(self, plan: Plan, at: datetime, *, fast: bool = False) -> tuple[datetime, str]:
        data = plan.data
        lead, co = self.proposal(data["category"], data["region"])
        late = self.rng.random() < 0.06
        at = (self.natural(at, 5, 40) if fast else
              self.office(at, 65, 240) if late else self.office(at, 4, 50))
        plan.steps.append(Step(at, "dispatch", "dispatcher", {"lead_unit": lead, "co_units": co}))
        return at, lead

    def _sign(self, plan: Plan, at: datetime, lead: str, *, fast: bool = False) -> datetime:
        late = self.rng.random() < 0.05
        at = (self.natural(at, 5, 40) if fast else
              self.office(at, 130, 400) if late else self.office(at, 5, 100))
        plan.steps.append(Step(at, "sign", _handler_username(lead)))
        return at

    def _reply(self, plan: Plan, at: datetime, lead: str, *, lo=120, hi=1000, late_share=0.08,
               fast: bool = False, again: bool = False) -> datetime:
        late = self.rng.random() < late_share
        at = (self.natural(at, 120, 1000) if fast else
              self.office(at, 1300, 2300) if late else self.office(at, lo, hi))
        plan.steps.append(Step(at, "reply", _handler_username(lead),
                               {"answer": self.reply_text(plan.data, lead, at, again)}))
        return at

    def _review(self, plan: Plan, at: datetime, lead: str) -> datetime:
        at = self.office(at, 15, 240)
        plan.steps.append(Step(at, "review", _reviewer(lead)))
        return at

    def _callback(self, plan: Plan, at: datetime, *, satisfaction: str | None = None) -> datetime:
        satisfaction = satisfaction or self.pick([("satisfied", 72), ("basically_satisfied", 28)])
        late = self.rng.random() < 0.04
        at = self.office(at, 430, 800) if late else self.office(at, 20, 400)
        plan.steps.append(Step(at, "callback", "callback", {
            "satisfaction": satisfaction,
            "note": self.rng.choice(texts.CALLBACK_NOTES[satisfaction])}))
        return at

    def _finish(self, plan: Plan, at: datetime, lead: str, **reply) -> datetime:
        at = self._reply(plan, at, lead, **reply)
        at = self._review(plan, at, lead)
        return self._callback(plan, at)

    def _resolved(self, at: datetime | None = None) -> list[Plan]:
        plan, at = self._start("resolved", at=at, urgent_share=0.05)
        fast = plan.data["urgency"] == "urgent"
        at, lead = self._dispatch(plan, at, fast=fast)
        at = self._sign(plan, at, lead, fast=fast)
        self._finish(plan, at, lead, fast=fast)
        return [plan]

    def _returned(self, uphold: bool = False) -> list[Plan]:
        plan, at = self._start("upheld" if uphold else "returned", exclude_tops=("GBZF",),
                               channel="hotline")
        at, lead = self._dispatch(plan, at)
        other = self.alternate(plan.data, lead)
        at = self.office(at, 20, 120)
        plan.steps.append(Step(at, "return", _handler_username(lead), {
            "reason": self.rng.choice(texts.RETURN_REASONS).format(other=self.short(other))}))
        at = self.office(at, 10, 55)
        if uphold:
            reason = self.rng.choice(texts.UPHOLD_REASONS)
        else:
            reason = self.rng.choice(texts.REDISPATCH_REASONS).format(other=self.short(other))
            lead = other
        plan.steps.append(Step(at, "redispatch", "dispatcher", {"lead_unit": lead,
                                                                 "reason": reason}))
        at = self._sign(plan, at, lead)
        self._finish(plan, at, lead)
        return [plan]

    def _upheld(self) -> list[Plan]:
        return self._returned(uphold=True)

    def _reopened(self, open: bool = False) -> list[Plan]:
        # Still open: reopened within the last days, so its new resolve clock is running.
        plan, at = self._start("reopened", at=self.before(self.cutoff, 2400) if open else None)
        at, lead = self._dispatch(plan, at)
        at = self._sign(plan, at, lead)
        at = self._reply(plan, at, lead, late_share=0)
        at = self._review(plan, at, lead)
        at = self.office(at, 30, 400)
        plan.steps.append(Step(at, "callback", "callback", {
            "satisfaction": "dissatisfied", "reason": self.rng.choice(texts.REOPEN_REASONS)}))
        if not open:
            at = self._reply(plan, at, lead, lo=200, hi=900, late_share=0.05, again=True)
            at = self._review(plan, at, lead)
            self._callback(plan, at, satisfaction=self.pick([("satisfied", 40),
                                                              ("basically_satisfied", 60)]))
        return [plan]

    def _sent_back(self) -> list[Plan]:
        plan, at = self._start("sent_back")
        at, lead = self._dispatch(plan, at)
        at = self._sign(plan, at, lead)
        at = self._reply(plan, at, lead, hi=700, late_share=0)
        at = self.office(at, 15, 200)
        plan.steps.append(Step(at, "send_back", _reviewer(lead),
                               {"reason": self.rng.choice(texts.SEND_BACK_REASONS)}))
        self._finish(plan, at, lead, lo=100, hi=800, late_share=0.05, again=True)
        return [plan]

    def _extended(self, deny: bool = False) -> list[Plan]:
        plan, at = self._start("extended")
        at, lead = self._dispatch(plan, at)
        at = self._sign(plan, at, lead)
        days = self.rng.choice([2, 3, 5])
        at = self.office(at, 360, 800)
        plan.steps.append(Step(at, "request_extension", _handler_username(lead), {
            "limit": f"{days}d",
            "reason": self.rng.choice(texts.EXTENSION_REASONS).format(days=days)}))
        at = self.office(at, 15, 120)
        if deny:
            plan.steps.append(Step(at, "deny_extension", "dispatcher",
                                   {"reason": texts.DENY_EXTENSION}))
            self._finish(plan, at, lead, lo=60, hi=250, late_share=0.3)
        else:
            plan.steps.append(Step(at, "approve_extension", "dispatcher",
                                   {"reason": "同意延期。"}))
            self._finish(plan, at, lead, lo=200, hi=days * 420 - 100, late_share=0.05)
        return [plan]

    def _suspended(self, open: bool = False) -> list[Plan]:
        if open:  # still suspended now: the request was approved recently
            plan, at = self._start("suspended", at=self.before(self.cutoff, 900))
        else:
            plan, at = self._start("suspended")
        at, lead = self._dispatch(plan, at)
        at = self._sign(plan, at, lead)
        at = self.office(at, 120, 400) if not open else self.office(at, 60, 120)
        plan.steps.append(Step(at, "request_suspension", _handler_username(lead),
                               {"reason": self.rng.choice(texts.SUSPENSION_REASONS)}))
        at = self.office(at, 20, 100) if not open else self.office(at, 20, 60)
        plan.steps.append(Step(at, "approve_suspension", "dispatcher",
                               {"reason": "同意中止计时。"}))
        if not open:
            at = self.office(at, 420, 2100)
            plan.steps.append(Step(at, "resume", _handler_username(lead),
                                   {"reason": self.rng.choice(texts.RESUME_REASONS)}))
            self._finish(plan, at, lead, lo=100, hi=500, late_share=0.05)
        return [plan]

    def _merged(self) -> list[Plan]:
        # The earlier case is old enough for the repeat call to have come in by now.
        [target] = self._resolved(at=self.received_at(min_days=10))
        steps = {s.action: s.at for s in target.steps}
        start, end = steps["sign"], steps["reply"]
        at = start + (end - start) * self.rng.uniform(0.1, 0.6)
        source = target.data
        data = dict(self.case_data("any", top=source["category"].split("-")[0]),
                    kind=source["kind"], category=source["category"], region=source["region"],
                    subject_unit=source["subject_unit"], channel="hotline",
                    enterprise_name=source["enterprise_name"],
                    title=f"再次反映：{source['title']}"[:120],
                    content=f"来电人反映与此前同一事项：{source['content']}来电人询问办理进度。")
        if data.get("reporter"):
            data["reporter"]["enterprise"] = source["enterprise_name"]
        plan = self.new("merged", data)
        plan.target = target
        plan.steps.append(Step(at, "create", "intake", data))
        merge_at = at + min(timedelta(minutes=self.rng.uniform(4, 25)), (end - at) / 2)
        plan.steps.append(Step(merge_at, "merge", "intake", _merge_payload))
        return [target, plan]

    def _stuck(self, stop: str | None = None, top: str | None = None,
               region: str | None = None) -> list[Plan]:
        stop = stop or self.pick([("received", 3), ("dispatched", 2), ("handling", 5)])
        plan, at = self._start("stuck", at=self.received_at(min_days=12, max_days=100),
                               top=top, region=region)
        if stop != "received":
            at, lead = self._dispatch(plan, at)
            if stop == "handling":
                self._sign(plan, at, lead)
        return [plan]

    def _fresh(self, stop: str, top: str | None = None, region: str | None = None) -> list[Plan]:
        """An open case whose open clocks are still running: its last move was just now."""
        delays = {"received": [], "dispatched": [15], "handling": [15, 20],
                  "returned": [15, 30], "replied": [15, 20, 60], "reviewed": [15, 20, 60, 30]}
        steps = delays[stop]
        at = self.before(self.cutoff, sum(steps) + 10)
        plan, at = self._start("fresh", at=at, exclude_tops=("GBZF",), channel="hotline",
                               top=top, region=region)
        if not steps:
            return [plan]
        lead, co = self.proposal(plan.data["category"], plan.data["region"])
        at = add_office_time(self.calendar, at, timedelta(minutes=steps[0]))
        plan.steps.append(Step(at, "dispatch", "dispatcher", {"lead_unit": lead, "co_units": co}))
        for action, minutes in zip(["return" if stop == "returned" else "sign", "reply", "review"],
                                   steps[1:]):
            at = add_office_time(self.calendar, at, timedelta(minutes=minutes))
            payload = {}
            if action == "return":
                other = self.alternate(plan.data, lead)
                payload = {"reason": texts.RETURN_REASONS[0].format(other=self.short(other))}
            elif action == "reply":
                payload = {"answer": self.reply_text(plan.data, lead, at)}
            actor = _reviewer(lead) if action == "review" else _handler_username(lead)
            plan.steps.append(Step(at, action, actor, payload))
        return [plan]


def _merge_payload(plan: Plan) -> tuple[str, dict]:
    target = plan.target
    if target is not None and target.number and target.state != State.CLOSED:
        return "merge", {"into": target.number,
                         "reason": texts.MERGE_REASON.format(number=target.number)}
    # The earlier case was closed meanwhile: nothing to merge into.
    return "reject", {"reason": "与已办结工单为同一事项的重复来电，已告知来电人办理结果。"}


# ------------------------------------------------------------------------ running

def build_demo_cases(n: int, seed: int = 2024, *, now: datetime | None = None,
                     before: Callable[[datetime], None] | None = None) -> dict[str, Any]:
    """File n demo cases with full histories through the services; returns counts.

    Deterministic for a seed and a `now` (default: this minute). Every move is made at
    its own back-dated moment, never later than `now`; cases whose next move would come
    after `now` stay open. Each run adds n more cases. `before(moment)`, if given, is
    called before each move, in time order (the demo replays the escalation ladder's
    sweeps up to that moment: supervision.demo.LadderReplay).
    """
    if n <= 0:
        return {"cases": 0, "by_state": {}, "by_outcome": {}, "overdue": 0,
                "handlers_created": 0}
    cutoff = (now or timezone.now()).replace(second=0, microsecond=0)
    rng = random.Random(seed)
    planner = _Planner(rng, cutoff)
    plans = _plan(planner, n)
    with transaction.atomic():
        users, created = _actors(plans)
        _run(plans, users, cutoff, before)
    numbers = [p.number for p in plans if p.number]
    cases = Case.objects.filter(number__in=numbers)
    by_state = dict(cases.values_list("state").annotate(n=Count("id")).order_by())
    by_outcome = dict(cases.exclude(outcome="").values_list("outcome")
                      .annotate(n=Count("id")).order_by())
    overdue = (StageClock.objects.filter(case__number__in=numbers, done_at__isnull=True,
                                         paused_at__isnull=True, due_at__lt=cutoff)
               .values("case").distinct().count())
    return {"cases": len(numbers), "by_state": {s: by_state.get(s, 0) for s in State.values},
            "by_outcome": by_outcome, "overdue": overdue, "handlers_created": created,
            "reopened": cases.filter(reopen_count__gt=0).count(),
            "first": min(p.steps[0].at for p in plans), "last": cutoff}


def _plan(planner: _Planner, n: int) -> list[Plan]:
    plans: list[Plan] = []
    for scenario, options in FORCED:
        if len(plans) >= n:
            break
        if scenario == "merged" and n - len(plans) < 2:
            continue
        plans.extend(_whole(planner, scenario, options))
    while len(plans) < n:
        scenario = planner.pick(SCENARIOS)
        if scenario == "merged" and n - len(plans) < 2:
            continue
        plans.extend(planner.plans_for(scenario, {}))
    return plans


def _whole(planner: _Planner, scenario: str, options: dict, tries: int = 20) -> list[Plan]:
    """A forced scenario planned so that every move it plans happens before the cutoff.

    A forced scenario is there to show its path (a case reopened and then closed, say);
    drawn too close to `now`, its last moves would not happen yet and the path would not
    be shown. So it is drawn again, a bounded number of times (deterministic per seed)."""
    first_index = planner.counter
    for _attempt in range(tries):
        planner.counter = first_index  # plans are numbered by their place in the list
        planned = planner.plans_for(scenario, options)
        if all(step.at <= planner.cutoff for plan in planned for step in plan.steps):
            return planned
    return planned


def _actors(plans: list[Plan]) -> tuple[dict[str, User], int]:
    """The accounts the plans act as; a handler account per unit routed to, if missing."""
    names = {s.actor for p in plans for s in p.steps}
    users = {u.username: u for u in User.objects.select_related("unit").filter(username__in=names)}
    created = 0
    for name in sorted(names - set(users)):
        if not name.startswith("h-"):
            raise LookupError(f"the demo login {name!r} is missing: run `qinqing demo` first")
        code = name[2:]
        person = random.Random(code)
        full_name = (person.choice(texts.SURNAMES) + person.choice(texts.GIVEN)
                     + person.choice(texts.GIVEN))
        user, was_created = ensure_staff(username=name, full_name=full_name,
                                         unit=Unit.objects.get(code=code), role=Role.HANDLER,
                                         password=DEMO_PASSWORD)
        users[name] = User.objects.select_related("unit").get(pk=user.pk)
        created += was_created
    return users, created


def _run(plans: list[Plan], users: dict[str, User], cutoff: datetime,
         before: Callable[[datetime], None] | None = None) -> None:
    from qinqing.cases import services

    heap = [(p.steps[0].at, p.index, 0) for p in plans if p.steps and p.steps[0].at <= cutoff]
    heapq.heapify(heap)
    while heap:
        at, index, i = heapq.heappop(heap)
        plan = plans[index]
        step = plan.steps[i]
        actor = users[step.actor]
        if before is not None:
            before(at)
        try:
            if step.action == "create":
                data = {k: v for k, v in step.payload.items() if not k.startswith("_")}
                # Generated people with made-up phones: nobody is texted.
                intake = services.create_case(actor, data, now=at, notify_reporter=False)
                plan.number, plan.state = intake.case.number, intake.case.state
            else:
                action, payload = (step.payload(plan) if callable(step.payload)
                                   else (step.action, step.payload))
                plan.state = services.perform(plan.number, action, actor, payload, now=at).state
        except Exception as exc:
            raise RuntimeError(f"demo case {plan.index} ({plan.scenario}, {plan.number}): "
                               f"{step.action} by {step.actor} at {at:%Y-%m-%d %H:%M} failed: "
                               f"{exc!r} {getattr(exc, 'fields', '')}") from exc
        if i + 1 < len(plan.steps) and plan.steps[i + 1].at <= cutoff:
            heapq.heappush(heap, (plan.steps[i + 1].at, index, i + 1))
