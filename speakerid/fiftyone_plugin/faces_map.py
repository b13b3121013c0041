"""The "Faces map" panel: every face of the dataset on a 2-D map, one colour per person (or per
stranger cluster); click a point to open that face.

FiftyOne 1.22's Embeddings panel cannot colour face patches of a *video* dataset (its server
looks the field up on the videos: HTTP 500 "has no field 'faces'"), so the plugin draws the map
itself, from speakerid.review.face_map (one spot per track, its faces around it).
"""

from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.errors import SpeakeridError
from speakerid.results import UNKNOWN
from speakerid.review.face_index import faces_view, write_frame_pictures
from speakerid.review.face_map import COLOR_BY, FaceMap, face_map

from .common import TRACKS

# distinct colours, most different first (Tableau 10, then lighter/darker companions)
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#636363",
    "#fd8d3c",
)
UNKNOWN_COLOR = "#b0b0b0"
SCATTERGL_FROM = 3000  # points: SVG below (crisp, one element per point), WebGL above


def group_colors(groups: list[str]) -> dict[str, str]:
    """A distinct colour per group, biggest group first; ``unknown`` is grey."""
    counts: dict[str, int] = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    named = sorted((g for g in counts if g != UNKNOWN), key=lambda g: (-counts[g], g))
    colors = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(named)}
    if UNKNOWN in counts:
        colors[UNKNOWN] = UNKNOWN_COLOR
    return colors


def map_traces(faces: FaceMap, color_by: str) -> list[dict]:
    """One Plotly trace per person (or cluster); each point's id is its face's label id."""
    groups = faces.groups(color_by)
    kind = "scattergl" if len(groups) >= SCATTERGL_FROM else "scatter"
    traces = []
    for group, color in group_colors(groups).items():
        rows = [i for i, g in enumerate(groups) if g == group]
        traces.append(
            {
                "type": kind,
                "mode": "markers",
                "name": f"{group} ({len(rows)})",
                "x": [round(float(faces.points[i, 0]), 4) for i in rows],
                "y": [round(float(faces.points[i, 1]), 4) for i in rows],
                "ids": [faces.label_ids[i] for i in rows],
                "customdata": [[group, faces.tracks[i]] for i in rows],
                "hovertemplate": "%{customdata[0]}, track %{customdata[1]}<extra></extra>",
                "marker": {"color": color, "size": 7, "line": {"width": 0}},
            }
        )
    return traces


class FacesMapPanel(foo.Panel):
    @property
    def config(self) -> foo.PanelConfig:
        return foo.PanelConfig(
            name="faces_map",
            label="Faces map",
            icon="scatter_plot",
            surfaces="grid",
            help_markdown="speakerid: every face on a map, coloured by person or by stranger cluster "
            "(similar faces lie close). Click a point to open that face.",
        )

    def on_load(self, ctx) -> None:
        if not ctx.panel.get_state("color_by"):
            ctx.panel.set_state("color_by", COLOR_BY[0])
        self._show(ctx)

    on_change_dataset = on_load

    def on_refresh(self, ctx) -> None:
        self._show(ctx)

    def on_color_by(self, ctx) -> None:
        ctx.panel.set_state("color_by", ctx.params.get("value") or COLOR_BY[0])
        self._show(ctx)

    def on_change_view(self, ctx) -> None:
        """Open the face a click asked for, now that the App shows the faces grid (opening it at
        once would look its id up in the previous view: "sample not found"), as a click on its
        tile opens it (``open_face``)."""
        pending = ctx.panel.get_state("open_face")
        if pending and ctx.view._is_patches and len(ctx.view.select(pending)):
            ctx.panel.set_state("open_face", None)
            ctx.trigger(f"{self.plugin_name}/open_face", params={"face_id": pending})

    def on_point_click(self, ctx) -> None:
        """Show the faces grid, then open the clicked face (frame pictures made if missing)."""
        face = ctx.params.get("id")
        if not face:
            return
        try:
            write_frame_pictures(ctx.dataset)
            faces = faces_view(ctx.dataset)
            if not len(faces.select(face)):
                raise SpeakeridError("that face is gone (annotated again since?): press Refresh")
        except SpeakeridError as exc:
            ctx.ops.notify(str(exc), variant="error")
            return
        ctx.panel.set_state("open_face", face)
        if ctx.current_sample:
            ctx.ops.close_sample()
        ctx.ops.set_view(faces)

    def _show(self, ctx) -> None:
        color_by = ctx.panel.get_state("color_by") or COLOR_BY[0]
        if TRACKS not in ctx.dataset.get_field_schema():
            faces, note = FaceMap(), "_no faces yet: annotate the videos (Annotate speakers)_"
        else:
            faces = face_map(ctx.dataset)
            groups = len(set(faces.groups(color_by)))
            note = f"{len(faces.label_ids)} faces, {groups} {'people' if color_by == 'person' else 'groups'}"
        traces = map_traces(faces, color_by)
        legend = [
            {"group": t["customdata"][0][0], "faces": len(t["ids"]), "colour": t["marker"]["color"]} for t in traces
        ]
        ctx.panel.set_state({"summary": note, "legend": legend})
        ctx.panel.set_data({"map": traces})

    def render(self, ctx) -> types.Property:
        panel = types.Object()
        panel.plot(
            "map",
            layout={
                "title": {"text": "Faces map (click a face to open it)"},
                "height": 560,
                "margin": {"l": 20, "r": 20, "t": 40, "b": 20},
                "xaxis": {"visible": False},
                "yaxis": {"visible": False},
                "legend": {"orientation": "h"},
                "hovermode": "closest",
            },
            config={"displayModeBar": False},
            on_click=self.on_point_click,
        )
        panel.md(ctx.panel.get_state("summary") or "", name="summary")
        choice = types.Dropdown()
        for key in COLOR_BY:
            choice.add_choice(key, label=f"colour by {key}")
        panel.enum("color_by", choice.values(), label="Colour", view=choice, on_change=self.on_color_by)
        panel.btn("refresh", label="Refresh", icon="refresh", on_click=self.on_refresh)
        table = types.TableView()
        for key, label in (("group", "Person / cluster"), ("faces", "Faces"), ("colour", "Colour")):
            table.add_column(key, label=label)
        panel.list("legend", types.Object(), view=table)
        return types.Property(panel, view=types.GridView(orientation="vertical", height=100, width=100))
