"""What the operators and the panel share: the gallery field, selections, messages, models.

Everything here is App-facing glue; the work is done by the speakerid package (``speakerid.review``,
``speakerid.batch``, ``speakerid.identity``), so the CLI, batch jobs and the App behave alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from speakerid.errors import GalleryError, SpeakeridError
from speakerid.identity.gallery import Gallery
from speakerid.labels.fiftyone_writer import FACES, SEGMENTS, SPEAKERS, TRACKS
from speakerid.results import UNKNOWN
from speakerid.review.gallery_link import dataset_gallery

__all__ = ["FACES", "SEGMENTS", "SPEAKERS", "TRACKS", "UNKNOWN", "FRAME_FACES"]  # field names, one source

FRAME_FACES = f"frames.{FACES}"


def gallery_problem(path: str | None, *, folder_ok: bool = False, missing_ok: bool = False) -> str | None:
    """Why ``path`` cannot serve as the gallery (None when it can): shown under the form field."""
    if not path or not str(path).strip():
        return "choose a gallery file (.sid)"
    p = Path(path).expanduser()
    if p.is_dir():
        return None if folder_ok else f"{p}: is a folder; enroll it first (speakerid enroll, or Enroll speakers)"
    if not p.exists():
        return None if missing_ok else f"{p}: gallery file not found"
    try:
        Gallery.load(p)
    except GalleryError as exc:
        return str(exc)
    return None


def gallery_input(
    ctx: Any, inputs: Any, label: str = "Gallery file (.sid)", description: str | None = None, **rules: bool
) -> None:
    """The gallery field of every form: defaults to the dataset's gallery, checked as typed.

    ``rules`` go to :func:`gallery_problem` (``folder_ok``, ``missing_ok``).
    """
    gallery = ctx.params.get("gallery", None)
    if gallery is None:
        gallery = dataset_gallery(ctx.dataset)
    prop = inputs.str("gallery", label=label, required=True, default=gallery or None, description=description)
    problem = gallery_problem(gallery, **rules)
    if problem:
        invalid(prop, problem)


def invalid(prop: Any, message: str) -> None:
    """Mark a form property invalid: the App shows ``message`` and will not execute."""
    prop.invalid, prop.error_message = True, message


def models(embedder: str = "facenet") -> Any:
    """Detector + embedder, loaded once per process (the App server runs many operators)."""
    from speakerid.pipeline import models_for
    from speakerid.settings import AnnotateSettings

    return models_for(AnnotateSettings(embedder=embedder))


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


def button(place: Any, label: str) -> Any:
    """A text button for the operator in one of the App's action bars (``types.Places``)."""
    import fiftyone.operators.types as types

    return types.Placement(place, types.Button(label=label, prompt=True))
