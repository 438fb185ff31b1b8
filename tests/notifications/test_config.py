"""The SMS settings from the environment: checked, with one-line errors."""

import os
import subprocess
import sys

import pytest

from qinqing.config import env_int, load_sms

SMS_VARS = ("QINQING_SMS_BACKEND", "QINQING_SMS_GATEWAY_URL", "QINQING_SMS_GATEWAY_TOKEN",
            "QINQING_SMS_TIMEOUT")


@pytest.fixture
def env(monkeypatch):
    for name in SMS_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_to_the_file_backend(env):
    assert load_sms() == {"backend": "file", "url": "", "token": "", "timeout": 10}


def test_the_gateway_from_the_environment(env):
    env.setenv("QINQING_SMS_BACKEND", "http")
    env.setenv("QINQING_SMS_GATEWAY_URL", "https://sms.example/send")
    env.setenv("QINQING_SMS_GATEWAY_TOKEN", "t0ken")
    env.setenv("QINQING_SMS_TIMEOUT", "2.5")
    assert load_sms() == {"backend": "http", "url": "https://sms.example/send",
                          "token": "t0ken", "timeout": 2.5}


@pytest.mark.parametrize("values, named", [
    ({"QINQING_SMS_BACKEND": "pigeon"}, "QINQING_SMS_BACKEND"),
    ({"QINQING_SMS_BACKEND": "http"}, "QINQING_SMS_GATEWAY_URL"),
    ({"QINQING_SMS_GATEWAY_URL": "ftp://x"}, "QINQING_SMS_GATEWAY_URL"),
    ({"QINQING_SMS_TIMEOUT": "0"}, "QINQING_SMS_TIMEOUT"),
    ({"QINQING_SMS_TIMEOUT": "soon"}, "QINQING_SMS_TIMEOUT"),
])
def test_bad_values_name_the_variable(env, values, named):
    for name, value in values.items():
        env.setenv(name, value)
    with pytest.raises(ValueError, match=named) as err:
        load_sms()
    assert "\n" not in str(err.value)


def test_a_dotted_backend_path_is_accepted(env):
    env.setenv("QINQING_SMS_BACKEND", "my_company.sms.Backend")
    assert load_sms()["backend"] == "my_company.sms.Backend"


def test_env_int(env):
    assert env_int("X_N", 8, 1, 100) == 8
    env.setenv("X_N", "3")
    assert env_int("X_N", 8, 1, 100) == 3
    for bad in ("0", "many", "101"):
        env.setenv("X_N", bad)
        with pytest.raises(ValueError, match="X_N"):
            env_int("X_N", 8, 1, 100)


def test_a_bad_sms_setting_stops_the_command_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and k not in SMS_VARS}
    env.update(QINQING_DATA_DIR=str(tmp_path), QINQING_SMS_BACKEND="http",
               QINQING_SMS_GATEWAY_TOKEN="very-secret")
    result = subprocess.run([sys.executable, "-m", "qinqing", "check"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "very-secret" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "qinqing: configuration error: QINQING_SMS_BACKEND=http needs QINQING_SMS_GATEWAY_URL")
