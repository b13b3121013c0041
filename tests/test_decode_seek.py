"""Reads index frames by PTS from the frame table: they seek and skip unreferenced frames, yet
give exactly the frames, indices and times of decoding every frame from the start."""

from __future__ import annotations

import hashlib
import logging
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from speakerid.io import probe, read_frames
from speakerid.io.audio import read_audio_track
from speakerid.io.frame_table import FrameTable, frame_table, landed, sampled, seek_point
from speakerid.io.sampling import FrameSampler, select

SETTINGS = [dict(fps=5.0), dict(every=7, batch_size=3)]
STARTS = [1.0, 2.9, 4.1, 5.55, 8.9]
LOGGER = "speakerid.io.pyav_backend"


def ffmpeg(*args: str | Path) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


@pytest.fixture(scope="module")
def media(hamilton: Path, tmp_path_factory) -> dict[str, Path]:
    """The sample clip and real re-encodes of it that stress seeking: VFR with B-frames and a
    keyframe every 20 frames (MP4, Matroska, MPEG-TS), open GOPs, a rotation tag."""
    tmp = tmp_path_factory.mktemp("seek")
    vfr = tmp / "vfr_bframes.mp4"
    ffmpeg(
        "-i",
        hamilton,
        "-vf",
        r"select='not(between(mod(n\,40)\,10\,24))'",
        "-fps_mode",
        "vfr",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-g",
        "20",
        "-bf",
        "3",
        "-c:a",
        "copy",
        vfr,
    )
    ffmpeg("-i", vfr, "-c", "copy", tmp / "vfr_bframes.mkv")
    ffmpeg("-i", vfr, "-c", "copy", tmp / "vfr_bframes.ts")
    ffmpeg(
        "-i",
        hamilton,
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-g",
        "24",
        "-bf",
        "3",
        "-x264-params",
        "open-gop=1",
        "-c:a",
        "copy",
        tmp / "open_gop.mp4",
    )
    ffmpeg("-i", hamilton, "-c", "copy", "-metadata:s:v", "rotate=90", tmp / "rotated.mp4")
    return {"sample": hamilton, **{p.stem + p.suffix.replace(".", "_"): p for p in tmp.iterdir()}}


def collect(path: Path, **kwargs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    batches = list(read_frames(path, **kwargs))
    if not batches:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.uint8)
    return (
        np.concatenate([b.indices for b in batches]),
        np.concatenate([b.times for b in batches]),
        np.concatenate([b.frames for b in batches]),
    )


def decode_everything(path: Path) -> tuple[np.ndarray, list[bytes]]:
    """The oracle: plain PyAV, every frame decoded and counted; (times, digest of display RGB)."""
    turns = probe(path).rotation // 90
    times, digests = [], []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            times.append(float(frame.pts * frame.time_base))
            rgb = np.ascontiguousarray(np.rot90(frame.to_ndarray(format="rgb24"), turns))
            digests.append(hashlib.sha1(rgb.tobytes()).digest())
    return np.array(times), digests


@pytest.mark.parametrize(
    "name", ["sample", "vfr_bframes_mp4", "vfr_bframes_mkv", "vfr_bframes_ts", "open_gop_mp4", "rotated_mp4"]
)
def test_reads_equal_a_full_decode(media: dict[str, Path], name: str, caplog: pytest.LogCaptureFixture) -> None:
    """Whole reads (which skip unreferenced unsampled frames) and seeking reads give the frames,
    indices and times of decoding every frame from the start."""
    path = media[name]
    times, digests = decode_everything(path)
    seeks = 0
    for settings in SETTINGS:
        for start in [None, *STARTS]:
            sampler = FrameSampler(start=start, **{k: v for k, v in settings.items() if k != "batch_size"})
            expected = [i for i, _, _ in select(((None, t) for t in times), sampler)]
            with caplog.at_level(logging.DEBUG, logger=LOGGER):
                caplog.clear()
                batches = list(read_frames(path, start=start, **settings))
            assert "from frame 0" not in caplog.text
            seeks += "seeking to frame" in caplog.text
            indices = [int(i) for b in batches for i in b.indices]
            assert indices == expected
            np.testing.assert_array_equal([t for b in batches for t in b.times], times[expected])
            got = [hashlib.sha1(np.ascontiguousarray(f).tobytes()).digest() for b in batches for f in b.frames]
            assert got == [digests[i] for i in expected]
    assert seeks >= 3 * len(SETTINGS)  # most starts lie past a clean keyframe in every file


def test_open_gop_keyframes_are_not_entry_points(media: dict[str, Path]) -> None:
    table = frame_table(str(media["open_gop_mp4"]))
    keys = set(np.flatnonzero(table.key).tolist())
    points = set(table.entry_points.tolist())
    assert points < keys and 0 in points  # some keyframes have leading pictures
    for k in keys - points:  # a leading picture follows in decode order, displayed before it
        assert table.pts[k + 1 :].min() < table.pts[k]


def test_window_reads_match_and_use_the_seek(media: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    """The way enrolment reads one frame: a short window far into the video."""
    path = media["vfr_bframes_mp4"]
    whole = collect(path, fps=None)
    for i in (37, 100, 160):
        t = float(whole[1][i])
        with caplog.at_level(logging.DEBUG, logger=LOGGER):
            caplog.clear()
            got = collect(path, fps=None, start=t, end=t + 0.01)
        assert "seeking to frame" in caplog.text and "frame 0" not in caplog.text
        assert got[0].tolist() == [i]
        np.testing.assert_array_equal(got[2][0], whole[2][i])


def test_single_pass_after_a_seek(media: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    """B-frames, VFR and a seek: grey images of exactly the decoded frames, audio unchanged."""
    path, window = media["vfr_bframes_mp4"], dict(start=5.55, end=8.5)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        batches = list(read_frames(path, fps=5.0, with_grey=True, audio_rate=16000, **window))
    assert "seeking to frame" in caplog.text and "frame 0" not in caplog.text
    times = collect(path, fps=None, **window)[1]
    np.testing.assert_array_equal([t for b in batches for t, _ in b.grey], times)
    audio = np.concatenate([s for b in batches for _, s in b.audio])
    np.testing.assert_array_equal(audio, read_audio_track(path, sr=16000, **window).samples)


def test_raw_stream_without_pts_reads_from_frame_zero(hamilton: Path, tmp_path: Path) -> None:
    path = tmp_path / "raw.h264"
    ffmpeg("-i", hamilton, "-frames:v", "90", "-c:v", "copy", "-an", "-bsf:v", "h264_mp4toannexb", path)
    assert not frame_table(str(path)).complete
    whole = collect(path, fps=None)
    got = collect(path, fps=None, start=2.5)
    keep = whole[1] >= 2.5
    np.testing.assert_array_equal(got[0], whole[0][keep])


def test_frame_table_follows_a_replaced_file(hamilton: Path, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(hamilton.read_bytes())
    assert len(frame_table(str(path)).pts) == 275
    ffmpeg("-i", hamilton, "-t", "2", "-c", "copy", tmp_path / "short.mp4")
    (tmp_path / "short.mp4").replace(path)  # same path, new size and mtime: demuxed again
    assert len(frame_table(str(path)).pts) == len(collect(path, fps=None)[0]) < 275


def test_probe_start_time_is_the_first_frame(media: dict[str, Path]) -> None:
    for name in ("sample", "vfr_bframes_ts"):
        first = next(read_frames(media[name], fps=None, batch_size=1))
        assert probe(media[name]).start_time == first.times[0]


# ---- pure logic on small arrays ----


def _table(pts: list[int], key: list[bool], complete: bool = True) -> FrameTable:
    pts = np.array(pts, np.int64)
    return FrameTable(
        pts=pts, dts=np.arange(len(pts)) - 2, key=np.array(key), time_base=Fraction(1, 10), complete=complete
    )


# decode order I0 P3 B1 B2 | I4 P7 B5 B6 | I9 (open: B8 follows it) P10 B8
GOPS = [0, 3, 1, 2, 4, 7, 5, 6, 9, 10, 8]
KEYS = [True, False, False, False, True, False, False, False, True, False, False]


def test_entry_points_need_a_clean_split() -> None:
    table = _table(GOPS, KEYS)
    assert table.entry_points.tolist() == [0, 4]
    assert table.times.tolist() == [i / 10 for i in range(11)]
    assert table.index_of(7) == 7 and table.index_of(11) is None and table.index_of(None) is None
    assert table.usable(0.0) and not table.usable(0.1)  # the decoder's first frame must agree
    assert not _table(GOPS, KEYS, complete=False).usable(0.0)
    assert not _table(GOPS[1:], KEYS[1:]).usable(0.1)  # a stream that starts mid-GOP


def test_seek_point_and_landing() -> None:
    table = _table(GOPS, KEYS)
    point = seek_point(table, before=0.95)  # I9 is not clean: I4 it is
    assert (point.index, point.pts, point.dts) == (4, 4, 2)
    assert seek_point(table, before=0.35) is None  # only frame 0 before it
    assert landed(table, 4, point) and landed(table, 0, point)
    assert not landed(table, 9, point) and not landed(table, 5, point) and not landed(table, None, point)


@pytest.mark.parametrize("kwargs", [dict(fps=5.0, start=0.3), dict(every=3, end=0.75), dict(fps=None)])
def test_sampled_indices_follow_the_sampler(kwargs: dict) -> None:
    table = _table(GOPS, KEYS)
    expected = [i for i, _, _ in select(((None, i / 10) for i in range(11)), FrameSampler(**kwargs))]
    assert sampled(table, FrameSampler(**kwargs)).tolist() == expected
