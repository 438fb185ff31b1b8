"""The timeline's owner (qinqing.cases.timeline): its registry of event kinds and its one
hook, `case_changed`, through which other apps react to a case change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import signals
from django.utils import translation

from qinqing.cases import services, timeline
from qinqing.cases.models import CaseEvent, StageClock
from qinqing.cases.timeline import UnknownEventKind, registry

from .conftest import LEAD


def test_every_app_registers_its_kinds():
    by_app = {}
    for kind in registry:
        by_app.setdefault(kind.app, set()).add(kind.name)
    assert {"create", "dispatch", "callback", "attach", "unmask"} <= by_app["cases"]
    assert {"remind", "reminder_letter", "list_supervision"} <= by_app["supervision"]
    assert {"campaign_entered", "joint_meeting", "inspection_finding"} <= by_app["oversight"]
    # Words in the user's language.
    with translation.override("zh-hans"):
        assert registry.label("callback") == "回访"
        assert registry.label("list_supervision") == "挂牌督办"
        assert registry.label("no_such_kind") == "no_such_kind"  # an old event still shows


def test_an_unknown_kind_is_refused_and_nothing_is_written(make_case):
    case = make_case("handling")
    before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(UnknownEventKind, match="'no_such_kind'"):
        timeline.append_event(case, "no_such_kind", None)
    assert CaseEvent.objects.filter(case=case).count() == before


def test_a_kind_is_registered_once():
    with pytest.raises(ValueError, match="registered by cases"):
        timeline.register("somewhere", timeline.EventKind(
            "dispatch", "else", public=False, changes_figures=False))
    timeline.register("cases", registry["dispatch"])  # the same kind again: no change


def test_the_bulk_path_refuses_a_kind_that_changes_figures(make_case):
    case = make_case("handling")
    assert registry["reclassify"].changes_figures
    with pytest.raises(ValueError, match="'reclassify'"):
        timeline.append_events([(case, "", {})], "reclassify", None)


@pytest.fixture
def hooked():
    seen = []

    def receiver(sender, case, events, clocks, created, **kwargs):
        seen.append({"case": case.pk, "events": [e.action for e in events],
                     "saved": all(e.pk for e in events), "created": created,
                     "clocks": [c.stage for c in clocks],
                     "in_transaction": connection.in_atomic_block})
        return []

    timeline.case_changed.connect(receiver, dispatch_uid="test: hooked")
    yield seen
    timeline.case_changed.disconnect(dispatch_uid="test: hooked")


def test_a_move_sends_the_hook_inside_its_transaction(make_case, user, hooked):
    case = make_case("received")
    assert hooked == [{"case": case.pk, "events": ["create"], "saved": hooked[0]["saved"],
                       "created": True, "clocks": ["dispatch"],
                       "in_transaction": hooked[0]["in_transaction"]}]
    hooked.clear()
    services.perform(case.number, "dispatch", user("dispatcher"), {"lead_unit": LEAD})
    assert hooked == [{"case": case.pk, "events": ["dispatch"], "saved": True,
                       "created": False, "clocks": ["sign", "resolve"],
                       "in_transaction": True}]
    assert StageClock.objects.filter(case=case, stage__in=["sign", "resolve"]).count() == 2


def test_a_note_and_the_bulk_path_send_it_too(make_case, hooked):
    case = make_case("handling")
    hooked.clear()
    timeline.append_event(case, "remind", None)
    timeline.append_events([(case, "", {})], "campaign_entered", None)
    assert [(h["events"], h["created"]) for h in hooked] == [
        (["remind"], False), (["campaign_entered"], False)]


def test_no_orm_signal_carries_a_consequence_of_a_case_change():
    # Consequences go through timeline.case_changed; a post_save receiver on the timeline
    # would be skipped by the intake's single statement and the bulk path.
    assert not any(signals.post_save._live_receivers(CaseEvent))
