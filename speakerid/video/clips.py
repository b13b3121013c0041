"""Training clips from any labelled FiftyOne video collection, cut into short windows.

A label comes either from a sample-level ``fo.Classification`` (the whole video is one span) or
from ``fo.TemporalDetection(s)`` such as the core's ``speaker_segments`` (one span per segment,
read through ``to_clips``). Each span is cut into fixed-length windows by pytorchvideo's
``UniformClipSampler``; windows are the training/embedding unit. Frame numbers follow FiftyOne:
1-based, inclusive, frame ``n`` is decode index ``n - 1``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from speakerid.errors import SpeakeridError
from speakerid.fiftyone_private import dataset_of
from speakerid.video.pytorchvideo_compat import pytorchvideo_module

SPLIT_GROUPS = ("video", "window")


@dataclass(frozen=True)
class Span:
    """A labelled stretch of one video; ``clip_id`` is the temporal detection id (None: whole video)."""

    path: str
    label: str | None
    first: int
    last: int
    sample_id: str
    clip_id: str | None = None


@dataclass(frozen=True)
class ClipSpec:
    """One window of a span: the unit that is decoded, featurised, cached and embedded."""

    path: str
    label: str | None
    first: int
    last: int
    sample_id: str
    clip_id: str | None
    window: int

    @property
    def source(self) -> str:
        """Id of what the window belongs to: the temporal detection, else the sample."""
        return self.clip_id or self.sample_id


@lru_cache(maxsize=1024)
def video_info(path: str):
    """Decode-layer probe, once per file (frame rate and length turn seconds into frames)."""
    from speakerid.io import probe

    return probe(path)


def num_frames(path: str) -> int:
    """Frame count of a video (from the container, else duration x fps)."""
    info = video_info(path)
    if info.num_frames:
        return int(info.num_frames)
    if info.duration > 0 and info.fps > 0:
        return max(1, int(round(info.duration * info.fps)))
    raise SpeakeridError(f"{path}: cannot tell the number of frames")


def label_kind(samples, label_field: str) -> str:
    """``"classification"`` or ``"temporal"``; anything else is a usage error naming the field."""
    import fiftyone as fo

    field = samples.get_field(label_field)
    doc = getattr(field, "document_type", None)
    if doc is None:
        raise SpeakeridError(f"{dataset_of(samples).name}: no sample field {label_field!r}")
    if issubclass(doc, fo.Classification):
        return "classification"
    if issubclass(doc, (fo.TemporalDetection, fo.TemporalDetections)):
        return "temporal"
    raise SpeakeridError(
        f"{dataset_of(samples).name}: field {label_field!r} is {doc.__name__}; "
        "expected Classification or TemporalDetection(s)"
    )


def labelled_spans(samples, label_field: str) -> list[Span]:
    """Every labelled span of ``samples`` (a dataset or view) in ``label_field``."""
    if label_kind(samples, label_field) == "classification":
        ids, paths, labels = samples.values(["id", "filepath", f"{label_field}.label"])
        return [Span(p, lab, 1, num_frames(p), i) for i, p, lab in zip(ids, paths, labels) if lab is not None]
    clips = samples.to_clips(label_field)
    ids, sample_ids, paths, supports, labels = clips.values(
        ["id", "sample_id", "filepath", "support", f"{label_field}.label"]
    )
    return [
        Span(p, lab, int(s[0]), int(s[1]), str(sid), str(cid))
        for cid, sid, p, s, lab in zip(ids, sample_ids, paths, supports, labels)
        if lab is not None
    ]


def whole_video_spans(samples) -> list[Span]:
    """One unlabelled span per sample, for embedding whole videos."""
    ids, paths = samples.values(["id", "filepath"])
    return [Span(p, None, 1, num_frames(p), i) for i, p in zip(ids, paths)]


def window_clips(spans: list[Span], window_s: float = 1.0, stride_s: float | None = None) -> list[ClipSpec]:
    """Cut spans into windows of ``window_s`` seconds (pytorchvideo ``UniformClipSampler``).

    The remainder shorter than a window is dropped, but a span shorter than one window is kept
    whole, so sequences have variable length (the RNN masks them).
    """
    sampling = pytorchvideo_module("data.clip_sampling")
    out: list[ClipSpec] = []
    for span in spans:
        fps = video_info(span.path).fps
        if not fps > 0:
            raise SpeakeridError(f"{span.path}: unknown frame rate")
        sampler = sampling.UniformClipSampler(Fraction(window_s).limit_denominator(1000), stride=stride_s)
        duration = Fraction(span.last - span.first + 1) / Fraction(fps).limit_denominator(100000)
        end, window, is_last = Fraction(0), 0, False
        while not is_last:
            info = sampler(end, duration, {})
            end, is_last = info.clip_end_sec, info.is_last_clip
            first = span.first + int(round(float(info.clip_start_sec) * fps))
            last = min(span.last, span.first + int(round(float(end) * fps)) - 1)
            out.append(ClipSpec(span.path, span.label, first, last, span.sample_id, span.clip_id, window))
            window += 1
    return out


def split_clips(
    clips: list[ClipSpec], val_fraction: float = 0.25, by: str = "video", seed: int = 0
) -> tuple[list[int], list[int]]:
    """Stratified train/val indices with no group in both (``by``: whole videos or windows).

    ``by="video"`` is the leak-free default when there are several videos per label;
    ``by="window"`` suits a handful of long videos: windows never overlap, so no frame is in both.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    if by not in SPLIT_GROUPS:
        raise SpeakeridError(f"split by {by!r}: expected one of {SPLIT_GROUPS}")
    if not 0 < val_fraction < 1:
        raise SpeakeridError(f"val fraction {val_fraction}: expected a value in (0, 1)")
    labels = np.array([c.label for c in clips])
    groups = np.array([os.path.abspath(c.path) if by == "video" else f"{c.source}#{c.window}" for c in clips])
    n_groups = len(set(groups.tolist()))
    n_splits = min(max(2, int(round(1 / val_fraction))), n_groups)
    if n_splits < 2:
        raise SpeakeridError(f"cannot split by {by}: only {n_groups} group(s); use more videos or split by window")
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    train, val = next(folds.split(np.zeros(len(clips)), labels, groups))
    return sorted(train.tolist()), sorted(val.tolist())


def open_dataset(name: str):
    """An existing FiftyOne dataset, or a one-line error naming it."""
    import fiftyone as fo

    if not fo.dataset_exists(name):
        raise SpeakeridError(f"FiftyOne dataset {name!r} not found")
    return fo.load_dataset(name)
