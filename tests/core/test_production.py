"""QINQING_ENV=production: refuses to start without its keys, passes `check --deploy`.

Real processes with a clean environment (only what is set here), as an operator starts them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

import qinqing

SRC = str(Path(qinqing.__file__).resolve().parents[1])
REQUIRED = ["SECRET_KEY", "QINQING_FIELD_KEYS", "QINQING_INDEX_KEY", "QINQING_ALLOWED_HOSTS"]
KEY_FILES = ["secret_key", "field_key", "index_key"]


def production_env(data_dir: Path, **overrides) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": SRC,
           "QINQING_DATA_DIR": str(data_dir), "QINQING_ENV": "production",
           "SECRET_KEY": "k" * 20 + Fernet.generate_key().decode(),  # 64 varied characters
           "QINQING_FIELD_KEYS": Fernet.generate_key().decode(),
           "QINQING_INDEX_KEY": Fernet.generate_key().decode(),
           "QINQING_ALLOWED_HOSTS": "qinqing.example.gov.cn"}
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def qinqing_cmd(env, *args):
    return subprocess.run([sys.executable, "-m", "qinqing.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_refuses_to_start_without(tmp_path, missing):
    result = qinqing_cmd(production_env(tmp_path, **{missing: None}), "check")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert missing in lines[0] and "production" in lines[0]
    assert [name for name in REQUIRED if name in lines[0]] == [missing]
    # Nothing was generated in its place.
    assert not any((tmp_path / name).exists() for name in KEY_FILES)


def test_a_blank_variable_counts_as_missing(tmp_path):
    result = qinqing_cmd(production_env(tmp_path, QINQING_INDEX_KEY="  "), "check")
    assert result.returncode == 2 and "QINQING_INDEX_KEY" in result.stderr


def test_a_placeholder_of_the_template_is_refused(tmp_path):
    result = qinqing_cmd(production_env(tmp_path, SECRET_KEY="<python3 -c ...>"), "check")
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr and "placeholder" in result.stderr


def test_the_old_name_of_the_secret_key_still_works(tmp_path):
    env = production_env(tmp_path)
    env["QINQING_SECRET_KEY"] = env.pop("SECRET_KEY")
    result = qinqing_cmd(env, "check")
    assert result.returncode == 0, result.stderr


def test_production_refuses_debug(tmp_path):
    result = qinqing_cmd(production_env(tmp_path, QINQING_DEBUG="1"), "check")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "QINQING_DEBUG" in result.stderr


def test_check_deploy_has_no_warning(tmp_path):
    result = qinqing_cmd(production_env(tmp_path), "check", "--deploy")
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "WARNINGS" not in output and "?:" not in output, output
    assert "no issues" in output


def test_check_deploy_does_warn_outside_production(tmp_path):
    # The test above can fail: the same check, without production's defaults, warns.
    env = production_env(tmp_path, QINQING_ENV=None)
    result = qinqing_cmd(env, "check", "--deploy")
    assert "security.W004" in result.stdout + result.stderr  # no HSTS


def test_gunicorn_refuses_to_start_with_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = production_env(tmp_path, QINQING_FIELD_KEYS=None)
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "qinqing.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0  # gunicorn stops: "App failed to load"
    ours = [line for line in result.stderr.splitlines() if line.startswith("qinqing:")]
    assert len(ours) == 1 and "QINQING_FIELD_KEYS" in ours[0], result.stderr
    assert "Traceback" not in result.stderr


def test_outside_production_keys_are_generated_with_a_loud_line(tmp_path):
    env = production_env(tmp_path, QINQING_ENV=None, SECRET_KEY=None, QINQING_FIELD_KEYS=None,
                         QINQING_INDEX_KEY=None, QINQING_ALLOWED_HOSTS=None)
    first = qinqing_cmd(env, "check")
    assert first.returncode == 0, first.stderr
    loud = [line for line in first.stderr.splitlines() if "WARNING" in line]
    assert len(loud) == 1, first.stderr
    for name in REQUIRED[:3]:
        assert name in loud[0]
    assert str(tmp_path) in loud[0]
    assert all((tmp_path / name).exists() for name in KEY_FILES)
    kept = {name: (tmp_path / name).read_text() for name in KEY_FILES}
    # Kept: the next start uses the same keys and says nothing.
    second = qinqing_cmd(env, "check")
    assert second.returncode == 0 and "WARNING" not in second.stderr
    assert {name: (tmp_path / name).read_text() for name in KEY_FILES} == kept
