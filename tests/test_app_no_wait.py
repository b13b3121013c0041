"""``speakerid app --no-wait`` returns, and the App it started keeps serving (issue 21: it used to
stop with the command that started it)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.request

import pytest
from app_data import speakerid_command

pytestmark = [pytest.mark.slow, pytest.mark.app]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_wait_returns_and_the_app_keeps_serving(hamilton, dataset_name, tmp_path):
    import fiftyone as fo

    fo.Dataset(dataset_name).add_sample(fo.Sample(filepath=str(hamilton)))
    port = _free_port()
    run = subprocess.run(
        speakerid_command("app", "--dataset", dataset_name, "--port", str(port), "--no-wait", "--no-worker"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    line = run.stdout.strip().splitlines()[-1]
    assert line.startswith(f"FiftyOne App: http://127.0.0.1:{port}/") and "server pid" in line
    pid = int(line.split("server pid ")[1].split(",")[0])
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as resp:
            assert resp.status == 200  # after the command returned
    finally:
        os.kill(pid, signal.SIGTERM)


def test_no_wait_on_a_missing_dataset_is_one_line(tmp_path):
    run = subprocess.run(
        speakerid_command("app", "--dataset", "no-such-dataset-speakerid", "--port", str(_free_port()), "--no-wait"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode != 0
    err = run.stderr.strip().splitlines()
    assert len(err) == 1 and "no-such-dataset-speakerid" in err[0], run.stderr
