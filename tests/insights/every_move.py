"""Every move of the transition table on a January's cases, made in February: the
scenario of the reproducibility test (test_attribution) and of the statement counts
(test_move_statements)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.db import connection

from qinqing.cases import services as case_services
from qinqing.cases.models import Case
from tests.insights.conftest import CITY_DEPT, DISCIPLINE, FULL, at
from tests.insights.lives import DEFAULTS, HANDLERS

HOTLINE_ACTORS = {
    "edit": "intake", "answer": "intake", "not_accept": "intake", "merge": "intake",
    "dispatch": "dispatcher", "redispatch": "dispatcher", "reject": "dispatcher",
    "approve_extension": "dispatcher", "deny_extension": "dispatcher",
    "approve_suspension": "dispatcher", "deny_suspension": "dispatcher",
    "review": "dispatcher", "send_back": "dispatcher",
    "callback": "callback", "reopen": "callback", "close_unrated": "callback"}
PAYLOADS = {**DEFAULTS, "not_accept": {"reason": "属于诉讼程序", "told": "已告知依法起诉"},
            "deny_extension": {"reason": "理由不充分"}, "deny_suspension": {"reason": "无需中止"}}


class Mover:
    """Moves of the transition table after the period, each a minute after the last, by
    the role that may make it (a unit move by the handler of the case's lead unit)."""

    def __init__(self, drive, start):
        self.drive, self.when, self.done = drive, start, set()
        self.statements: dict[str, list[int]] = {}  # move -> SQL statements of each time

    def __call__(self, case, move, payload=None):
        case = Case.objects.select_related("lead_unit").get(pk=case.pk)
        actor = HOTLINE_ACTORS.get(move) or HANDLERS[case.lead_unit.code]
        body = {**PAYLOADS.get(move, {}), **(payload or {})}
        if move in ("dispatch", "redispatch"):
            body.setdefault("reason", "按职责转办")
        self.when += timedelta(minutes=7)
        user = self.drive.user(actor)
        seen: list[str] = []

        def record(execute, sql, params, many, context):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            case_services.perform(case.number, move, user, body, now=self.when)
        self.statements.setdefault(move, []).append(len(seen))
        self.done.add(move)


def january(drive) -> SimpleNamespace:
    """Cases received in January 2026 and left in every state at the end of the month."""
    received = drive(at(2026, 1, 5, 10), kind="consultation")
    not_accepted = drive(at(2026, 1, 5, 11))
    to_answer = drive(at(2026, 1, 5, 12), kind="consultation")
    edited_same_day = drive(at(2026, 1, 5, 14), kind="consultation", steps=[
        ("edit", 30, {"fields": {"kind": "complaint"}}), ("dispatch", 40)])
    dispatched = drive(at(2026, 1, 6, 10), steps=[("dispatch", 10)])
    rerouted = drive(at(2026, 1, 6, 11), steps=[("dispatch", 10)])
    signed = drive(at(2026, 1, 7, 10), steps=FULL[:2])
    replied = drive(at(2026, 1, 7, 11), steps=FULL[:3], lead=CITY_DEPT)
    reviewed = drive(at(2026, 1, 8, 10), steps=FULL[:4])
    returned = drive(at(2026, 1, 8, 11), steps=[("dispatch", 10), ("return", 40)])
    drive(at(2026, 1, 9, 10), steps=FULL)  # closed in January: nothing can change it
    report = drive(at(2026, 1, 9, 11), kind="report", steps=[("dispatch", 10)], lead=DISCIPLINE)
    drive(at(2026, 1, 12, 10), steps=[("dispatch", 10), ("return", 30),
                                      ("redispatch", 60, {"lead_unit": CITY_DEPT}),
                                      ("sign", 70), ("reply", 600), ("review", 620)])
    return SimpleNamespace(
        received=received, not_accepted=not_accepted, to_answer=to_answer,
        edited_same_day=edited_same_day, dispatched=dispatched, rerouted=rerouted,
        signed=signed, replied=replied, reviewed=reviewed, returned=returned, report=report)


def every_move(move: Mover, c: SimpleNamespace, inspector) -> None:
    """Every move of the table on January's cases (`c`), and a reclassification."""
    move(c.received, "edit", {"fields": {"kind": "complaint", "category": "ZFJG-01",
                                         "region": "990103"}})
    move(c.received, "dispatch", {"lead_unit": CITY_DEPT})
    move(c.received, "sign")
    move(c.not_accepted, "not_accept")
    move(c.to_answer, "answer")
    move(c.dispatched, "return")
    move(c.dispatched, "reject")
    move(c.rerouted, "return")
    move(c.rerouted, "redispatch", {"lead_unit": CITY_DEPT})
    move(c.rerouted, "sign")
    for request, decision in (("request_extension", "approve_extension"),
                              ("request_extension", "deny_extension"),
                              ("request_suspension", "deny_suspension"),
                              ("request_suspension", "approve_suspension")):
        move(c.rerouted, request)
        move(c.rerouted, decision)
    move(c.rerouted, "resume")
    move(c.rerouted, "reply")
    move(c.returned, "edit", {"fields": {"region": "990103", "category": "ZFJG-01"}})
    move(c.returned, "merge", {"into": c.signed.number})
    move(c.signed, "reply")
    move(c.signed, "send_back")
    move(c.signed, "reply")
    move(c.signed, "review")
    move(c.signed, "close_unrated")
    move(c.replied, "review")
    move(c.replied, "callback", {"satisfaction": "satisfied"})
    move(c.reviewed, "reopen")
    move(c.reviewed, "reply")
    move(c.edited_same_day, "sign")
    case_services.reclassify_report(c.report.number, inspector, reason="经核实属投诉",
                                    kind="complaint")
    move(c.report, "sign")
