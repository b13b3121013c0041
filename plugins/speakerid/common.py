"""What the operators and the panel share: the gallery in use, cached models, frames and face crops.

Everything here reuses the speakerid package (pipeline, gallery, decoder); the plugin adds only
the App-facing glue, so the CLI, batch jobs and the App label videos identically.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from speakerid.errors import GalleryError, SpeakeridError, VideoReadError
from speakerid.identity.gallery import Gallery
from speakerid.labels.fiftyone_writer import FACES, SEGMENTS, SPEAKERS
from speakerid.results import UNKNOWN

__all__ = ["FACES", "SEGMENTS", "SPEAKERS", "UNKNOWN", "FRAME_FACES", "REVIEW_TAG"]  # field names, one source

GALLERY_ENV = "SPEAKERID_GALLERY"
GALLERY_INFO_KEY = "speakerid_gallery"
REVIEW_TAG = "speakerid_review"
FRAME_FACES = f"frames.{FACES}"
# A selected box and a re-detected face are the same face above this overlap.
MIN_BOX_IOU = 0.3


def default_gallery(dataset: Any) -> str:
    """The gallery last used on ``dataset``, else ``$SPEAKERID_GALLERY``, else ''."""
    stored = (dataset.info or {}).get(GALLERY_INFO_KEY) if dataset is not None else None
    return stored or os.environ.get(GALLERY_ENV, "")


def remember_gallery(dataset: Any, path: str | Path) -> None:
    """Record the gallery used on ``dataset`` so forms and the panel default to it next time."""
    dataset.info[GALLERY_INFO_KEY] = str(Path(path).expanduser().resolve())
    dataset.save()


def gallery_problem(path: str | None, *, folder_ok: bool = False, missing_ok: bool = False) -> str | None:
    """Why ``path`` cannot serve as the gallery (None when it can): shown under the form field."""
    if not path or not str(path).strip():
        return "choose a gallery file (.sid)"
    p = Path(path).expanduser()
    if p.is_dir():
        return None if folder_ok else f"{p}: is a folder; choose a .sid gallery file"
    if not p.exists():
        return None if missing_ok else f"{p}: gallery file not found"
    try:
        Gallery.load(p)
    except GalleryError as exc:
        return str(exc)
    return None


def gallery_input(ctx: Any, inputs: Any, label: str = "Gallery file (.sid)", description: str | None = None,
                  **rules: bool) -> None:
    """The gallery field of every form: defaults to the dataset's last gallery, checked as typed.

    ``rules`` go to :func:`gallery_problem` (``folder_ok``, ``missing_ok``).
    """
    gallery = ctx.params.get("gallery", None)
    if gallery is None:
        gallery = default_gallery(ctx.dataset)
    prop = inputs.str("gallery", label=label, required=True, default=gallery or None, description=description)
    problem = gallery_problem(gallery, **rules)
    if problem:
        invalid(prop, problem)


def invalid(prop: Any, message: str) -> None:
    """Mark a form property invalid: the App shows ``message`` and will not execute."""
    prop.invalid, prop.error_message = True, message


def load_gallery(path: str | Path, embedder: str | None = None) -> Gallery:
    """The ``.sid`` gallery at ``path``; a new empty one (for ``embedder``) if it does not exist yet."""
    p = Path(path).expanduser()
    if p.exists() or embedder is None:
        return Gallery.load(p)
    m = models(embedder)
    return Gallery(embedder=m.embedder.name, embedder_version=m.embedder.version)


def models(embedder: str = "facenet") -> Any:
    """Detector + embedder, loaded once per process (the App server runs many operators)."""
    from speakerid.batch.work import models_for
    from speakerid.pipeline import AnnotateSettings

    return models_for(AnnotateSettings(embedder=embedder))


def read_frame(path: str, frame_number: int, fps: float) -> np.ndarray:
    """The RGB image of FiftyOne frame ``frame_number`` (1-based decode order) of a video."""
    from speakerid.io import read_frames

    index = frame_number - 1
    guess = index / fps if fps else 0.0
    # A window around the nominal time first (cheap); the whole head of the video if PTS are odd.
    for start, end in ((max(guess - 2.0, 0.0), guess + 2.0), (None, None)):
        for batch in read_frames(path, fps=None, start=start, end=end, batch_size=8):
            hit = np.nonzero(batch.indices == index)[0]
            if len(hit):
                return batch.frames[hit[0]]
            if batch.indices[-1] > index:
                break
    raise VideoReadError(path, f"frame {frame_number} could not be decoded")


def face_crops(frame: np.ndarray, box: Iterable[float], detector: Any, embedder: Any, where: str) -> np.ndarray:
    """Aligned crop of the face inside relative ``box`` (x, y, w, h) and its mirror image.

    The face is re-detected so the crop gets its landmarks (alignment) exactly as at enrollment.
    """
    from speakerid.timeline.tracks import box_iou

    h, w = frame.shape[:2]
    x, y, bw, bh = box
    target = np.array([[x * w, y * h, (x + bw) * w, (y + bh) * h]])
    faces = detector.detect(frame[None])[0]
    if not faces:
        raise SpeakeridError(f"{where}: no face detected in the frame")
    overlap = box_iou(np.stack([f.box for f in faces]), target)[:, 0]
    best = int(np.argmax(overlap))
    if overlap[best] < MIN_BOX_IOU:
        raise SpeakeridError(f"{where}: no face detected inside the selected box")
    crop = embedder.crop(frame, faces[best])
    return np.stack([crop, np.ascontiguousarray(crop[:, ::-1])])


def embed_labelled_faces(dataset: Any, faces: list[dict], embedder_name: str) -> tuple[np.ndarray, list[str]]:
    """Embeddings (face + mirror) of labelled faces ``{sample_id, frame_number, box}``, with sources.

    Frames are decoded once each; sources name video, frame and label so the gallery records
    where every reference came from.
    """
    m = models(embedder_name)
    crops, sources = [], []
    by_sample: dict[str, list[dict]] = {}
    for face in faces:
        by_sample.setdefault(face["sample_id"], []).append(face)
    for sample_id, items in by_sample.items():
        sample = dataset[sample_id]
        for face in items:
            where = f"{sample.filepath} frame {face['frame_number']}"
            frame = frame_image(sample, face["frame_number"])
            pair = face_crops(frame, face["box"], m.detector, m.embedder, where)
            crops.extend(pair)
            src = f"{sample.filepath}#frame={face['frame_number']}&label={face['label_id']}"
            sources += [src, f"{src}#flip"]
    if not crops:
        raise SpeakeridError("no faces given")
    return m.embedder.embed(np.stack(crops)), sources


def frame_image(sample: Any, frame_number: int) -> np.ndarray:
    """RGB image of one frame of a video sample (frame rate from its metadata, else probed)."""
    from speakerid.io import probe

    fps = sample.metadata.frame_rate if sample.metadata else None
    return read_frame(sample.filepath, frame_number, fps or probe(sample.filepath).fps)


def detection_boxes(dataset: Any, refs: list[dict]) -> list[dict]:
    """``{sample_id, frame_number, label_id, box, label}`` of the face detections ``refs`` point to."""
    out = []
    for ref in refs:
        sample = dataset[ref["sample_id"]]
        frame = sample.frames[ref["frame_number"]]
        dets = frame[FACES].detections if frame[FACES] is not None else []
        det = next((d for d in dets if d.id == ref["label_id"]), None)
        if det is None:
            raise SpeakeridError(f"{sample.filepath} frame {ref['frame_number']}: face {ref['label_id']} not found")
        out.append({**ref, "box": list(det.bounding_box), "label": det.label})
    return out


def selected_faces(ctx: Any) -> list[dict]:
    """The App's selected labels that are speakerid face boxes (other selections are ignored)."""
    return [
        {"sample_id": s["sample_id"], "frame_number": s.get("frame_number"), "label_id": s["label_id"]}
        for s in ctx.selected_labels
        if s.get("field") in (FACES, FRAME_FACES) and s.get("frame_number")
    ]


def require_videos(view: Any) -> None:
    """Operators here work on video datasets only: say so clearly instead of failing later."""
    if view.media_type != "video":
        raise SpeakeridError(f"speakerid works on video datasets; {view.dataset_name!r} holds {view.media_type}")


def notify(ctx: Any, message: str, variant: str = "success") -> None:
    """Toast in the App; nothing when run delegated (no App is listening)."""
    if not ctx.delegated and ctx.executor is not None:
        ctx.ops.notify(message, variant=variant)
