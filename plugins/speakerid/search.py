"""``search_by_text``: show the clips or videos that best match a typed query, best first.

The ranking is speakerid.video.search's: the query's sentence embedding against each item's
video2vec embedding and its identified speakers' names. Where the text encoder is not
installed, speaker names are matched word by word instead, forgiving typos (``"lin manuel"``
and ``"lin manuel mirana"`` find ``lin_manuel_miranda``).
"""

from __future__ import annotations

import logging
from difflib import SequenceMatcher
from typing import Any

import fiftyone.operators as foo
import fiftyone.operators.types as types
import numpy as np

from speakerid.errors import ModelUnavailableError, SpeakeridError
from speakerid.video.search import LEVELS, hits_view, text_search
from speakerid.video.text import label_text

from .common import SPEAKERS, UNKNOWN, invalid, notify, require_videos

log = logging.getLogger(__name__)
METHODS = ("auto", "model", "names")
# Spelling similarity (difflib ratio) from which a query word counts as a misspelt name word.
MIN_WORD_SIMILARITY = 0.75


def word_score(word: str, parts: list[str]) -> float:
    """1 if ``word`` starts one of ``parts``, else its best spelling similarity (typos), else 0."""
    best = max((1.0 if p.startswith(word) else SequenceMatcher(None, word, p).ratio() for p in parts), default=0.0)
    return best if best >= MIN_WORD_SIMILARITY else 0.0


def name_scores(query: str, names: list[str]) -> np.ndarray:
    """Mean over the query's words of how well each is found in each name (1.0: all found)."""
    words = label_text(query).split()
    if not words:
        raise SpeakeridError("type a query, e.g. a speaker's name")
    return np.asarray([np.mean([word_score(w, label_text(n).split()) for w in words]) for n in names], np.float32)


def rank_by_names(view: Any, query: str, min_score: float) -> list[dict]:
    """Videos whose best-matching speaker scores ``min_score`` or more; ties by screen time."""
    if SPEAKERS not in view.get_field_schema():
        raise SpeakeridError(f"{view.dataset_name}: no speaker labels yet; run annotate_videos first")
    ids, labels, times = view.values(["id", f"{SPEAKERS}.classifications.label",
                                      f"{SPEAKERS}.classifications.screen_time"])
    names = sorted({n for ls in labels for n in (ls or []) if n != UNKNOWN})
    scores = dict(zip(names, name_scores(query, names).tolist())) if names else {}
    ranking = []
    for sample_id, ls, ts in zip(ids, labels, times):
        pairs = [(scores.get(n, 0.0), t or 0.0, n) for n, t in zip(ls or [], ts or [])]
        score, secs, speaker = max(pairs, default=(0.0, 0.0, None))
        if score >= min_score:
            ranking.append({"id": sample_id, "sample_id": sample_id, "speaker": speaker, "score": round(score, 4),
                            "screen_time": secs})
    ranking.sort(key=lambda r: (-r["score"], -r["screen_time"]))
    return ranking


def rank_by_model(view: Any, query: str, k: int, level: str, video_weight: float) -> tuple[list[dict], Any]:
    """speakerid.video.search's top ``k`` clips or videos, and the view showing them in order."""
    hits, items = text_search(view, query, k=k, level=level, video_weight=video_weight)
    ranking = [{"id": h.id, "sample_id": h.sample_id, "speaker": h.names[0] if h.names else None,
                "score": round(h.score, 4), "video_score": h.video_score, "name_score": h.name_score,
                "support": h.support} for h in hits]
    return ranking, hits_view(view, hits, items)


def search(view: Any, params: dict) -> tuple[list[dict], Any, str]:
    """(ranking, view to show, method actually used) for the form's ``params``."""
    query, method = params["query"], params.get("method") or "auto"
    if method not in METHODS:
        raise SpeakeridError(f"unknown search method {method!r}; choose one of {', '.join(METHODS)}")
    if method != "names":
        try:
            ranking, shown = rank_by_model(view, query, int(params.get("k") or 20), params.get("level") or "auto",
                                           float(params.get("video_weight", 0.5)))
            return ranking, shown, "model"
        except ModelUnavailableError as exc:
            if method == "model":
                raise
            log.info("text encoder unavailable (%s): matching speaker names word by word", exc)
    ranking = rank_by_names(view, query, float(params.get("min_score", 0.5)))
    return ranking, view.select([r["id"] for r in ranking], ordered=True), "names"


class SearchByText(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="search_by_text",
            label="speakerid: search by text",
            description="Show the clips or videos best matching a text query (speaker names, video2vec)",
            icon="manage_search",
            dynamic=True,
        )

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
        if ctx.params.get("method", "auto") == "names":
            inputs.float("min_score", default=0.5, min=0.0, max=1.0, label="Hide videos scoring below")
        else:
            inputs.enum("level", list(LEVELS), default="auto", label="Search clips or whole videos",
                        description="auto: speaker clips when the dataset has them")
            inputs.int("k", default=20, min=1, label="Results")
            inputs.float("video_weight", default=0.5, min=0.0, max=1.0,
                          label="Weight of video2vec (the rest: speaker names)")
        return types.Property(inputs, view=types.View(label="Search by text"))

    def execute(self, ctx) -> dict:
        view = ctx.target_view()
        require_videos(view)
        ranking, shown, used = search(view, ctx.params)
        if not ctx.delegated:
            ctx.ops.set_view(shown)
        notify(ctx, f"{len(ranking)} result(s) for {ctx.params['query']!r}", "success" if ranking else "warning")
        return {"ranking": ranking, "method": used}
