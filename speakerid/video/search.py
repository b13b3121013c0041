"""Text search over videos or clips: three kinds of evidence, one honest ranking.

Each item (a clip = one temporal detection, or a whole video) may carry

- ``name``: who the core identified (a clip's speaker, a video's ``speakers`` and clip labels);
  the query against each name by meaning (MiniLM cosine) and by spelling (every query word
  begins a name word, typos forgiven), the better of the two, the best name;
- ``concepts``: the zero-shot concept vector (``speakerid.video.concepts``, no training);
- ``video2vec``: the trained Video2Vec vector, when a model was trained and applied.

Each raw score is put on one scale where 0.5 is that kind's "this matches" threshold
(``THRESHOLDS``, measured; see docs/video_models.md), so the kinds can be compared. The rules:

1. an item's score is its *strongest* evidence: a weaker or missing kind never lowers it, and a
   missing kind is "no evidence", never a penalty (an item with no evidence at all has no score);
   a name that does not match is no evidence about what is seen, so it counts only alone;
2. an exact name match (every query word found in one of its names) ranks above every item
   without one, whatever the other kinds say;
3. equal scores are ordered by how many kinds match (a weak kind and a missing one count alike).

Every hit lists the evidence it has, its score and what matched (the name, the concepts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

from speakerid.errors import SpeakeridError
from speakerid.fiftyone_private import dataset_of
from speakerid.results import UNKNOWN
from speakerid.video.concepts import CONCEPTS_FIELD
from speakerid.video.concepts import FIELD as CONCEPTS
from speakerid.video.index import FIELD as VIDEO2VEC
from speakerid.video.text import DEFAULT_TEXT_ENCODER, encode_cached, get_text_encoder, label_text

LEVELS = ("auto", "clips", "samples")
KINDS = ("name", "concepts", "video2vec")
MATCH = 0.5  # on the common scale: the score from which an item is a match
# Raw score at which each kind means "this matches" (mapped to MATCH). name: MiniLM cosine of a
# query naming the person 0.6-1.0, other names and unrelated text <= 0.49. concepts: cosine of
# the query with a ConSE vector, calibrated on the tuning half of the free-text queries
# (benchmarks/text_search.py): no cosine there is relevant for half the clips reaching it, so the
# threshold is just above the highest irrelevant one (0.58): concepts alone rank, they do not claim
# a match (the gallery names, which no ImageNet class can see, reach 0.46). video2vec: the
# hinge-trained space, where a clip's own label text scores > 0.5.
THRESHOLDS = {"name": 0.5, "concepts": 0.59, "video2vec": 0.5}
# Spelling similarity (difflib ratio) from which a query word counts as a misspelt name word.
MIN_WORD_SIMILARITY = 0.75


@dataclass
class Items:
    """What is searched: ids, where each item is, its names and its vectors (NaN rows: none)."""

    ids: list[str]
    sample_ids: list[str]
    paths: list[str]
    supports: list[list[int] | None]
    names: list[list[str]]
    level: str
    clips_field: str | None
    video: np.ndarray
    concepts: np.ndarray
    concept_names: list[list[str]]
    _index: tuple | None = field(default=None, repr=False)

    def name_index(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """(vocabulary, flat vocab indices, start of each named item's run, named-item mask).

        Built once, so a query is a few array operations however many items there are.
        """
        if self._index is None:
            vocab = sorted({n for ns in self.names for n in ns})
            pos = {n: i for i, n in enumerate(vocab)}
            flat = np.fromiter((pos[n] for ns in self.names for n in ns), np.int64)
            counts = np.fromiter((len(ns) for ns in self.names), np.int64, len(self.names))
            has = counts > 0
            starts = (np.cumsum(counts) - counts)[has]
            self._index = (vocab, flat, starts, has)
        return self._index


@dataclass
class Evidence:
    """One kind of evidence for one hit: its score on the common scale, the raw score, what matched."""

    kind: str
    score: float
    raw: float
    detail: str = ""

    @property
    def matched(self) -> bool:
        return self.score >= MATCH


@dataclass
class Hit:
    """One ranked item with the evidence behind its score."""

    rank: int
    id: str
    sample_id: str
    filepath: str
    support: list[int] | None
    names: list[str]
    score: float
    exact_name: bool
    evidence: list[Evidence]

    def of(self, kind: str) -> Evidence | None:
        return next((e for e in self.evidence if e.kind == kind), None)

    @property
    def matched(self) -> list[str]:
        """The kinds that match on their own (score >= MATCH)."""
        return [e.kind for e in self.evidence if e.matched]


def emb_matrix(values: list) -> np.ndarray:
    """Stack embeddings, NaN rows where missing (dim from the first present, else 1)."""
    present = [np.asarray(v, np.float32) for v in values if v is not None]
    dim = len(present[0]) if present else 1
    out = np.full((len(values), dim), np.nan, np.float32)
    for i, v in enumerate(values):
        if v is not None:
            out[i] = np.asarray(v, np.float32)
    return out


def _is_temporal(samples, field: str | None) -> bool:
    import fiftyone as fo

    if not field or not samples.has_field(field):
        return False
    doc = getattr(samples.get_field(field), "document_type", None)
    return doc is not None and issubclass(doc, fo.TemporalDetections)


def _values(samples, path: str, like: list) -> list:
    """``samples.values(path)``, or Nones shaped like ``like`` when the field does not exist."""
    if samples.has_field(path):
        return samples.values(path)
    return [[None] * len(x or []) if isinstance(x, list) else None for x in like]


def collect_items(
    samples, level: str = "auto", clips_field: str = "speaker_segments", names_field: str = "speakers"
) -> Items:
    """Read names and vectors of every clip (or sample) from the dataset."""
    if level not in LEVELS:
        raise SpeakeridError(f"level {level!r}: expected one of {LEVELS}")
    temporal = _is_temporal(samples, clips_field)
    if level == "clips" and not temporal:
        raise SpeakeridError(f"{dataset_of(samples).name}: no TemporalDetections field {clips_field!r}")
    level = ("clips" if temporal else "samples") if level == "auto" else level
    sids, paths = samples.values(["id", "filepath"])
    if level == "clips":
        det = f"{clips_field}.detections"
        ids, sups, labs = samples.values([f"{det}.id", f"{det}.support", f"{det}.label"])
        vids, cons, cnames = (_values(samples, f"{det}.{f}", ids) for f in (VIDEO2VEC, CONCEPTS, CONCEPTS_FIELD))
        rows = [
            (cid, sid, p, list(s), [lab], v, c, cn)
            for sid, p, cids, *per_clip in zip(sids, paths, ids, sups, labs, vids, cons, cnames)
            for cid, s, lab, v, c, cn in zip(cids or [], *(x or [None] * len(cids or []) for x in per_clip))
        ]
    else:
        names = _values(samples, f"{names_field}.classifications.label", sids)
        segs = _values(samples, f"{clips_field}.detections.label", sids) if temporal else [None] * len(sids)
        vids, cons, cnames = (_values(samples, f, sids) for f in (VIDEO2VEC, CONCEPTS, CONCEPTS_FIELD))
        rows = [
            (sid, sid, p, None, list(dict.fromkeys((n or []) + (s or []))), v, c, cn)
            for sid, p, n, s, v, c, cn in zip(sids, paths, names, segs, vids, cons, cnames)
        ]
    return Items(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        [[n for n in r[4] if n and n != UNKNOWN] for r in rows],
        level,
        clips_field if level == "clips" else None,
        emb_matrix([r[5] for r in rows]),
        emb_matrix([r[6] for r in rows]),
        [list(r[7] or []) for r in rows],
    )


@lru_cache(maxsize=100_000)
def _words(name: str) -> tuple[str, ...]:
    return tuple(label_text(name).split())


def _letters(word: str) -> np.ndarray:
    """Letter/digit counts of a word (37 bins): bounds difflib's ratio from above, vectorised."""
    out = np.zeros(37, np.int16)
    for ch in word:
        out[ord(ch) - 97 if "a" <= ch <= "z" else ord(ch) - 22 if "0" <= ch <= "9" else 36] += 1
    return out


class _Spelling:
    """The distinct words of a vocabulary of names, ready for typo-tolerant matching."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.words = sorted({w for n in names for w in _words(n)})
        pos = {w: i for i, w in enumerate(self.words)}
        self.counts = np.stack([_letters(w) for w in self.words]) if self.words else np.zeros((0, 37), np.int16)
        self.lens = self.counts.sum(axis=1)
        self.per_name = [np.array([pos[w] for w in _words(n)], np.int64) for n in names]

    def word_scores(self, word: str) -> np.ndarray:
        """Per vocabulary word: 1 if it starts with ``word``, else the spelling ratio if >= the minimum, else 0."""
        prefix = np.fromiter((v.startswith(word) for v in self.words), bool, len(self.words))
        bound = 2 * np.minimum(self.counts, _letters(word)).sum(axis=1) / (self.lens + len(word))  # quick_ratio
        out = prefix.astype(np.float32)
        for j in np.flatnonzero(~prefix & (bound >= MIN_WORD_SIMILARITY)):
            ratio = SequenceMatcher(None, word, self.words[j]).ratio()
            out[j] = ratio if ratio >= MIN_WORD_SIMILARITY else 0.0
        return out

    def scores(self, query: str) -> np.ndarray:
        words = label_text(query).split()
        if not words:
            raise SpeakeridError("type a query, e.g. a speaker's name")
        per_word = [self.word_scores(w) for w in words]
        return np.asarray(
            [sum(float(s[ix].max(initial=0.0)) for s in per_word) / len(words) for ix in self.per_name], np.float32
        )


@lru_cache(maxsize=8)
def _spelling(names: tuple[str, ...]) -> _Spelling:
    return _Spelling(names)


def name_scores(query: str, names: list[str]) -> np.ndarray:
    """Mean over the query's words of how well each is found in each name (1.0: all found)."""
    return _spelling(tuple(names)).scores(query)


@lru_cache(maxsize=256)
def query_vector(text_encoder: str, query: str) -> np.ndarray:
    """The query's text vector (a query is ranked, then explained: encoded once)."""
    return get_text_encoder(text_encoder).encode([query])[0]


def strength(raw: np.ndarray, threshold: float) -> np.ndarray:
    """Raw scores -> the common scale: piecewise linear, ``threshold`` -> MATCH, 1 -> 1, <=0 -> 0."""
    raw = np.clip(raw, 0.0, 1.0)
    low = MATCH * raw / threshold
    high = MATCH + (1 - MATCH) * (raw - threshold) / (1 - threshold)
    return np.where(raw < threshold, low, high).astype(np.float32)


def combine(strengths: dict[str, np.ndarray], exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(score per item, NaN: no evidence; sort key, larger first) under the module's rules.

    A name that does not match says "someone else", nothing about what is seen: it counts only
    for an item that has no other evidence.
    """
    n = len(exact)
    stack = np.stack(list(strengths.values())) if strengths else np.full((1, n), np.nan)
    present = ~np.isnan(stack)
    if "name" in strengths:
        row = list(strengths).index("name")
        weak = present[row] & (stack[row] < MATCH) & (present.sum(axis=0) > 1)
        present[row] &= ~weak
    any_ev = present.any(axis=0)
    score = np.where(any_ev, np.where(present, stack, -np.inf).max(axis=0), np.nan)
    agree = (present & (np.nan_to_num(stack) >= MATCH)).sum(axis=0)  # kinds that match, not weak ones
    # exact name (2) > score to 1e-4 > kinds that match (< 1e-4 together); no evidence: -inf
    # ... then item order (-1e-12 per item: distinct keys, so the k best are the full order's head)
    key = 2.0 * exact + np.round(np.nan_to_num(score), 4) + agree * 1e-5 - np.arange(n) * 1e-12
    key = np.where(any_ev, key, -np.inf)
    return score.astype(np.float32), key


def order_of(key: np.ndarray, k: int | None) -> np.ndarray:
    """Items with evidence, best first (the ``k`` best)."""
    idx = np.flatnonzero(np.isfinite(key))
    if k is not None and k < len(idx):
        idx = idx[np.argpartition(-key[idx], k - 1)[:k]] if k > 0 else idx[:0]
    return idx[np.argsort(-key[idx])]


def raw_scores(
    items: Items, query: str, kinds: tuple[str, ...] = KINDS, text_encoder: str | None = DEFAULT_TEXT_ENCODER
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """({kind: raw score or NaN per item}, exact-name mask, {name: its score} of the vocabulary).

    ``text_encoder=None``: names by spelling only (no model; concepts and video2vec need the
    query's text vector, so they are left out).
    """
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise SpeakeridError(f"evidence {sorted(unknown)}: expected some of {KINDS}")
    n = len(items.ids)
    vocab, flat, starts, has = items.name_index()
    encoder = get_text_encoder(text_encoder) if text_encoder else None
    q = query_vector(text_encoder, query) if encoder else None
    out: dict[str, np.ndarray] = {}
    exact, by_name = np.zeros(n, bool), {}
    if "name" in kinds:
        spelled = name_scores(query, vocab) if vocab else np.zeros(0, np.float32)
        vocab_score = spelled
        if q is not None and vocab:
            vocab_score = np.maximum(spelled, encode_cached(encoder, [label_text(v) for v in vocab]) @ q)
        name = np.full(n, np.nan, np.float32)
        if len(flat):
            per = vocab_score[flat]
            name[has] = np.maximum.reduceat(per, starts)
            exact[has] = np.maximum.reduceat(spelled[flat] >= 1.0, starts)
        out["name"] = name
        by_name = dict(zip(vocab, vocab_score.tolist()))
    for kind, embs in (("concepts", items.concepts), ("video2vec", items.video)):
        if kind in kinds and q is not None and embs.shape[1] == len(q):
            out[kind] = embs @ q
    return out, exact, by_name


def rank_items(
    items: Items,
    query: str,
    k: int | None = 10,
    kinds: tuple[str, ...] = KINDS,
    text_encoder: str | None = DEFAULT_TEXT_ENCODER,
) -> list[Hit]:
    """The ``k`` best of ``items`` with evidence (``k=None``: every item with any evidence)."""
    raw, exact, by_name = raw_scores(items, query, kinds, text_encoder)
    strengths = {kind: strength(r, THRESHOLDS[kind]) for kind, r in raw.items()}
    score, key = combine(strengths, exact)
    hits = []
    for rank, i in enumerate(order_of(key, k).tolist(), 1):
        detail = {"name": max(items.names[i], key=lambda n: by_name.get(n, 0.0), default="")}
        if text_encoder and "concepts" in raw:
            detail["concepts"] = _concepts_near(items.concept_names[i], query, text_encoder)
        evidence = [
            Evidence(kind, float(strengths[kind][i]), float(raw[kind][i]), detail.get(kind, ""))
            for kind in KINDS
            if kind in raw and not np.isnan(raw[kind][i])
        ]
        hit = Hit(
            rank,
            items.ids[i],
            items.sample_ids[i],
            items.paths[i],
            items.supports[i],
            items.names[i],
            float(score[i]),
            bool(exact[i]),
            evidence,
        )
        hits.append(hit)
    return hits


def _concepts_near(names: list[str], query: str, text_encoder: str) -> str:
    """The two of a hit's top concepts nearest the query: what its concept score rests on."""
    if not names:
        return ""
    sims = encode_cached(get_text_encoder(text_encoder), names) @ query_vector(text_encoder, query)
    return ", ".join(names[j] for j in np.argsort(-sims)[:2])


def text_search(
    samples,
    query: str,
    k: int | None = 10,
    level: str = "auto",
    clips_field: str = "speaker_segments",
    names_field: str = "speakers",
    kinds: tuple[str, ...] = KINDS,
    text_encoder: str | None = DEFAULT_TEXT_ENCODER,
) -> tuple[list[Hit], Items]:
    """The ``k`` best clips/videos of ``samples`` for ``query``, and the items searched."""
    items = collect_items(samples, level, clips_field, names_field)
    return rank_items(items, query, k, kinds, text_encoder), items


def hits_view(samples, hits: list[Hit], items: Items):
    """A view of the hits in rank order (a clips view at clip level)."""
    ids = [h.id for h in hits]
    base = samples.to_clips(items.clips_field) if items.level == "clips" else samples
    return base.select(ids, ordered=True)
