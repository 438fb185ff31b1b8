"""A write that finds SQLite's write lock held past the busy timeout answers 503 with
Retry-After — JSON on the API, the busy page on the web — never a 500; and the same
request sent again once the lock is free registers the case once (issue 13).

The test databases of pytest-django are SQLite in memory with a shared cache, where a
second connection fails at once with "database table is locked" instead of waiting: so
this runs in a child process over its own SQLite file (WAL, IMMEDIATE transactions, as
in production), with the busy timeout cut from 5 s to 0.3 s.

On PostgreSQL, a write that waits past `lock_timeout` (55P03) answers the same 503.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

ON_SQLITE = pytest.mark.skipif(connection.vendor != "sqlite",
                               reason="SQLite's single writer and busy_timeout")
ON_POSTGRESQL = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="PostgreSQL's lock_timeout")

SCRIPT = r'''
import json, sqlite3, time
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db import connection

options = settings.DATABASES["default"]["OPTIONS"]
assert "busy_timeout=5000" in options["init_command"], options
options["init_command"] = options["init_command"].replace("busy_timeout=5000",
                                                          "busy_timeout=300")
call_command("migrate", verbosity=0)
from qinqing.cases import services
from qinqing.cases.models import Case
from qinqing.demo.city import build_demo_organisation
from qinqing.org.models import User
from django.test import Client

build_demo_organisation()
intake = User.objects.get(username="intake")
token = services.issue_token(intake)
api = Client()
web = Client()
web.force_login(intake)
connection.close()

CASE = {"kind": "consultation", "channel": "hotline", "category": "SPFW-01",
        "content": "营业执照变更网上办理一直提示系统繁忙，请问怎么办？"}
HEADERS = {"Authorization": "Bearer " + token, "Idempotency-Key": "busy-1"}
FORM = {"phone": "13812345678", "name": "张三丰", "reporter_enterprise": "", "kind": "投诉",
        "category": "SPFW-01", "content": "申请食品经营许可已超过承诺时限仍未办结。",
        "title": "", "enterprise_name": "", "subject_unit": "", "region": "",
        "channel": "hotline", "idempotency_key": "busy-form-1", "id_number": "",
        "contact": "", "answer": ""}

def post_case():
    return api.post("/api/v1/cases", json.dumps(CASE), content_type="application/json",
                    headers=HEADERS)

out = {}
holder = sqlite3.connect(settings.DATABASES["default"]["NAME"], isolation_level=None)
holder.execute("BEGIN IMMEDIATE")  # another process's long write: the lock is held
try:
    started = time.monotonic()
    r = post_case()
    out["api"] = {"status": r.status_code, "retry_after": r.get("Retry-After"),
                  "type": r["Content-Type"], "body": r.content.decode(),
                  "waited": time.monotonic() - started}
    r = web.post("/intake/new/", FORM)
    out["web"] = {"status": r.status_code, "retry_after": r.get("Retry-After"),
                  "type": r["Content-Type"], "body": r.content.decode()}
finally:
    holder.execute("ROLLBACK")
    holder.close()
out["cases_while_locked"] = Case.objects.count()
out["api_again"] = [post_case().status_code, post_case().status_code]
out["web_again"] = web.post("/intake/new/", FORM).status_code
out["cases"] = Case.objects.count()
print("RESULT " + json.dumps(out, ensure_ascii=False))
'''


@ON_SQLITE
def test_a_held_write_lock_answers_503_not_500(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(QINQING_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="qinqing.settings",
               QINQING_SMS_BACKEND="console")
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    out = json.loads(line[len("RESULT "):])

    api = out["api"]
    assert api["status"] == 503, api
    assert api["retry_after"] and int(api["retry_after"]) > 0
    assert api["type"].startswith("application/json")
    body = json.loads(api["body"])
    assert body["code"] == "busy" and "重新发送" in body["message"], body
    assert api["waited"] >= 0.25  # it did wait for the busy timeout first

    web = out["web"]
    assert web["status"] == 503, web["body"][-2000:]
    assert web["retry_after"] and int(web["retry_after"]) > 0
    assert web["type"].startswith("text/html")
    assert 'data-testid="busy"' in web["body"] and "系统繁忙" in web["body"]
    assert 'class="top"' in web["body"]  # the product's page, not a bare error

    assert out["cases_while_locked"] == 0  # nothing half-saved
    assert out["api_again"] == [201, 200]  # the retry registers it, a replay finds it
    assert out["web_again"] == 201
    assert out["cases"] == 2


@ON_POSTGRESQL
def test_a_postgresql_lock_timeout_answers_503(api_client):
    import psycopg

    from qinqing.cases.models import Case
    from tests.api.conftest import CONSULTATION

    db = connection.settings_dict
    other = psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"] or None,
                            port=db["PORT"] or None, password=db["PASSWORD"] or None,
                            autocommit=False)
    try:
        other.execute(f"LOCK TABLE {Case._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        response = api_client.post("/cases", CONSULTATION, as_="intake",
                                    headers={"Idempotency-Key": "pg-busy-1"})
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert response.status_code == 503, response.content
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "busy"
    again = api_client.post("/cases", CONSULTATION, as_="intake",
                            headers={"Idempotency-Key": "pg-busy-1"})
    assert again.status_code == 201, again.content
