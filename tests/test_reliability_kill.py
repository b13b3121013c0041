"""SIGKILL a real `speakerid annotate` while it rewrites a video, and race first writes.

The test watches the database, not a timer: it kills the process as soon as the write reaches
the chosen step (its first staged frame documents appear; the sample's own frames start to
change). Whatever instant the kill lands on, every reader must then see the sample fully old
or fully new: directly, or after speakerid's reader-side repair (``finish_pending``), which
``annotate``, ``label`` and ``app`` run before anything else.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from app_data import speakerid_command
from bson import ObjectId
from kill_data import kill_when

from speakerid.cli.main import main
from speakerid.labels.fiftyone_writer import FACES, SEGMENTS, SPEAKER
from speakerid.labels.replace import PENDING, finish_pending

OLD = ["--every", "1", "--end", "8"]  # many old frame documents too: a longer swap to kill in
NEW = ["--every", "1"]  # every frame of the clip: 275 frame documents, a longer window to kill in


@pytest.fixture(scope="module")
def gallery_file(shared_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gallery") / "speakers.sid"
    assert main(["enroll", str(shared_data / "gallery"), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def datasets(hamilton, gallery_file):
    """An 'old' and a 'new' annotation of the Hamilton clip (uninterrupted runs), in two datasets."""
    import fiftyone as fo

    names = {k: f"test-kill-{k}-{uuid.uuid4().hex[:6]}" for k in ("old", "new")}
    for key, opts in (("old", OLD), ("new", NEW)):
        assert (
            main(["annotate", str(hamilton), "--gallery", str(gallery_file), "--dataset", names[key], "--quiet", *opts])
            == 0
        )
    yield {k: fo.load_dataset(v) for k, v in names.items()}
    for name in names.values():
        if fo.dataset_exists(name):
            fo.delete_dataset(name)


def labels(ds) -> dict:
    """Everything a reader sees of the one sample: run settings, segments, per-frame labels."""
    ds.reload()
    s = ds.first()
    s.reload(hard=True)
    frames = {
        n: (
            tuple((d.label, d.index, tuple(round(v, 4) for v in d.bounding_box)) for d in f[FACES].detections)
            if f[FACES]
            else None,
            f[SPEAKER].label if f[SPEAKER] else None,
        )
        for n, f in s.frames.items()
    }
    return {
        "run": s["speakerid"]["fingerprint"],
        "segments": [(d.label, tuple(d.support)) for d in s[SEGMENTS].detections],
        "frames": frames,
        "frame_docs": ds._frame_collection.count_documents({"_sample_id": ObjectId(s.id)}),
    }


def annotate_until(ds, hamilton, gallery_file, reached) -> tuple[str, dict | None]:
    """Run `speakerid annotate` (NEW settings) on ``ds``; SIGKILL it once ``reached(ds)`` holds.
    Returns (where it was killed, the marker left on the sample)."""
    cmd = speakerid_command(
        "annotate",
        str(hamilton),
        "--gallery",
        str(gallery_file),
        "--dataset",
        ds.name,
        "--quiet",
        *NEW,
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    kill_when(proc, lambda: reached(ds), 900)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    doc = ds._sample_collection.find_one({}, {PENDING: 1})
    marker = doc.get(PENDING)
    return (marker or {}).get("phase", "finished"), marker


def staging_began(old_docs: int):
    """The first new frame documents are in the frames collection (staged, beside the old ones)."""

    def reached(ds) -> bool:
        return ds._frame_collection.estimated_document_count() > old_docs

    return reached


def swap_began(old_docs: int, sid: ObjectId):
    """The sample's own frame documents are changing (old ones deleted, staged ones moved in)."""

    def reached(ds) -> bool:
        return ds._frame_collection.count_documents({"_sample_id": sid}) != old_docs

    return reached


def assert_old_or_new(ds, old: dict, new: dict, where: str) -> str:
    got = labels(ds)
    assert got in (old, new), (where, {k: got[k] == old[k] for k in old}, {k: got[k] == new[k] for k in new})
    return "old" if got == old else "new"


@pytest.mark.slow
@pytest.mark.parametrize("step", ["insert", "delete"])
def test_sigkill_during_rewrite_leaves_old_or_new(datasets, hamilton, gallery_file, step):
    old, new = labels(datasets["old"]), labels(datasets["new"])
    assert old != new
    ds = datasets["old"].clone(f"{datasets['old'].name}-{step}")
    try:
        sid = ObjectId(ds.first().id)
        reached = staging_began(old["frame_docs"]) if step == "insert" else swap_began(old["frame_docs"], sid)
        where, marker = annotate_until(ds, hamilton, gallery_file, reached)
        print(f"killed at the {step}: the writer was in phase {where!r}")  # shown with -s
        if where != "swap":  # nothing published, or all of it: readers see one whole version
            assert_old_or_new(ds, old, new, where)
        if step == "insert" and where == "stage":
            assert labels(ds) == old
        if where == "stage":  # the dead writer's claim expires, then a repair drops its staged frames
            time.sleep(max(0.0, (marker["until"] - marker["stamp"]).total_seconds()) + 0.5)
        finish_pending(ds)
        result = assert_old_or_new(ds, old, new, where)
        assert result == ("old" if where == "stage" else "new"), where
        assert ds.count(PENDING) == 0 and len(ds) == 1
        orphans = ds._frame_collection.count_documents({"_sample_id": {"$ne": ObjectId(ds.first().id)}})
        assert orphans == 0, where
    finally:
        ds.delete()


RACE_SCRIPT = """
import sys, time
from pathlib import Path
from speakerid.labels.fiftyone_writer import get_or_create_dataset, write_label_docs, LabelDocs
import fiftyone as fo
from bson import json_util
name, docs_file, ready, go = sys.argv[1:5]
payload = json_util.loads(Path(docs_file).read_text())
types = {k: dict if v == "dict" else getattr(fo, v) for k, v in payload["field_types"].items()}
docs = LabelDocs(payload["filepath"], payload["fields"], payload["frames"], types)
fo.list_datasets()  # connected before the start signal
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.001)
write_label_docs(get_or_create_dataset(name), docs)
"""


@pytest.mark.slow
def test_concurrent_first_writes_make_one_sample(datasets, tmp_path):
    """Three processes write the same new video into a dataset that does not exist yet, at once."""
    import fiftyone as fo

    from speakerid.labels import spool

    src = datasets["new"]
    docs_file = _docs_of(src, tmp_path)
    name = f"test-race-{uuid.uuid4().hex[:6]}"
    go = tmp_path / "go"
    procs, readies = [], []
    try:
        for i in range(3):
            readies.append(tmp_path / f"ready{i}")
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", RACE_SCRIPT, name, str(docs_file), str(readies[-1]), str(go)],
                    stderr=subprocess.PIPE,
                )
            )
        deadline = time.monotonic() + 300
        while not all(r.exists() for r in readies) and time.monotonic() < deadline:
            assert all(p.poll() is None for p in procs), [p.stderr.read().decode()[-1500:] for p in procs]
            time.sleep(0.05)
        go.touch()
        for p in procs:
            assert p.wait(timeout=300) == 0, p.stderr.read().decode()[-2000:]
        ds = fo.load_dataset(name)
        assert len(ds) == 1 and ds.count(PENDING) == 0
        got, want = labels(ds), labels(src)
        assert {k: got[k] for k in ("segments", "frames", "frame_docs")} == {
            k: want[k] for k in ("segments", "frames", "frame_docs")
        }
        assert ds._frame_collection.count_documents({}) == want["frame_docs"]
        assert spool.spooled(name) == []
    finally:
        if fo.dataset_exists(name):
            fo.delete_dataset(name)


def _docs_of(ds, tmp_path: Path) -> Path:
    """The stored label documents of ``ds``'s sample, in the spool file format (real labels)."""
    from bson import json_util

    from speakerid.labels.fiftyone_writer import RUN

    sample = ds._sample_collection.find_one({})
    frames = [
        {k: v for k, v in d.items() if k not in ("_id", "_sample_id", "_dataset_id", "created_at", "last_modified_at")}
        for d in ds._frame_collection.find({"_sample_id": sample["_id"]})
    ]
    fields = {k: sample[k] for k in ("speaker_segments", "speakers", RUN)}
    types = {
        "speaker_segments": "TemporalDetections",
        "speakers": "Classifications",
        RUN: "dict",
        f"frames.{FACES}": "Detections",
        f"frames.{SPEAKER}": "Classification",
    }
    out = tmp_path / "docs.json"
    out.write_text(
        json_util.dumps({"filepath": sample["filepath"], "fields": fields, "frames": frames, "field_types": types})
    )
    return out
