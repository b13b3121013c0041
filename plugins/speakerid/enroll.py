"""``enroll_speakers``: add people to a gallery from a folder or from faces picked in the App.

Only the new people are embedded; everyone already in the gallery keeps their embeddings
(reference 003, "adding new classes" without retraining): Gallery.add_person.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.errors import SpeakeridError

from .common import (FACES, REVIEW_TAG, detection_boxes, embed_labelled_faces, gallery_input, invalid,
                     load_gallery, models, notify, remember_gallery, selected_faces)

NAME_RE = re.compile(r"^[\w][\w .\-']{0,79}$")


def name_problem(name: str | None) -> str | None:
    """Why ``name`` cannot be a person's name in the gallery (None when fine)."""
    if not name or not name.strip():
        return "type the person's name"
    if not NAME_RE.match(name.strip()):
        return f"{name!r}: use letters, digits, spaces, '_', '-', '.' or an apostrophe (max 80)"
    return None


def enroll_from_folder(gallery_path: str, folder: str) -> dict[str, int]:
    """Enroll every ``<folder>/<person>/`` into the gallery file; returns images used per person."""
    from speakerid.identity.enroll import enroll_folder

    base = load_gallery(gallery_path, embedder="facenet")
    m = models(base.embedder)
    gallery, report = enroll_folder(folder, m.detector, m.embedder, base)
    gallery.save(Path(gallery_path).expanduser())
    return report.used


def enroll_from_faces(dataset: Any, gallery_path: str, name: str, refs: list[dict], relabel: bool) -> int:
    """Crop, embed and add the referenced face boxes as ``name``; optionally relabel them."""
    gallery = load_gallery(gallery_path, embedder="facenet")
    faces = detection_boxes(dataset, refs)
    embeddings, sources = embed_labelled_faces(dataset, faces, gallery.embedder)
    gallery.add_person(name, embeddings, sources)
    gallery.save(Path(gallery_path).expanduser())
    if relabel:
        label_faces(dataset, refs, name)
    return len(faces)


def label_faces(dataset: Any, refs: list[dict], name: str) -> None:
    """Name the referenced face boxes, as certain as a human says (confidence 1, review done)."""
    ids = {r["label_id"] for r in refs}
    for sample_id in {r["sample_id"] for r in refs}:
        sample = dataset[sample_id]
        for frame_number in {r["frame_number"] for r in refs if r["sample_id"] == sample_id}:
            for det in sample.frames[frame_number][FACES].detections:
                if det.id in ids:
                    det.label, det.confidence = name, 1.0
                    det.tags = [t for t in det.tags if t != REVIEW_TAG]
        sample.save()


class EnrollSpeakers(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="enroll_speakers",
            label="speakerid: enroll speakers",
            description="Add people to a gallery from a folder or from faces selected in the App",
            icon="person_add",
            dynamic=True,
        )

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        gallery_input(ctx, inputs, description="created if it does not exist", missing_ok=True)
        picked = selected_faces(ctx)
        source = types.RadioGroup()
        source.add_choice("selected_faces", label=f"name the {len(picked)} selected face(s)")
        source.add_choice("folder", label="a folder <person>/<images>")
        default_source = "selected_faces" if picked else "folder"
        inputs.enum("source", source.values(), default=default_source, label="Enroll from", view=source)
        if ctx.params.get("source", default_source) == "folder":
            folder = ctx.params.get("folder")
            prop = inputs.str("folder", label="Folder", required=True,
                              description="one sub-folder of photos per person")
            if folder and not Path(folder).expanduser().is_dir():
                invalid(prop, f"{folder}: folder not found")
        else:
            prop = inputs.str("name", label="Name of this person", required=True)
            problem = name_problem(ctx.params.get("name")) if ctx.params.get("name") is not None else None
            if problem:
                invalid(prop, problem)
            inputs.bool("relabel", default=True, label="Also relabel the selected faces with this name")
            if not picked:
                prop = inputs.view("no_faces", types.Warning(label="select face boxes in the App first"))
                invalid(prop, "no face boxes selected")
        return types.Property(inputs, view=types.View(label="Enroll speakers"))

    def execute(self, ctx) -> dict:
        gallery = ctx.params["gallery"]
        if ctx.params.get("source") == "folder":
            used = enroll_from_folder(gallery, ctx.params["folder"])
            message = f"enrolled {len(used)} people from {ctx.params['folder']}"
            result = {"people": used}
        else:
            name = ctx.params.get("name", "").strip()
            problem = name_problem(name)
            if problem:
                raise SpeakeridError(problem)
            refs = selected_faces(ctx)
            if not refs:
                raise SpeakeridError("no face boxes selected")
            n = enroll_from_faces(ctx.dataset, gallery, name, refs, ctx.params.get("relabel", True))
            message = f"added {n} face(s) of {name} to {gallery}"
            result = {"people": {name: n}}
            if not ctx.delegated:
                ctx.ops.reload_samples()
        if ctx.dataset is not None:
            remember_gallery(ctx.dataset, gallery)
        notify(ctx, message)
        return result
