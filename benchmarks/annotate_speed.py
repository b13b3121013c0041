"""Annotation throughput and memory on the bundled sample, against a naive loop.

Prints: decode-only throughput; speakerid frames analysed per second and peak RSS; the same for
a naive loop (detect + embed frame by frame, no batching, no tracking) on the same clip, models
and sampling; the ratio; and RSS growth over a long video (the sample looped 20 times).
Usage: python benchmarks/annotate_speed.py [--video PATH] [--gallery DIR] [--loops 20]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def decode_only(video: Path, fps: float) -> float:
    from speakerid.io import read_frames

    t0, n = time.perf_counter(), 0
    for batch in read_frames(video, fps=fps):
        n += len(batch.indices)
    return n / (time.perf_counter() - t0)


def naive(video: Path, gallery, models, fps: float) -> tuple[int, float]:
    """One frame at a time: detect, embed each face alone, match. No batching, no tracks."""
    from speakerid.io import read_frames

    t0, n = time.perf_counter(), 0
    for batch in read_frames(video, fps=fps, batch_size=1):
        frame = batch.frames[0]
        for face in models.detector.detect(frame[None])[0]:
            emb = models.embedder.embed(models.embedder.crop(frame, face)[None])
            gallery.classify(emb)
        n += 1
    return n, time.perf_counter() - t0


def looped(video: Path, times: int, out: Path) -> Path:
    """The clip concatenated ``times`` times (stream copy, no re-encode)."""
    lst = out / "list.txt"
    lst.write_text("".join(f"file '{video.resolve()}'\n" for _ in range(times)))
    dst = out / "long.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(lst), "-c", "copy", str(dst)], check=True)
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=ROOT / "sample_videos" / "short_hamilton_clip.mp4")
    ap.add_argument("--gallery", type=Path, default=ROOT / "sample_videos" / "gallery")
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--loops", type=int, default=20)
    args = ap.parse_args()

    from speakerid.identity.enroll import open_gallery
    from speakerid.io import probe
    from speakerid.pipeline import AnnotateSettings, annotate_video, load_models

    settings = AnnotateSettings(fps=args.fps)
    t0 = time.perf_counter()
    models = load_models(settings)
    gallery = open_gallery(args.gallery, models.detector, models.embedder)
    print(f"models + gallery loaded in {time.perf_counter() - t0:.1f} s; RSS {rss_mb():.0f} MB")
    info = probe(args.video)
    print(f"clip: {args.video.name} {info.width}x{info.height} {info.duration:.1f} s @ {info.fps:.2f} fps")

    print(f"decode only @ {args.fps:g} fps sampling: {decode_only(args.video, args.fps):.1f} frames/s")
    annotate_video(args.video, gallery, settings, models)  # warm-up (thread pools, allocator)
    t0 = time.perf_counter()
    res = annotate_video(args.video, gallery, settings, models)
    wall = time.perf_counter() - t0
    ours = len(res.frames) / wall
    n, naive_wall = naive(args.video, gallery, models, args.fps)
    theirs = n / naive_wall
    print(f"speakerid: {len(res.frames)} frames in {wall:.2f} s = {ours:.1f} frames/s, "
          f"{info.duration / wall:.2f}x real time   (target >= 1.0x)  {'OK' if info.duration / wall >= 1 else 'MISS'}")
    print(f"naive loop: {n} frames in {naive_wall:.2f} s = {theirs:.1f} frames/s")
    print(f"speedup over naive: {ours / theirs:.2f}x   (target >= 3x)  {'OK' if ours / theirs >= 3 else 'MISS'}")
    print(f"peak RSS so far: {peak_rss_mb():.0f} MB   (target <= 1536 MB)  {'OK' if peak_rss_mb() <= 1536 else 'MISS'}")

    with tempfile.TemporaryDirectory() as tmp:
        long = looped(args.video, args.loops, Path(tmp))
        samples: list[float] = []
        count = [0]

        def tick(k: int) -> None:
            count[0] += k
            samples.append(rss_mb())

        t0 = time.perf_counter()
        res = annotate_video(long, gallery, settings, models, on_frames=tick)
        wall = time.perf_counter() - t0
        q = max(1, len(samples) // 4)
        early, late = float(np.median(samples[:q])), float(np.median(samples[-q:]))
        print(f"long video ({args.loops}x, {probe(long).duration:.0f} s): {len(res.frames)} frames in {wall:.1f} s; "
              f"RSS first quarter {early:.0f} MB, last quarter {late:.0f} MB, growth {late - early:+.0f} MB "
              f"(target: flat)  {'OK' if late - early < 100 else 'MISS'}")
        print(f"peak RSS overall: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
