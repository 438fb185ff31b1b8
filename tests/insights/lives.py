"""Cases driven through the services at chosen moments (plain functions, usable from any
fixture scope), and faithful copies of them for large worlds (tests/insights/linfen.py)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

COUNTY_UNIT = "990102-SCJG"  # demo logins handler, leader
CITY_DEPT = "990000-D22"  # city market regulation bureau
DISCIPLINE = "990000-JW"

# Accounts the demo lacks: a handler in each kind of destination, a county's member.
EXTRA_STAFF = [
    ("handler_city", "handler", CITY_DEPT),
    ("handler_jw", "handler", DISCIPLINE),
    ("leader_county", "unit_leader", "990102"),
]
HANDLERS = {COUNTY_UNIT: "handler", CITY_DEPT: "handler_city", DISCIPLINE: "handler_jw"}
ACTORS = {"answer": "intake", "edit": "intake", "dispatch": "dispatcher", "redispatch": "dispatcher",
          "reject": "dispatcher", "review": "dispatcher", "send_back": "dispatcher",
          "callback": "callback", "reopen": "callback", "close_unrated": "callback",
          "approve_suspension": "dispatcher", "approve_extension": "dispatcher"}
DEFAULTS = {"answer": {"answer": "已当场答复。"}, "reply": {"answer": "已办结。"},
            "callback": {"satisfaction": "satisfied"},
            "reopen": {"satisfaction": "dissatisfied", "reason": "仍未解决"},
            "return": {"reason": "不属于本单位职责"}, "close_unrated": {"reason": "联系不上"},
            "reject": {"reason": "无效诉求"}, "send_back": {"reason": "答复不完整"},
            "request_suspension": {"reason": "等待企业补充材料"},
            "request_extension": {"reason": "情况复杂", "limit": "2d"}}

# A whole life: dispatched after 10 minutes, signed, replied, reviewed, called back.
FULL = [("dispatch", 10), ("sign", 30), ("reply", 600), ("review", 620), ("callback", 700)]


def setup_staff() -> None:
    from qinqing.demo.city import DEMO_PASSWORD
    from qinqing.org.models import Unit
    from qinqing.org.services import ensure_staff

    for username, role, unit in EXTRA_STAFF:
        ensure_staff(username=username, full_name=username, unit=Unit.objects.get(code=unit),
                     role=role, password=DEMO_PASSWORD)


class Driver:
    """drive(received_at, kind=..., steps=[(move, minutes_after_receipt, payload?), ...])."""

    def __init__(self):
        self._users: dict[str, object] = {}

    def user(self, name: str):
        from qinqing.org.models import User

        if name not in self._users:
            self._users[name] = User.objects.select_related("unit").get(username=name)
        return self._users[name]

    def __call__(self, received_at: datetime, *, kind="complaint", steps=(), lead=COUNTY_UNIT,
                 channel="hotline", category="SPFW-01", region=None, anonymous=False,
                 content="营业执照办理超过承诺时限仍未办结。"):
        from qinqing.cases import services
        from qinqing.cases.models import Case

        data = {"kind": kind, "channel": channel, "category": category, "content": content,
                "reporter": {"name": "张三", "phone": "13800000001"}}
        if region:
            data["region"] = region
        if anonymous:
            data["anonymous"] = True
            data.pop("reporter")
        case = services.create_case(self.user("intake"), data, now=received_at).case
        current_lead = lead
        for move, minutes, *rest in steps:
            payload = dict(rest[0]) if rest else {}
            if move in ("dispatch", "redispatch"):
                payload.setdefault("lead_unit", current_lead)
                payload.setdefault("reason", "按职责转办")
                current_lead = payload["lead_unit"]
            payload = {**DEFAULTS.get(move, {}), **payload}
            actor = ACTORS.get(move) or HANDLERS.get(current_lead, "handler")
            action = "callback" if move == "reopen" else move
            services.perform(case.number, action, self.user(actor), payload,
                             now=received_at + timedelta(minutes=minutes))
        return Case.objects.get(pk=case.pk)


def clone(case, times: int) -> list[int]:
    """`times` copies of a case that the services made: the case row (its own number and
    query-code hash), its reporters, stage clocks, timeline (hash chain recomputed for the
    new case id), facts and their share of the daily rollups, row for row as the services
    wrote the original. Returns ids.

    For worlds of thousands of cases: driving each through the services takes tens of
    milliseconds, copying takes a fraction of one."""
    from django.db import connection

    from qinqing.cases import confidential
    from qinqing.cases.models import Case, CaseEvent, NumberSequence, Reporter, StageClock
    from qinqing.cases.models.ledger import GENESIS
    from qinqing.insights.models import Fact

    year = int(case.number[3:7])
    table = NumberSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + %s WHERE series = 'case' AND year = %s "
                       "RETURNING last", [times, year])
        last = cursor.fetchone()[0]
    code = confidential.decrypt(case.query_code_enc)
    copies = []
    for n in range(last - times + 1, last + 1):
        new = _copy(case)
        new.number = f"QQ-{year}-{n:06d}"
        new.query_code_hash = confidential.query_code_hash(new.number, code)
        new.intake_key = None
        copies.append(new)
    Case.objects.bulk_create(copies)
    related = [(Reporter, list(Reporter.objects.filter(case=case))),
               (StageClock, list(StageClock.objects.filter(case=case))),
               (Fact, list(Fact.objects.filter(case=case)))]
    events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
    for model, rows in related:
        made = model.objects.bulk_create([_copy(row, case_id=new.pk) for new in copies
                                          for row in rows])
        if model is Fact:  # and the daily rollups, as facts.refresh_case moves them
            from qinqing.insights import facts, rollup

            totals = rollup.new_totals()
            destination = facts.destination_of()
            for fact in made:
                if fact.rolled:
                    rollup.add(totals, fact, destination)
            rollup.apply(totals)
    chained = []
    for new in copies:
        prev = GENESIS
        for event in events:
            row = _copy(event, case_id=new.pk)
            row.prev_hash = prev
            row.hash = row.compute_hash()
            prev = row.hash
            chained.append(row)
    CaseEvent.objects.bulk_create(chained)
    return [new.pk for new in copies]


def _copy(instance, **changes):
    row = copy.copy(instance)
    row.pk = None
    if hasattr(row, "id"):
        row.id = None
    row._state.adding = True
    row._state.fields_cache = {}
    for name, value in changes.items():
        setattr(row, name, value)
    return row
