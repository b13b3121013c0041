"""Does "speaking" mean speaking? Per-face-frame precision/recall of active-speaker detection.

Labelled set: the bundled Hamilton clip (who is audible when: ``material/asd_material.py``) and copies
made with ffmpeg whose sound is replaced: digital silence (muted), -50 dBFS white noise,
the same voice 2 s late (shifted), the soundtrack reversed, the street clip's traffic noise
(street, no voice) and, where espeak-ng is installed, another (synthetic) speaker's voice
(swapped). Faces: MTCNN at 5 fps linked by overlap, as the
identity pipeline hands them over. A face-frame is "speaking" when its score is >= 0.5.

For each weights file and variant it prints, "before" (the network alone, as speakerid scored
until the voice gate: ``voice_gate=False, sync_rule=False``) and "after" (voice gate and
synchrony rule): precision, recall and F1 over all face-frames, the share of talking-head
face-frames (Miranda's medium shot) marked speaking, the share of all face-frames marked
speaking, and the mean lip-voice synchrony of the talking-head track.
Usage: python benchmarks/asd_eval.py [--weights NAME ...] [--work DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "material"))  # labelled material shared with the tests
from asd_material import TALKING_HEAD, VARIANTS, face_tracks, make_variant, speaking_truth, tts_voice  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "data/videos/short_hamilton_clip.mp4")
    parser.add_argument("--weights", nargs="+", default=["finetuning_TalkSet.model", "pretrain_AVA_CVPR.model"])
    parser.add_argument("--work", type=Path, default=None, help="folder for the variants")
    args = parser.parse_args()

    from speakerid.asd.collector import ActiveSpeakerCollector
    from speakerid.asd.feed import feed_tracks
    from speakerid.asd.score import ActiveSpeakerScorer
    from speakerid.io import probe

    work = args.work or Path(tempfile.mkdtemp(prefix="asd_eval_"))
    work.mkdir(parents=True, exist_ok=True)
    variants = {kind: make_variant(args.video, work / f"{kind}.mp4", kind) for kind in VARIANTS}
    street = SHARED / "data/videos/street_crowd_unknown.mp4"  # traffic and footsteps, no voice
    variants["street"] = make_variant(args.video, work / "street.mp4", "replaced", street)
    voice = tts_voice(work / "tts.wav")
    if voice is not None:
        variants["swapped"] = make_variant(args.video, work / "swapped.mp4", "replaced", voice)
    tracks = face_tracks(variants["original"])
    width = probe(variants["original"]).width
    truth = [np.array([speaking_truth(t, b, width) for t, b in zip(times, boxes)]) for times, boxes in tracks]
    head = [(times >= TALKING_HEAD[0]) & (times <= TALKING_HEAD[1]) for times, _ in tracks]
    print(
        f"{len(tracks)} face tracks, {sum(len(t) for t, _ in tracks)} face-frames, "
        f"{sum(int(t.sum()) for t in truth)} speaking (ground truth); variants in {work}"
    )
    print(
        f"{'weights':10s} {'variant':9s} {'rules':6s} {'prec':>5s} {'recall':>6s} {'F1':>5s} "
        f"{'head spk':>8s} {'all spk':>7s} {'sync':>6s}"
    )
    for name in args.weights:
        scorer = ActiveSpeakerScorer(SHARED / "weights/light-asd" / name)
        for kind, path in variants.items():
            for rules, options in (("before", dict(voice_gate=False, sync_rule=False)), ("after", {})):
                collector = ActiveSpeakerCollector(scorer, **options)
                scores = feed_tracks(collector, path, tracks)
                details = dict(collector.details)  # track index -> scores at its (sorted) times
                sync = [
                    float(np.nanmean(details[i].sync[h])) if h.any() and i in details else np.nan
                    for i, h in enumerate(head)
                ]
                print(f"{name[:10]:10s} {kind:9s} {rules:6s} " + row(scores, truth, head, sync))


def row(scores: list[np.ndarray], truth: list[np.ndarray], head: list[np.ndarray], sync: list[float]) -> str:
    said = np.concatenate([np.nan_to_num(s, nan=0.0) >= 0.5 for s in scores])
    true = np.concatenate(truth)
    on_head = np.concatenate(head)
    tp = int((said & true).sum())
    precision = tp / max(int(said.sum()), 1)
    recall = tp / max(int(true.sum()), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    head_sync = np.nanmean([s for s, h in zip(sync, head) if h.any()]) if any(h.any() for h in head) else np.nan
    return f"{precision:5.2f} {recall:6.2f} {f1:5.2f} {said[on_head].mean():8.2f} {said.mean():7.2f} {head_sync:+6.2f}"


if __name__ == "__main__":
    main()
