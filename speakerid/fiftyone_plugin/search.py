"""``search_by_text``: the clips or videos matching a typed query, with their scores, or "nothing".

The search is speakerid.review.search (video2vec + speaker names through the text model, or
speaker names word by word); results below the minimum score are not shown as matches.
"""

from __future__ import annotations

from dataclasses import asdict

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.review.search import MIN_NAME_SCORE, MIN_SCORE, search
from speakerid.video.search import LEVELS
from speakerid.video.text import label_text

from .common import button, invalid, notify, require_videos


class SearchByText(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="search_by_text",
            label="speakerid: search by text",
            description="Show the clips or videos matching a text query (speaker names, video2vec), with scores",
            icon="manage_search",
            dynamic=True,
        )

    def resolve_placement(self, ctx) -> types.Placement:
        return button(types.Places.SAMPLES_GRID_SECONDARY_ACTIONS, "Search speakers")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        ctx.target_view()
        prop = inputs.str("query", label="Query", required=True, description="e.g. 'obama' or 'lin manuel'")
        query = ctx.params.get("query")
        if query is not None and not label_text(query):
            invalid(prop, "type a query, e.g. a speaker's name")
        method = types.Dropdown()
        method.add_choice("auto", label="text model, else speaker names")
        method.add_choice("model", label="text model (video2vec + speaker names)")
        method.add_choice("names", label="speaker names, word by word (no model)")
        inputs.enum("method", method.values(), default="auto", label="Matching", view=method)
        names = ctx.params.get("method", "auto") == "names"
        inputs.float(
            "min_score",
            default=MIN_NAME_SCORE if names else MIN_SCORE,
            min=0.0,
            max=1.0,
            label="Minimum score",
            description="results scoring less are not matches",
        )
        inputs.int("k", default=20, min=1, label="At most")
        if not names:
            inputs.enum(
                "level",
                list(LEVELS),
                default="auto",
                label="Search clips or whole videos",
                description="auto: speaker clips when the dataset has them",
            )
            inputs.float(
                "video_weight", default=0.5, min=0.0, max=1.0, label="Weight of video2vec (the rest: speaker names)"
            )
        return types.Property(inputs, view=types.View(label="Search by text"))

    def execute(self, ctx) -> dict:
        view = ctx.target_view()
        require_videos(view)
        p = ctx.params
        found = search(
            view,
            p["query"],
            p.get("method") or "auto",
            p.get("min_score"),
            int(p.get("k") or 20),
            p.get("level") or "auto",
            float(p.get("video_weight", 0.5)),
        )
        if found.results and not ctx.delegated:
            ctx.ops.set_view(found.view)
        notify(ctx, found.message, "success" if found.results else "warning")
        ranking = [{**asdict(r), "rank": i + 1} for i, r in enumerate(found.results)]
        return {"ranking": ranking, "method": found.method, "message": found.message, "level": found.level}

    def resolve_output(self, ctx) -> types.Property:
        outputs = types.Object()
        outputs.str("message", label="Search", view=types.Notice())
        table = types.TableView()
        for key, label in (
            ("rank", "#"),
            ("speaker", "Speaker"),
            ("score", "Score"),
            ("name_score", "Name"),
            ("video_score", "Video"),
            ("support", "Frames"),
        ):
            table.add_column(key, label=label)
        outputs.list("ranking", types.Object(), label="Results", view=table)
        return types.Property(outputs, view=types.View(label="Search results"))
