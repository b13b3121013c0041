"""Labelled faces from a FiftyOne dataset: the ``faces`` detections annotate writes, as corrected.

Image datasets: each sample's ``field`` (Detections, one face each, or a Classification naming
the person in a face photo). Video datasets: the frame-level ``field`` Detections, decoded with
speakerid.io. Faces labelled ``unknown`` (or not at all) are skipped: they name nobody to learn.
Each labelled box is re-detected in its frame to borrow the detector's landmarks (IoU >= 0.5);
a box the detector does not find again is cropped as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from speakerid.errors import SpeakeridError
from speakerid.faces.boxes import box_iou
from speakerid.faces.detect import MTCNN_LAYOUT, box_face, centre_face, main_face
from speakerid.io.images import fit_within, load_rgb
from speakerid.results import UNKNOWN
from speakerid.train.data import CENTRE_FRACTION, MAX_SIDE, FaceSet

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder
    from speakerid.faces.face import Detector, Face

MATCH_IOU = 0.5


def _matched(box: np.ndarray, found: list[Face]) -> tuple[Face, bool]:
    """The detected face that overlaps ``box`` best, if enough; else ``box`` with typical landmarks."""
    if found:
        ious = box_iou(box, np.stack([f.box for f in found]))[0]
        best = int(np.argmax(ious))
        if ious[best] >= MATCH_IOU:
            return found[best], True
    return box_face(box), False


def _labelled_boxes(label: Any, height: int, width: int) -> list[tuple[str, np.ndarray | None]]:
    """(identity, pixel box or None for a whole-photo Classification) of one label field value."""
    if label is None:
        return []
    if hasattr(label, "detections"):
        out = []
        for det in label.detections:
            x, y, w, h = det.bounding_box
            out.append((det.label, np.array([x * width, y * height, (x + w) * width, (y + h) * height], np.float32)))
        return out
    return [(label.label, None)] if getattr(label, "label", None) else []


def _frames(ds: Any, field: str) -> Iterator[tuple[str, np.ndarray, Any]]:
    """(source reference, RGB frame, label value) for every sample/frame holding ``field``."""
    if ds.media_type == "video":
        from speakerid.io import probe
        from speakerid.labels.app_pictures import app_pictures

        for sample in ds.select_fields(f"frames.{field}"):
            wanted = {n: fr[field] for n, fr in sample.frames.items() if fr[field] is not None}
            fps = (sample.metadata.frame_rate if sample.metadata else None) or probe(sample.filepath).fps
            # the picture the App shows on each labelled frame (labels.app_clock)
            for n, frame in app_pictures(sample.filepath, wanted, fps) if wanted else []:
                yield f"{sample.filepath}#frame={n}", frame, wanted[n]
    else:
        for sample in ds.select_fields(field):
            if sample[field] is not None:
                yield sample.filepath, load_rgb(sample.filepath), sample[field]


def load_face_dataset(
    name: str,
    field: str,
    detector: Detector,
    embedder: Embedder,
    on_image: Callable[[int], None] | None = None,
) -> FaceSet:
    """One aligned crop per identity-labelled face of dataset ``name``'s ``field``."""
    import fiftyone as fo

    if not fo.dataset_exists(name):
        raise SpeakeridError(f"FiftyOne dataset {name!r} not found")
    ds = fo.load_dataset(name)
    if not ds.has_field(field) and not ds.has_frame_field(field):
        raise SpeakeridError(f"FiftyOne dataset {name!r} has no field {field!r}")
    crops, names, sources, boxes, detected = [], [], [], [], []
    for source, rgb, label in _frames(ds, field):
        small, scale = fit_within(rgb, MAX_SIDE)
        h, w = rgb.shape[:2]
        found = detector.detect(small[None])[0]
        for identity, box in _labelled_boxes(label, h, w):
            if not identity or identity == UNKNOWN:
                continue
            if box is None:  # a photo of one person: its central face
                face = main_face(found, *small.shape[:2])
                hit = face is not None
                face = face or centre_face(*small.shape[:2], CENTRE_FRACTION, MTCNN_LAYOUT)
            else:
                face, hit = _matched(box * scale, found)
            crops.append(embedder.crop(small, face))
            names.append(identity)
            sources.append(source)
            boxes.append(face.box / scale)
            detected.append(hit)
        if on_image:
            on_image(1)
    if len(set(names)) < 2:
        raise SpeakeridError(f"FiftyOne dataset {name!r}: fewer than 2 identities labelled in {field!r}")
    classes = sorted(set(names))
    labels = np.array([classes.index(n) for n in names], np.int64)
    return FaceSet(
        np.stack(crops), labels, classes, sources, np.stack(boxes).astype(np.float32), np.array(detected, bool)
    )
