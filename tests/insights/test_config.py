"""The configurable rates are read from the environment and checked at start-up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _check(tmp_path, **env):
    return subprocess.run([sys.executable, "-m", "qinqing.cli", "check"], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "QINQING_DATA_DIR": str(tmp_path), **env})


@pytest.mark.parametrize("name, value", [
    ("QINQING_SATISFIED_LEVELS", "satisfied,happy"),
    ("QINQING_RESPONSE_STAGE", "resolve"),
    ("QINQING_RESOLUTION_BASE", "some"),
])
def test_a_bad_rate_definition_stops_with_its_name(tmp_path, name, value):
    done = _check(tmp_path, **{name: value})
    assert done.returncode == 2 and name in done.stderr and "Traceback" not in done.stderr


def test_good_rate_definitions_start(tmp_path):
    done = _check(tmp_path, QINQING_SATISFIED_LEVELS="satisfied", QINQING_RESPONSE_STAGE="dispatch",
                  QINQING_RESOLUTION_BASE="all")
    assert done.returncode == 0, done.stderr
