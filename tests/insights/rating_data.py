"""A prefecture's month of ratings at 1/100 of the issue's scale (4,500 → 45), with known
levels, three bad ones rectified and followed up, one more found invalid on appeal, and
the rating SMS: the dataset of test_rating_figures.py (issue 17 §6)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from qinqing.cases import services as case_services
from qinqing.cases.models import Case
from qinqing.codes import services as code_services
from qinqing.notifications.models import SmsMessage, SmsStatus
from qinqing.org.models import Role, Unit, User
from qinqing.org.services import ensure_staff
from qinqing.ratings import appeals, followup, services
from qinqing.ratings.levels import Channel, Round
from qinqing.ratings.models import Rating

SHANGHAI = ZoneInfo("Asia/Shanghai")
HALL, WINDOW = "990102-HALL", "990102-W01"
PHONES = ["13800138001", "13800138002", "13800138003", "13800138004"]
# Good ratings of the month by level (scan), and two default ones (level 1, of cases).
GOOD = {1: 30, 2: 8, 3: 2}
DEFAULTS = 2


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@dataclass
class Month:
    bad: list[Rating]  # the three bad ratings, in order
    invalid: Rating
    window: Unit
    hall: Unit


def build_month() -> Month:
    admin = User.objects.get(username="admin")
    window, hall = Unit.objects.get(code=WINDOW), Unit.objects.get(code=HALL)
    code = code_services.issue(window, by=admin)
    handler, _ = ensure_staff(username="hall-handler", full_name="孙丽", unit=hall,
                              role=Role.HANDLER, password="x")
    leader, _ = ensure_staff(username="hall-leader", full_name="周敏", unit=hall,
                             role=Role.UNIT_LEADER, password="x")
    supervisor = User.objects.get(username="supervisor")

    def bad(level: str, phone: str, when: datetime) -> Rating:
        result = services.rate(code, {"level": level, "reason": "staff",
                                      "text": "材料一次没说清楚。", "name": "李明",
                                      "phone": phone}, token=uuid.uuid4().hex,
                               address=f"10.0.0.{len(phone) + int(phone[-1])}",
                               phone_verified=True, now=when)
        return result.rating

    def fix(rating: Rating, when: datetime, reply_after: timedelta) -> str:
        number = Case.objects.get(pk=rating.case_id).number
        case_services.perform(number, "sign", handler, now=when)
        case_services.perform(number, "reply", handler, {"answer": "已约谈窗口人员。"},
                              now=when + reply_after)
        case_services.perform(number, "review", leader,
                              now=when + reply_after + timedelta(minutes=10))
        return number

    # Three bad ratings: two replied on time and rated again satisfied (满意, 基本满意),
    # one replied late (the resolve limit is 3 working days) and rated again dissatisfied.
    first = bad("4", PHONES[0], at(2026, 11, 3, 10))
    second = bad("5", PHONES[1], at(2026, 11, 10, 15))
    third = bad("4", PHONES[2], at(2026, 11, 17, 9))
    n1 = fix(first, at(2026, 11, 3, 11), timedelta(hours=2))
    n2 = fix(second, at(2026, 11, 11, 9), timedelta(hours=3))
    n3 = fix(third, at(2026, 11, 17, 10), timedelta(days=8))
    followup.rate_again(n1, {"level": "2", "reason": "", "text": ""}, now=at(2026, 11, 4, 9))
    followup.rate_again(n2, {"level": "3", "reason": "", "text": ""},
                        now=at(2026, 11, 12, 9))
    followup.rate_again(n3, {"level": "4", "reason": "staff", "text": "仍未说清楚。"},
                        now=at(2026, 11, 26, 9))
    # One more bad rating, found malicious on appeal: invalid, counted apart.
    wrong = bad("5", PHONES[3], at(2026, 11, 20, 16))
    number = Case.objects.get(pk=wrong.case_id).number
    case_services.perform(number, "sign", handler, now=at(2026, 11, 23, 9))
    made = appeals.appeal(number, handler, "评价人当天并未到该窗口办事。",
                          now=at(2026, 11, 23, 10))
    appeals.decide(made.pk, supervisor, uphold=True, reason="监控显示当天无此人办事。",
                   now=at(2026, 11, 24, 10))

    # The good ratings, spread over the month (they make no case: written directly).
    rows, day = [], 0
    for level, count in GOOD.items():
        for _i in range(count):
            when = at(2026, 11, 2 + day % 28, 10)
            day += 1
            rows.append(Rating(code=code, unit=window, answerable_unit=hall,
                               region=first.region, object_key=first.object_key,
                               level=level, channel=Channel.SCAN, rated_at=when,
                               visit_day=when.date(), form_token=uuid.uuid4().hex))
    for i in range(DEFAULTS):
        case = case_services.create_case(None, {
            "kind": "complaint", "channel": "hotline", "title": "办事排队时间长",
            "content": "窗口排队时间过长。",
            "category": settings.QINQING_RATING_CATEGORY, "region": first.region.code, "anonymous": True},
            idempotency_key=f"default-{i}", now=at(2026, 11, 5, 9)).case
        when = at(2026, 11, 20 + i, 9)
        rows.append(Rating(rated_case=case, answerable_unit=hall, region=first.region,
                           object_key=f"case:{case.pk}", level=1, channel=Channel.SMS_LINK,
                           is_default=True, rated_at=when, visit_day=when.date(),
                           form_token=uuid.uuid4().hex))
    Rating.objects.bulk_create(rows)

    # Rating invitations of closed cases: three accepted by the gateway, one still queued,
    # and one queued on 1 December (another period).
    for i, (status, created) in enumerate([(SmsStatus.SENT, at(2026, 11, 6, 9)),
                                           (SmsStatus.SENT, at(2026, 11, 9, 9)),
                                           (SmsStatus.SENT, at(2026, 11, 30, 20)),
                                           (SmsStatus.QUEUED, at(2026, 11, 30, 21)),
                                           (SmsStatus.SENT, at(2026, 12, 1, 9))]):
        SmsMessage.objects.create(
            phone_enc="13900000000", text="请评价", event_key=f"rating-invite:C{i}:1:1",
            status=status, next_attempt_at=created, created_at=created,
            sent_at=created + timedelta(minutes=1) if status == SmsStatus.SENT else None)
    assert Rating.objects.filter(round=Round.FIRST).count() == 46
    return Month([first, second, third], wrong, window, hall)
