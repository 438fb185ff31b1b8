"""The figures of the public side: answered (the answer left the unit), the answer rate,
answered on time, and judgements given online — each with a known answer on a small set
of cases driven through the services, from the facts and from the rollups alike."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qinqing.insights import facts
from qinqing.insights.metrics import Scope, breakdown, breakdowns, figures
from qinqing.portal import services as portal
from tests.insights.conftest import CITY_DEPT, COUNTY_UNIT, FULL, at

JAN = Scope(date(2026, 1, 1), date(2026, 1, 31))
MAILBOX = "mayor_mailbox"
ANSWERS = ["received", "answered", "answer_rate", "answered_on_time", "answered_on_time_rate"]
ONLINE = ["rated_callbacks", "online_ratings", "online_rating_share"]
REPLIED = FULL[:4]  # dispatched, signed, replied, approved: the answer has left the unit


def _letters(drive):
    """Five letters to the mayor's mailbox and one hotline call in January 2026 (Monday
    5 January is a working day; the default limits: dispatch 1 working hour, sign 2,
    resolve 3 working days, review 1)."""
    drive(at(2026, 1, 5, 10), channel=MAILBOX, steps=FULL)  # answered on time
    drive(at(2026, 1, 5, 10), channel=MAILBOX, kind="consultation",
          steps=[("answer", 2)])  # answered directly, on time
    # Dispatched after 200 minutes (late), then answered: answered, not on time.
    drive(at(2026, 1, 6, 10), channel=MAILBOX, lead=CITY_DEPT,
          steps=[("dispatch", 200), ("sign", 210), ("reply", 600), ("review", 620)])
    drive(at(2026, 1, 7, 10), channel=MAILBOX, steps=FULL[:2])  # signed, not answered
    # Received on Friday 30 January, answered on Monday 2 February.
    drive(at(2026, 1, 30, 16), channel=MAILBOX,
          steps=[("dispatch", 10), ("sign", 20), ("reply", 3 * 24 * 60), ("review", 3 * 24 * 60 + 5)])
    drive(at(2026, 1, 8, 10), steps=FULL)  # the hotline


@pytest.mark.parametrize("source", ["facts", "rollup", "auto"])
def test_answered_answer_rate_and_on_time_of_the_mailbox(drive, source):
    _letters(drive)
    f = figures(Scope(JAN.start, JAN.end, channel=MAILBOX), ANSWERS, source=source)
    assert f["received"].value == 5
    assert f["answered"].value == 3  # the letter of 30 January was answered in February
    assert (f["answer_rate"].numerator, f["answer_rate"].denominator) == (3, 5)
    assert f["answer_rate"].value == Decimal(3) / Decimal(5) and f["answer_rate"].text == "60.0%"
    assert f["answered_on_time"].value == 2
    rate = f["answered_on_time_rate"]
    assert (rate.numerator, rate.denominator, rate.text) == (2, 3, "66.7%")
    # Over January and February the late letter is answered (on time: a weekend between).
    two = figures(Scope(JAN.start, date(2026, 2, 28), channel=MAILBOX), ANSWERS, source=source)
    assert (two["answered"].value, two["answered_on_time"].value) == (4, 3)
    every = figures(JAN, ["received", "answered"], source=source)
    assert (every["received"].value, every["answered"].value) == (6, 4)


def test_received_and_answered_per_channel_and_the_mailbox_per_unit(drive):
    _letters(drive)
    per_channel = breakdowns(["received", "answered", "answer_rate"], JAN, "channel")
    got = {key: (r.value, a.value) for (key, _l, r), (_k, _l2, a)
           in zip(per_channel["received"], per_channel["answered"])}
    assert got[MAILBOX] == (5, 3) and got["hotline"] == (1, 1) and got["web"] == (0, 0)
    rates = {key: f.value for key, _l, f in per_channel["answer_rate"]}
    assert rates["web"] is None and rates["hotline"] == 1  # no cases: no rate, not 0 %
    per_unit = breakdowns(ANSWERS, Scope(JAN.start, JAN.end, channel=MAILBOX), "unit")
    table = {key: tuple(per_unit[name][i][2].value for name in ANSWERS[:2] + ["answered_on_time"])
             for i, (key, _l, _f) in enumerate(per_unit["received"])}
    # The direct answer was never routed: its own group; the rest by the unit routed to.
    assert table == {"": (1, 1, 1), COUNTY_UNIT: (3, 1, 1), CITY_DEPT: (1, 1, 0)}
    assert [label for key, label, _f in per_unit["received"] if key == ""] == ["未转办"]


def test_an_answer_is_counted_once_and_a_finished_period_keeps_it(drive, user):
    case = drive(at(2026, 1, 30, 10), channel=MAILBOX, steps=REPLIED)  # a Friday
    before = figures(JAN, ANSWERS + ONLINE, source="facts")
    # Judged dissatisfied online in February: reopened, answered again, judged again.
    portal.rate(case.number, satisfaction="dissatisfied", resolved=False,
                reason="仍未解决", now=at(2026, 2, 2, 9))
    from qinqing.cases import services

    services.perform(case.number, "reply", user("handler"), {"answer": "已重新办理。"},
                     now=at(2026, 2, 3, 9))
    services.perform(case.number, "review", user("leader"), now=at(2026, 2, 3, 10))
    portal.rate(case.number, satisfaction="satisfied", resolved=True, reason="",
                now=at(2026, 2, 4, 9))
    after = figures(JAN, ANSWERS + ONLINE, source="facts")
    assert {n: after[n].value for n in ANSWERS + ONLINE} == {
        n: before[n].value for n in ANSWERS + ONLINE}
    assert (after["answered"].value, after["rated_callbacks"].value) == (1, 0)
    spring = Scope(JAN.start, date(2026, 2, 28))
    f = figures(spring, ANSWERS + ONLINE, source="facts")
    assert (f["answered"].value, f["rated_callbacks"].value, f["online_ratings"].value) == (1, 2, 2)
    assert figures(spring, ANSWERS + ONLINE, source="rollup") == f
    assert facts.differences() == [] and facts.rollup_differences() == []


@pytest.mark.parametrize("source", ["facts", "rollup"])
def test_judgements_given_online_count_with_the_callbacks(drive, source):
    online = drive(at(2026, 1, 5, 10), channel="web", steps=REPLIED)
    portal.rate(online.number, satisfaction="satisfied", resolved=True, reason="",
                now=at(2026, 1, 6, 9))
    unhappy = drive(at(2026, 1, 5, 11), channel="web", steps=REPLIED)
    portal.rate(unhappy.number, satisfaction="dissatisfied", resolved=False, reason="没解决",
                now=at(2026, 1, 6, 10))
    drive(at(2026, 1, 5, 12), steps=FULL)  # called back by the callback agent
    drive(at(2026, 1, 5, 13), steps=REPLIED + [("close_unrated", 700)])  # not rated
    f = figures(JAN, ONLINE + ["satisfaction_rate", "reopen_rate"], source=source)
    assert f["rated_callbacks"].value == 3
    assert f["online_ratings"].value == 2
    share = f["online_rating_share"]
    assert (share.numerator, share.denominator, share.text) == (2, 3, "66.7%")
    assert (f["reopen_rate"].numerator, f["reopen_rate"].denominator) == (1, 3)
    by_channel = {k: v.value for k, _l, v in breakdown("online_ratings", JAN, "channel",
                                                        source=source)}
    assert by_channel["web"] == 2 and by_channel["hotline"] == 0


def test_every_new_figure_has_its_formula_in_both_languages(demo_org):
    from django.utils import translation

    names = ANSWERS[1:] + ONLINE[1:]
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for name, figure in figures(JAN, names).items():
                assert figure.label and figure.formula
                if language == "zh-hans":
                    assert any("\u4e00" <= ch <= "\u9fff" for ch in figure.label + figure.formula), name


# ------------------------------------------------------------------ the page

@pytest.fixture
def client_as(demo_org):
    from django.test import Client

    from qinqing.org.models import User

    def make(username):
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return make


def _cells(page: str, key: str) -> list[str]:
    import re

    row = re.search(rf'<tr[^>]*data-key="{re.escape(key)}">(.*?)</tr>', page, re.S)
    assert row, key
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r'<td class="num"[^>]*>(.*?)</td>', row[1], re.S)]


def test_the_mailbox_monthly_figures_page(drive, client_as):
    _letters(drive)
    client = client_as("dispatcher")
    review = client.get("/mailbox/review/").content.decode()
    assert 'href="/insights/channels/?channel=mayor_mailbox"' in review
    page = client.get("/insights/channels/", {"start": "2026-01-01", "end": "2026-02-28",
                                              "channel": MAILBOX})
    assert page.status_code == 200
    html = page.content.decode()
    assert "市长信箱" in html and "答复率" in html
    # January as it stood at its end; February has no letters.
    assert _cells(html, "2026-01") == ["5", "3", "60.0% (3/5)", "2", "66.7% (2/3)"]
    assert _cells(html, f"2026-01/{COUNTY_UNIT}") == ["3", "1", "33.3% (1/3)", "1", "100.0% (1/1)"]
    assert _cells(html, f"2026-01/{CITY_DEPT}") == ["1", "1", "100.0% (1/1)", "0", "0.0% (0/1)"]
    assert _cells(html, "2026-01/") == ["1", "1", "100.0% (1/1)", "1", "100.0% (1/1)"]
    assert _cells(html, "2026-02") == ["0", "0", "—", "0", "—"]
    # Over both months the mailbox's letter of 30 January is answered.
    assert _cells(html, MAILBOX)[:4] == ["5", "4", "80.0% (4/5)", "3"]
    assert _cells(html, "hotline")[:2] == ["1", "1"]


def test_the_page_refuses_bad_input_and_strangers(drive, client_as):
    client = client_as("dispatcher")
    assert client.get("/insights/channels/", {"start": "2026-01-01", "end": "2028-12-31"}
                      ).status_code == 422
    bad = client.get("/insights/channels/", {"start": "2026-01-01", "end": "2026-01-31",
                                             "channel": "pigeon"})
    assert bad.status_code == 422 and "pigeon" in bad.content.decode()
    assert client.get("/insights/channels/").status_code == 200  # the last six months
    assert client_as("handler").get("/insights/channels/").status_code == 403


def test_the_page_costs_a_few_statements_a_month_whatever_the_letters(drive, client_as,
                                                                      settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.QINQING_REFDATA_TTL = 3600  # master data read once, however slow the machine
    client = client_as("analyst")
    params = {"start": "2026-01-01", "end": "2026-03-31", "channel": MAILBOX}

    def count(query):
        client.get("/insights/channels/", query)  # warm the master-data cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/insights/channels/", query).status_code == 200
        return len(captured)

    empty = count(params)
    _letters(drive)
    for i in range(6):
        drive(at(2026, 2, 2 + i, 10), channel=MAILBOX, steps=FULL[:1 + i % 5],
              lead=[COUNTY_UNIT, CITY_DEPT][i % 2])
    assert count(params) == empty
    one_more_month = count({**params, "end": "2026-04-30"})
    assert one_more_month - empty <= 3  # a month's totals and its units (2 on SQLite)
