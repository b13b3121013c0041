"""Text search with scores you can read and a cut-off: "nothing matches" is an answer.

Two ways to match a query:

- ``model``: ``speakerid.video.search`` embeds the query (MiniLM) and scores each clip or video
  by its video2vec embedding and its identified speakers' names. Its score counts a missing
  term as 0, so its scale depends on whether video2vec embeddings exist; here each result is
  scored by the weighted mean of the terms it *has* (``evidence_score``), so one minimum score
  means the same with or without a video model. Measured with all-MiniLM-L6-v2 on speaker
  names: a query naming the person scores 0.6-1.0 ("lin manuel" 0.63, "barack obama" 0.94),
  other names and unrelated text 0.0-0.49 ("alex" vs obama 0.49, "a dog playing piano" <= 0.1):
  hence ``MIN_SCORE`` = 0.5.
- ``names``: no model; the query's words against the words of identified speakers' names,
  forgiving typos (``"lin manuel mirana"`` finds ``lin_manuel_miranda``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from speakerid.errors import ModelUnavailableError, SpeakeridError
from speakerid.labels.fiftyone_writer import SPEAKERS
from speakerid.results import UNKNOWN
from speakerid.video.text import label_text

log = logging.getLogger(__name__)
METHODS = ("auto", "model", "names")
MIN_SCORE = 0.5  # model: weighted mean of the evidence a result has (see module doc)
MIN_NAME_SCORE = 0.5  # names: mean over the query's words of their best match
# Spelling similarity (difflib ratio) from which a query word counts as a misspelt name word.
MIN_WORD_SIMILARITY = 0.75


@dataclass
class Result:
    """One match: what it is, its score and the evidence behind it."""

    id: str  # clip id (clips) or sample id (videos)
    sample_id: str
    speaker: str | None
    score: float
    name_score: float | None = None
    video_score: float | None = None
    support: list[int] | None = None


@dataclass
class Search:
    """The matches at or above ``min_score``, best first, and how the search went."""

    query: str
    method: str
    min_score: float
    results: list[Result] = field(default_factory=list)
    best_rejected: float | None = None  # best score below the cut-off (None: nothing scored)
    level: str = "samples"  # "clips" (speaker segments) or "samples" (videos)
    view: Any = None  # the matches in rank order, for the App

    @property
    def message(self) -> str:
        """One line for the user, "nothing matches" included."""
        if self.results:
            return (
                f"{len(self.results)} result(s) for {self.query!r} (scores {self.results[0].score:.2f}"
                f"-{self.results[-1].score:.2f}, minimum {self.min_score:.2f})"
            )
        best = "" if self.best_rejected is None else f"; best score {self.best_rejected:.2f}"
        return f"nothing matches {self.query!r} (minimum score {self.min_score:.2f}{best})"


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


def evidence_score(video: float | None, name: float | None, video_weight: float) -> float | None:
    """Weighted mean of the scores that exist (None when neither does)."""
    terms = [(w, s) for w, s in ((video_weight, video), (1.0 - video_weight, name)) if s is not None]
    weight = sum(w for w, _ in terms)
    return sum(w * s for w, s in terms) / weight if weight > 0 else None


def search(
    view: Any,
    query: str,
    method: str = "auto",
    min_score: float | None = None,
    k: int = 20,
    level: str = "auto",
    video_weight: float = 0.5,
) -> Search:
    """The clips or videos of ``view`` matching ``query`` at ``min_score`` or more, best first.

    ``auto``: the text model when installed, else speaker names word by word.
    """
    if method not in METHODS:
        raise SpeakeridError(f"unknown search method {method!r}; choose one of {', '.join(METHODS)}")
    if not label_text(query):
        raise SpeakeridError("type a query, e.g. a speaker's name")
    if method != "names":
        try:
            return by_model(view, query, MIN_SCORE if min_score is None else min_score, k, level, video_weight)
        except ModelUnavailableError as exc:
            if method == "model":
                raise
            log.info("text encoder unavailable (%s): matching speaker names word by word", exc)
    return by_names(view, query, MIN_NAME_SCORE if min_score is None else min_score, k)


def by_model(view: Any, query: str, min_score: float, k: int, level: str, video_weight: float) -> Search:
    """``speakerid.video.search`` over every clip (or video), re-scored by evidence and cut."""
    from speakerid.video.search import collect_items, hits_view, rank_items

    if not 0.0 <= video_weight <= 1.0:
        raise SpeakeridError(f"video weight {video_weight}: expected a value in [0, 1]")
    items = collect_items(view, level)
    hits = rank_items(items, query, k=len(items.ids), video_weight=video_weight)
    scored = [(evidence_score(h.video_score, h.name_score, video_weight), h) for h in hits]
    scored = sorted(((s, h) for s, h in scored if s is not None and math.isfinite(s)), key=lambda sh: -sh[0])
    kept = [(s, h) for s, h in scored if s >= min_score][:k]
    out = Search(
        query,
        "model",
        min_score,
        level=items.level,
        best_rejected=next((s for s, _ in scored if s < min_score), None) if not kept else None,
    )
    out.results = [
        Result(
            h.id,
            h.sample_id,
            h.names[0] if h.names else None,
            round(s, 4),
            _round(h.name_score),
            _round(h.video_score),
            h.support,
        )
        for s, h in kept
    ]
    out.view = hits_view(view, [h for _, h in kept], items)
    return out


def by_names(view: Any, query: str, min_score: float, k: int) -> Search:
    """Videos whose best-matching speaker scores ``min_score`` or more; ties by screen time."""
    if SPEAKERS not in view.get_field_schema():
        raise SpeakeridError(f"{view.dataset_name}: no speaker labels yet; annotate the videos first")
    ids, labels, times = view.values(
        ["id", f"{SPEAKERS}.classifications.label", f"{SPEAKERS}.classifications.screen_time"]
    )
    names = sorted({n for ls in labels for n in (ls or []) if n != UNKNOWN})
    scores = dict(zip(names, name_scores(query, names).tolist())) if names else {}
    ranked = []
    for sample_id, ls, ts in zip(ids, labels, times):
        pairs = [(scores.get(n, 0.0), t or 0.0, n) for n, t in zip(ls or [], ts or []) if n != UNKNOWN]
        score, secs, speaker = max(pairs, default=(0.0, 0.0, None))
        ranked.append((score, secs, Result(sample_id, sample_id, speaker, round(score, 4), round(score, 4))))
    ranked.sort(key=lambda r: (-r[0], -r[1]))
    kept = [r for s, _, r in ranked if s >= min_score][:k]
    out = Search(
        query,
        "names",
        min_score,
        results=kept,
        best_rejected=next((s for s, _, _ in ranked if s < min_score), None) if not kept else None,
    )
    out.view = view.select([r.id for r in kept], ordered=True)
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
