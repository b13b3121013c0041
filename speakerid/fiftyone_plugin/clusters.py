"""``cluster_unknowns`` and ``name_cluster``: who are the unknowns, and naming them.

Thin operators over speakerid.review.clusters (unknown tracks of the whole dataset grouped by
person, stored as a ``cluster`` attribute) and speakerid.review.naming (a named cluster joins
the gallery and every one of its tracks is relabelled, speakers and segments included).
"""

from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.identity.gallery import Gallery
from speakerid.review.cluster_actions import recluster
from speakerid.review.clusters import cluster_similarity, read_clusters
from speakerid.review.gallery_link import dataset_gallery, remember_gallery
from speakerid.review.naming import name_cluster, name_problem

from .common import button, gallery_input, invalid, notify, require_videos


def default_similarity(dataset) -> float:
    """The cut-off derived from the dataset's gallery (the calibration floor without one)."""
    path = dataset_gallery(dataset)
    try:
        return round(cluster_similarity(Gallery.load(path) if path else None), 3)
    except Exception:  # noqa: BLE001 - a missing or damaged gallery: the form says so elsewhere
        return round(cluster_similarity(None), 3)


class ClusterUnknowns(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="cluster_unknowns",
            label="speakerid: find recurring strangers",
            description="Group the unknown face tracks of the whole dataset by person",
            icon="diversity_3",
            dynamic=True,
        )

    def resolve_placement(self, ctx) -> types.Placement:
        return button(types.Places.SAMPLES_GRID_SECONDARY_ACTIONS, "Find strangers")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        inputs.float(
            "min_similarity",
            label="Same person from similarity",
            min=-1.0,
            max=1.0,
            default=default_similarity(ctx.dataset),
            description="average cosine similarity of two groups of tracks to be joined "
            "(default: the gallery's unknown threshold)",
        )
        return types.Property(inputs, view=types.View(label="Find recurring strangers"))

    def execute(self, ctx) -> dict:
        require_videos(ctx.dataset)
        similarity = ctx.params.get("min_similarity")
        clusters = recluster(ctx.dataset, default_similarity(ctx.dataset) if similarity is None else similarity)
        recurring = sum(len(c.tracks) > 1 for c in clusters)
        message = f"{len(clusters)} cluster(s) of unknown tracks, {recurring} seen more than once"
        if not ctx.delegated:
            ctx.ops.reload_dataset()
        notify(ctx, message)
        return {"clusters": len(clusters), "recurring": recurring, "sizes": {c.id: len(c.tracks) for c in clusters}}


class NameCluster(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="name_cluster",
            label="speakerid: name a cluster",
            description="Enroll a cluster of unknown tracks as a person and relabel all its tracks",
            icon="badge",
            dynamic=True,
        )

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        clusters = read_clusters(ctx.dataset) if ctx.dataset is not None else []
        choices = types.Dropdown()
        for c in clusters:
            choices.add_choice(c.id, label=f"cluster {c.id}: {len(c.tracks)} track(s), {c.screen_time:.1f} s")
        if clusters:
            inputs.enum(
                "cluster", choices.values(), default=clusters[0].id, label="Cluster", view=choices, required=True
            )
        else:
            prop = inputs.view("none", types.Warning(label="no clusters yet: run 'find recurring strangers' first"))
            invalid(prop, "no clusters")
        prop = inputs.str("name", label="Name of this person", required=True)
        problem = name_problem(ctx.params.get("name")) if ctx.params.get("name") is not None else None
        if problem:
            invalid(prop, problem)
        gallery_input(ctx, inputs, description="the person is enrolled here (created if missing)", missing_ok=True)
        return types.Property(inputs, view=types.View(label="Name a cluster"))

    def execute(self, ctx) -> dict:
        named = name_cluster(
            ctx.dataset, int(ctx.params["cluster"]), ctx.params.get("name") or "", ctx.params["gallery"]
        )
        remember_gallery(ctx.dataset, None, named.gallery)
        if not ctx.delegated:
            ctx.ops.reload_dataset()  # the grid and an open modal show the new names
        notify(
            ctx, f"{named.name}: {named.tracks} track(s) and {named.faces} face(s) named; enrolled in {named.gallery}"
        )
        return {"name": named.name, "tracks": named.tracks, "faces": named.faces, "gallery": str(named.gallery)}
