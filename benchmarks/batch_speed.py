"""Batch labelling throughput: videos per minute with 1 local worker, N local workers and Ray.

Cuts short clips from the shared sample videos (plus the two broken files a real dataset
has), enrolls the shared gallery once, then labels the same dataset with each engine
(``overwrite=True``, so every run does all the work). Times are wall clock from the job's
start to its last write, including worker start-up, model loading and (for Ray) starting a
local Ray instance. "Once started" counts from the first finished video to the last.
Usage: python benchmarks/batch_speed.py [--seconds 2] [--fps 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
# (source, duration in s): both shared clips, re-encoded to 640 px wide so clips cost alike
SOURCES = (("short_hamilton_clip.mp4", 9.2), ("street_crowd_unknown.mp4", 4.2))


def make_clips(out_dir: Path, seconds: float = 1.5, step: float = 0.5, count: int = 20) -> tuple[list[Path], list[Path]]:
    """``count`` clips of ``seconds`` cut every ``step`` s from both sample videos, alternating
    sources, and two broken files (zero bytes; truncated before the index). Returns (good, broken)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    per_source = [[(name, i * step) for i in range(int((dur - seconds) / step) + 1)] for name, dur in SOURCES]
    order = [clip for group in itertools.zip_longest(*per_source) for clip in group if clip][:count]
    good = []
    for name, start in order:
        out = out_dir / f"{Path(name).stem}_{start:04.1f}s_{seconds:g}s.mp4"
        if not out.exists():
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", f"{start}", "-t", f"{seconds}", "-i", str(VIDEOS / name),
                            "-vf", "scale=640:-2", "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1",
                            "-c:a", "aac", str(out)], check=True)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="clip length")
    ap.add_argument("--count", type=int, default=20, help="good clips")
    ap.add_argument("--fps", type=float, default=2.0, help="frames analysed per second")
    ap.add_argument("--workers", type=int, default=2, help="workers for the parallel runs")
    args = ap.parse_args()

    import fiftyone as fo

    from speakerid.batch import label_dataset
    from speakerid.pipeline import AnnotateSettings

    tmp = Path(tempfile.mkdtemp(prefix="speakerid-batch-bench-"))
    good, broken = make_clips(tmp / "clips", seconds=args.seconds, count=args.count)
    gallery = enroll(tmp / "gallery.sid")
    settings = AnnotateSettings(fps=args.fps)
    ds = fo.Dataset(f"bench-batch-{uuid.uuid4().hex[:8]}")
    ds.add_samples([fo.Sample(filepath=str(p)) for p in good + broken])
    print(f"{len(good)} clips of {args.seconds:g} s + {len(broken)} broken, --fps {args.fps:g}, "
          f"{os.cpu_count()} CPU cores")
    try:
        runs = [("local, 1 worker", dict(workers=1)), (f"local, {args.workers} workers", dict(workers=args.workers)),
                (f"ray, {args.workers} actors", dict(engine="ray", workers=args.workers))]
        for label, kwargs in runs:
            finished: list[float] = []  # elapsed time at each finished video
            s = label_dataset(ds, gallery, settings, overwrite=True, progress=lambda p: finished.append(p.elapsed), **kwargs)
            assert s.labelled == len(good) and len(s.failed) == len(broken), s
            steady = 60.0 * (len(finished) - 2) / (finished[-1] - finished[1])  # after the first video: warm
            print(f"{label:<20} {s.videos_per_minute:6.1f} videos/min end to end ({s.seconds:5.1f} s, "
                  f"{s.frames / s.seconds:4.1f} frames/s); {steady:6.1f} videos/min once started")
    finally:
        ds.delete()


if __name__ == "__main__":
    main()
