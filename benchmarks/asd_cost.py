"""Added cost of active speaker detection (Light-ASD) per second of analysed video, on this CPU.

Builds the face track of the rapping shot of the Hamilton sample (MTCNN at 5 fps keyframes, as
the identity pipeline does; not timed), then times ``ActiveSpeakerScorer.score_tracks`` for one
track and for two tracks over the same span (decoding and audio are shared, so the second
track costs only crops + network). Also times the parts: 25 fps decoding of the span, audio +
MFCC, and the network alone. Figures are seconds of compute per second of video (CPU = process
time over all threads; wall = elapsed), the best of ``--repeats`` runs.
``--scores`` also prints the mean speaking scores used to pick the default weights.
Usage: python benchmarks/asd_cost.py [--video PATH] [--repeats 3] [--threads N] [--scores]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "tests"))
from test_asd import AUDIENCE, RAPPING, largest_face_track  # noqa: E402  (same tracks as the tests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "data/videos/short_hamilton_clip.mp4")
    parser.add_argument("--weights", type=Path, default=SHARED / "weights/light-asd")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--scores", action="store_true", help="also print discrimination scores")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from speakerid.asd.crops import face_crops
    from speakerid.asd.score import ActiveSpeakerScorer
    from speakerid.io import read_frames
    from speakerid.io.audio import mfcc, read_audio

    rapping = largest_face_track(args.video, RAPPING)
    seconds = float(rapping[0][-1] - rapping[0][0]) + 1 / 25
    scorer = ActiveSpeakerScorer(args.weights / "finetuning_TalkSet.model")
    print(f"video {args.video.name}: track of {len(rapping[0])} keyframes over {seconds:.2f} s; "
          f"torch threads {torch.get_num_threads()}")

    def decode() -> list:
        return [b for b in read_frames(args.video, fps=25, start=RAPPING[0], end=RAPPING[1])]

    batches = decode()
    frames = np.concatenate([b.frames for b in batches])
    times = np.concatenate([b.times for b in batches])
    boxes = np.stack([np.interp(times, rapping[0], rapping[1][:, i]) for i in range(4)], 1)
    crops = face_crops(frames, boxes, times)
    rows = mfcc(read_audio(args.video, start=RAPPING[0], end=RAPPING[1] + 0.04))[:4 * len(crops)]
    parts = {
        "decode 25 fps (shared by all tracks)": decode,
        "audio + MFCC (shared by all tracks)": lambda: mfcc(read_audio(args.video, start=RAPPING[0],
                                                                       end=RAPPING[1])),
        "network only, per track": lambda: scorer.score_crops(crops, rows),
        "score_tracks, 1 track": lambda: scorer.score_tracks(args.video, [rapping]),
        "score_tracks, 2 tracks": lambda: scorer.score_tracks(args.video, [rapping, rapping]),
    }
    for name, fn in parts.items():
        cpu, wall = best_of(fn, args.repeats)
        print(f"{name:40s} CPU {cpu / seconds:6.3f} s/s   wall {wall / seconds:6.3f} s/s")
    print("(s/s = seconds of compute per second of video; 2 tracks minus 1 track = cost of each "
          "further face track)")
    if args.scores:
        print_scores(args, rapping, largest_face_track(args.video, AUDIENCE))


def best_of(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm-up (first-call allocations, lazy imports)
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return min(cpu), min(wall)


def print_scores(args, rapping, audience) -> None:
    """Mean speaking score per track and per audio condition, for both released weights."""
    from speakerid.asd.score import ActiveSpeakerScorer
    from speakerid.io.audio import read_audio

    audio = read_audio(args.video, start=0.0)
    shift = 2 * 16000
    conditions = {"audio +2 s": np.roll(audio, shift),
                  "audio -2 s": np.roll(audio, -shift), "silence": np.zeros_like(audio)}
    for name in ("finetuning_TalkSet.model", "pretrain_AVA_CVPR.model"):
        scorer = ActiveSpeakerScorer(args.weights / name)
        rap, aud = scorer.score_tracks(args.video, [rapping, audience])
        line = [f"rapping {rap.mean():.3f}", f"audience {aud.mean():.3f}"]
        for label, samples in conditions.items():
            scores = scorer.score_track(args.video, *rapping, audio=samples)
            line.append(f"rapping+{label} {scores.mean():.3f}")
        print(f"{name:26s} " + "  ".join(line))


if __name__ == "__main__":
    main()
