"""A write frozen (SIGSTOP, as a swapped-out or overloaded machine would) at an exact step of the
label swap, while other processes go on: real `speakerid annotate` / `speakerid label` runs on the
Hamilton clip, a real FiftyOne database, and readers that are not speakerid.

The child freezes itself at a named stop point (``SPEAKERID_STOP_AT``, ``speakerid.stop_points``):
``swap`` is right after the write was published, before any frame of the sample changed;
``swap-frames`` is after the frames changed, before the new segments and the done marker.
"""

from __future__ import annotations

import signal
import subprocess
import uuid

import pytest
from app_data import speakerid_command
from bson import ObjectId
from kill_data import resume, stop_env, wait_stopped

from speakerid.batch.commit import DONE_FIELD
from speakerid.cli.main import main
from speakerid.labels.fiftyone_writer import FACES, RUN, SEGMENTS, SPEAKER
from speakerid.labels.replace import PENDING

A = ["--fps", "1", "--end", "6"]  # the stalled write
B = ["--fps", "3", "--end", "4"]  # the newer write, made while A is frozen
OLD = ["--fps", "2", "--end", "6"]  # what the sample holds before either


@pytest.fixture(scope="module")
def labelled(hamilton, shared_data):
    """A dataset whose Hamilton sample carries labels from an uninterrupted `annotate` (OLD)."""
    import fiftyone as fo

    name = f"test-stall-{uuid.uuid4().hex[:6]}"
    assert (
        main(["annotate", str(hamilton), "--gallery", str(shared_data / "gallery"), "--dataset", name, "--quiet", *OLD])
        == 0
    )
    yield fo.load_dataset(name)
    if fo.dataset_exists(name):
        fo.delete_dataset(name)


@pytest.fixture()
def ds(labelled):
    """A fresh copy of the labelled dataset, with a frame label of the user's own on frame 1."""
    import fiftyone as fo

    copy = labelled.clone(f"{labelled.name}-{uuid.uuid4().hex[:4]}")
    copy.add_frame_field("ground_truth", fo.StringField)
    sample = copy.first()
    sample.frames[1]["ground_truth"] = "keep me"
    sample.save()
    yield copy
    copy.delete()


def annotate(ds, hamilton, gallery, opts, *points: str) -> subprocess.Popen:
    cmd = speakerid_command(
        "annotate", str(hamilton), "--gallery", str(gallery), "--dataset", ds.name, "--quiet", *opts
    )
    return subprocess.Popen(cmd, env=stop_env(*points), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def seen(ds) -> dict:
    """What any FiftyOne reader sees of the sample: run settings, segments, per-frame labels."""
    ds.reload()
    s = ds.first()
    s.reload(hard=True)
    return {
        "fps": s[RUN]["fps"] if s[RUN] else None,
        "segments": [(d.label, tuple(d.support)) for d in s[SEGMENTS].detections] if s[SEGMENTS] else None,
        "frames": {
            n: ([d.label for d in f[FACES].detections] if f[FACES] else None, f[SPEAKER].label if f[SPEAKER] else None)
            for n, f in s.frames.items()
            if f[FACES] is not None
        },
        "user": {n: f["ground_truth"] for n, f in s.frames.items() if f["ground_truth"]},
        "frame_docs": ds._frame_collection.count_documents({"_sample_id": ObjectId(s.id)}),
    }


FINISHER = """
import sys
import fiftyone as fo
from speakerid.labels.replace import finish_pending
finish_pending(fo.load_dataset(sys.argv[1]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("stalled", ["writer", "finisher"])
def test_a_stalled_write_never_deletes_a_newer_one(ds, hamilton, shared_data, stalled):
    """Issue 21 item 1: the stalled process resumes after a newer write completed; it must leave
    the newer labels, and the user's own frame labels, exactly as they were."""
    gallery = shared_data / "gallery"
    if stalled == "writer":
        frozen = annotate(ds, hamilton, gallery, A, "swap")
        wait_stopped(frozen)
    else:  # a writer killed after publishing; a finisher (any speakerid reader) freezes mid-repair
        killed = annotate(ds, hamilton, gallery, A, "swap")
        wait_stopped(killed)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        frozen = subprocess.Popen(
            ["python", "-c", FINISHER, ds.name], env=stop_env("swap"), stderr=subprocess.PIPE, text=True
        )
        wait_stopped(frozen)
    # meanwhile another process writes newer labels (it finishes the published write first)
    assert main(["annotate", str(hamilton), "--gallery", str(gallery), "--dataset", ds.name, "--quiet", *B]) == 0
    newer = seen(ds)
    assert newer["fps"] == 3.0 and newer["user"] == {1: "keep me"} and newer["frames"]
    resume(frozen)
    assert frozen.wait(timeout=600) == 0, frozen.stderr.read()[-2000:]
    assert seen(ds) == newer
    assert ds.count(PENDING) == 0


def segments_have_frames(ds) -> list[tuple[str, tuple]]:
    """The segments under which a plain FiftyOne reader finds no frame label at all."""
    ds.reload()
    s = ds.first()
    s.reload(hard=True)
    labelled = {n for n, f in s.frames.items() if f[FACES] is not None}
    return [
        (d.label, tuple(d.support))
        for d in s[SEGMENTS].detections
        if not any(d.support[0] <= n <= d.support[1] for n in labelled)
    ]


@pytest.mark.slow
def test_a_reader_never_sees_segments_without_frames(ds, hamilton, shared_data):
    """Issue 21 item 8: frozen in the middle of the swap, the sample still has frames under every
    segment it shows; resumed, it ends fully new."""
    frozen = annotate(ds, hamilton, shared_data / "gallery", A, "swap-frames")
    wait_stopped(frozen)
    try:
        assert segments_have_frames(ds) == []
        assert seen(ds)["user"] == {1: "keep me"}
    finally:
        resume(frozen)
    assert frozen.wait(timeout=600) == 0, frozen.stderr.read()[-2000:]
    final = seen(ds)
    assert final["fps"] == 1.0 and segments_have_frames(ds) == [] and final["user"] == {1: "keep me"}
    assert all(n % 1 == 0 for n in final["frames"]) and ds.count(PENDING) == 0


@pytest.mark.slow
def test_label_overwrite_killed_mid_swap_leaves_no_done_marker(ds, shared_data):
    """Issue 21 item 8: `label --overwrite` killed after the sample's frames started changing must
    not leave the done marker claiming the sample; the next run's repair sets it with the labels."""
    gallery = shared_data / "gallery"
    args = ["label", "--dataset", ds.name, "--gallery", str(gallery), "--quiet", *B]
    assert main(args) == 0
    done = ds.first()[DONE_FIELD]
    assert done
    proc = subprocess.Popen(
        speakerid_command(*args, "--overwrite"), env=stop_env("swap-frames"), stderr=subprocess.PIPE, text=True
    )
    wait_stopped(proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    ds.reload()
    assert ds.first()[PENDING]["phase"] == "swap"
    assert ds.first()[DONE_FIELD] is None  # no marker over half-swapped frames
    assert main(args) == 0  # repairs first: rolled forward, marker set, nothing left to label
    ds.reload()
    assert ds.first()[DONE_FIELD] == done and ds.count(PENDING) == 0 and segments_have_frames(ds) == []


@pytest.mark.slow
def test_annotate_repairs_other_pending_samples(ds, hamilton, street, shared_data):
    """Issue 21 item 8: a write killed after publishing is finished by the next `annotate` on the
    dataset even when that run annotates another video (cli.md: it finishes them first)."""
    gallery = shared_data / "gallery"
    killed = annotate(ds, hamilton, gallery, A, "swap")
    wait_stopped(killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert ds.count(PENDING) == 1
    assert (
        main(
            [
                "annotate",
                str(street),
                "--gallery",
                str(gallery),
                "--dataset",
                ds.name,
                "--quiet",
                "--fps",
                "1",
                "--end",
                "1",
            ]
        )
        == 0
    )
    ds.reload()
    assert ds.count(PENDING) == 0 and len(ds) == 2
    assert seen(ds)["fps"] == 1.0 and segments_have_frames(ds) == []
