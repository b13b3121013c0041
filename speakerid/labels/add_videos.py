"""Add video files (or the videos of folders) on this machine to a dataset, once each.

What the App's **Add videos** runs before annotating them: the same inputs as ``speakerid
annotate`` (``speakerid.io.inputs``), a sample per video created without labels, and a video
already in the dataset (same resolved path) reused, never duplicated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from speakerid.errors import SpeakeridError
from speakerid.io.inputs import VIDEO_SUFFIXES, expand_inputs
from speakerid.labels.fiftyone_writer import declare_fields, sample_id_for


def input_problem(path: str | None) -> str | None:
    """Why ``path`` names no video on this machine (None when it does): checked as typed."""
    if not path or not str(path).strip():
        return "type the path of a video file or a folder of videos (on the machine running the App)"
    p = Path(path).expanduser()
    if not p.exists():
        return f"{p}: not found on the machine running the App"
    videos, problems = expand_inputs([str(p)])
    if problems:
        return problems[0]
    if p.is_file() and p.suffix.lower() not in VIDEO_SUFFIXES:
        return f"{p}: not a video file ({', '.join(sorted(VIDEO_SUFFIXES))})"
    return None


def add_videos(dataset: Any, path: str) -> list[str]:
    """Sample ids of the videos ``path`` names (a file or a folder), added to ``dataset`` if new."""
    problem = input_problem(path)
    if problem:
        raise SpeakeridError(problem)
    videos, _ = expand_inputs([str(Path(path).expanduser())])
    declare_fields(dataset, {})  # an empty dataset becomes a video dataset
    ids = [sample_id_for(dataset, str(v.resolve())) for v in videos]
    dataset.reload()
    return ids
