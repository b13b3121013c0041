"""Impossible options are one-line usage errors (exit 2) before any work; honest outputs otherwise.

Validation lives in AnnotateSettings (one place for the CLI, batch jobs, the plugin and the
Python API); the CLI only renames the option the way it was typed.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from app_data import README_GALLERY, ROOT
from gallery_data import make_gallery

from speakerid.cli.main import main
from speakerid.errors import SettingsError
from speakerid.settings import AnnotateSettings

BAD = {
    "fps_zero": (dict(fps=0.0), "fps"),
    "fps_negative": (dict(fps=-5.0), "fps"),
    "fps_nan": (dict(fps=math.nan), "fps"),
    "fps_inf": (dict(fps=math.inf), "fps"),
    "fps_huge": (dict(fps=1e308), "fps"),  # issue 21 item 9: crashed mid-analysis
    "every_zero": (dict(every=0), "every"),
    "start_after_end": (dict(start=3.0, end=2.0), "end"),
    "start_equals_end": (dict(start=2.0, end=2.0), "end"),
    "start_negative": (dict(start=-1.0), "start"),
    "end_nan": (dict(end=math.nan), "end"),
    "batch_zero": (dict(batch_size=0), "batch_size"),
    "min_face_zero": (dict(min_face_size=0), "min_face_size"),
    "min_face_negative": (dict(min_face_size=-20), "min_face_size"),
    "threshold_high": (dict(threshold=1.5), "threshold"),
    "threshold_low": (dict(threshold=-1.01), "threshold"),
    "threshold_nan": (dict(threshold=math.nan), "threshold"),
    "speaking_threshold": (dict(speaking_threshold=2.0), "speaking_threshold"),
    "smooth_negative": (dict(smooth=-1.0), "smooth"),
    "classifier": (dict(classifier="forest"), "classifier"),
    "backend": (dict(backend="vlc"), "backend"),
    "speaker_mode": (dict(speaker_mode="loudest"), "speaker_mode"),
    "keyframes": (dict(keyframe_every=0), "keyframe_every"),
    "threads": (dict(threads=0), "threads"),
    "face_model_missing": (dict(face_model="/no/such/model.safetensors"), "face_model"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_settings_refuse_impossible_values(case):
    kwargs, option = BAD[case]
    with pytest.raises(SettingsError) as exc:
        AnnotateSettings(**kwargs)
    assert exc.value.option == option and "\n" not in str(exc.value)


def test_settings_accept_the_edges():
    AnnotateSettings(threshold=-1.0)
    AnnotateSettings(threshold=1.0, start=0.0, end=0.1, fps=0.0001)
    AnnotateSettings(fps=None, every=3)
    s = AnnotateSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):  # checked once, so never changed after
        s.batch_size = 0
    with pytest.raises(SettingsError, match="batch_size"):  # a changed copy is checked again
        dataclasses.replace(s, batch_size=0)


CLI_BAD = [
    (["--fps", "nan"], "--fps: must be a finite number, got nan"),
    (["--fps", "inf"], "--fps: must be a finite number, got inf"),
    (["--fps", "0"], "--fps: must be > 0, got 0.0"),
    (["--fps", "-2"], "--fps: must be > 0, got -2.0"),
    (["--start", "5", "--end", "2"], "--end: must be after start (5.0), got 2.0"),
    (["--batch-size", "0"], "--batch-size: must be an integer >= 1, got 0"),
    (["--min-face-size", "0"], "--min-face-size: must be an integer >= 1, got 0"),
    (["--min-face-size", "-3"], "--min-face-size: must be an integer >= 1, got -3"),
    (["--threshold", "1.2"], "--threshold: must be in [-1, 1], got 1.2"),
    (["--threshold", "nan"], "--threshold: must be a finite number, got nan"),
    (["--every", "0"], "--every: must be an integer >= 1, got 0"),
]


@pytest.mark.parametrize("command", ["annotate", "label"])
def test_cli_option_errors_are_one_line_exit_2(command, hamilton, tmp_path, capfd, no_models):
    target = [str(hamilton), "--no-dataset"] if command == "annotate" else ["--dataset", "never-opened"]
    for opts, message in CLI_BAD:
        code = main([command, *target, "--gallery", str(tmp_path / "g.sid"), "--quiet", *opts])
        err = capfd.readouterr().err.strip().splitlines()
        assert (code, err) == (2, [f"speakerid: error: {message}"]), opts


def test_unwritable_json_fails_before_the_analysis(hamilton, tmp_path, capfd, no_models):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    for target, why in ((folder, "is a folder"), (blocked / "out.json", "cannot be written")):
        code = main(
            [
                "annotate",
                str(hamilton),
                "--gallery",
                str(tmp_path / "g.sid"),
                "--no-dataset",
                "--json",
                str(target),
                "--quiet",
            ]
        )
        err = capfd.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and str(target) in err[0] and why in err[0], err


def test_segments_and_screen_time_never_run_past_the_video():
    """`--fps 0.0001` on a 2 s clip: one sampled frame 'covers' 10000 s, the video only 2."""
    from speakerid.results import FaceResult, FrameResult
    from speakerid.timeline.segments import cut_segments, screen_time, video_end_time

    face = FaceResult(box=(0.1, 0.1, 0.2, 0.2), identity="ada", confidence=0.9, similarity=0.7, track=0)
    frames = [FrameResult(index=0, time=0.5, faces=[face], speaker="ada", speaker_confidence=0.9)]
    segs = cut_segments(frames, step=10000.0, video_fps=30.0, end_time=10000.5, num_frames=60)
    assert len(segs) == 1 and segs[0].start == 0.5 and segs[0].end == pytest.approx(2.5)
    assert segs[0].last_frame == 60
    end = video_end_time(frames, 30.0, 10000.5, 60)
    assert end == pytest.approx(2.5) and screen_time(frames, 10000.0, end) == {"ada": pytest.approx(2.0)}
    frames.append(FrameResult(index=30, time=1.5, speaker="ada", speaker_confidence=0.9))
    segs = cut_segments(frames, step=1.0, video_fps=30.0, end_time=2.5, num_frames=60)
    assert segs[0].end == pytest.approx(2.5) and segs[0].last_frame == 60


def test_json_export_never_writes_nan(tmp_path):
    from speakerid.labels.json_export import finite

    text = json.dumps(finite({"a": [1.0, math.nan, {"b": math.inf}], "c": "x", "d": 3}), allow_nan=False)
    assert json.loads(text) == {"a": [1.0, None, {"b": None}], "c": "x", "d": 3}


@pytest.mark.slow
def test_empty_folder_beside_good_video(hamilton, shared_data, tmp_path, capfd):
    """`annotate good.mp4 emptydir/`: the video is annotated, the folder is one error line, exit 1."""
    import shutil

    people = tmp_path / "people"
    for person in ("lin_manuel_miranda", "obama"):
        shutil.copytree(shared_data / "gallery" / person, people / person)
    empty = tmp_path / "emptydir"
    empty.mkdir()
    out = tmp_path / "out.json"
    code = main(
        [
            "annotate",
            str(hamilton),
            str(empty),
            "--gallery",
            str(people),
            "--no-dataset",
            "--json",
            str(out),
            "--quiet",
            "--end",
            "1.5",
            "--fps",
            "2",
        ]
    )
    err = capfd.readouterr().err
    assert code == 1 and f"speakerid: error: {empty}: folder holds no video files" in err.splitlines()
    data = json.loads(out.read_text())
    assert data["video"] == str(hamilton.resolve()) and len(data["frames"]) >= 1


def test_all_inputs_failing_leave_no_stale_json_and_claim_no_write(tmp_path, capfd, dataset_name):
    """Every input fails: the old JSON is replaced by an empty list and nothing claims a write."""
    import fiftyone as fo

    gallery = tmp_path / "g.sid"
    make_gallery().save(gallery)
    out = tmp_path / "out.json"
    out.write_text(json.dumps({"video": "from an earlier run"}))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 100)
    empty = tmp_path / "empty"
    empty.mkdir()
    code = main(
        ["annotate", str(broken), str(empty), "--gallery", str(gallery), "--dataset", dataset_name, "--json", str(out)]
    )
    err = capfd.readouterr().err  # the summary goes to stderr too: stdout is for data
    assert code == 1 and json.loads(out.read_text()) == []
    assert "written to FiftyOne" not in err and "no results (an empty list) written to" in err
    assert "2 of 2 input(s) failed; nothing was annotated" in " ".join(err.split())
    assert not fo.dataset_exists(dataset_name)
    errors = [ln for ln in err.splitlines() if ln.startswith("speakerid: error: ")]
    assert len(errors) == 2 and {str(broken), str(empty)} == {e.split(": ")[2] for e in errors}, errors


def test_fingerprint_ignores_speed_only_settings():
    g = make_gallery()
    base = AnnotateSettings().fingerprint(g)
    for speed in (dict(batch_size=64), dict(backend="decord"), dict(threads=1)):
        assert AnnotateSettings(**speed).fingerprint(g) == base, speed
    for result in (dict(fps=2.0), dict(threshold=0.6), dict(min_face_size=40), dict(detector="mtcnn")):
        assert AnnotateSettings(**result).fingerprint(g) != base, result


def test_fingerprint_follows_the_face_model_content_not_its_path(tmp_path):
    """Issue 18: a model retrained in place must not let a resumed ``label`` skip every sample."""
    g = make_gallery()
    model = tmp_path / "clf.safetensors"
    model.write_bytes(b"weights v1")
    first = AnnotateSettings(face_model=str(model)).fingerprint(g)
    assert first != AnnotateSettings().fingerprint(g)
    model.write_bytes(b"weights v2, retrained in place")
    assert AnnotateSettings(face_model=str(model)).fingerprint(g) != first
    moved = tmp_path / "moved" / "clf.safetensors"
    moved.parent.mkdir()
    moved.write_bytes(b"weights v1")
    assert AnnotateSettings(face_model=str(moved)).fingerprint(g) == first


def test_model_cache_key_covers_what_load_models_reads(tmp_path):
    """Every ``settings.X`` that load_models reads is part of the model cache key."""
    import inspect
    import re

    from speakerid.pipeline import load_models
    from speakerid.settings import MODEL_FIELDS

    read = set(re.findall(r"settings\.(\w+)", inspect.getsource(load_models)))
    assert read and read <= set(MODEL_FIELDS), read - set(MODEL_FIELDS)
    model = tmp_path / "clf.safetensors"
    model.write_bytes(b"weights v1")
    with_model, without = AnnotateSettings(face_model=str(model)), AnnotateSettings()
    assert with_model.model_key() != without.model_key()
    assert AnnotateSettings(fps=1.0, batch_size=3).model_key() == without.model_key()
    before = with_model.model_key()
    model.write_bytes(b"weights v2, retrained in place")
    assert with_model.model_key() != before


@pytest.mark.slow
def test_a_dataset_that_cannot_take_the_results_is_refused_at_once(tmp_path, hamilton, capsys):
    """Issue 21 item 7: a name whose URL form clashes with an existing dataset's, and an existing
    image dataset, are one line and exit 2, nothing written (not a traceback after the analysis).
    FiftyOne opens beside the model loading (issue 19 item 1), so a model may load first."""
    import uuid

    import fiftyone as fo

    tag = uuid.uuid4().hex[:6]
    gallery = ROOT / README_GALLERY  # a real one: the models load beside the check
    images = fo.Dataset(f"test-images-{tag}")
    images.add_sample(fo.Sample(filepath=str(tmp_path / "x.jpg")))
    clash = fo.Dataset(f"test-clash {tag}")
    try:
        for name, why in ((f"test-clash.{tag}", f"clashes with the existing dataset {clash.name!r}"),
                          (images.name, "holds image samples, not videos")):  # fmt: skip
            out = tmp_path / f"{name}.json"
            code = main(["annotate", str(hamilton), "--gallery", str(gallery), "--dataset", name, "--json", str(out)])
            err = capsys.readouterr().err
            assert code == 2 and why in err and "Traceback" not in err, err[-2000:]
            assert not out.exists() and len([line for line in err.splitlines() if "error" in line]) == 1
            assert not fo.dataset_exists(name) or name == images.name
    finally:
        images.delete()
        clash.delete()
