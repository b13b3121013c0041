"""Which video files a list of paths names: files as given, folders expanded to their videos.

Shared by ``speakerid annotate`` and the App's **Add videos** operator, so a folder means the
same thing in both.
"""

from __future__ import annotations

from pathlib import Path

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts"}


def expand_inputs(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """(videos, problems): files as given, folders expanded to the videos directly inside them
    (sorted); a folder without videos is a problem reported like a failed input."""
    out: list[Path] = []
    problems: list[str] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            vids = sorted(f for f in p.iterdir() if f.suffix.lower() in VIDEO_SUFFIXES and f.is_file())
            if not vids:
                problems.append(f"{p}: folder holds no video files")
            out.extend(vids)
        else:
            out.append(p)
    return out, problems
