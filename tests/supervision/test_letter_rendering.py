"""A reminder letter's PDF is rendered before the step's transaction, not inside it: on
SQLite a transaction holds the one write lock, and a PDF takes a while (issue 13). A
letter rendered under a number another letter took meanwhile is rendered again: numbers
stay without gaps and each PDF prints its own number. And the board's texts refuse control
characters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from tests.documents import pdf_text


def _policy(**fields):
    from qinqing.supervision.models import EscalationPolicy

    policy = EscalationPolicy.current()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()
    return policy


def _recording(monkeypatch, calls, before=None):
    """render_letter, recording its number and how many atomic blocks were open."""
    from qinqing.supervision import letters

    real = letters.render_letter

    def render(**kwargs):
        calls.append((kwargs["number"], len(connection.atomic_blocks)))
        if before is not None:
            before(len(calls))
        return real(**kwargs)

    monkeypatch.setattr(letters, "render_letter", render)


def test_the_letter_is_rendered_outside_the_step_transaction(make_case, worker, at_time,
                                                            monkeypatch):
    from qinqing.cases.models import StageClock
    from qinqing.supervision.models import ReminderLetter

    _policy(letter_after_days=1, notify_warning=False, remind_overdue=False)
    case = make_case(("dispatch", "sign"))
    due = StageClock.objects.get(case=case, stage="resolve").due_at
    calls = []
    _recording(monkeypatch, calls)
    outside = len(connection.atomic_blocks)  # the test's own transaction (pytest-django)
    with at_time(due + timedelta(days=1, minutes=5)):
        worker.run_once()
    letter = ReminderLetter.objects.get(case=case)
    assert calls == [(letter.number, outside)]  # once, and in no transaction of the step
    assert letter.number in pdf_text(letter.attachment.file.read())


def test_a_letter_whose_number_was_taken_meanwhile_is_rendered_again(make_case, worker,
                                                                   at_time, monkeypatch):
    from qinqing.cases.models import NumberSequence, StageClock
    from qinqing.supervision import letters
    from qinqing.supervision.models import ReminderLetter

    _policy(letter_after_days=1, notify_warning=False, remind_overdue=False)
    case = make_case(("dispatch", "sign"))
    due = StageClock.objects.get(case=case, stage="resolve").due_at
    calls = []

    def another_letter_takes_the_number(call):
        if call == 1:  # while the first rendering runs, another process files letter 1
            NumberSequence.objects.update_or_create(series="letter", year=2026,
                                                    defaults={"last": 1})

    _recording(monkeypatch, calls, another_letter_takes_the_number)
    outside = len(connection.atomic_blocks)
    with at_time(due + timedelta(days=1, minutes=5)):
        worker.run_once()
    letter = ReminderLetter.objects.get(case=case)
    assert letter.seq == 2
    first, second = letters.letter_number("督办", 2026, 1), letters.letter_number("督办", 2026, 2)
    assert calls == [(first, outside), (second, outside)]
    text = pdf_text(letter.attachment.file.read())
    assert second in text and first not in text


def test_the_board_refuses_control_characters_in_its_texts(make_case, user):
    # The supervision board posts without a Django form: its service checks the texts.
    from qinqing.cases.errors import InvalidInput
    from qinqing.supervision import services
    from qinqing.supervision.models import Listing

    case = make_case(("dispatch", "sign"))
    with pytest.raises(InvalidInput) as refused:
        services.list_case(case.number, user("supervisor"), reason="久拖不办\x07")
    assert "控制字符" in refused.value.fields["reason"]
    with pytest.raises(InvalidInput) as refused:
        services.send_reminders([case.number], user("supervisor"), note="请尽快\x1b办理")
    assert "控制字符" in refused.value.fields["note"]
    assert not Listing.objects.exists()
