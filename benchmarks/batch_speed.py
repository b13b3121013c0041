"""Batch labelling throughput: videos per minute with 1 local worker, N local workers, the pool
``speakerid label`` chooses by itself (workers x threads), and Ray.

Cuts short clips from the shared sample videos (plus the two broken files a real dataset
has), enrolls the shared gallery once, then labels the same dataset with each engine
(``overwrite=True``, so every run does all the work). Times are wall clock from the job's
start to its last write, including worker start-up, model loading and (for Ray) starting a
local Ray instance. "Once started" counts from the first finished video to the last.
Usage: python benchmarks/batch_speed.py [--seconds 2] [--fps 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "material"))  # labelled material shared with the tests
from batch_material import enroll, make_clips  # noqa: E402  (the same clips as the tests)


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
    print(
        f"{len(good)} clips of {args.seconds:g} s + {len(broken)} broken, --fps {args.fps:g}, "
        f"{os.cpu_count()} CPU cores"
    )
    try:
        runs = [
            ("local, 1 worker", dict(workers=1)),
            (f"local, {args.workers} workers", dict(workers=args.workers)),
            ("local, chosen", dict(workers=None)),  # what `speakerid label` picks (pool_size)
            (f"ray, {args.workers} actors", dict(engine="ray", workers=args.workers)),
        ]
        for label, kwargs in runs:
            finished: list[float] = []  # elapsed time at each finished video
            s = label_dataset(
                ds,
                gallery,
                settings,
                overwrite=True,
                progress=lambda p, finished=finished: finished.append(p.elapsed),
                **kwargs,
            )
            assert s.labelled == len(good) and len(s.failed) == len(broken), s
            steady = 60.0 * (len(finished) - 2) / (finished[-1] - finished[1])  # after the first video: warm
            if kwargs.get("workers", 1) is None:
                label = f"local, chosen {s.workers} x {s.threads}"
            print(
                f"{label:<20} {s.videos_per_minute:6.1f} videos/min end to end ({s.seconds:5.1f} s, "
                f"{s.frames / s.seconds:4.1f} frames/s); {steady:6.1f} videos/min once started"
            )
    finally:
        ds.delete()


if __name__ == "__main__":
    main()
