"""Files speakerid writes: whole or not at all (even under SIGKILL), with the user's umask, and
resume state in one file; and no noise but speakerid's own on the terminal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
from app_data import speakerid_command
from gallery_data import make_gallery
from kill_data import kill_when

from speakerid.cache import atomic_write_bytes


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask(tmp_path, mask):
    from speakerid.labels.json_export import write_json

    old = os.umask(mask)
    try:
        make_gallery().save(tmp_path / "g.sid")
        write_json(tmp_path / "r.json", [])
        atomic_write_bytes(tmp_path / "x.bin", b"x")
    finally:
        os.umask(old)
    for name in ("g.sid", "r.json", "x.bin"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~mask, name


def test_replacing_a_file_keeps_its_mode(tmp_path):
    target = tmp_path / "shared.json"
    target.write_text("{}")
    target.chmod(0o640)
    atomic_write_bytes(target, b"[]")
    assert target.stat().st_mode & 0o777 == 0o640 and target.read_text() == "[]"


WRITER = """
import sys
from speakerid.cache import atomic_write_bytes
atomic_write_bytes(sys.argv[1], b"new" * (150 * 1024 * 1024 // 3))
"""


def test_sigkill_mid_write_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "state.bin"
    target.write_bytes(b"old contents")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)])
    # watching the file system: the new bytes are being written now
    kill_when(proc, lambda: any(p.stat().st_size > 0 for p in tmp_path.glob(".state.bin.*.tmp")), 120)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"old contents"


def test_video_resume_state_is_one_self_contained_file(tmp_path):
    import torch

    from speakerid.video.train import STATE_FILE, _load_state, _save_state

    def parts(seed: int):
        torch.manual_seed(seed)
        model = torch.nn.Linear(4, 3)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
        model(torch.randn(2, 4)).sum().backward()
        opt.step()
        return model, opt, sched

    model, opt, sched = parts(0)
    sched.step()
    state = {"epoch": 7, "history": [{"epoch": 7, "val_loss": 0.5}], "best_val_loss": 0.5, "bad_epochs": 1}
    _save_state(tmp_path, model, opt, sched, state)
    assert [p.name for p in tmp_path.iterdir()] == [STATE_FILE]
    fresh, fresh_opt, fresh_sched = parts(1)
    assert _load_state(tmp_path, fresh, fresh_opt, fresh_sched) == state
    for a, b in zip(model.state_dict().values(), fresh.state_dict().values()):
        assert torch.equal(a, b)
    assert fresh_sched.state_dict() == sched.state_dict()
    assert fresh_opt.state_dict()["state"][0]["exp_avg"].equal(opt.state_dict()["state"][0]["exp_avg"])


def _cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(speakerid_command(*args), capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.slow  # starts the embedded database in a fresh process
def test_database_commands_print_only_speakerid_lines():
    """FiftyOne's 'oldest supported MongoDB' warning never reaches the user."""
    done = _cli("label", "--dataset", "no-such-dataset-here", "--gallery", "g.sid")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["speakerid: error: FiftyOne dataset 'no-such-dataset-here' not found"]
    assert done.stdout == ""


@pytest.mark.slow
def test_app_on_a_local_machine_prints_no_remote_banner(dataset_name):
    import fiftyone as fo

    ds = fo.Dataset(dataset_name)
    ds.persistent = True  # the App server is another process
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")}
    done = _cli("app", "--dataset", dataset_name, "--port", str(port), "--no-wait", env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert f"FiftyOne App: http://127.0.0.1:{port}/" in out
    assert "remote" not in out.lower() and "ssh -N -L" not in out
