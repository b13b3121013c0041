"""Cut the per-frame speaker sequence into speaker segments, bridging short gaps."""

from __future__ import annotations

import numpy as np

from speakerid.results import UNKNOWN, FrameResult, Segment


def cut_segments(
    frames: list[FrameResult],
    step: float,
    video_fps: float,
    end_time: float,
    num_frames: int | None = None,
    gap_tolerance: float = 1.0,
) -> list[Segment]:
    """Segments of named speakers; a gap (no/unknown speaker) shorter than ``gap_tolerance``
    between two runs of the same speaker is merged. Each sampled frame covers ``step`` seconds.

    Frame numbers are 1-based decode indices, as in FiftyOne; times are presentation times.
    With ``num_frames`` known, no segment runs past the video's last frame, however coarse the
    sampling (``--fps 0.0001`` on a 2 s clip must not give a 10000 s segment).
    """
    end_time = video_end_time(frames, video_fps, end_time, num_frames)
    span = max(1, int(round(step * video_fps)))  # decoded frames covered by one sampled frame
    runs: list[dict] = []
    for fr in frames:
        if fr.speaker in (None, UNKNOWN):
            continue
        prev = runs[-1] if runs else None
        if prev and prev["speaker"] == fr.speaker and fr.time - prev["end"] < gap_tolerance + 1e-6:
            prev.update(end=min(fr.time + step, end_time), last=fr.index + span)
            prev["conf"].append(fr.speaker_confidence or 0.0)
        else:
            runs.append(
                dict(
                    speaker=fr.speaker,
                    start=fr.time,
                    end=min(fr.time + step, end_time),
                    first=fr.index + 1,
                    last=fr.index + span,
                    conf=[fr.speaker_confidence or 0.0],
                )
            )
    segs = []
    for i, r in enumerate(runs):
        end, last = r["end"], r["last"]
        if i + 1 < len(runs):  # never overlap the next speaker
            end, last = min(end, runs[i + 1]["start"]), min(last, runs[i + 1]["first"] - 1)
        if num_frames:
            last = min(last, num_frames)
        segs.append(
            Segment(
                r["speaker"],
                float(r["start"]),
                float(end),
                r["first"],
                max(last, r["first"]),
                float(np.mean(r["conf"])),
            )
        )
    return segs


def video_end_time(frames: list[FrameResult], video_fps: float, end_time: float, num_frames: int | None) -> float:
    """``end_time``, but never past the video's last frame when ``num_frames`` is known: the
    video ends (num_frames - index) frame durations after the last analysed frame."""
    if num_frames and len(frames):
        last = frames[-1]
        end_time = min(end_time, last.time + max(num_frames - last.index, 1) / video_fps)
    return end_time


def screen_time(frames: list[FrameResult], step: float, end_time: float | None = None) -> dict[str, float]:
    """Seconds each identity (``unknown`` included) is on screen, from the sampled frames; each
    covers ``step`` seconds, but none past ``end_time`` (see ``video_end_time``)."""
    out: dict[str, float] = {}
    for fr in frames:
        covers = step if end_time is None else max(0.0, min(step, end_time - fr.time))
        for name in {f.identity for f in fr.faces}:
            out[name] = out.get(name, 0.0) + covers
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))
