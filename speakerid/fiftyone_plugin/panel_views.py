"""What the Speakers panel shows, built from the dataset: plots, tables and Markdown.

Pure presentation over speakerid.review (screen time, clusters, the gallery): each function
returns plain JSON-able data, so the panel class only wires events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from speakerid.errors import SpeakeridError
from speakerid.identity.calibrate import CohortCalibration
from speakerid.identity.gallery import Gallery
from speakerid.labels.app_clock import app_counter
from speakerid.review.clusters import Cluster
from speakerid.review.frames import crop_file
from speakerid.review.gallery_link import thumbnail_files
from speakerid.review.screen_time import SpeakerTime

from .common import SEGMENTS, gallery_problem

PEOPLE_PER_ROW = 3
BAR_HEIGHT_PX = 34


def clock(seconds: float | None) -> str:
    """``m:ss.s`` for a time in seconds."""
    if seconds is None:
        return ""
    minutes, rest = divmod(max(float(seconds), 0.0), 60)
    return f"{int(minutes)}:{rest:04.1f}"


def media_url(path: Path | str) -> str:
    """The App server's URL of a local file."""
    return f"/media?filepath={quote(str(path))}"


def segments_of(sample: Any) -> list[Any]:
    """The speaker segments of a video sample, in time order."""
    segs = sample[SEGMENTS].detections if sample is not None and sample[SEGMENTS] is not None else []
    return sorted(segs, key=lambda s: s.support[0])


def timeline_rows(sample: Any) -> list[dict]:
    """One table row per speaker segment of ``sample``, in time order."""
    return [
        {
            "id": s.id,
            "speaker": s.label,
            "start": clock(s["start_time"]),
            "end": clock(s["end_time"]),
            "duration": f"{s['end_time'] - s['start_time']:.1f} s",
            "confidence": f"{s.confidence or 0:.2f}",
            "frames": f"#{app_counter(s.support[0])}-#{app_counter(s.support[1])}",  # as the App's counter
        }
        for s in segments_of(sample)
    ]


def timeline_plot(sample: Any) -> tuple[list[dict], dict]:
    """Plotly traces and layout: one row per speaker, one bar per segment over time (s);
    each bar's id is its segment's label id (a click opens that segment)."""
    segs = segments_of(sample)
    speakers = list(dict.fromkeys(s.label for s in segs))
    traces = []
    for speaker in speakers:
        mine = [s for s in segs if s.label == speaker]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": speaker,
                "y": [speaker] * len(mine),
                "base": [round(s["start_time"], 3) for s in mine],
                "x": [round(s["end_time"] - s["start_time"], 3) for s in mine],
                "ids": [s.id for s in mine],
                "customdata": [[clock(s["start_time"]), clock(s["end_time"])] for s in mine],
                "hovertemplate": "%{y}: %{customdata[0]}-%{customdata[1]}<extra></extra>",
            }
        )
    duration = (sample.metadata.duration if sample is not None and sample.metadata else None) or max(
        (s["end_time"] for s in segs), default=1.0
    )
    layout = {
        "title": {"text": "Speaker timeline (click a bar to play it)"},
        "barmode": "overlay",
        "showlegend": False,
        "height": 90 + BAR_HEIGHT_PX * max(len(speakers), 1),
        "margin": {"l": 140, "r": 20, "t": 40, "b": 40},
        "xaxis": {"title": {"text": "time (s)"}, "range": [0, float(duration)]},
        "yaxis": {"automargin": True, "autorange": "reversed"},
    }
    return traces, layout


def screen_time_rows(totals: list[SpeakerTime]) -> list[dict]:
    return [
        {"speaker": t.name, "on_screen": f"{t.on_screen:.1f} s", "speaking": f"{t.speaking:.1f} s", "videos": t.videos}
        for t in totals
    ]


def screen_time_plot(totals: list[SpeakerTime]) -> tuple[list[dict], dict]:
    """Grouped bars per speaker: seconds on screen, seconds speaking (click: their clips)."""
    names = [t.name for t in totals]
    traces = [
        {"type": "bar", "name": "on screen", "x": names, "y": [round(t.on_screen, 2) for t in totals]},
        {"type": "bar", "name": "speaking", "x": names, "y": [round(t.speaking, 2) for t in totals]},
    ]
    layout = {
        "title": {"text": "Screen time in the current view (s): on screen, speaking"},
        "barmode": "group",
        "height": 240,
        "margin": {"l": 50, "r": 20, "t": 40, "b": 60},
        "showlegend": False,
    }
    return traces, layout


def cluster_rows(clusters: list[Cluster]) -> list[dict]:
    return [
        {"cluster": c.id, "tracks": len(c.tracks), "videos": c.videos, "screen_time": f"{c.screen_time:.1f} s"}
        for c in clusters
    ]


def clusters_markdown(clusters: list[Cluster], limit: int = 12) -> str:
    """The clusters with a face crop each (the best face of their longest track)."""
    if not clusters:
        return "_no clusters yet: **Find recurring strangers** groups the unknown tracks by person_"
    lines = ["| face | cluster | tracks | videos | screen time |", "|---|---|---|---|---|"]
    for c in clusters[:limit]:
        try:
            crop = f"![cluster {c.id}]({media_url(crop_file(c.representative))})"
        except SpeakeridError:
            crop = ""
        lines.append(f"| {crop} | cluster {c.id} | {len(c.tracks)} | {c.videos} | {c.screen_time:.1f} s |")
    more = f"\n\n_and {len(clusters) - limit} more_" if len(clusters) > limit else ""
    return "\n".join(lines) + more


def gallery_markdown(path: str) -> str:
    """People, reference counts and a face thumbnail each (stored in the .sid), as a table."""
    problem = gallery_problem(path)
    if problem:
        return f"_{problem}_"
    gallery = Gallery.load(Path(path).expanduser())
    thumbs = thumbnail_files(gallery)
    cells = []
    for name, count in gallery.counts().items():
        cells += [f"![{name}]({media_url(thumbs[name])})" if name in thumbs else "", f"{name} ({count})"]
    width = 2 * PEOPLE_PER_ROW
    cells += [""] * (-len(cells) % width)
    rule = "S-norm score" if isinstance(gallery.open_set, CohortCalibration) else "similarity"
    lines = [
        f"**{len(gallery.names)} people** in `{Path(path).name}` (face, name and reference faces in brackets; "
        f"{gallery.embedder}, unknown below {rule} {gallery.threshold:.2f})",
        "",
        "|" + " |" * width,  # no column titles: the cells say what they are
        "|" + "---|" * width,
    ]
    lines += ["| " + " | ".join(cells[i : i + width]) + " |" for i in range(0, len(cells), width)]
    return "\n".join(lines)
