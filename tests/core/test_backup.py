"""deploy/backup: the backup script really dumps a database and the restore script really
brings its rows back into a fresh one (PostgreSQL only: the scripts use pg_dump)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup" / "qinqing-backup.sh"
RESTORE = ROOT / "deploy" / "backup" / "qinqing-restore.sh"

pytestmark = [
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith(
        ("postgres://", "postgresql://")), reason="DATABASE_URL does not name PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def _url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict["USER"] or "")
    password = settings_dict["PASSWORD"]
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict["HOST"] or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{auth}{host}{port}/{name}"


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"{connection.settings_dict['NAME']}_restore"[:63]
    admin = _url(connection.settings_dict, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _url(connection.settings_dict, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))


# transaction: the rows must be committed for pg_dump to see them. serialized_rollback, like
# the other committing tests: a plain flush would re-create the content types, which the
# next serialized_rollback test then inserts again (duplicate key).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_then_restore_into_a_fresh_database(tmp_path, fresh_database, demo_org):
    import psycopg

    from qinqing.cases import services
    from qinqing.cases.models import Case
    from qinqing.org.models import User

    intake = User.objects.get(username="intake")
    created = [services.create_case(intake, {
        "kind": "consultation", "channel": "hotline", "category": "SPFW-01",
        "content": f"备份测试工单 {n}", "reporter": {"name": "张三", "phone": "13812345678"},
    }).case for n in range(3)]
    table = Case._meta.db_table
    columns = "number, content, state"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY number")
        before = cursor.fetchall()
    assert len(before) == 3 and {c.number for c in created} == {row[0] for row in before}

    data = tmp_path / "data"
    (data / "media" / "attachments").mkdir(parents=True)
    (data / "media" / "attachments" / "a.txt").write_text("附件")
    env = {**os.environ, "DATABASE_URL": _url(connection.settings_dict,
                                               connection.settings_dict["NAME"]),
           "QINQING_BACKUP_DIR": str(tmp_path / "backups"), "QINQING_DATA_DIR": str(data)}
    done = subprocess.run(["sh", str(BACKUP)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    dump = Path(done.stdout.strip())
    assert dump.is_file() and dump.stat().st_size > 0
    assert dump.with_name(dump.name.replace(".dump", ".media.tar.gz")).is_file()
    assert not list(dump.parent.glob("*.partial"))

    restored_data = tmp_path / "restored"
    env.update(DATABASE_URL=fresh_database, QINQING_DATA_DIR=str(restored_data))
    done = subprocess.run(["sh", str(RESTORE), str(dump)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(fresh_database) as conn:
        after = conn.execute(f"SELECT {columns} FROM {table} ORDER BY number").fetchall()
        users = conn.execute(f"SELECT count(*) FROM {User._meta.db_table}").fetchone()[0]
    assert after == before
    assert users == User.objects.count()
    assert (restored_data / "media" / "attachments" / "a.txt").read_text() == "附件"

    # Restoring again over the now-filled database is refused, and changes nothing.
    again = subprocess.run(["sh", str(RESTORE), str(dump)], env=env, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 2 and "already has" in again.stderr
