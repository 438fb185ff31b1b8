"""The demo city's public side: matters filed at /submit/ (anonymous and named, the phone
proved by its SMS code), at a hall's couldn't-get-it-done window, letters to the mayor's
mailbox (with and without consent; some answered and published through the review),
requests from an Open311 app, and judgements given online (satisfied; dissatisfied,
which reopens the case).

Everything goes through the services a person or a member of staff would set in motion
(portal.services, open311.services, cases.services): a named filer's code is read back
from the SMS the portal queued, as the person reads their phone. Every matter is filed
and moved at a moment of the last two weeks before `now`, all moves in time order;
`before(moment)` is called before each (the ladder's replay). Built once: a database
with mailbox letters already has its public side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count

from qinqing.cases.models import Case, Channel, State
from qinqing.demo.city import DEMO_PASSWORD
from qinqing.org.models import Role, Unit, User
from qinqing.org.services import ensure_staff, ensure_system_account
from qinqing.worktime.calendar import add_office_time, office_time_between
from qinqing.worktime.queries import current_calendar

HALL = "990102-HALL"  # 河阳区政务服务中心 (its windows 990102-W01, -W02)
SCJG, XZSP = "990102-SCJG", "990102-XZSP"  # units the catalogue routes these matters to
APP = ("open311-demo-app", "示范市民营企业服务小程序（演示）")  # an Open311 app's account
ACTORS = {SCJG: ("handler", "leader"), XZSP: (f"h-{XZSP}", "dispatcher")}


@dataclass
class Matter:
    """One public matter: how it comes in, and its moves (office minutes after filing)."""

    key: str
    entrance: str  # portal, hall, mailbox, open311
    kind: str
    category: str
    title: str
    content: str
    name: str = ""  # a named filer (a phone proved by SMS); blank: anonymous
    phone: str = ""
    consent: bool | None = None  # mailbox letters
    lead: str = ""
    moves: list[tuple[float, str, dict]] = field(default_factory=list)
    number: str = ""


def _routed(lead: str, answer: str, *, until: str = "review") -> list[tuple[float, str, dict]]:
    steps = [(25, "dispatch", {"lead_unit": lead}), (70, "sign", {}),
             (420, "reply", {"answer": answer}), (470, "review", {})]
    stop = {"dispatch": 1, "sign": 2, "reply": 3, "review": 4}[until]
    return steps[:stop]


MATTERS = [
    Matter("portal-anonymous", "portal", "complaint", "ZFJG-01", "同一事项一个月内被检查三次",
           "本店为河阳区一家小型餐饮店，本月内市场监管部门就同一食品安全事项上门检查三次，"
           "每次要求提供相同材料，影响正常经营，希望合并检查、减少打扰。",
           moves=_routed(SCJG, "", until="sign")),
    Matter("portal-satisfied", "portal", "complaint", "ZFJG-02", "罚款决定未说明依据",
           "收到的行政处罚决定书未写明适用的具体条款，询问执法人员也没有答复，请求说明处罚依据。",
           name="林晓梅", phone="13800005101", lead=SCJG,
           moves=[*_routed(SCJG, "经核查，执法人员已补充送达处罚依据说明，并当面解释适用条款；"
                                 "对执法文书不规范问题已责令整改。"),
                  (540, "rate", {"satisfaction": "satisfied", "resolved": True})]),
    Matter("portal-reopened", "portal", "help", "ZFJG-03", "检查结果迟迟未出",
           "两周前接受现场检查，至今未收到检查结果，企业无法办理后续手续，请求帮助催办。",
           name="赵建国", phone="13800005102", lead=SCJG,
           moves=[*_routed(SCJG, "已联系检查组，检查结果将在近期送达。"),
                  (560, "rate", {"satisfaction": "dissatisfied", "resolved": False,
                                 "reason": "答复没有给出具体送达时间，问题仍未解决。"})]),
    Matter("portal-consultation", "portal", "consultation", "QT-01", "个体户变更经营范围怎么办",
           "个体工商户想增加经营范围，需要准备哪些材料，能否网上办理？",
           name="周敏", phone="13800005103",
           moves=[(30, "answer", {"answer": "可通过政务服务网“个体工商户变更登记”在线办理，"
                                            "准备营业执照和经营者身份证明即可，一般当日办结。"})]),
    Matter("hall-named", "hall", "complaint", "SPFW-05", "窗口人员让我改天再来",
           "在综合受理窗口办理备案时，材料齐全，工作人员以系统繁忙为由让我改天再来。",
           name="孙立伟", phone="13800005104", lead=XZSP,
           moves=[*_routed(XZSP, "经调查，当天系统并无故障，已对窗口工作人员批评教育，"
                                 "并当场为您补办了备案。"),
                  (600, "callback", {"satisfaction": "satisfied", "resolved": True})]),
    Matter("hall-anonymous", "hall", "complaint", "SPFW-02", "同一份材料要求交三次",
           "办理开办手续时，同一份租赁合同在三个窗口分别要求提交，希望窗口之间共享材料。"),
    Matter("mailbox-published", "mailbox", "suggestion", "SPFW-03", "建议一次性告知全部材料",
           "多次办理审批时，窗口每次只告知一部分缺少的材料，建议制作一次性告知清单。",
           name="吴文静", phone="13800005105", consent=True, lead=XZSP,
           moves=[*_routed(XZSP, "感谢建议。区行政审批服务管理局已为常办的40个事项制作一次性"
                                 "告知清单，在窗口和网上同步公布。"),
                  (620, "callback", {"satisfaction": "satisfied", "resolved": True}),
                  (700, "publish", {})]),
    Matter("mailbox-published-2", "mailbox", "complaint", "ZFJG-04", "同街商户处罚标准不一",
           "同一条街上的商户同样占道经营，有的被罚款，有的没有处理，希望执法标准统一。",
           name="郑国强", phone="13800005106", consent=True, lead=SCJG,
           moves=[*_routed(SCJG, "已对该街道开展统一整治，执法标准向社会公开，"
                                 "对选择性执法问题已责令整改。"),
                  (620, "callback", {"satisfaction": "basically_satisfied", "resolved": True}),
                  (720, "publish", {})]),
    Matter("mailbox-question", "mailbox", "consultation", "QT-01", "小微企业能否享受房租减免",
           "租用国有房屋的小微企业今年还能申请房租减免吗？",
           name="钱丽", phone="13800005107", consent=True,
           moves=[(40, "answer", {"answer": "今年符合条件的小微企业和个体工商户可申请减免"
                                            "三个月租金，请向出租的国有单位提出申请。"}),
                  (200, "publish", {})]),
    Matter("mailbox-to-review", "mailbox", "complaint", "ZFJG-01", "检查人员未出示证件",
           "上周有人自称市场监管人员上门检查，未出示执法证件，请核实。",
           name="冯海燕", phone="13800005108", consent=True, lead=SCJG,
           moves=[*_routed(SCJG, "经核实，检查人员确为本局执法人员，已责令其今后检查时"
                                 "主动出示执法证件。"),
                  (640, "callback", {"satisfaction": "satisfied", "resolved": True})]),
    Matter("mailbox-private", "mailbox", "help", "ZFJG-03", "请求帮助加快复查",
           "整改已经完成，申请复查已经一周，请求帮助加快安排。",
           name="陈志远", phone="13800005109", consent=False, lead=SCJG,
           moves=[*_routed(SCJG, "已安排执法人员于本周内上门复查。"),
                  (520, "rate", {"satisfaction": "satisfied", "resolved": True})]),
    Matter("mailbox-open", "mailbox", "complaint", "ZFJG-02", "对罚款金额有异议",
           "认为罚款金额明显高于同类案件，请求复核。", consent=True,
           moves=_routed(SCJG, "", until="sign")),
    Matter("open311-named", "open311", "complaint", "ZFJG-01", "多部门重复检查",
           "本企业本月接受了三个部门的重复检查，希望联合检查。", name="韩梅", phone="13800005110",
           moves=_routed(SCJG, "", until="sign")),
    Matter("open311-anonymous", "open311", "consultation", "QT-01", "",
           "开办餐饮店需要办理哪些许可？",
           moves=[(45, "answer", {"answer": "需办理营业执照和食品经营许可，可在政务服务网一次"
                                            "申请、并联审批。"})]),
]
# When each matter is filed: office hours before `now` (about two weeks at most).
FILED_HOURS_AGO = {"portal-anonymous": 6, "portal-satisfied": 40, "portal-reopened": 33,
                   "portal-consultation": 20, "hall-named": 46, "hall-anonymous": 1.5,
                   "mailbox-published": 70, "mailbox-published-2": 62, "mailbox-question": 52,
                   "mailbox-to-review": 30, "mailbox-private": 25, "mailbox-open": 9,
                   "open311-named": 12, "open311-anonymous": 16}


def demo_exists() -> bool:
    from qinqing.portal.models import MailboxLetter

    return MailboxLetter.objects.exists()


def build_demo_public(*, now: datetime,
                      before: Callable[[datetime], None] | None = None) -> dict:
    """File and move the public matters (MATTERS) at moments before `now`; counts."""
    calendar = current_calendar()
    users = _actors()
    steps: list[tuple[datetime, int, int, Matter, str, dict]] = []
    for i, matter in enumerate(MATTERS):
        filed = _office_before(calendar, now, FILED_HOURS_AGO[matter.key] * 60)
        steps.append((filed, i, 0, matter, "file", {}))
        for j, (minutes, action, payload) in enumerate(matter.moves, start=1):
            at = add_office_time(calendar, filed, timedelta(minutes=minutes))
            if at < now:
                steps.append((at, i, j, matter, action, payload))
    steps.sort(key=lambda s: (s[0], s[1], s[2]))
    for at, i, _j, matter, action, payload in steps:
        if before is not None:
            before(at)
        if action == "file":
            _file(matter, i, at, users)
        else:
            _move(matter, action, payload, at, users)
    from qinqing.portal.models import MailboxLetter, Publication

    letters = dict(MailboxLetter.objects.values_list("publication").annotate(n=Count("*")))
    numbers = [m.number for m in MATTERS]
    online = User.objects.get(username="online-rating")
    return {"matters": len(MATTERS),
            "portal": sum(m.entrance == "portal" for m in MATTERS),
            "hall": sum(m.entrance == "hall" for m in MATTERS),
            "letters": sum(letters.values()),
            "published": letters.get(Publication.APPROVED, 0),
            "to_review": MailboxLetter.objects.filter(publication=Publication.PENDING,
                                                      case__state=State.CLOSED).count(),
            "open311": sum(m.entrance == "open311" for m in MATTERS),
            "judged_online": Case.objects.filter(number__in=numbers,
                                                 events__actor=online).distinct().count()}


def _office_before(calendar, end: datetime, minutes: float) -> datetime:
    """The latest whole minute with `minutes` of office time between it and `end`."""
    want = timedelta(minutes=minutes)
    lo, hi = end - timedelta(days=40), end
    for _ in range(40):
        mid = lo + (hi - lo) / 2
        if office_time_between(calendar, mid, end) >= want:
            lo = mid
        else:
            hi = mid
    return lo.replace(second=0, microsecond=0)


def _actors() -> dict[str, User]:
    from qinqing.portal.services import rater_account

    hall = Unit.objects.get(code=XZSP)
    ensure_staff(username=f"h-{XZSP}", full_name="许晓东", unit=hall, role=Role.HANDLER,
                 password=DEMO_PASSWORD)  # as the demo cases make a unit's handler
    ensure_system_account(*APP, Role.INTAKE_AGENT)
    rater_account()
    names = ["intake", "dispatcher", "callback", "handler", "leader", f"h-{XZSP}", APP[0]]
    return {u.username: u for u in User.objects.filter(username__in=names)}


def _file(matter: Matter, index: int, at: datetime, users: dict[str, User]) -> None:
    from qinqing.portal import services as portal

    address = f"192.0.2.{10 + index}"  # documentation addresses (RFC 5737)
    if matter.entrance == "open311":
        from qinqing.open311.services import file_request

        params = {"service_code": matter.category, "attribute[kind]": matter.kind,
                  "attribute[title]": matter.title, "attribute[region]": "990102",
                  "description": matter.content}
        if matter.name:
            params.update(last_name=matter.name[0], first_name=matter.name[1:],
                          phone=matter.phone)
        filed = file_request(users[APP[0]], params, idempotency_key=f"demo-public-{index:04d}",
                             now=at)
        matter.number = filed.number
        return
    verified = False
    if matter.name:
        # The person asks for a code, reads it on their phone and types it in.
        portal.send_phone_code(matter.phone, address, now=at - timedelta(minutes=2))
        portal.check_phone_code(matter.phone, _code_sent_to(matter.phone), now=at)
        verified = True
    hall = Unit.objects.get(code=HALL) if matter.entrance == "hall" else None
    data = {"kind": matter.kind, "category": matter.category, "title": matter.title,
            "content": matter.content, "region": "990102",
            "subject_unit": "990102-W01" if hall else "", "enterprise_name": "",
            "reporter": {"name": matter.name, "phone": matter.phone} if matter.name else {},
            "anonymous": not matter.name}
    channel = {"portal": Channel.WEB, "hall": Channel.CANNOT_DO_WINDOW,
               "mailbox": Channel.MAYOR_MAILBOX}[matter.entrance]
    filed = portal.submit(data, token=f"demo-public-{index:04d}", address=address,
                          phone_verified=verified, channel=channel, copy_to=hall,
                          consent=matter.consent, now=at)
    matter.number = filed.number


def _code_sent_to(phone: str) -> str:
    """The code in the newest SMS the portal queued (the demo's phones are fictional: the
    person reads it here instead of on a handset)."""
    from qinqing.cases import confidential
    from qinqing.notifications.models import SmsMessage

    for sms in SmsMessage.objects.filter(event_key__startswith="portal-code:").order_by("-pk"):
        if confidential.decrypt(sms.phone_enc) == phone:
            return re.search(r"\d{6}", sms.text)[0]
    raise LookupError(phone)


def _move(matter: Matter, action: str, payload: dict, at: datetime,
          users: dict[str, User]) -> None:
    from qinqing.cases import services
    from qinqing.portal import queries, services as portal
    from qinqing.portal.models import MailboxLetter

    if action == "rate":
        portal.rate(matter.number, satisfaction=payload["satisfaction"],
                    resolved=payload["resolved"], reason=payload.get("reason", ""), now=at)
        return
    if action == "publish":
        letter = (MailboxLetter.objects.select_related("case")
                  .prefetch_related("case__reporters").get(case__number=matter.number))
        words = queries.draft(letter)  # the anonymised draft staff read and approve
        portal.decide_publication(letter.pk, users["dispatcher"], approve=True, now=at,
                                  **words)
        return
    handler, reviewer = ACTORS.get(matter.lead, ("handler", "dispatcher"))
    actor = {"dispatch": "dispatcher", "answer": "intake", "sign": handler,
             "reply": handler, "review": reviewer, "callback": "callback"}[action]
    if action == "dispatch" and payload.get("lead_unit"):
        matter.lead = payload["lead_unit"]
        handler, reviewer = ACTORS[matter.lead]
    services.perform(matter.number, action, users[actor], payload, now=at)
