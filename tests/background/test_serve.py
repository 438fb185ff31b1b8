"""`qinqing serve --with-worker` (what `make run` starts): the server and one worker, both
stopped when the command is told to stop. Runs over its own SQLite file."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_worker_starts_both_and_stops_both(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(QINQING_DATA_DIR=str(tmp_path), QINQING_BIND=f"127.0.0.1:{port}",
               QINQING_WORKERS="1", QINQING_TICK_SECONDS="1",
               DJANGO_SETTINGS_MODULE="qinqing.settings")
    cli = [sys.executable, "-m", "qinqing.cli"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([*cli, "serve", "--with-worker"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        served = ticked = False
        while not (served and ticked):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/public/listed/",
                                            timeout=2) as answer:
                    served = answer.status == 200
            except OSError:
                pass
            with sqlite3.connect(tmp_path / "qinqing.sqlite3") as db:
                ticked = bool(db.execute("SELECT count(*) FROM background_schedule "
                                         "WHERE last_run IS NOT NULL").fetchone()[0])
            time.sleep(0.3)
        children = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True,
                                  text=True).stdout.split()
        assert len(children) >= 3  # serve, gunicorn (master + worker), qinqing worker
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        time.sleep(0.5)
        left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True,
                              text=True).stdout.split()
        assert left == [], left
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
