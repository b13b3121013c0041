"""The spool (results kept while the database was down) against a real FiftyOne database: one
folder per exact dataset name, every file checked before use, older results never replacing
newer labels, and two `speakerid flush` runs at once. The spooled documents are the real labels
of the Hamilton clip written by `speakerid annotate`.
"""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
from app_data import speakerid_command
from kill_data import resume, stop_env, wait_stopped

from speakerid.cli.main import main
from speakerid.labels import spool
from speakerid.labels.fiftyone_writer import FACES, FACES_BETWEEN, RUN, SPEAKER, LabelDocs, write_label_docs


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(speakerid_command(*args), capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def results(hamilton, shared_data):
    """Two real results for the Hamilton clip ({fps: LabelDocs}), as `annotate` stored them."""
    import fiftyone as fo

    out = {}
    for fps in ("1", "2"):
        name = f"test-spool-src-{uuid.uuid4().hex[:6]}"
        args = ["annotate", str(hamilton), "--gallery", str(shared_data / "gallery"), "--dataset", name]
        assert main([*args, "--quiet", "--fps", fps, "--end", "4"]) == 0
        out[float(fps)] = _docs_of(fo.load_dataset(name))
        fo.delete_dataset(name)
    return out


def _docs_of(ds) -> LabelDocs:
    import fiftyone as fo

    sample = ds._sample_collection.find_one({})
    skip = ("_id", "_sample_id", "_dataset_id", "created_at", "last_modified_at")
    frames = [
        {k: v for k, v in d.items() if k not in skip} for d in ds._frame_collection.find({"_sample_id": sample["_id"]})
    ]
    fields = {k: sample[k] for k in ("speaker_segments", "speakers", RUN)}
    types = {
        "speaker_segments": fo.TemporalDetections,
        "speakers": fo.Classifications,
        RUN: dict,
        f"frames.{FACES}": fo.Detections,
        f"frames.{SPEAKER}": fo.Classification,
    }
    if any(FACES_BETWEEN in d for d in frames):  # boxes between analysed frames, declared like the rest
        types[f"frames.{FACES_BETWEEN}"] = fo.Detections
    return LabelDocs(sample["filepath"], fields, frames, types)


@pytest.fixture()
def names():
    """Dataset names deleted after the test, with their spool folders."""
    import shutil

    import fiftyone as fo

    made: list[str] = []
    yield made
    for name in made:
        if fo.dataset_exists(name):
            fo.delete_dataset(name)
        shutil.rmtree(spool.spool_dir(name), ignore_errors=True)


def video_dataset(name: str, hamilton):
    import fiftyone as fo

    ds = fo.Dataset(name)
    ds.add_sample(fo.Sample(filepath=str(hamilton.resolve())))
    return ds


def fps_of(ds) -> float | None:
    ds.reload()
    if not ds.has_sample_field(RUN):
        return None
    return ds.first()[RUN]["fps"] if ds.first()[RUN] else None


@pytest.mark.slow
def test_unreadable_spool_files_are_set_aside_with_one_line_each(results, names, hamilton):
    """Issue 21 item 3: a truncated file and `{}` are moved aside, named in one warning line
    each; the good file is still written."""
    name = f"test-spool-bad-{uuid.uuid4().hex[:6]}"
    names.append(name)
    ds = video_dataset(name, hamilton)
    good = spool.spool(name, results[1.0], ds.first().id)
    folder = spool.spool_dir(name)
    (folder / "0truncated.json").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (folder / "1empty.json").write_text("{}")
    done = cli("flush", "--dataset", name)
    warnings = [ln for ln in done.stderr.splitlines() if ln.startswith("speakerid: warning:")]
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(warnings) == 2 and "0truncated.json" in warnings[0] and "1empty.json" in warnings[1], warnings
    assert "wrote 1 spooled result(s)" in done.stdout and fps_of(ds) == 1.0
    assert list(folder.glob("*.json")) == [] and sorted(p.name for p in folder.rglob("*.json")) == [
        "0truncated.json",
        "1empty.json",
    ]


@pytest.mark.slow
def test_similar_dataset_names_never_share_a_spool(results, names, hamilton):
    """Issue 21 item 5: results spooled for `x#b` are never flushed into `x_b`."""
    tag = uuid.uuid4().hex[:6]
    hash_name, under_name = f"test-spool-{tag}#b", f"test-spool-{tag}_b"
    names += [hash_name, under_name]
    hashed, under = video_dataset(hash_name, hamilton), video_dataset(under_name, hamilton)
    spool.spool(hash_name, results[1.0])  # an `annotate` result: its sample is found by filepath
    done = cli("flush", "--dataset", under_name)
    assert done.returncode == 0, done.stderr[-2000:]
    assert fps_of(under) is None  # not written into the other dataset
    done = cli("flush", "--dataset", hash_name)
    assert done.returncode == 0 and "wrote 1 spooled result(s)" in done.stdout, done.stderr[-2000:]
    assert fps_of(hashed) == 1.0 and fps_of(under) is None and len(hashed) == len(under) == 1


@pytest.mark.slow
def test_flush_never_replaces_newer_labels(results, names, hamilton):
    """Issue 21 item 6: labels written after the spooled ones were made (another machine) stay;
    the spooled file is set aside with one line saying why."""
    name = f"test-spool-newer-{uuid.uuid4().hex[:6]}"
    names.append(name)
    ds = video_dataset(name, hamilton)
    kept = spool.spool(name, results[1.0], ds.first().id)
    time.sleep(0.05)
    write_label_docs(ds, results[2.0])  # another machine, database up: newer labels
    done = cli("flush", "--dataset", name)
    warnings = [ln for ln in done.stderr.splitlines() if ln.startswith("speakerid: warning:")]
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert fps_of(ds) == 2.0
    assert len(warnings) == 1 and kept.name in warnings[0] and "newer" in warnings[0], done.stderr
    assert not kept.exists() and list(spool.spool_dir(name).rglob(kept.name))


def waiting_for_lock(pid: int) -> bool:
    """``pid`` is blocked on a file lock (a ``->`` line of /proc/locks)."""
    with open("/proc/locks") as fh:
        return any("->" in line and f" {pid} " in line for line in fh)


@pytest.mark.slow
def test_two_flush_runs_at_once(results, names, hamilton):
    """Issue 21 item 9: the first flush is frozen after reading a file, a second one runs; both
    end cleanly and the result is written once."""
    name = f"test-spool-two-{uuid.uuid4().hex[:6]}"
    names.append(name)
    ds = video_dataset(name, hamilton)
    spool.spool(name, results[1.0], ds.first().id)
    first = subprocess.Popen(
        speakerid_command("flush", "--dataset", name), env=stop_env("flush-read"), stderr=subprocess.PIPE, text=True
    )
    wait_stopped(first)
    second = subprocess.Popen(speakerid_command("flush", "--dataset", name), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while second.poll() is None and not waiting_for_lock(second.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    resume(first)
    for proc in (first, second):
        assert proc.wait(timeout=300) == 0, proc.stderr.read()[-2000:]
    assert fps_of(ds) == 1.0 and len(ds) == 1 and spool.spooled(name) == []
