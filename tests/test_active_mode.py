"""``--speaker-mode active`` end to end: Light-ASD scores on the pipeline's own face tracks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from speakerid.cli.main import main

pytestmark = pytest.mark.slow  # real models on the real clip


@pytest.fixture(scope="module")
def sample_gallery(tmp_path_factory):
    out = tmp_path_factory.mktemp("g") / "sample.sid"
    assert (
        main(
            [
                "enroll",
                str(Path(__file__).resolve().parents[1] / "sample_videos" / "gallery"),
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    return out


def annotate_active(video: Path, gallery: Path, out: Path, *options: str) -> dict:
    """``speakerid annotate VIDEO --speaker-mode active --json OUT`` (+ ``options``): its JSON."""
    args = ["annotate", str(video), "--gallery", str(gallery), "--speaker-mode", "active", "--json", str(out)]
    assert main([*args, "--quiet", *options]) == 0
    return json.loads(out.read_text())


def test_active_mode_scores_speaking_faces(
    hamilton, light_asd_weights, sample_gallery, tmp_path, monkeypatch, dataset_name
):
    import fiftyone as fo

    monkeypatch.setenv("SPEAKERID_ASD_WEIGHTS", str(light_asd_weights / "finetuning_TalkSet.model"))
    data = annotate_active(hamilton, sample_gallery, tmp_path / "active.json", "--dataset", dataset_name)
    assert data["notes"] == []
    rap = [
        face["speaking"]
        for f in data["frames"]
        if 82 <= f["frame_number"] - 1 <= 210
        for face in f["faces"]
        if face["identity"] == "lin_manuel_miranda"
    ]
    audience = [face["speaking"] for f in data["frames"] if 211 <= f["frame_number"] - 1 <= 274 for face in f["faces"]]
    assert rap and audience
    assert np.mean(rap) > 0.5 > np.mean(audience), (np.mean(rap), np.mean(audience))
    assert any(s["speaker"] == "lin_manuel_miranda" for s in data["segments"])
    ds = fo.load_dataset(dataset_name)
    speaking = ds.values("frames.faces.detections.speaking", unwind=True)
    assert len(speaking) == sum(len(f["faces"]) for f in data["frames"])
    scored = [s for s in speaking if s is not None]  # tracks under 0.4 s are not scored (as the reference)
    assert len(scored) >= 0.8 * len(speaking) and all(0 <= s <= 1 for s in scored)
    assert len(scored) == sum("speaking" in face for f in data["frames"] for face in f["faces"])


def test_active_mode_falls_back_without_weights(hamilton, sample_gallery, tmp_path, monkeypatch):
    monkeypatch.setenv("SPEAKERID_ASD_WEIGHTS", str(tmp_path / "missing.model"))
    data = annotate_active(hamilton, sample_gallery, tmp_path / "fallback.json", "--end", "5", "--no-dataset")
    assert len(data["notes"]) == 1 and "dominant-face rule" in data["notes"][0]
    assert all("speaking" not in face for f in data["frames"] for face in f["faces"])
    assert any(f["speaker"] == "lin_manuel_miranda" for f in data["frames"])


def test_active_mode_over_digital_silence_marks_nobody_speaking(
    hamilton, light_asd_weights, sample_gallery, tmp_path, monkeypatch
):
    """Issue 14 end to end: the same pictures with the sound muted: every face scores 0, the
    run says no voice was heard, and the speaker falls back to the dominant identified face."""
    from asd_material import make_variant

    monkeypatch.setenv("SPEAKERID_ASD_WEIGHTS", str(light_asd_weights / "finetuning_TalkSet.model"))
    muted = make_variant(hamilton, tmp_path / "muted.mp4", "muted")
    data = annotate_active(
        muted, sample_gallery, tmp_path / "muted.json", "--start", "3.5", "--end", "7.8", "--no-dataset"
    )
    speaking = [face["speaking"] for f in data["frames"] for face in f["faces"]]
    assert speaking and all(s == 0 for s in speaking)
    assert any("no voice" in note for note in data["notes"])
    assert any(f["speaker"] == "lin_manuel_miranda" for f in data["frames"])
