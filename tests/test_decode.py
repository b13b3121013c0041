"""Decoding layer on the real clips and on rotated / VFR / broken files made from them."""

from __future__ import annotations

import csv
import subprocess
import sys
import tracemalloc
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from speakerid.errors import VideoReadError
from speakerid.io import FrameBatch, probe, read_frames

BACKENDS = ["pyav", "decord"]
# Frame times (ms) of the VFR test video: 30 fps for 0.5 s, then irregular gaps up to 0.7 s.
VFR_PTS_MS = [0, 33, 67, 100, 133, 167, 200, 233, 267, 300, 333, 367, 400, 433, 467, 700, 1100, 1500, 1600, 2300]
# At 5 fps (instants every 0.2 s from 0): the dense part gives every 6th frame, then each
# sparse frame is the first to reach a new instant (1.1 s covers both 0.8 and 1.0).
VFR_EXPECTED_AT_5FPS = [0, 6, 12, 15, 16, 17, 18, 19]


def ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def collect(batches) -> FrameBatch:
    batches = list(batches)
    return FrameBatch(
        frames=np.concatenate([b.frames for b in batches]),
        indices=np.concatenate([b.indices for b in batches]),
        times=np.concatenate([b.times for b in batches]),
    )


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute pixel difference, frame by frame to keep memory small."""
    return float(np.mean([np.abs(x.astype(np.int16) - y).mean() for x, y in zip(a, b)]))


def first_frame_ffmpeg(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """The first frame as the ffmpeg CLI displays it (it applies rotation by default)."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(raw.stdout, np.uint8).reshape(shape)


@pytest.fixture(scope="module")
def vfr_video(hamilton: Path, tmp_path_factory) -> Path:
    """Real Hamilton frames re-encoded (x264, with B-frames) at irregular timestamps."""
    path = tmp_path_factory.mktemp("vfr") / "vfr.mp4"
    with av.open(str(hamilton)) as src:
        frames = [f.to_ndarray(format="rgb24") for _, f in zip(VFR_PTS_MS, src.decode(video=0))]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for pixels, pts in zip(frames, VFR_PTS_MS):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_probe_real_clip(hamilton: Path) -> None:
    info = probe(hamilton)
    assert (info.width, info.height, info.rotation, info.codec) == (640, 360, 0, "h264")
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.num_frames == 275
    assert info.duration == pytest.approx(9.18, abs=0.05)
    assert info.has_audio
    assert probe(hamilton, backend="decord").num_frames == 275


def test_every_frame_has_annotated_index_and_pts(hamilton: Path, shared_data: Path) -> None:
    got = collect(read_frames(hamilton, fps=None, batch_size=64))
    assert got.frames.shape == (275, 360, 640, 3) and got.frames.dtype == np.uint8
    np.testing.assert_array_equal(got.indices, np.arange(275))
    assert np.all(np.diff(got.times) > 0)
    with open(shared_data / "videos" / "segments.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["video"] == hamilton.name]
    for row in rows:  # the annotation gives decode index and PTS (2 decimals) of each cut
        assert got.times[int(row["first_frame"])] == pytest.approx(float(row["t_start_s"]), abs=0.01)


@pytest.mark.parametrize(
    "settings", [dict(fps=5.0), dict(every=7, start=2.0, end=6.0), dict(fps=2.5, start=1.0, batch_size=5)]
)
def test_backends_agree_on_hamilton(hamilton: Path, settings: dict) -> None:
    a = collect(read_frames(hamilton, backend="pyav", **settings))
    b = collect(read_frames(hamilton, backend="decord", **settings))
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.times, b.times)
    assert mean_abs_diff(a.frames, b.frames) < 1.0


def test_backends_agree_on_street(street: Path) -> None:
    a = collect(read_frames(street, fps=2.5, backend="pyav"))
    b = collect(read_frames(street, fps=2.5, backend="decord"))
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.times, b.times)
    # 25 fps from PTS 0: every 10th frame, on the 0.4 s grid
    np.testing.assert_array_equal(a.indices, np.arange(0, 105, 10))
    np.testing.assert_allclose(a.times, a.indices / 25)
    assert mean_abs_diff(a.frames, b.frames) < 1.0


def test_fps_sampling_follows_time(hamilton: Path) -> None:
    got = collect(read_frames(hamilton, fps=5.0))
    gaps = np.diff(got.times)
    assert np.all(np.abs(gaps - 0.2) < 1 / 29.97)  # never more than a frame off the grid
    assert got.times[-1] - got.times[0] == pytest.approx(0.2 * (len(got.times) - 1), abs=1 / 29.97)


@pytest.mark.parametrize("backend", BACKENDS)
def test_vfr_times_and_sampling(vfr_video: Path, backend: str) -> None:
    every = collect(read_frames(vfr_video, fps=None, backend=backend))
    np.testing.assert_allclose(every.times, np.array(VFR_PTS_MS) / 1000, atol=1e-6)
    sampled = list(read_frames(vfr_video, fps=5.0, batch_size=3, backend=backend))
    assert [len(b) for b in sampled] == [3, 3, 2]
    got = collect(sampled)
    assert got.indices.tolist() == VFR_EXPECTED_AT_5FPS
    np.testing.assert_array_equal(got.frames, every.frames[VFR_EXPECTED_AT_5FPS])


@pytest.mark.parametrize("settings", [dict(fps=5.0), dict(every=4)])
def test_time_ranges_concatenate(hamilton: Path, settings: dict) -> None:
    whole = collect(read_frames(hamilton, **settings))
    head = collect(read_frames(hamilton, end=4.0, **settings))
    tail = collect(read_frames(hamilton, start=4.0, **settings))
    assert head.times.max() < 4.0 <= tail.times.min()
    np.testing.assert_array_equal(np.concatenate([head.indices, tail.indices]), whole.indices)
    np.testing.assert_array_equal(np.concatenate([head.times, tail.times]), whole.times)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how", ["pyav_display_matrix_-90", "ffmpeg_rotate_tag_90", "ffmpeg_rotate_tag_180"])
def test_rotation_matches_ffmpeg_display(hamilton: Path, tmp_path: Path, how: str, backend: str) -> None:
    path = tmp_path / "rotated.mp4"
    angle = int(how.rsplit("_", 1)[1])
    if how.startswith("pyav"):
        with av.open(str(hamilton)) as src, av.open(str(path), "w") as out:
            stream = out.add_stream_from_template(src.streams.video[0])
            stream.set_display_rotation(angle)
            for packet in src.demux(src.streams.video[0]):
                if packet.dts is not None:
                    packet.stream = stream
                    out.mux(packet)
    else:
        ffmpeg("-i", hamilton, "-t", "2", "-c", "copy", "-metadata:s:v", f"rotate={angle}", path)
    info = probe(path)
    display = (640, 360) if angle % 180 else (360, 640)
    assert (info.height, info.width) == display
    assert info.rotation == angle % 360
    got = next(read_frames(path, fps=None, batch_size=2, backend=backend))
    expected = first_frame_ffmpeg(path, (*display, 3))
    assert got.frames.shape == (2, *display, 3)
    assert mean_abs_diff(got.frames[:1], expected[None]) < 1.0


def test_raw_stream_without_pts_gets_index_times(hamilton: Path, tmp_path: Path) -> None:
    path = tmp_path / "raw.h264"
    ffmpeg("-i", hamilton, "-frames:v", "12", "-c:v", "copy", "-an", "-bsf:v", "h264_mp4toannexb", path)
    info = probe(path)
    got = collect(read_frames(path, fps=None))
    np.testing.assert_allclose(got.times, np.arange(len(got.times)) / info.fps)
    assert len(got.times) >= 10


def test_memory_does_not_grow_with_length(street: Path) -> None:
    frame_bytes = 1080 * 1920 * 3
    tracemalloc.start()
    try:
        seen = sum(len(b) for b in read_frames(street, fps=None, batch_size=4))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 105
    assert peak < 12 * frame_bytes  # a few batches at most, not the 105 frames


def broken_inputs(hamilton: Path, shared_data: Path, tmp: Path) -> dict[str, Path]:
    """Every kind of unreadable input, made from the real data."""
    data = hamilton.read_bytes()
    (tmp / "empty.mp4").write_bytes(b"")
    (tmp / "text.mp4").write_text("not a video, just some words\n" * 20)
    (tmp / "photo.mp4").write_bytes((shared_data / "photos" / "obama_and_biden.jpg").read_bytes())
    (tmp / "half.mp4").write_bytes(data[: len(data) // 2])  # moov is at the end: lost
    ffmpeg("-i", hamilton, "-vn", "-c", "copy", tmp / "audio_only.mp4")
    ffmpeg("-i", hamilton, "-c", "copy", "-movflags", "+faststart", tmp / "faststart.mp4")
    fast = (tmp / "faststart.mp4").read_bytes()
    (tmp / "half_faststart.mp4").write_bytes(fast[: len(fast) // 2])  # index kept, data cut
    names = ["empty", "text", "photo", "half", "audio_only", "half_faststart"]
    return {"missing": tmp / "missing.mp4", **{n: tmp / f"{n}.mp4" for n in names}}


@pytest.fixture(scope="module")
def broken(hamilton: Path, shared_data: Path, tmp_path_factory) -> dict[str, Path]:
    return broken_inputs(hamilton, shared_data, tmp_path_factory.mktemp("broken"))


@pytest.mark.parametrize("kind", ["missing", "empty", "text", "photo", "half", "audio_only", "half_faststart"])
def test_unreadable_input_raises_video_read_error(broken: dict[str, Path], kind: str) -> None:
    path = broken[kind]
    calls = [lambda: probe(path), lambda: probe(path, backend="decord")] + [
        lambda b=b: next(read_frames(path, backend=b)) for b in BACKENDS
    ]
    for call in calls:
        with pytest.raises(VideoReadError) as err:
            call()
        assert err.value.path == str(path)
        assert err.value.reason and "\n" not in str(err.value)


def test_decord_absent_gives_clear_error(hamilton: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "decord", None)  # import decord -> ImportError
    with pytest.raises(VideoReadError, match="decord"):
        next(read_frames(hamilton, backend="decord"))
    assert len(next(read_frames(hamilton, backend="pyav"))) == 16


@pytest.mark.parametrize(
    "kwargs", [dict(fps=0), dict(fps=None, every=0), dict(start=3, end=2), dict(backend="opencv"), dict(batch_size=0)]
)
def test_invalid_settings(hamilton: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        read_frames(hamilton, **kwargs)
