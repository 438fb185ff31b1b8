"""The notifications page and the header's unread badge."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from qinqing.notifications import services


def _client(client, user):
    client.force_login(user)
    return client


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx), response.content.decode()


def test_the_page_lists_newest_first_in_a_fixed_number_of_queries(client, staff):
    me = staff("me")
    c = _client(client, me)
    for i in range(3):
        services.notify_user(me, f"通知{i}", kind="reminder")
    small, page = _queries(c, "/notifications/")
    assert page.index("通知2") < page.index("通知1") < page.index("通知0")
    for i in range(3, 60):
        services.notify_user(me, f"通知{i}", kind="reminder")
    large, page = _queries(c, "/notifications/")
    assert small == large
    assert "通知59" in page and "通知9" not in page  # 50 a page, the newest
    older = re.search(r'href="\?before=(\d+)"', page).group(1)
    _n, second = _queries(c, f"/notifications/?before={older}")
    assert "通知9" in second and "通知59" not in second


def test_the_header_shows_the_unread_count(client, staff):
    me = staff("me")
    c = _client(client, me)
    page = c.get("/notifications/").content.decode()
    assert 'data-testid="unread-count"' not in page
    for i in range(4):
        services.notify_user(me, f"待阅{i}")
    page = c.get("/notifications/").content.decode()
    assert re.search(r'data-testid="unread-count">4<', page)


def test_mark_chosen_or_all_read_only_ones_own(client, staff):
    me, other = staff("me"), staff("other")
    mine = [services.notify_user(me, f"自己的{i}") for i in range(3)]
    theirs = services.notify_user(other, "别人的")
    c = _client(client, me)
    response = c.post("/notifications/read/", {"ids": [mine[0].pk, theirs.pk, "x", "-1"]})
    assert response.status_code == 302
    from qinqing.notifications.queries import unread_count

    assert unread_count(me) == 2 and unread_count(other) == 1
    c.post("/notifications/read/", {"all": "1"})
    assert unread_count(me) == 0 and unread_count(other) == 1
    page = c.get("/notifications/?show=unread").content.decode()
    assert "自己的" not in page


def test_the_page_needs_a_login(client, db):
    assert client.get("/notifications/").status_code == 302
    assert client.post("/notifications/read/", {"all": "1"}).status_code == 302
