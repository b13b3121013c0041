"""Test dataset for the video models, built from the hand annotation in ``videos/segments.csv``.

Until the core pipeline labels these videos, the speaker timeline is the ground truth: Alex
Lacamoire frames 20-81, Lin-Manuel Miranda 82-210, the Obama audience shot 211-274 of the
Hamilton clip, and the whole street clip as ``crowd``. Each segment is cut into half-second
``speaker_segments`` clips (so there are enough of them), and ``speakers`` lists who was
identified in each video, as the core writes it.
"""

from __future__ import annotations

import csv
from pathlib import Path

# (video, first decode index, last decode index) of segments.csv rows -> clip label
SEGMENTS = {
    ("short_hamilton_clip.mp4", 20, 81): "alex_lacamoire",
    ("short_hamilton_clip.mp4", 82, 210): "lin_manuel_miranda",
    ("short_hamilton_clip.mp4", 211, 274): "obama",
    ("street_crowd_unknown.mp4", 0, 104): "crowd",
}
SPEAKERS = {
    "short_hamilton_clip.mp4": ["alex_lacamoire", "lin_manuel_miranda", "barack obama"],
    "street_crowd_unknown.mp4": [],
}
PIECE_S = 0.5


def _check_against_csv(videos: Path) -> None:
    """Every segment boundary must be a row boundary of the hand annotation."""
    rows = list(csv.DictReader(open(videos / "segments.csv", newline="")))
    for video, first, last in SEGMENTS:
        firsts = {int(r["first_frame"]) for r in rows if r["video"] == video}
        lasts = {int(r["last_frame"]) for r in rows if r["video"] == video}
        assert first in firsts and last in lasts, (video, first, last)


def build_dataset(name: str, videos: Path, pieces: bool = True):
    """A FiftyOne dataset of the two sample videos with ``speaker_segments`` and ``speakers``."""
    import fiftyone as fo

    from speakerid.io import probe

    _check_against_csv(videos)
    dataset = fo.Dataset(name)
    for video, people in SPEAKERS.items():
        path = str(videos / video)
        step = max(1, round(PIECE_S * probe(path).fps)) if pieces else None
        dets = []
        for (vid, first, last), label in SEGMENTS.items():
            if vid != video:
                continue
            # FiftyOne support is 1-based: frame n is decode index n - 1
            starts = range(first, last + 1, step) if step else [first]
            for a in starts:
                b = min(last, a + step - 1) if step else last
                if not step or b - a + 1 == step:  # whole pieces only
                    dets.append(fo.TemporalDetection(label=label, support=[a + 1, b + 1]))
        dataset.add_sample(
            fo.Sample(
                filepath=path,
                speaker_segments=fo.TemporalDetections(detections=dets),
                speakers=fo.Classifications(classifications=[fo.Classification(label=p) for p in people]),
            )
        )
    return dataset
