"""Short clips cut from the shared sample videos, plus the broken files a real dataset has, and
the shared gallery enrolled once: the material of the batch tests and of
``benchmarks/batch_speed.py`` (they label the very same clips)."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
# (source, duration in s): both shared clips, re-encoded to 640 px wide so clips cost alike
SOURCES = (("short_hamilton_clip.mp4", 9.2), ("street_crowd_unknown.mp4", 4.2))


def make_clips(
    out_dir: Path, seconds: float = 1.5, step: float = 0.5, count: int = 20
) -> tuple[list[Path], list[Path]]:
    """``count`` clips of ``seconds`` cut every ``step`` s from both sample videos, alternating
    sources, and two broken files (zero bytes; truncated before the index). Returns (good, broken)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    per_source = [[(name, i * step) for i in range(int((dur - seconds) / step) + 1)] for name, dur in SOURCES]
    order = [clip for group in itertools.zip_longest(*per_source) for clip in group if clip][:count]
    good = []
    for name, start in order:
        out = out_dir / f"{Path(name).stem}_{start:04.1f}s_{seconds:g}s.mp4"
        if not out.exists():
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-y",
                    "-ss",
                    f"{start}",
                    "-t",
                    f"{seconds}",
                    "-i",
                    str(VIDEOS / name),
                    "-vf",
                    "scale=640:-2",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-threads",
                    "1",
                    "-c:a",
                    "aac",
                    str(out),
                ],
                check=True,
            )
        good.append(out)
    empty, truncated = out_dir / "broken_empty.mp4", out_dir / "broken_truncated.mp4"
    empty.write_bytes(b"")
    truncated.write_bytes(good[0].read_bytes()[: good[0].stat().st_size // 3])  # index (moov) is at the end
    return good, [empty, truncated]


def enroll(out: Path) -> Path:
    """The shared gallery enrolled once into a .sid file."""
    from speakerid.cli.main import main

    if main(["enroll", str(VIDEOS.parent / "gallery"), "--out", str(out), "--quiet"]) != 0:
        raise SystemExit("enrollment failed")
    return out
