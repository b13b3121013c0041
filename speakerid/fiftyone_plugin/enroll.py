"""``enroll_speakers``: add people to a gallery from a folder or from face boxes picked in the App.

A folder is enrolled by speakerid.identity.enroll (only its people are embedded; everyone else
keeps their references). Picked face boxes name their *tracks*: the tracks' embeddings join the
gallery and every face of those tracks is relabelled (speakerid.review.naming).
"""

from __future__ import annotations

from pathlib import Path

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.errors import SpeakeridError
from speakerid.review.gallery_link import remember_gallery
from speakerid.review.naming import name_faces, name_problem

from .common import button, gallery_input, invalid, models, notify, selected_faces


def enroll_from_folder(gallery_path: str, folder: str) -> dict[str, int]:
    """Enroll every ``<folder>/<person>/`` into the gallery file; returns images used per person."""
    from speakerid.identity.enroll import enroll_folder
    from speakerid.identity.gallery import Gallery

    path = Path(gallery_path).expanduser()
    base = Gallery.load(path) if path.exists() else None
    m = models(base.embedder if base else "facenet")
    gallery, report = enroll_folder(folder, m.detector, m.embedder, base)
    gallery.save(path)
    return report.used


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

    def resolve_placement(self, ctx) -> types.Placement:
        return button(types.Places.SAMPLES_VIEWER_ACTIONS, "Name these faces")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        gallery_input(ctx, inputs, description="created if it does not exist", missing_ok=True)
        picked = selected_faces(ctx)
        source = types.RadioGroup()
        source.add_choice("selected_faces", label=f"name the tracks of the {len(picked)} selected face(s)")
        source.add_choice("folder", label="a folder <person>/<images>")
        default_source = "selected_faces" if picked else "folder"
        inputs.enum("source", source.values(), default=default_source, label="Enroll from", view=source)
        if ctx.params.get("source", default_source) == "folder":
            folder = ctx.params.get("folder")
            prop = inputs.str(
                "folder", label="Folder", required=True, description="one sub-folder of photos per person"
            )
            if folder and not Path(folder).expanduser().is_dir():
                invalid(prop, f"{folder}: folder not found")
        else:
            prop = inputs.str("name", label="Name of this person", required=True)
            problem = name_problem(ctx.params.get("name")) if ctx.params.get("name") is not None else None
            if problem:
                invalid(prop, problem)
            if not picked:
                prop = inputs.view("no_faces", types.Warning(label="select face boxes in the App first"))
                invalid(prop, "no face boxes selected")
        return types.Property(inputs, view=types.View(label="Enroll speakers"))

    def execute(self, ctx) -> dict:
        gallery = ctx.params["gallery"]
        if ctx.params.get("source") == "folder":
            used = enroll_from_folder(gallery, ctx.params["folder"])
            message, result = f"enrolled {len(used)} people from {ctx.params['folder']}", {"people": used}
        else:
            refs = selected_faces(ctx)
            if not refs:
                raise SpeakeridError("no face boxes selected")
            named = name_faces(ctx.dataset, refs, ctx.params.get("name") or "", gallery)
            message = f"{named.name}: {named.tracks} track(s), {named.faces} face(s) named and enrolled in {gallery}"
            result = {"people": {named.name: named.tracks}, "faces": named.faces}
        if ctx.dataset is not None:
            remember_gallery(ctx.dataset, None, gallery)
        if not ctx.delegated and ctx.params.get("source") != "folder":
            ctx.ops.clear_selected_labels()  # they are named now; the Speakers panel refreshes on it
            ctx.ops.reload_dataset()
        notify(ctx, message)
        return result
