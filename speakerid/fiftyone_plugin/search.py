"""``search_by_text``: the clips or videos matching a typed query, with their scores, or "nothing".

The search is ``speakerid.review.search.search``, the same function ``speakerid search`` prints:
speaker names, zero-shot concepts and Video2Vec, an exact name first; results below the minimum
score are not shown as matches; when none is left, the few nearest by what is seen are listed as
weak candidates (score '0.23 weak'), and the grid is left as it was. The dialog says what was
searched, and per result which evidence matched and the frames (``27-50``).
"""

from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.review.search import MIN_SCORE, search
from speakerid.video.search import KINDS, LEVELS
from speakerid.video.text import label_text

from .common import button, invalid, notify, require_videos

COLUMNS = (
    ("rank", "#"),
    ("speaker", "Speaker"),
    ("shown_score", "Score"),
    ("evidence", "Evidence (✓ matches)"),
    ("video", "Video"),
    ("frames", "Frames"),
)


class SearchByText(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="search_by_text",
            label="speakerid: search by text",
            description="Show the clips or videos matching a text query (speaker names, what is seen), with scores",
            icon="manage_search",
            dynamic=True,
        )

    def resolve_placement(self, ctx) -> types.Placement:
        return button(types.Places.SAMPLES_GRID_SECONDARY_ACTIONS, "Search speakers")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        ctx.target_view()
        prop = inputs.str(
            "query", label="Query", required=True, description="a name ('obama') or what is seen ('a street crowd')"
        )
        query = ctx.params.get("query")
        if query is not None and not label_text(query):
            invalid(prop, "type a query, e.g. a speaker's name")
        method = types.Dropdown()
        method.add_choice("auto", label="names, concepts and video2vec (text model; names by spelling without it)")
        method.add_choice("model", label="names, concepts and video2vec (text model required)")
        method.add_choice("names", label="speaker names by spelling only (no model)")
        inputs.enum("method", method.values(), default="auto", label="Matching", view=method)
        inputs.float(
            "min_score",
            default=MIN_SCORE,
            min=0.0,
            max=1.0,
            label="Minimum score",
            description="0.5 = each kind of evidence's own 'this matches' threshold; results scoring less are not "
            "matches",
        )
        inputs.int("k", default=20, min=1, label="At most")
        inputs.enum(
            "level",
            list(LEVELS),
            default="auto",
            label="Search clips or whole videos",
            description="auto: speaker clips when the dataset has them",
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
            KINDS,
        )
        if found.results and not ctx.delegated:
            ctx.ops.set_view(found.view)
        notify(ctx, found.message, "success" if found.results else "warning")
        ranking = [
            {
                "rank": i + 1,
                "id": r.id,
                "sample_id": r.sample_id,
                "speaker": r.speaker or "-",
                "score": round(r.score, 4),
                "shown_score": f"{r.score:.2f}{' weak' if r.weak else ''}",
                "evidence": r.evidence,
                "video": r.video,
                "frames": r.frames,
                "support": r.support,
                "matched": r.matched,
                "name_score": r.name_score,
                "concept_score": r.concept_score,
                "video_score": r.video_score,
                "weak": r.weak,
            }
            for i, r in enumerate(found.results + found.nearest)
        ]
        return {"message": found.message, "ranking": ranking, "method": found.method, "level": found.level}

    def resolve_output(self, ctx) -> types.Property:
        outputs = types.Object()
        outputs.str("message", label="Search", view=types.MarkdownView())
        table = types.TableView()
        for key, label in COLUMNS:
            table.add_column(key, label=label)
        outputs.list("ranking", types.Object(), label="Results", view=table)
        return types.Property(outputs, view=types.View(label="Search results"))
