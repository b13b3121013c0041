"""Face stack figures: MTCNN ms/frame on 640x360 video, ms/face per embedder, LFW pair AUC.

Run: ``python benchmarks/faces.py [--embedders facenet sface] [--no-lfw]`` (CPU; prints a table).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from speakerid.cli.main import main as cli
from speakerid.faces.embedders import get_embedder
from speakerid.faces.mtcnn import MTCNNDetector
from speakerid.faces.trials import lfw_trials, write_trials
from speakerid.io import read_frames

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _best(fn, repeats: int = 3) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def detector_speed(batch: int = 16) -> tuple[np.ndarray, float]:
    frames = next(iter(read_frames(DATA / "videos" / "short_hamilton_clip.mp4", fps=5.0, batch_size=batch))).frames
    detector = MTCNNDetector()
    seconds = _best(lambda: detector.detect(frames))
    print(f"MTCNN {frames.shape[2]}x{frames.shape[1]}, batch {batch}: {1000 * seconds / len(frames):.1f} ms/frame")
    return frames, seconds


def embedder_speed(name: str, frames: np.ndarray, n: int = 64) -> None:
    detector, embedder = MTCNNDetector(), get_embedder(name)
    crops = [embedder.crop(f, face) for f, faces in zip(frames, detector.detect(frames)) for face in faces]
    crops = np.stack((crops * n)[:n])
    seconds = _best(lambda: embedder.embed(crops))
    print(f"{name}: {1000 * seconds / n:.1f} ms/face (batch of {n} crops of {embedder.input_size}px)")


def lfw_auc(name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        trials = Path(tmp) / "lfw.txt"
        write_trials(trials, lfw_trials(DATA / "lfw" / "pairsDevTest.txt", DATA / "lfw" / "images"))
        start = time.perf_counter()
        cli(
            [
                "verify",
                str(trials),
                "--root",
                str(DATA / "lfw" / "images"),
                "--embedder",
                name,
                "--out",
                str(Path(tmp) / "scores.csv"),
                "--quiet",
            ]
        )
        print(f"{name}: LFW pairsDevTest verify took {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedders", nargs="+", default=["facenet", "sface"])
    parser.add_argument("--no-lfw", action="store_true")
    args = parser.parse_args()
    frames, _ = detector_speed()
    for embedder_name in args.embedders:
        embedder_speed(embedder_name, frames)
    if not args.no_lfw:
        for embedder_name in args.embedders:
            lfw_auc(embedder_name)
