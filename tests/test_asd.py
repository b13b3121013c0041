"""Active speaker detection (Light-ASD) on the real Hamilton clip with the released weights."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import torch
from asd_material import AUDIENCE, TALKING_HEAD, largest_face_track

from speakerid.asd.crops import box_geometry, face_crop
from speakerid.asd.model import LightASD
from speakerid.asd.score import ActiveSpeakerScorer
from speakerid.asd.weights import DEFAULT_WEIGHTS, RELEASES, load_light_asd, resolve_weights
from speakerid.errors import ModelUnavailableError, VideoReadError
from speakerid.io import read_frames
from speakerid.io.audio import read_audio

pytestmark = pytest.mark.slow  # real models on the real clip


@pytest.fixture(scope="module")
def weights_dir(light_asd_weights: Path) -> Path:
    return light_asd_weights


@pytest.fixture(scope="module")
def scorer(weights_dir: Path) -> ActiveSpeakerScorer:
    return ActiveSpeakerScorer(weights_dir / DEFAULT_WEIGHTS)


@pytest.fixture(scope="module")
def tracks(hamilton: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {
        name: largest_face_track(hamilton, span) for name, span in (("rapping", TALKING_HEAD), ("audience", AUDIENCE))
    }
    for name, (times, _) in out.items():
        assert len(times) >= 8, f"too few faces detected in the {name} segment"
    return out


@pytest.mark.parametrize("name", sorted(RELEASES))
def test_released_weights_load_strictly_and_match_published_hash(weights_dir: Path, name: str):
    path = weights_dir / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == RELEASES[name].sha256
    model = LightASD()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    assert 0.9e6 < sum(p.numel() for p in model.parameters()) < 1.1e6  # ~1.0 M as published


def test_weights_resolution_order_and_failures(weights_dir: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SPEAKERID_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SPEAKERID_ASD_WEIGHTS", raising=False)
    # cache: a file placed where the cache keeps it is used without any download
    cached = tmp_path / "cache" / "v1" / "weights" / "light-asd" / DEFAULT_WEIGHTS
    cached.parent.mkdir(parents=True)
    shutil.copy(weights_dir / DEFAULT_WEIGHTS, cached)
    assert resolve_weights() == cached
    # the env var wins over the cache; an explicit path wins over both
    other = weights_dir / "pretrain_AVA_CVPR.model"
    monkeypatch.setenv("SPEAKERID_ASD_WEIGHTS", str(other))
    assert resolve_weights() == other
    assert resolve_weights(cached) == cached
    with pytest.raises(ModelUnavailableError, match="not found"):
        resolve_weights(tmp_path / "missing.model")
    bogus = tmp_path / "bogus.model"
    bogus.write_bytes(b"not a state dict")
    with pytest.raises(ModelUnavailableError, match="not a Light-ASD state dict"):
        load_light_asd(bogus)


def test_one_step_crop_equals_reference_pad_crop_resize(hamilton: Path, tracks):
    """Our single warp gives the pixels of the reference pad -> crop -> 224 -> centre 112 chain."""
    times, boxes = tracks["rapping"]
    frame = next(iter(read_frames(hamilton, fps=None, start=float(times[3]), batch_size=1))).frames[0]
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    cx, cy, s = box_geometry(boxes[3:4])[0]
    pad = int(s * 1.8)
    padded = cv2.copyMakeBorder(grey, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=110)
    top, left = int(cy + pad - s), int(cx + pad - s * 1.4)
    side = int(cx + pad + s * 1.4) - left
    square = padded[top : top + side, left : left + side]
    reference = cv2.resize(square, (224, 224))[56:168, 56:168]
    # the geometry of the reference's integer-rounded square, in frame coordinates
    s_int = side / 2.8
    geometry = np.array([left - pad + 1.4 * s_int, top - pad + s_int, s_int])
    error = np.abs(face_crop(grey, geometry).astype(np.float32) - reference).mean()
    assert error < 1.5  # interpolation rounding only
    shifted = np.abs(face_crop(grey, geometry + [2, 0, 0]).astype(np.float32) - reference).mean()
    assert shifted > 2 * error  # the comparison does see a 2-pixel misplacement


@pytest.fixture(scope="module")
def own_audio_scores(scorer, hamilton: Path, tracks) -> list[np.ndarray]:
    """Scores of the rapping and audience tracks from one batched call with the file's sound."""
    return scorer.score_tracks(hamilton, [tracks["rapping"], tracks["audience"]])


def test_rapping_face_scores_higher_than_listening_audience(scorer, hamilton: Path, tracks, own_audio_scores):
    rapping, audience = own_audio_scores
    assert rapping.shape == tracks["rapping"][0].shape
    assert np.all((rapping >= 0) & (rapping <= 1)) and np.all((audience >= 0) & (audience <= 1))
    assert rapping.mean() > 0.5 > audience.mean()
    assert rapping.mean() - audience.mean() > 0.3
    # the batched call shares decoding/audio but must give what a single-track call gives
    np.testing.assert_allclose(scorer.score_tracks(hamilton, [tracks["audience"]])[0], audience, atol=0.01)


def test_silence_means_nobody_speaks_though_the_network_alone_says_otherwise(
    scorer, hamilton: Path, tracks, own_audio_scores
):
    """Same face track, same pixels. Light-ASD (TalkSet) scores the rapper's moving lips as
    speech even over digital silence; the voice gate turns that into 0."""
    audio = read_audio(hamilton, start=0.0)
    matched = scorer.score_tracks(hamilton, [tracks["rapping"]], audio=audio)[0]
    np.testing.assert_allclose(matched, own_audio_scores[0], atol=0.01)  # same time axis
    silence = np.zeros_like(audio)
    raw = scorer.score_tracks(hamilton, [tracks["rapping"]], audio=silence, voice_gate=False)[0]
    assert raw.mean() > 0.5  # the network alone: "speaking"
    gated = scorer.score_tracks(hamilton, [tracks["rapping"]], audio=silence)[0]
    np.testing.assert_array_equal(gated, 0.0)


def test_track_outside_video_is_nan_and_silent_video_is_an_error(scorer, hamilton: Path, tmp_path):
    boxes = np.array([[300, 50, 400, 170], [300, 50, 400, 170]], np.float32)
    assert np.isnan(scorer.score_tracks(hamilton, [(np.array([30.0, 31.0]), boxes)])[0]).all()
    silent = tmp_path / "no_audio.mp4"
    with av.open(str(silent), "w") as out:  # a real H.264 file with a video stream only
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(25):
            pixels = np.full((240, 320, 3), 40 + 4 * i, np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        out.mux(stream.encode(None))
    with pytest.raises(VideoReadError, match="no audio"):
        scorer.score_tracks(silent, [(np.array([0.1, 0.5]), boxes / 2)])
