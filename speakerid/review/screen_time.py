"""Screen time per speaker over many videos: the totals the App's Speakers panel charts.

``speakers`` holds each video's seconds on screen per identity (any face of theirs visible);
``speaker_segments`` the spans in which each is the frame's speaker. Summed over a view they
say who the collection is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from speakerid.labels.fiftyone_writer import SEGMENTS, SPEAKERS


@dataclass
class SpeakerTime:
    """One identity's totals over a set of videos."""

    name: str
    on_screen: float = 0.0  # seconds any face of theirs is visible
    speaking: float = 0.0  # seconds they are the frame's speaker (segments)
    videos: int = 0  # videos they appear in


def screen_time_totals(videos: Any) -> list[SpeakerTime]:
    """Totals per identity (``unknown`` included) over the video samples ``videos``, most seen first."""
    schema = videos.get_field_schema()
    totals: dict[str, SpeakerTime] = {}
    if SPEAKERS in schema:
        names, seconds = videos.values([f"{SPEAKERS}.classifications.label", f"{SPEAKERS}.classifications.screen_time"])
        for ls, ts in zip(names, seconds):
            for name, secs in zip(ls or [], ts or []):
                row = totals.setdefault(name, SpeakerTime(name))
                row.on_screen += secs or 0.0
                row.videos += 1
    if SEGMENTS in schema:
        labels, starts, ends = videos.values(
            [f"{SEGMENTS}.detections.label", f"{SEGMENTS}.detections.start_time", f"{SEGMENTS}.detections.end_time"]
        )
        for ls, ss, es in zip(labels, starts, ends):
            for name, s, e in zip(ls or [], ss or [], es or []):
                totals.setdefault(name, SpeakerTime(name)).speaking += (e or 0.0) - (s or 0.0)
    return sorted(totals.values(), key=lambda t: (-t.on_screen, -t.speaking, t.name))
