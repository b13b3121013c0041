"""Added cost of active speaker detection per second of video, on this CPU.

What the pipeline's single decode pass adds in ``--speaker-mode active``: decoding is shared,
so the figures are the collector's own work fed from already decoded frames and audio (25 fps
resampling, crops, Silero VAD, MFCC, Light-ASD, synchrony), for one face track and for two
tracks over the same span, plus its parts: the voice detector alone (per second of audio, for
every second of the video), the network alone and the synchrony measure alone (per second of
each face track). For reference it also times the single pass that decodes grey frames and
audio (``read_frames(with_grey=True, audio_rate=16000)``), which the pipeline does anyway.
Figures are seconds of compute per second of video (CPU = process time over all threads; wall =
elapsed), the best of ``--repeats`` runs; the face track is the bundled sample's talking head
(MTCNN at 5 fps, not timed). Muted: the same with digital silence, where the network is skipped.
Usage: python benchmarks/asd_cost.py [--video PATH] [--repeats 3] [--threads N]
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
sys.path.insert(0, str(ROOT / "material"))  # labelled material shared with the tests
from asd_material import TALKING_HEAD, largest_face_track  # noqa: E402  (same track as the tests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "data/videos/short_hamilton_clip.mp4")
    parser.add_argument("--weights", type=Path, default=SHARED / "weights/light-asd/finetuning_TalkSet.model")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from speakerid.asd.collector import ActiveSpeakerCollector
    from speakerid.asd.crops import box_geometry, face_crop
    from speakerid.asd.score import ActiveSpeakerScorer
    from speakerid.asd.sync import synchrony
    from speakerid.asd.vad import VoiceActivity
    from speakerid.io import read_frames
    from speakerid.io.audio import mfcc

    times, boxes = largest_face_track(args.video, TALKING_HEAD)
    start, end = float(times[0]) - 0.3, float(times[-1]) + 0.3
    seconds = end - start
    scorer = ActiveSpeakerScorer(args.weights)
    print(
        f"video {args.video.name}: talking-head track of {len(times)} keyframes, span "
        f"{seconds:.2f} s; torch threads {torch.get_num_threads()}"
    )

    def decode() -> tuple[list, list]:
        grey, audio = [], []
        for batch in read_frames(args.video, fps=5, start=start, end=end, with_grey=True, audio_rate=16000):
            grey += batch.grey
            audio += batch.audio
        return grey, audio

    grey, audio = decode()
    silence = [(t, np.zeros_like(chunk)) for t, chunk in audio]

    def collect(tracks: int, sound: list) -> None:
        collector = ActiveSpeakerCollector(scorer)
        for t, chunk in sound:
            collector.add_audio(t, chunk)
        key = iter(zip(times, boxes))
        nxt = next(key, None)
        for t, image in grey:
            while nxt is not None and nxt[0] < t:
                collector.add_boxes(float(nxt[0]), {i: nxt[1] for i in range(tracks)})
                nxt = next(key, None)
            collector.add_frame(t, image)
        collector.finish()

    samples = np.concatenate([chunk for _, chunk in audio])
    grid = np.arange(times[0], times[-1], 0.04)
    geometry = box_geometry(boxes)
    crops = np.stack(
        [
            face_crop(
                grey[int(np.argmin([abs(g - t) for t, _ in grey]))][1],
                [np.interp(g, times, geometry[:, i]) for i in range(3)],
            )
            for g in grid
        ]
    )
    offset = int(round((grid[0] - audio[0][0]) * 16000))
    rows = mfcc(samples[offset : offset + len(crops) * 640 + 240])[: 4 * len(crops)]
    track_seconds = len(crops) / 25

    def vad() -> None:
        detector = VoiceActivity(audio[0][0])
        detector.push(samples)
        detector.finish()

    parts = {
        "single pass decode, grey + audio (shared)": (decode, seconds),
        "collector, 1 track": (lambda: collect(1, audio), seconds),
        "collector, 2 tracks": (lambda: collect(2, audio), seconds),
        "collector, 1 track, muted": (lambda: collect(1, silence), seconds),
        "  voice detector (per s of video)": (vad, seconds),
        "  network only (per s of track)": (lambda: scorer.score_crops(crops, rows), track_seconds),
        "  synchrony only (per s of track)": (lambda: synchrony(crops[:100], samples[offset : offset + 64000]), 4.0),
    }
    for name, (fn, per) in parts.items():
        cpu, wall = best_of(fn, args.repeats)
        print(f"{name:44s} CPU {cpu / per:6.3f} s/s   wall {wall / per:6.3f} s/s")
    print(
        "(s/s = seconds of compute per second of video or of face track; the machine may be "
        "shared: compare figures taken in one run)"
    )


def best_of(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm-up (first-call allocations, lazy imports)
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return min(cpu), min(wall)


if __name__ == "__main__":
    main()
