"""Speaking score per face track: decode its span at 25 fps, crop, pair with MFCCs, run Light-ASD.

Face tracks usually come from sparse keyframes (the identity pipeline samples at 5 fps) but the
network was trained on every frame at 25 fps. So for each group of overlapping tracks we decode
the span once at 25 fps (``speakerid.io.read_frames(fps=25)``), median-smooth each track's boxes
over ~0.5 s and interpolate them linearly between keyframes to every decoded frame, cut the
crops, and read the audio of the same span. Each 25 fps frame at time ``t`` is paired with the
4 MFCC rows (10 ms each) starting at ``t``; audio and video are aligned by presentation time,
so a video stream that starts later than its audio (common in MP4s) stays in sync.

Scores are computed on windows of at most ``window_seconds`` (a track is cut into the fewest
near-equal windows, so none is a short leftover without context; several lengths can be given
and are averaged, like the reference's multi-duration evaluation, at proportional cost),
smoothed over 5 frames as in the reference evaluation, and interpolated back to the caller's
times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import uniform_filter1d

from speakerid.asd.crops import box_geometry, face_crop, interpolate_geometry, smooth_geometry
from speakerid.asd.model import AUDIO_ROWS_PER_FRAME
from speakerid.asd.weights import load_light_asd
from speakerid.errors import VideoReadError
from speakerid.io import read_frames
from speakerid.io.audio import mfcc, read_audio
from speakerid.io.spans import group_spans

FPS = 25.0
SAMPLE_RATE = 16000
MFCC_RATE = 100  # rows per second
SMOOTH_FRAMES = 5  # the reference evaluation averages scores over 5 frames
_MERGE_GAP = 1.0  # s: tracks whose spans are closer than this share one decode
_HALF_FRAME = 0.5 / FPS


@dataclass
class _Track:
    """One caller track and the 25 fps crops gathered for it while decoding."""

    key_times: np.ndarray
    key_geometry: np.ndarray
    frame_times: list[float] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def start(self) -> float:
        return float(self.key_times[0]) - _HALF_FRAME

    @property
    def end(self) -> float:
        return float(self.key_times[-1]) + _HALF_FRAME


class ActiveSpeakerScorer:
    """Light-ASD on CPU or GPU: how likely each face of a track is speaking, in 0..1.

    ``weights``: a local state-dict path, a release name (``"pretrain_AVA_CVPR.model"``), or
    None for ``$SPEAKERID_ASD_WEIGHTS`` / cache / download (see :mod:`speakerid.asd.weights`). ``window_seconds``: the window lengths whose
    scores are averaged (more lengths = steadier scores, proportionally more compute).
    ``max_batch_frames`` bounds memory: about 0.4 MB of activations per frame in a batch.
    """

    def __init__(self, weights: str | Path | None = None, device: str = "cpu",
                 window_seconds: Sequence[float] = (4.0,), max_batch_frames: int = 200) -> None:
        self.model = load_light_asd(weights, device)
        self.device = device
        self.window_frames = sorted({max(1, round(w * FPS)) for w in window_seconds})
        self.max_batch_frames = max_batch_frames

    def score_track(self, video_path: str | Path, times: np.ndarray, boxes: np.ndarray,
                    audio: np.ndarray | None = None) -> np.ndarray:
        """Speaking score (N,) at each of the track's ``times`` (s); ``boxes`` (N,4) x1,y1,x2,y2 px.

        ``audio``: optional 16 kHz mono float samples in [-1, 1] with sample ``i`` playing at
        ``i / 16000`` s on the video's time axis (``read_audio(video_path, start=0.0)``), used
        instead of the file's own sound. Reading it once and passing it saves re-decoding the
        audio for every group of tracks in long videos.
        """
        return self.score_tracks(video_path, [(times, boxes)], audio)[0]

    def score_tracks(self, video_path: str | Path, tracks: Sequence[tuple[np.ndarray, np.ndarray]],
                     audio: np.ndarray | None = None) -> list[np.ndarray]:
        """Scores for several (times, boxes) tracks of one video, sharing decoding and audio.

        A track whose span holds no decodable frame (e.g. past the end) scores NaN.
        Raises VideoReadError if the video is unreadable or has no audio (and none is given).
        """
        plans = [_plan(times, boxes) for times, boxes in tracks]
        for group in _overlapping_groups(plans):
            self._collect_crops(video_path, group)
            features = self._span_mfcc(video_path, group, audio)
            self._score_group(group, *features)
        return [_at_times(plan, times) for plan, (times, _) in zip(plans, tracks)]

    def score_crops(self, crops: np.ndarray, mfcc_rows: np.ndarray) -> np.ndarray:
        """Raw per-frame scores for 25 fps crops (T,112,112) uint8 and their MFCCs (4T,13).

        The building block for callers that cut crops themselves (see :mod:`speakerid.asd.crops`).
        """
        windows = self._windows(len(crops))
        total = np.zeros(len(crops))
        counts = np.zeros(len(crops))
        for length, starts in windows.items():
            for batch in _batches(starts, max(1, self.max_batch_frames // length)):
                faces = np.stack([crops[s:s + length] for s in batch])
                rows = np.stack([mfcc_rows[AUDIO_ROWS_PER_FRAME * s:
                                           AUDIO_ROWS_PER_FRAME * (s + length)] for s in batch])
                with torch.inference_mode():
                    out = self.model(torch.from_numpy(rows).to(self.device),
                                     torch.from_numpy(faces).to(self.device)).cpu().numpy()
                for s, scores in zip(batch, out):
                    total[s:s + length] += scores
                    counts[s:s + length] += 1
        return total / counts

    def _windows(self, n: int) -> dict[int, list[int]]:
        """Window length -> start frames: for each window length, 0..n cut into the fewest
        near-equal windows no longer than it (no overlap, so no frame is computed twice per
        length, and no short leftover window lacking context)."""
        windows: dict[int, list[int]] = {}
        for count in sorted({-(-n // length) for length in self.window_frames}):
            bounds = np.linspace(0, n, count + 1).round().astype(int)
            for start, stop in zip(bounds[:-1], bounds[1:]):
                windows.setdefault(int(stop - start), []).append(int(start))
        return windows

    def _collect_crops(self, video_path: str | Path, group: list[_Track]) -> None:
        """Decode the group's span once at 25 fps and cut each track's crops."""
        start = min(p.start for p in group)
        end = max(p.end for p in group)
        for batch in read_frames(video_path, fps=FPS, start=max(start, 0.0), end=end):
            for frame, t in zip(batch.frames, batch.times):
                for plan in group:
                    if plan.start <= t <= plan.end:
                        geometry = interpolate_geometry(plan.key_times, plan.key_geometry, [t])[0]
                        plan.frame_times.append(float(t))
                        plan.crops.append(face_crop(frame, geometry))

    def _span_mfcc(self, video_path: str | Path, group: list[_Track],
                   audio: np.ndarray | None) -> tuple[np.ndarray, float]:
        """MFCC rows covering every collected frame of the group, and the time of row 0."""
        times = [t for p in group for t in p.frame_times]
        if not times:
            return np.zeros((0, 13), np.float32), 0.0
        start = min(times)
        end = max(times) + 1 / FPS
        if audio is None:
            samples = read_audio(video_path, sr=SAMPLE_RATE, start=start, end=end)
            if samples is None:
                raise VideoReadError(video_path, "no audio stream: active speaker detection needs sound")
        else:
            first = int(round(start * SAMPLE_RATE))
            samples = np.asarray(audio, np.float32)[first:int(round(end * SAMPLE_RATE))]
        if len(samples) == 0:  # the sound ends before this span: no rows, _take_rows pads
            return np.zeros((0, 13), np.float32), start
        return mfcc(samples, SAMPLE_RATE), start

    def _score_group(self, group: list[_Track], rows: np.ndarray, rows_start: float) -> None:
        for plan in group:
            if not plan.crops:
                continue
            crops = np.stack(plan.crops)
            first = int(round((plan.frame_times[0] - rows_start) * MFCC_RATE))
            plan_rows = _take_rows(rows, first, AUDIO_ROWS_PER_FRAME * len(crops))
            raw = self.score_crops(crops, plan_rows)
            plan.scores = uniform_filter1d(raw, SMOOTH_FRAMES, mode="nearest")
            plan.crops = []  # free memory early: only times and scores are needed from here


def _plan(times: np.ndarray, boxes: np.ndarray) -> _Track:
    """Validate one track and smooth its keyframe geometry (sorted by time)."""
    times = np.asarray(times, np.float64).reshape(-1)
    boxes = np.asarray(boxes, np.float64)
    if boxes.shape != (len(times), 4) or len(times) == 0:
        raise ValueError(f"a track needs N>0 times and (N,4) boxes, got {times.shape} and {boxes.shape}")
    order = np.argsort(times, kind="stable")
    key_times = times[order]
    return _Track(key_times, smooth_geometry(key_times, box_geometry(boxes[order])))


def _overlapping_groups(plans: list[_Track]) -> list[list[_Track]]:
    """Tracks grouped so that each group's span is decoded once and far-apart tracks are not."""
    return group_spans(plans, lambda p: p.start, lambda p: p.end, _MERGE_GAP)


def _batches(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _take_rows(rows: np.ndarray, first: int, count: int) -> np.ndarray:
    """``count`` rows from ``first``, repeating the edge rows where the audio is shorter."""
    if len(rows) == 0:
        return np.zeros((count, 13), np.float32)
    index = np.clip(np.arange(first, first + count), 0, len(rows) - 1)
    return np.ascontiguousarray(rows[index], dtype=np.float32)


def _at_times(plan: _Track, times: np.ndarray) -> np.ndarray:
    """Scores at the caller's times (in the caller's order), interpolated between 25 fps frames."""
    times = np.asarray(times, np.float64).reshape(-1)
    if not plan.frame_times:
        return np.full(len(times), np.nan)
    return np.interp(times, plan.frame_times, plan.scores)
