"""Text search with scores you can read and a cut-off: "nothing matches" is an answer.

The one search the App dialog and ``speakerid search`` both show. The ranking is
``speakerid.video.search`` (names, zero-shot concepts, Video2Vec; an exact name match first, a
missing kind is no evidence); here the matches are cut at ``min_score`` (0.5 on the common scale
is every kind's own "this matches" threshold), turned into rows that say which evidence matched,
and summed up in one message. When nothing reaches the cut-off, the few items nearest by what is
seen (concepts, Video2Vec) are returned apart, marked weak: candidates, not matches (the concept
evidence ranks far better than it decides, docs/video_models.md). Without the text model
(``method="names"``, or ``auto`` when it cannot load) the names are matched by spelling alone,
typos forgiven.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from speakerid.errors import ModelUnavailableError, SpeakeridError
from speakerid.video.search import KINDS, MATCH, Hit, collect_items, hits_view, rank_items
from speakerid.video.text import label_text

log = logging.getLogger(__name__)
METHODS = ("auto", "model", "names")
MIN_SCORE = MATCH
LABELS = {"name": "name", "concepts": "concepts", "video2vec": "video2vec"}
NEAREST = 3  # weak candidates shown when nothing matches
SEEN = ("concepts", "video2vec")  # evidence about what is seen: the only kinds a weak candidate may rest on


@dataclass
class Result:
    """One match: what it is, its score and the evidence behind it."""

    id: str  # clip id (clips) or sample id (videos)
    sample_id: str
    video: str
    speaker: str | None  # the name that matched, else the first identified
    score: float
    support: list[int] | None = None
    name_score: float | None = None
    concept_score: float | None = None
    video_score: float | None = None
    matched: list[str] = field(default_factory=list)
    evidence: str = ""  # one line: every kind of evidence with its score, what matched marked
    weak: bool = False  # below the cut-off: a nearest candidate, not a match

    def score_of(self, kind: str) -> float | None:
        return {"name": self.name_score, "concepts": self.concept_score, "video2vec": self.video_score}[kind]

    @property
    def frames(self) -> str:
        """``27-50`` (FiftyOne frame numbers), or ``all`` for a whole video."""
        return "all" if self.support is None else f"{self.support[0]}-{self.support[1]}"


@dataclass
class Search:
    """The matches at or above ``min_score``, best first, and how the search went."""

    query: str
    method: str
    min_score: float
    results: list[Result] = field(default_factory=list)
    nearest: list[Result] = field(default_factory=list)  # only when no result: weak candidates, best first
    best_rejected: float | None = None  # best score below the cut-off (None: nothing scored)
    level: str = "samples"  # "clips" (speaker segments) or "samples" (videos)
    searched: list[str] = field(default_factory=list)  # kinds of evidence the collection has
    view: Any = None  # the matches in rank order, for the App

    @property
    def message(self) -> str:
        """One line for the user, "nothing matches" included, naming the evidence searched."""
        what = "clips" if self.level == "clips" else "videos"
        used = f"{what} searched by {', '.join(self.searched) or 'nothing (no names, no embeddings)'}"
        if self.results:
            return (
                f"{len(self.results)} result(s) for {self.query!r} (scores {self.results[0].score:.2f}"
                f"-{self.results[-1].score:.2f}, minimum {self.min_score:.2f}); {used}"
            )
        best = "" if self.best_rejected is None else f"; best score {self.best_rejected:.2f}"
        near = ""
        if self.nearest:
            by = ", ".join(dict.fromkeys(k for r in self.nearest for k in SEEN if r.score_of(k) is not None))
            near = f"; nearest by {by}, weak, not matches: {len(self.nearest)} {what}"
        return f"nothing matches {self.query!r} (minimum score {self.min_score:.2f}{best}){near}; {used}"


def search(
    view: Any,
    query: str,
    method: str = "auto",
    min_score: float | None = None,
    k: int = 20,
    level: str = "auto",
    kinds: tuple[str, ...] = KINDS,
) -> Search:
    """The clips or videos of ``view`` matching ``query`` at ``min_score`` or more, best first.

    ``method``: ``model`` needs the text model; ``names`` matches names by spelling only;
    ``auto`` uses the model when it loads. ``kinds``: which evidence to use.
    """
    if method not in METHODS:
        raise SpeakeridError(f"unknown search method {method!r}; choose one of {', '.join(METHODS)}")
    if not label_text(query):
        raise SpeakeridError("type a query, e.g. a speaker's name")
    if k < 1:
        raise SpeakeridError(f"search: at most {k} results: expected 1 or more")
    min_score = MIN_SCORE if min_score is None else float(min_score)
    items = collect_items(view, level)
    hits, used = None, method
    if method != "names":
        try:
            hits = rank_items(items, query, None, kinds)
            used = "model"
        except ModelUnavailableError as exc:
            if method == "model":
                raise
            log.info("text encoder unavailable (%s): matching speaker names by spelling", exc)
    if hits is None:
        hits, used = rank_items(items, query, None, ("name",), text_encoder=None), "names"
    kept, nearest = cut(hits, min_score, k)
    out = Search(query, used, min_score, level=items.level, searched=_searched(hits, used))
    out.best_rejected = None if kept else next((h.score for h in hits if h.score < min_score), None)
    out.results = [_result(h) for h in kept]
    out.nearest = [_result(h, weak=True) for h in nearest]
    out.view = hits_view(view, kept, items)
    return out


def cut(hits: list[Hit], min_score: float, k: int) -> tuple[list[Hit], list[Hit]]:
    """(the matches: ``hits`` at ``min_score`` or more, at most ``k``; the weak nearest candidates).

    Candidates only when nothing matches: the best ``NEAREST`` (at most ``k``) with evidence of what
    is seen. A name that does not match says "someone else", so it never makes a candidate.
    """
    kept = [h for h in hits if h.score >= min_score][:k]
    if kept:
        return kept, []
    return kept, [h for h in hits if any(h.of(kind) is not None for kind in SEEN)][: min(NEAREST, k)]


def _searched(hits: list[Hit], method: str) -> list[str]:
    kinds = {e.kind for h in hits for e in h.evidence}
    named = ["names" if method == "model" else "names (spelling)"] if "name" in kinds else []
    return named + [k for k in KINDS[1:] if k in kinds]


def _result(hit: Hit, weak: bool = False) -> Result:
    def score(kind: str) -> float | None:
        ev = hit.of(kind)
        return None if ev is None else round(ev.score, 4)

    name = hit.of("name")
    return Result(
        hit.id,
        hit.sample_id,
        Path(hit.filepath).name,
        name.detail if name is not None and name.matched else (hit.names[0] if hit.names else None),
        round(hit.score, 4),
        hit.support,
        score("name"),
        score("concepts"),
        score("video2vec"),
        hit.matched,
        describe(hit),
        weak,
    )


def describe(hit: Hit) -> str:
    """``name 'obama' exact 1.00 ✓ · concepts (suit, microphone) 0.31``: ✓ marks what matches."""
    parts = []
    for ev in hit.evidence:
        what = f" {ev.detail!r}" if ev.kind == "name" and ev.detail else f" ({ev.detail})" if ev.detail else ""
        exact = " exact" if ev.kind == "name" and hit.exact_name else ""
        parts.append(f"{LABELS[ev.kind]}{what}{exact} {ev.score:.2f}{' ✓' if ev.matched else ''}")
    return " · ".join(parts)
