"""The `qinqing` command as a person types it: real processes, real exit codes."""

import os
import subprocess
import sys

import pytest


def run(*args, env=None, data_dir):
    full_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    full_env["QINQING_DATA_DIR"] = str(data_dir)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "qinqing", *args], capture_output=True, text=True,
        env=full_env, timeout=120,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli")
    result = run("migrate", "-v", "0", data_dir=path)
    assert result.returncode == 0, result.stderr
    return path


def test_deadline_national_day(data_dir):
    result = run("deadline", "--start", "2024-09-30 10:00", "--limit", "3d", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2024-10-10T17:30:00+08:00"


def test_deadline_across_a_year_without_data_is_provisional(data_dir):
    result = run("deadline", "--start", "2027-03-01 10:00", "--limit", "2d", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2027-03-03T17:30:00+08:00"
    assert "provisional" in result.stderr and "2027" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["deadline", "--start", "2024-09-30 10:00", "--limit", "3x"], "unknown time limit"),
        (["deadline", "--start", "10:00", "--limit", "3d"], "not a date and time"),
        (["deadline", "--start", "2024-09-30", "--limit", "3d"], "not a date and time"),
    ],
)
def test_bad_input_is_one_line_without_traceback(data_dir, args, expected):
    result = run(*args, data_dir=data_dir)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_database_url_is_one_line_without_traceback(tmp_path):
    result = run("check", env={"DATABASE_URL": "mysql://root@localhost/x"}, data_dir=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("qinqing: configuration error: DATABASE_URL")


def test_migrate_creates_the_cache_table_the_rate_limits_use(data_dir):
    # The wrong-try counters of tracking and sign-in live in the database cache; without
    # its table every public tracking request answered 500 on a fresh install.
    result = run("shell", "-c", "from django.core.cache import cache; cache.set('probe', 41); "
                 "print(cache.incr('probe'))", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "42"
