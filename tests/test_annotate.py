"""End to end: the real CLI on the real sample videos, into a real FiftyOne database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from speakerid.cli.main import main


@pytest.fixture(scope="module")
def gallery_file(shared_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gallery") / "speakers.sid"
    assert main(["enroll", str(shared_data / "gallery"), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def annotated(hamilton, gallery_file, tmp_path_factory):
    """Hamilton clip annotated once through the CLI into a fresh dataset (+ JSON)."""
    import uuid

    import fiftyone as fo

    name = f"test-annot-{uuid.uuid4().hex[:8]}"
    js = tmp_path_factory.mktemp("json") / "out.json"
    code = main(
        ["annotate", str(hamilton), "--gallery", str(gallery_file), "--dataset", name, "--json", str(js), "--quiet"]
    )
    assert code == 0
    yield name, json.loads(js.read_text())
    fo.delete_dataset(name)


def _truth(shared_data, video):
    rows = list(csv.DictReader(open(shared_data / "videos" / "segments.csv")))
    return [r for r in rows if r["video"] == video]


@pytest.mark.slow
def test_lin_manuel_segment_named(annotated, shared_data):
    _, js = annotated
    first, last = 82, 210  # ground truth: only Lin-Manuel Miranda on screen (0-based decode index)
    frames = [f for f in js["frames"] if first <= f["frame_number"] - 1 <= last]
    assert len(frames) >= 15
    hits = sum(f["speaker"] == "lin_manuel_miranda" for f in frames)
    assert hits / len(frames) >= 0.9, [f["speaker"] for f in frames]
    assert any(s["speaker"] == "lin_manuel_miranda" and s["start"] < 4.5 and s["end"] > 7.0 for s in js["segments"])


@pytest.mark.slow
def test_json_schema(annotated, hamilton):
    _, js = annotated
    assert js["video"] == str(hamilton.resolve()) and js["fps"] == pytest.approx(5.0)
    times = [f["time"] for f in js["frames"]]
    assert times == sorted(times) and times[0] == pytest.approx(0.85, abs=0.05)
    for f in js["frames"]:
        assert isinstance(f["frame_number"], int) and f["frame_number"] >= 1
        for face in f["faces"]:
            x, y, w, h = face["bbox"]
            assert 0 <= x <= 1 and 0 <= y <= 1 and 0 < w <= 1 and 0 < h <= 1
            assert isinstance(face["identity"], str) and 0 <= face["confidence"] <= 1 and isinstance(face["track"], int)
        assert f["speaker"] is None or isinstance(f["speaker"], str)
    for s in js["segments"]:
        assert s["start"] < s["end"]


@pytest.mark.slow
def test_fiftyone_labels(annotated, hamilton):
    import fiftyone as fo

    name, js = annotated
    ds = fo.load_dataset(name)
    assert ds.persistent and len(ds) == 1
    sample = ds.first()
    assert sample.filepath == str(hamilton.resolve())
    labelled = [fn for fn, fr in sample.frames.items() if fr["faces"] is not None]
    assert len(labelled) == len(js["frames"])
    from speakerid.labels.app_clock import app_frame_number

    # FiftyOne frame numbers are on the App's clock (the clip starts at PTS 0.852 s); JSON keeps decode order
    fr = sample.frames[app_frame_number(js["frames"][len(js["frames"]) // 2]["time"], sample.metadata.frame_rate)]
    det = fr["faces"].detections[0]
    assert det.label and det.confidence is not None and det.index is not None
    tracks = {t.index: t for t in sample["face_tracks"].detections}  # one per face track
    track = tracks[det.index]
    row = list(tracks).index(det.index)  # its embedding: same row of face_track_embeddings, not on the label
    assert track.label == det.label and sample["face_track_embeddings"][row].shape == (512,)
    assert not track.has_field("embedding")
    assert track.support[0] <= fr.frame_number <= track.support[1]
    assert ds.count("speakerid_pending") == 0  # no write left half done
    assert {d.label for d in sample["speaker_segments"].detections} >= {"lin_manuel_miranda"}
    assert "lin_manuel_miranda" in {c.label for c in sample["speakers"].classifications}
    assert ds.count_values("frames.speaker.label")["lin_manuel_miranda"] >= 15


@pytest.mark.slow
def test_reannotate_replaces_not_duplicates(annotated, hamilton, gallery_file):
    import fiftyone as fo

    name, js = annotated
    ds = fo.load_dataset(name)
    n_dets = ds.count("frames.faces.detections")
    assert main(["annotate", str(hamilton), "--gallery", str(gallery_file), "--dataset", name, "--quiet"]) == 0
    ds.reload()
    assert len(ds) == 1 and ds.count("frames.faces.detections") == n_dets


@pytest.mark.slow
def test_street_crowd_all_unknown(street, gallery_file, tmp_path):
    js = tmp_path / "street.json"
    assert (
        main(["annotate", str(street), "--gallery", str(gallery_file), "--no-dataset", "--json", str(js), "--quiet"])
        == 0
    )
    data = json.loads(js.read_text())
    faces = [face for f in data["frames"] for face in f["faces"]]
    assert len(faces) >= 20  # the crowd is really detected ...
    assert {face["identity"] for face in faces} == {"unknown"}  # ... and nobody is named
    assert data["segments"] == []


@pytest.mark.slow
def test_bad_inputs_reported_and_dataset_untouched(annotated, hamilton, street, gallery_file, tmp_path, capfd):
    import fiftyone as fo
    from fiftyone import ViewField as F

    name, _ = annotated
    ds = fo.load_dataset(name)
    ham = lambda: ds.match(F("filepath") == str(hamilton.resolve())).first()  # noqa: E731
    before = (ds.count("frames.faces.detections"), ham()["speaker_segments"].detections[0].id)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    half = tmp_path / "truncated.mp4"
    half.write_bytes(hamilton.read_bytes()[: hamilton.stat().st_size // 2])
    code = main(
        [
            "annotate",
            str(empty),
            str(text),
            str(street),
            str(half),
            "--end",
            "1.0",
            "--gallery",
            str(gallery_file),
            "--dataset",
            name,
            "--quiet",
        ]
    )
    assert code == 1  # partial failure: the good video in the middle was still annotated
    err = capfd.readouterr().err
    for bad in (empty, text, half):
        lines = [ln for ln in err.splitlines() if str(bad) in ln]
        assert len(lines) == 1 and lines[0].startswith("speakerid: error:"), err
    ds.reload()
    assert len(ds) == 2 and ds.match(F("filepath") == str(street.resolve())).count() == 1
    hs = ds.match(F("filepath") == str(hamilton.resolve()))
    assert (hs.count("frames.faces.detections"), ham()["speaker_segments"].detections[0].id) == before


def test_usage_errors_exit_2(tmp_path, hamilton):
    assert main(["annotate", str(hamilton), "--gallery", str(tmp_path / "missing.sid"), "--no-dataset", "--quiet"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["annotate"])
    assert exc.value.code == 2


@pytest.mark.slow
def test_each_video_is_probed_once(hamilton, gallery_file, tmp_path, monkeypatch):
    """The CLI's probe is handed down to the analysis and the decoder: no second or third probe.
    The file is opened three times in all: the probe, the packet index (no decoding: it plans
    the seeks), the one decoding pass."""
    import av

    from speakerid.io import decode, frame_table

    frame_table._cached.cache_clear()  # an earlier test in this process may have indexed the file
    opened: list[str] = []
    probed: list[str] = []
    real_open, real_probe = av.open, decode.probe_pyav

    def counting_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def counting_probe(path):
        probed.append(str(path))
        return real_probe(path)

    monkeypatch.setattr(av, "open", counting_open)
    monkeypatch.setattr(decode, "probe_pyav", counting_probe)
    js = tmp_path / "out.json"
    args = ["annotate", str(hamilton), "--gallery", str(gallery_file), "--no-dataset", "--json", str(js), "--quiet"]
    assert main(args) == 0
    assert json.loads(js.read_text())["frames"]  # it really ran
    assert probed == [str(hamilton)]
    assert opened.count(str(hamilton)) == 3, opened
