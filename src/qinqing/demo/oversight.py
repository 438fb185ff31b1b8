"""Demo oversight for 示范市: sweeps, a joint meeting, accountability and inspections.

Everything is made through the services (oversight's and the case pipeline's), each step
back-dated with `now=` and made in chronological order, as the supervisor, the
dispatcher, the units and the discipline commission would have made them:

- a transport-sector overdue sweep (交通运输领域逾期件专项清零) run three weeks ago over
  cases of its own, cleared day by day and closed with two cases left, which a joint
  meeting then took up (its minutes and decisions name them; one decision done, one
  overdue, one open);
- a city-wide sweep started now over every case overdue now (`start_city_sweep`, which
  the demo runs after the escalation ladder has caught up with now);
- thirty reports of misconduct handled by the discipline commission, 29 of them
  substantiated, and 29 accountability records, one per substantiated report, with
  Linfen's distribution of sanctions (domain.md §2);
- six inspections, three of them undercover, whose six problems became cases on the
  inspection channel, some of them rectified.

All names are invented; the region codes start with 99 as everywhere in the demo.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from qinqing.cases import services as case_services
from qinqing.demo.case_texts import GIVEN, SURNAMES
from qinqing.cases.errors import InvalidInput
from qinqing.cases.models import Category
from qinqing.cases.queries import propose_assignment
from qinqing.demo.city import CITY_NAME, DEMO_PASSWORD
from qinqing.org.models import Role, Unit, User
from qinqing.org.services import ensure_staff
from qinqing.oversight import services
from qinqing.oversight.models import Campaign, SanctionType
from qinqing.worktime.calendar import SHANGHAI
from qinqing.worktime.queries import current_calendar

TRANSPORT = "990000-D14"  # 市交通运输局: no demo case is routed there, so its sweep is its own
URBAN = "990000-D13"  # 市城市管理局
HOUSING = "990000-D12"  # 市住房和城乡建设局
DISCIPLINE = "990000-JW"

TRANSPORT_CASES = [
    ("990102", "道路运输经营许可证延续超期未办", "公司于上月提交道路运输经营许可证延续申请，至今未办结，车辆年审受影响。"),
    ("990103", "网约车驾驶员证审核迟迟没有结果", "驾驶员证申请材料齐全，承诺10个工作日办结，已超过期限仍无答复。"),
    ("990104", "货车通行证网上申请一直显示审核中", "物流企业申请城区货车通行证，网上系统显示审核中已两周，影响配送。"),
    ("990121", "占道施工许可办理多次被要求补充材料", "市政配套工程占道施工许可被三次要求补充同一份材料，工期延误。"),
    ("990122", "客运班线经营权变更申请无人受理", "客运公司申请班线经营权变更，窗口称需等待上级答复，无明确时限。"),
    ("990102", "超限运输许可办理时限过长", "大件运输超限许可申请超过承诺时限未批复，企业合同面临违约。"),
    ("990171", "开发区企业专用道路开口审批停滞", "经开区企业申请道路开口，交通部门与城管部门相互推诿，审批停滞。"),
    ("990103", "出租车经营权年审结果迟迟不公布", "出租车公司年审材料已提交一个月，审核结果迟迟不公布，车辆无法运营。"),
]
TRANSPORT_REPLY = "经核查，该事项已办结，许可证件已送达企业，并向企业说明延误原因。"

# Reports of misconduct (干部作风): (category, kind of unit reported, title, content), each
# made about three units (REPORT_UNITS). One report names one official; 29 of the 30 are
# substantiated and end in one sanction each, the last one is not (REPORT_UNFOUNDED).
REPORT_PATTERNS = [
    ("GBZF-01", "XZSP", "审批窗口工作人员索要“辛苦费”",
     "企业反映{unit}个别工作人员以加快办理为由索要“辛苦费”。"),
    ("GBZF-02", "ZJ", "施工许可办理中推诿扯皮",
     "{unit}在施工许可办理中以“不归我管”为由推诿，企业往返五次未果。"),
    ("GBZF-04", "SCJG", "执法人员违规插手企业招投标",
     "{unit}个别执法人员打招呼要求企业在招投标中选用指定供应商。"),
    ("GBZF-03", "RS", "用工备案长期不作为", "{unit}对企业用工备案申请两个月不答复，企业多次催问无果。"),
    ("GBZF-01", "XZSP", "审批中违规指定中介收费", "{unit}要求企业通过指定中介办理并收取高额费用。"),
    ("GBZF-03", "SCJG", "检查中随意罚款、以罚代管",
     "{unit}执法人员在检查中对轻微问题不予指导，直接罚款且不出具处罚文书。"),
    ("GBZF-02", "XZSP", "窗口之间相互推诿", "企业在{unit}办理变更登记，两个窗口相互推诿，均称不归本窗口受理。"),
    ("GBZF-03", "RS", "工伤认定超期不作出决定", "{unit}受理企业职工工伤认定申请后超过法定期限仍未作出决定。"),
    ("GBZF-04", "ZJ", "工作人员向企业推销建材产品", "{unit}个别工作人员在验收中暗示企业购买其亲属经营的建材。"),
    ("GBZF-01", "SCJG", "执法人员吃拿卡要", "{unit}个别执法人员在检查中向商户索要烟酒。"),
]
REPORT_UNITS = ["990102", "990103", "990104", "990121", "990122", "990123", "990124",
                "990125", "990126", "990127", "990128", "990129", "990130", "990131",
                "990132", "990181", "990182"]
REPORTS = [(f"{REPORT_UNITS[(3 * i + j) % len(REPORT_UNITS)]}-{kind}", category, title, content)
           for j in range(3) for i, (category, kind, title, content) in enumerate(REPORT_PATTERNS)]
REPORT_REPLY = "经调查核实，反映问题基本属实，已依规依纪对相关责任人作出处理，并向企业反馈。"
REPORT_UNFOUNDED = "经调查核实，反映问题不属实，已向举报人说明核查情况。"
# Linfen's 29 sanctions (domain.md §2), in the order of the default list.
LINFEN = [("serious-party-warning", 10), ("party-warning", 4), ("administrative-warning", 3),
          ("administrative-demerit", 1), ("admonishment-talk", 3),
          ("written-self-criticism", 4), ("reminder-talk", 1), ("criticism-education", 1),
          ("police-referral", 2)]
LINFEN_SANCTIONS = [code for code, n in LINFEN for _ in range(n)]
POSITIONS = ["科员", "副科长", "科长", "窗口工作人员", "执法队员", "副局长", "中队长", "审批科科长"]

# (working days ago, team, undercover, units visited, problems: (type, unit, category, text)).
INSPECTIONS = [
    (40, "市营商环境监督组（3人）", True, ["990103-HALL", "990103-W01", "990103-W02"], [
        ("responsibility", "990103-W01", "SPFW-03", "综合受理窗口未执行一次性告知，暗访人员按要求往返三次仍未受理。"),
        ("conduct", "990103-W02", "GBZF-03", "窗口工作人员工作时间玩手机，对咨询群众态度冷淡。"),
    ]),
    (34, "市营商环境建设局督查科", False, ["990104-XZSP", "990104-SCJG"], []),
    (28, "市营商环境监督组（2人）", True, ["990121-HALL", "990121-W01", "990121-W02"], [
        ("responsibility", "990121-W02", "SPFW-05", "“办不成事”反映窗口上午十点仍无人值守。"),
    ]),
    (20, "市纪委监委第二监督检查室", False, ["990122-XZSP", "990122-ZJ"], [
        ("conduct", "990122-ZJ", "GBZF-04", "工作人员要求企业通过指定中介办理施工图审查。"),
    ]),
    (12, "市营商环境监督组（3人）", True, ["990000-HALL", "990000-W01", "990000-W03"], [
        ("responsibility", "990000-W03", "SPFW-01", "不动产登记窗口两件抵押登记超过承诺时限未办结。"),
        ("responsibility", "990000-W01", "SPFW-04", "企业开办窗口网上办理指引未随新规更新，企业按旧指引提交被退回。"),
    ]),
    (4, "市营商环境建设局督查科", False, ["990102-XZSP", "990102-SCJG"], []),
]
# How far each problem's case goes: rectified (closed), replied, signed or only routed.
INSPECTION_PROGRESS = ["closed", "closed", "closed", "signed", "replied", "dispatched"]

DEMO_CASES = len(TRANSPORT_CASES) + len(REPORTS) + sum(len(i[4]) for i in INSPECTIONS)


class _Clock:
    """Moments on past working days, counted back from today."""

    def __init__(self, now: datetime):
        self.calendar = current_calendar()
        self.today = timezone.localtime(now, SHANGHAI).date()

    def day(self, back: int) -> date:
        day, left = self.today, back
        while left > 0:
            day -= timedelta(days=1)
            if self.calendar.is_workday(day):
                left -= 1
        return day

    def at(self, back: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.day(back), time(hour, minute), tzinfo=SHANGHAI)


def _handler(code: str) -> User:
    unit = Unit.objects.get(code=code)
    person = random.Random(code)
    user, _ = ensure_staff(username=f"h-{code}", full_name=person.choice(SURNAMES)
                           + person.choice(GIVEN) + person.choice(GIVEN), unit=unit,
                           role=Role.HANDLER, password=DEMO_PASSWORD)
    return User.objects.select_related("unit").get(pk=user.pk)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7
                                                       else "")


def build_demo_oversight(*, now: datetime | None = None, seed: int = 2024,
                         before: Callable[[datetime], None] | None = None,
                         city_sweep: bool = True) -> dict:
    """Add the demo oversight story; returns what it made. Needs the demo city and its
    catalogue (`qinqing demo` builds them first).

    `before(moment)` is called before the moves of the transport sweep, whose cases get
    later oversight events (the campaign, the meeting), so that the escalation ladder's
    replay (supervision.demo.LadderReplay) reaches them in time order. The reports and
    the inspections are made first: their open cases get no later oversight event, so the
    replay reaches them afterwards in order all the same. Without `city_sweep` the
    city-wide sweep is left to the caller (`start_city_sweep`), to start after the ladder
    has caught up with `now`."""
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    rng = random.Random(seed)
    clock = _Clock(now)
    staff = {u.username: u for u in User.objects.select_related("unit").filter(username__in=[
        "intake", "dispatcher", "supervisor", "inspector", "callback"])}
    missing = {"intake", "dispatcher", "supervisor", "inspector", "callback"} - set(staff)
    if missing:
        raise LookupError(f"demo logins missing: {sorted(missing)}; run `qinqing demo` first")
    with transaction.atomic():
        counts = _accountability(staff, clock, rng)
        counts.update(_inspections(staff, clock))
        counts.update(_transport_sweep(staff, clock, now, before or (lambda moment: None)))
        if city_sweep:
            counts["campaigns"] += start_city_sweep(now)
    counts["cases"] = DEMO_CASES
    return counts


def _perform(number, action, actor, payload, at):
    return case_services.perform(number, action, actor, payload, now=at)


def _close(number, staff, at, *, rated=True):
    _perform(number, "review", staff["dispatcher"], {}, at)
    later = at + timedelta(hours=20)
    if rated:
        _perform(number, "callback", staff["callback"],
                 {"satisfaction": "satisfied", "note": "企业表示问题已解决。"}, later)
    else:
        _perform(number, "close_unrated", staff["callback"],
                 {"reason": "检查发现的问题，无来电人；经复查已整改到位。"}, later)


# ------------------------------------------------------------------ the sweeps

def _transport_sweep(staff, clock: _Clock, now: datetime, before) -> dict:
    handler = _handler(TRANSPORT)

    def at(back, hour, minute=0, later=timedelta()):
        moment = clock.at(back, hour, minute) + later
        before(moment)
        return moment

    numbers = []
    for i, (region, title, content) in enumerate(TRANSPORT_CASES):
        case = case_services.create_case(staff["intake"], {
            "kind": "complaint", "channel": "hotline", "category": "SPFW-01", "region": region,
            "title": title, "content": content, "reporter": {
                "name": f"{SURNAMES[i * 7 % len(SURNAMES)]}{GIVEN[i * 5 % len(GIVEN)]}",
                "phone": f"13800009{i:03d}"}}, now=at(22, 9, 30, timedelta(minutes=7 * i))).case
        numbers.append(case.number)
        _perform(case.number, "dispatch", staff["dispatcher"], {
            "lead_unit": TRANSPORT, "reason": "交通运输行政许可事项，按职责交市交通运输局办理。"},
            at(22, 10, 30, timedelta(minutes=3 * i)))
        if i < 5:
            _perform(case.number, "sign", handler, {}, at(22, 14, 0, timedelta(minutes=i)))

    campaign = services.start_campaign(staff["supervisor"], {
        "name": "交通运输领域逾期件专项清零", "unit": TRANSPORT,
        "note": "对市交通运输局承办的逾期工单集中督办，逐件销号。"}, now=at(14, 9, 0))

    def reply(n, back, hour, sign=False):
        if sign:
            _perform(numbers[n], "sign", handler, {}, at(back, hour, 0))
        _perform(numbers[n], "reply", handler, {"answer": TRANSPORT_REPLY}, at(back, hour, 30))

    reply(0, 13, 10)
    reply(1, 13, 15)
    reply(5, 12, 10, sign=True)
    reply(6, 12, 15, sign=True)
    for n in (0, 1, 5):
        _close(numbers[n], staff, at(11, 9, 0, timedelta(minutes=n)))
    reply(2, 10, 11)
    _perform(numbers[2], "review", staff["dispatcher"], {}, at(9, 9, 0))

    # The two cases the units could not settle alone go to a joint meeting; its minutes
    # and decisions name them (the meeting's page links the numbers to the cases).
    permit, taxi = numbers[4], numbers[7]
    meeting = services.record_meeting(staff["supervisor"], {
        "title": "交通运输领域疑难逾期件联席会议", "held_on": clock.day(9),
        "cases": [permit, taxi],
        "units": [TRANSPORT, URBAN, "990122", "990103"],
        "minutes": (f"会议听取了市交通运输局关于{permit}（客运班线经营权变更）和{taxi}（出租车"
                    f"经营权年审）两件逾期工单的情况说明。{permit}需清河县交通运输部门出具线路"
                    f"意见；{taxi}涉及城管部门对出租车停车场地的核查，城东区协助企业补充材料。"
                    "会议明确分工和时限，逐项销号。"),
        "decisions": [
            {"text": f"市交通运输局在7日内完成{permit}班线经营权变更审核并书面答复企业。",
             "owner_unit": TRANSPORT, "due_on": clock.day(9) + timedelta(days=7)},
            {"text": f"市城管局3日内就{taxi}出具出租车停车场地核查意见。", "owner_unit": URBAN,
             "due_on": clock.day(9) + timedelta(days=3)},
            {"text": f"城东区人民政府协调企业补充{taxi}年审所需场地材料，并报联席会议办公室。",
             "owner_unit": "990103", "due_on": clock.today + timedelta(days=7)},
        ]}, now=at(9, 15, 0))
    _perform(numbers[3], "reply", handler, {"answer": TRANSPORT_REPLY}, at(8, 16, 0))
    first = meeting.decisions.get(owner_unit__code=TRANSPORT)
    services.complete_decision(first.pk, handler, "已完成审核，变更决定书已于当日送达企业。",
                               now=at(6, 10, 0))
    services.close_campaign(campaign.pk, staff["supervisor"],
                            "剩余2件已提交联席会议协调，按会议决定跟踪办理。", now=at(5, 17, 0))
    return {"campaigns": 1, "meetings": 1, "decisions": 3}


def start_city_sweep(now: datetime) -> int:
    """The city-wide sweep of this month, over every case overdue at `now` (0: nothing is
    overdue, or this month's sweep exists already)."""
    staff = User.objects.filter(username="supervisor", is_active=True).first()
    local = timezone.localtime(now, SHANGHAI)
    name = f"{local.year}年{local.month}月逾期件专项清零"
    if staff is None or Campaign.objects.filter(name=name).exists():
        return 0
    try:
        services.start_campaign(staff, {
            "name": name, "note": "全市范围内逾期工单集中清理，每日通报进度。"}, now=now)
    except InvalidInput:
        return 0  # nothing overdue now: nothing to sweep
    return 1


# ------------------------------------------------------------ accountability

def _accountability(staff, clock: _Clock, rng: random.Random) -> dict:
    handler = _handler(DISCIPLINE)
    cases = []
    units = {u.code: u for u in Unit.objects.select_related("parent").filter(
        code__in={subject for subject, *_rest in REPORTS})}
    for i, (subject, category, title, content) in enumerate(REPORTS):
        back = 75 - 2 * i  # one report every other working day, from 75 to 17 days ago
        unit = units[subject]
        reporter = ({} if i % 2 else {"name": _person(rng), "phone": f"13800008{i:03d}"})
        case = case_services.create_case(staff["intake"], {
            "kind": "report", "channel": "hotline", "category": category,
            "subject_unit": subject, "title": title, "content": content.format(unit=unit.name),
            "anonymous": not reporter, "reporter": reporter or None},
            now=clock.at(back, 9, 40)).case
        lead = propose_assignment(Category.objects.get(code=category), case.region)
        _perform(case.number, "dispatch", staff["dispatcher"],
                 {"lead_unit": lead.lead_unit.code}, clock.at(back, 10, 20))
        _perform(case.number, "sign", handler, {}, clock.at(back, 11, 0))
        founded = i < len(LINFEN_SANCTIONS)
        _perform(case.number, "reply", handler,
                 {"answer": REPORT_REPLY if founded else REPORT_UNFOUNDED},
                 clock.at(back - 5, 16, 0))
        _perform(case.number, "review", staff["dispatcher"], {}, clock.at(back - 6, 9, 30))
        if reporter:
            _perform(case.number, "callback", staff["callback"], {"satisfaction": "satisfied"},
                     clock.at(back - 6, 15, 0))
        else:
            _perform(case.number, "close_unrated", staff["callback"],
                     {"reason": "匿名举报，无法回访。"}, clock.at(back - 6, 15, 0))
        if founded:
            cases.append((case, unit, back))

    # One official sanctioned per substantiated report, after its investigation.
    sanctions = list(LINFEN_SANCTIONS)
    rng.shuffle(sanctions)
    names = {s.code: s.name for s in SanctionType.objects.all()}
    for i, ((case, unit, back), code) in enumerate(zip(cases, sanctions)):
        county = unit.parent if unit.parent and unit.parent.kind == "county" else None
        decided = back - 8
        body = (f"{county.short_name}纪委监委" if county and code in (
            "admonishment-talk", "written-self-criticism", "reminder-talk", "criticism-education")
            else f"{CITY_NAME}纪委监委")
        services.record_accountability(staff["inspector"], {
            "cases": [case.number], "official_name": _person(rng),
            "official_position": rng.choice(POSITIONS), "official_unit": unit.code,
            "sanction": code, "decided_by": body, "decided_on": clock.day(decided),
            "notes": f"因{case.title}给予{names.get(code, code)}。"},
            now=clock.at(decided, 16, i % 50))
    return {"reports": len(REPORTS), "accountability_records": len(cases)}


# ---------------------------------------------------------------- inspections

def _inspections(staff, clock: _Clock) -> dict:
    problems = 0
    progress = iter(INSPECTION_PROGRESS)
    for back, team, undercover, units, found in INSPECTIONS:
        actor = staff["inspector"] if "纪委" in team else staff["supervisor"]
        inspection = services.record_inspection(actor, {
            "held_on": clock.day(back), "team": team, "undercover": undercover,
            "units": units,
            "summary": ("以普通办事群众身份暗访窗口办事流程、服务态度和一次性告知落实情况。" if undercover
                        else "对照营商环境评价指标，检查事项办理时限、告知承诺和投诉处理台账。"),
            "problems": [{"type": t, "unit": u, "category": c, "description": d}
                         for t, u, c, d in found]}, now=clock.at(back, 17, 0))
        for problem in inspection.problems.select_related("case", "case__region").order_by("pk"):
            _follow_problem(problem.case, next(progress), staff, clock, back)
            problems += 1
    return {"inspections": len(INSPECTIONS), "problems": problems}


def _follow_problem(case, until: str, staff, clock: _Clock, back: int) -> None:
    rule = propose_assignment(case.category, case.region)
    lead = rule.lead_unit.code if rule else DISCIPLINE
    handler = _handler(lead)
    _perform(case.number, "dispatch", staff["dispatcher"], {"lead_unit": lead},
             clock.at(back - 1, 9, 30))
    if until == "dispatched":
        return
    _perform(case.number, "sign", handler, {}, clock.at(back - 1, 10, 30))
    if until == "signed":
        return
    _perform(case.number, "reply", handler,
             {"answer": "已对检查发现的问题立行立改，并举一反三开展自查，整改情况附后。"},
             clock.at(back - 3, 16, 0))
    if until == "closed":
        _close(case.number, staff, clock.at(back - 4, 10, 0), rated=False)


def demo_exists() -> bool:
    return Campaign.objects.exists()
