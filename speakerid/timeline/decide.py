"""Each analysed frame's speaker, decided from its faces and smoothed over time.

One function for the pipeline and for relabelling in the App (naming a cluster changes faces'
identities, so the frame speakers, segments and screen time are decided again the same way).
"""

from __future__ import annotations

from collections.abc import Sequence

from speakerid.results import FrameResult, Segment
from speakerid.timeline.segments import cut_segments, screen_time, video_end_time
from speakerid.timeline.speaker import pick_speaker, smooth_labels


def frame_speakers(
    frames: Sequence[FrameResult], analysed_fps: float, smooth_s: float, speaking_threshold: float | None = None
) -> list[tuple[str | None, float | None]]:
    """(speaker, confidence) per frame: ``pick_speaker``, then a majority filter over ``smooth_s``
    seconds; a frame the filter relabels takes its new speaker's confidence on that frame."""
    picked = [pick_speaker(fr.faces, speaking_threshold) for fr in frames]
    smoothed = smooth_labels([s for s, _ in picked], int(round(smooth_s * analysed_fps)) | 1)
    out = []
    for i, ((label, conf), new) in enumerate(zip(picked, smoothed)):
        if new != label:  # frames are built on access (FrameSequence): only relabelled ones again
            same = [f.confidence for f in frames[i].faces if f.identity == new]
            label, conf = new, (max(same) if same else None)
        out.append((label, conf))
    return out


def speaker_timeline(
    frames: Sequence[FrameResult],
    step: float,
    video_fps: float,
    num_frames: int | None,
    gap_tolerance: float,
    duration: float = 0.0,
) -> tuple[list[Segment], dict[str, float]]:
    """Speaker segments and screen time of frames whose speakers are decided; each analysed frame
    covers ``step`` seconds, none past the video's last frame."""
    end_time = (frames[-1].time + step) if len(frames) else duration
    segments = cut_segments(frames, step, video_fps, end_time, num_frames, gap_tolerance)
    return segments, screen_time(frames, step, video_end_time(frames, video_fps, end_time, num_frames))
