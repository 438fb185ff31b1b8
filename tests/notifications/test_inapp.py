"""In-app notifications: to a person or to every active member of a unit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qinqing.notifications import queries, services
from qinqing.notifications.models import Kind, Notification
from tests.notifications.conftest import T0


def test_notify_a_user_and_read_it(staff):
    alice, bob = staff("alice"), staff("bob")
    first = services.notify_user(alice, "案件即将超期", body="QQ-2026-000001", now=T0)
    second = services.notify_user(alice, "催办", kind=Kind.REMINDER,
                                  now=T0 + timedelta(minutes=1))
    services.notify_user(bob, "给别人的", now=T0)

    assert [n.pk for n in queries.unread(alice)] == [second.pk, first.pk]  # newest first
    assert queries.unread_count(alice) == 2

    # Bob cannot mark Alice's as read.
    assert services.mark_read(bob, [first.pk], now=T0) == 0
    assert services.mark_read(alice, [first.pk], now=T0 + timedelta(hours=1)) == 1
    first.refresh_from_db()
    assert first.read_at == T0 + timedelta(hours=1)
    assert [n.pk for n in queries.unread(alice)] == [second.pk]
    assert services.mark_read(alice, now=T0) == 1  # all the rest
    assert queries.unread(alice) == [] and queries.unread_count(bob) == 1


def test_the_same_event_notifies_a_person_once(staff):
    alice = staff("alice")
    first = services.notify_user(alice, "预警", kind=Kind.STAGE_WARNING, event_key="warn:1")
    again = services.notify_user(alice, "预警", kind=Kind.STAGE_WARNING, event_key="warn:1")
    assert again.pk == first.pk
    assert Notification.objects.count() == 1


def test_notify_a_unit_reaches_its_active_members_only_once_per_event(staff, unit):
    from qinqing.org.models import Unit, UnitKind

    other = Unit.objects.create(code="990199-OTHER", name="别的局", kind=UnitKind.DEPARTMENT)
    alice, bob = staff("alice"), staff("bob")
    staff("gone", active=False)
    outsider = staff("outsider", member_of=other)

    assert services.notify_unit(unit, "单位预警", kind=Kind.STAGE_WARNING,
                                event_key="warn:QQ-1:resolve", now=T0) == 2
    assert services.notify_unit(unit, "单位预警", kind=Kind.STAGE_WARNING,
                                event_key="warn:QQ-1:resolve", now=T0) == 0
    carol = staff("carol")  # joins later: the next run of the same event reaches her only
    assert services.notify_unit(unit, "单位预警", event_key="warn:QQ-1:resolve") == 1
    assert {n.recipient.username for n in Notification.objects.all()} == {
        alice.username, bob.username, carol.username}
    assert queries.unread_count(outsider) == 0
    # Without a key every call notifies.
    assert services.notify_unit(unit, "通知") == 3


def test_a_notification_names_its_case(demo_org):
    from qinqing.cases.services import create_case
    from qinqing.org.models import User

    intake = User.objects.get(username="intake")
    case = create_case(intake, {
        "kind": "complaint", "channel": "hotline", "category": "SPFW-01",
        "title": "营业执照办理超期", "content": "申请营业执照已超过承诺时限仍未办结。",
        "reporter": {"name": "张三", "phone": "13812345678"},
    }).case
    handler = User.objects.get(username="handler")
    services.notify_user(handler, "案件即将超期", kind=Kind.STAGE_WARNING, case=case)
    (notice,) = queries.unread(handler)
    assert notice.case.number == case.number


def test_a_notification_needs_a_title_and_a_known_kind(staff):
    alice = staff("alice")
    with pytest.raises(ValueError):
        services.notify_user(alice, "  ")
    with pytest.raises(ValueError):
        services.notify_user(alice, "x", kind="nonsense")
