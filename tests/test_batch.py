"""Batch labelling of a real dataset of short clips: local pool, Ray, resume after SIGKILL.

Every run is compared with one single-process reference run of the same clips (module
fixture): identities, tracks, boxes, speaker per frame and segments must be identical.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from app_data import speakerid_command
from batch_material import enroll, make_clips

from speakerid.batch import label_dataset
from speakerid.batch.commit import DONE_FIELD, ERROR_FIELD, FAILED_TAG
from speakerid.cli.main import main
from speakerid.labels.fiftyone_writer import FACES_BETWEEN
from speakerid.settings import AnnotateSettings

FPS = 2.0
SETTINGS = AnnotateSettings(fps=FPS)

pytestmark = pytest.mark.slow  # labels 20 real clips with the real models, in pools and on Ray


@pytest.fixture(scope="module")
def clips(shared_data, tmp_path_factory) -> tuple[list[Path], list[Path]]:
    """20 real 1 s clips from both sample videos + a zero-byte and a truncated file."""
    good, broken = make_clips(tmp_path_factory.mktemp("clips"), seconds=1.0, count=20)
    assert len(good) == 20
    return good, broken


@pytest.fixture(scope="module")
def gallery_file(shared_data, tmp_path_factory) -> Path:
    """The shared gallery, enrolled once through ``speakerid enroll``."""
    return enroll(tmp_path_factory.mktemp("gallery") / "speakers.sid")


@pytest.fixture(scope="module")
def new_dataset():
    """Factory of throwaway datasets holding the given videos; all deleted after the module."""
    import fiftyone as fo

    names = []

    def make(paths: list[Path]):
        names.append(f"test-batch-{uuid.uuid4().hex[:8]}")
        ds = fo.Dataset(names[-1])
        ds.add_samples([fo.Sample(filepath=str(p)) for p in paths])
        return ds

    yield make
    for name in names:
        if fo.dataset_exists(name):
            fo.delete_dataset(name)


def labels_of(ds) -> dict[str, dict]:
    """Per good sample: per-frame (identity, track) lists, boxes, speakers, and segments."""
    out = {}
    for s in ds.match_tags(FAILED_TAG, bool=False):
        docs = list(s.frames.items())
        frames = {fn: fr for fn, fr in docs if fr.faces is not None}  # the analysed frames
        out[Path(s.filepath).name] = {
            "faces": {fn: [(d.label, d.index) for d in fr.faces.detections] for fn, fr in frames.items()},
            "boxes": {fn: [d.bounding_box for d in fr.faces.detections] for fn, fr in frames.items()},
            "speaker": {fn: fr.speaker.label if fr.speaker else None for fn, fr in frames.items()},
            "segments": [(d.label, tuple(d.support)) for d in s.speaker_segments.detections],
            "frame_docs": len(docs),
            "bare": sum(
                fr.faces is None and getattr(fr, FACES_BETWEEN, None) is None for _, fr in docs
            ),  # neither kind
            "detections": sum(len(fr.faces.detections) for fr in frames.values()),
        }
    return out


def assert_same_labels(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for name in want:
        g, w = got[name], want[name]
        for key in ("faces", "speaker", "segments", "frame_docs", "detections"):
            assert g[key] == w[key], (name, key)
        for fn, boxes in w["boxes"].items():
            np.testing.assert_allclose(g["boxes"][fn], boxes, atol=1e-3, err_msg=f"{name} frame {fn}")


def assert_failed_recorded(ds, broken: list[Path], summary=None) -> None:
    failed = ds.match_tags(FAILED_TAG)
    assert sorted(failed.values("filepath")) == sorted(str(p) for p in broken)
    for path, error in zip(*failed.values(["filepath", ERROR_FIELD])):
        assert Path(path).name in error and "\n" not in error
    assert failed.count(DONE_FIELD) == 0
    if summary is not None:
        assert sorted(p for p, _ in summary.failed) == sorted(str(p) for p in broken)


@pytest.fixture(scope="module")
def reference(clips, gallery_file, new_dataset):
    """The single-process run every other engine must reproduce."""
    good, broken = clips
    ds = new_dataset(good + broken)
    summary = label_dataset(ds, gallery_file, SETTINGS, workers=1)
    return ds, summary, labels_of(ds)


def test_single_process_labels_and_failures(reference, clips, shared_data):
    ds, summary, labels = reference
    good, broken = clips
    assert (summary.labelled, summary.skipped, summary.videos) == (len(good), 0, len(good) + len(broken))
    assert_failed_recorded(ds, broken, summary)
    done = ds.match_tags(FAILED_TAG, bool=False)
    assert done.values(DONE_FIELD) == [summary.fingerprint] * len(good)
    assert done.count(ERROR_FIELD) == 0
    for name, lab in labels.items():
        assert lab["bare"] == 0 and lab["frame_docs"] >= len(lab["faces"]) >= 2, name
        idents = {i for faces in lab["faces"].values() for i, _ in faces}
        if name.startswith("street"):  # nobody in the street crowd is in the gallery
            assert idents <= {"unknown"}, (name, idents)
    named = {i for lab in labels.values() for faces in lab["faces"].values() for i, _ in faces} - {"unknown"}
    assert named and named <= set(os.listdir(shared_data / "gallery"))


def test_rerun_skips_done_samples(reference, gallery_file):
    ds, first, labels = reference
    summary = label_dataset(ds, gallery_file, SETTINGS, workers=1)
    assert (summary.labelled, summary.skipped, len(summary.failed)) == (0, first.labelled, len(first.failed))
    assert summary.fingerprint == first.fingerprint
    assert_same_labels(labels_of(ds), labels)


def test_speed_only_settings_do_not_relabel(reference, gallery_file):
    """Resuming with another batch size or decoder: same fingerprint, everything skipped."""
    ds, first, labels = reference
    faster = AnnotateSettings(fps=FPS, batch_size=3, backend="decord", threads=1)
    summary = label_dataset(ds, gallery_file, faster, workers=1)
    assert summary.fingerprint == first.fingerprint and (summary.labelled, summary.skipped) == (0, first.labelled)


def test_new_settings_and_overwrite_rewrite_exactly_once(reference, gallery_file):
    from fiftyone import ViewField as F

    ds, first, labels = reference
    clone = ds.clone(f"{ds.name}-clone")
    try:
        two = sorted(labels)[:2]
        clone.save_view(
            "two", clone.match(F("filepath").is_in([s.filepath for s in clone if Path(s.filepath).name in two]))
        )
        view = clone.load_saved_view("two")
        fps3 = AnnotateSettings(fps=3.0)
        changed = label_dataset(view, gallery_file, fps3)  # other settings: not done yet
        assert (changed.labelled, changed.skipped, changed.videos) == (2, 0, 2)
        after = labels_of(clone)
        for name in two:  # the fps-2 frames are gone, not mixed with the fps-3 ones
            analysed = sorted(after[name]["faces"])
            assert after[name]["bare"] == 0 and len(analysed) > len(labels[name]["faces"])
            assert min(np.diff(analysed)) >= 9, analysed  # one frame in 10 (29.97 fps at 3 fps), no fps-2 leftover
        assert {n: after[n] for n in labels if n not in two} == {n: labels[n] for n in labels if n not in two}
        again = label_dataset(view, gallery_file, fps3, overwrite=True)
        assert (again.labelled, again.skipped) == (2, 0)
        assert_same_labels(labels_of(clone), after)
        assert clone.match_tags(FAILED_TAG, bool=False).count(DONE_FIELD) == len(labels)
    finally:
        clone.delete()


def test_failed_video_recovers_on_later_run(clips, gallery_file, new_dataset, tmp_path):
    late = tmp_path / "late.mp4"
    late.write_bytes(b"")
    ds = new_dataset([late])
    failed = label_dataset(ds, gallery_file, SETTINGS)
    assert len(failed.failed) == 1 and ds.first().tags == [FAILED_TAG]
    shutil.copyfile(clips[0][0], late)  # the file was fixed
    fixed = label_dataset(ds, gallery_file, SETTINGS)
    sample = ds.first()
    assert (fixed.labelled, fixed.failed) == (1, [])
    assert sample.tags == [] and sample[ERROR_FIELD] is None and sample[DONE_FIELD] == fixed.fingerprint


def test_cli_two_workers_match_single_process(reference, clips, gallery_file, new_dataset):
    good, broken = clips
    ds = new_dataset(good + broken)
    args = ["label", "--dataset", ds.name, "--gallery", str(gallery_file), "--fps", str(FPS), "--quiet"]
    assert main(args + ["--view", "no-such-view"]) == 2
    assert main(args + ["--workers", "2"]) == 1  # two broken videos: partial failure
    assert_same_labels(labels_of(ds), reference[2])
    assert_failed_recorded(ds, broken)


def test_ray_engine_matches_single_process(reference, clips, gallery_file, new_dataset):
    import ray

    good, broken = clips
    ds = new_dataset(good + broken)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = label_dataset(ds, gallery_file, SETTINGS, workers=2, engine="ray")
    finally:
        ray.shutdown()
    assert (summary.labelled, summary.engine) == (len(good), "ray")
    assert_same_labels(labels_of(ds), reference[2])
    assert_failed_recorded(ds, broken, summary)


def test_sigkill_mid_job_then_rerun_labels_each_clip_once(reference, clips, gallery_file, new_dataset):
    import psutil
    from fiftyone import ViewField as F

    good, broken = clips
    ds = new_dataset(good + broken)
    cmd = speakerid_command(
        "label",
        "--dataset",
        ds.name,
        "--gallery",
        str(gallery_file),
        "--fps",
        str(FPS),
        "--workers",
        "2",
        "--quiet",
    )
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        done = ds.match(F(DONE_FIELD) != None)  # noqa: E711 - a query; the field is not in this process's schema yet
        while len(done) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    ds.reload()
    done_at_kill = ds.count(DONE_FIELD)
    assert proc.returncode == -signal.SIGKILL and 3 <= done_at_kill < len(good), proc.stderr.read().decode()[-2000:]
    _, still = psutil.wait_procs(workers, timeout=15)  # orphaned workers notice and exit
    assert not still, still
    # every sample marked done is complete and correct; the rest are not marked
    marked = labels_of(ds.exists(DONE_FIELD))
    assert len(marked) == done_at_kill
    assert_same_labels(marked, {n: reference[2][n] for n in marked})

    summary = label_dataset(ds, gallery_file, SETTINGS)
    # a sample killed in its frame swap is finished (and so done) before the rerun plans
    assert summary.skipped >= done_at_kill and summary.skipped + summary.labelled == len(good)
    assert_same_labels(labels_of(ds), reference[2])  # each clip's frames and detections exactly once
    assert_failed_recorded(ds, broken, summary)
