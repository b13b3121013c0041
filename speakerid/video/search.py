"""Text search over videos or clips: video2vec similarity combined with identified speakers.

Each item (a clip = one temporal detection, or a whole video) is scored against the query's
text embedding ``q``::

    score = w * cos(q, video2vec) + (1 - w) * max_j cos(q, text(name_j))

where the names are what the core identified: a clip's speaker label, or a video's ``speakers``
labels plus its clip labels, turned into words (``lin_manuel_miranda`` -> "lin manuel miranda").
A missing term (no video2vec embedding yet, no identified speaker) contributes 0, i.e. "no
evidence", so "Obama" finds the videos where Obama was identified even with no video model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from speakerid.errors import SpeakeridError
from speakerid.results import UNKNOWN
from speakerid.video.index import FIELD
from speakerid.video.text import DEFAULT_TEXT_ENCODER, encode_cached, get_text_encoder, label_text

LEVELS = ("auto", "clips", "samples")


@dataclass
class Items:
    """What is searched: ids, where each item is, its embedding (or NaN row) and its names."""

    ids: list[str]
    sample_ids: list[str]
    paths: list[str]
    supports: list[list[int] | None]
    embs: np.ndarray
    names: list[list[str]]
    level: str
    clips_field: str | None
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
class Hit:
    """One ranked result with its score broken down."""

    rank: int
    id: str
    sample_id: str
    filepath: str
    support: list[int] | None
    names: list[str]
    score: float
    video_score: float | None
    name_score: float | None


def _emb_matrix(values: list) -> np.ndarray:
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


def collect_items(
    samples, level: str = "auto", clips_field: str = "speaker_segments", names_field: str = "speakers"
) -> Items:
    """Read embeddings and speaker names of every clip (or sample) from the dataset."""
    if level not in LEVELS:
        raise SpeakeridError(f"level {level!r}: expected one of {LEVELS}")
    temporal = _is_temporal(samples, clips_field)
    if level == "clips" and not temporal:
        raise SpeakeridError(f"{samples._dataset.name}: no TemporalDetections field {clips_field!r}")
    level = ("clips" if temporal else "samples") if level == "auto" else level
    has_emb = samples.has_field(FIELD)
    sids, paths = samples.values(["id", "filepath"])
    if level == "clips":
        det = f"{clips_field}.detections"
        ids, sups, labs = samples.values([f"{det}.id", f"{det}.support", f"{det}.label"])
        embs = (
            samples.values(f"{det}.{FIELD}")
            if samples.has_field(f"{det}.{FIELD}")
            else [[None] * len(x or []) for x in ids]
        )
        rows = [
            (cid, sid, p, list(s), [lab], e)
            for sid, p, cids, ss, ls, es in zip(sids, paths, ids, sups, labs, embs)
            for cid, s, lab, e in zip(cids or [], ss or [], ls or [], es or [])
        ]
    else:
        names = (
            samples.values(f"{names_field}.classifications.label")
            if samples.has_field(names_field)
            else [[]] * len(sids)
        )
        segs = samples.values(f"{clips_field}.detections.label") if temporal else [[]] * len(sids)
        embs = samples.values(FIELD) if has_emb else [None] * len(sids)
        rows = [
            (sid, sid, p, None, list(dict.fromkeys((n or []) + (s or []))), e)
            for sid, p, n, s, e in zip(sids, paths, names, segs, embs)
        ]
    return Items(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        _emb_matrix([r[5] for r in rows]),
        [[n for n in r[4] if n and n != UNKNOWN] for r in rows],
        level,
        clips_field if level == "clips" else None,
    )


def score_items(
    items: Items, query_emb: np.ndarray, vocab_embs: np.ndarray, video_weight: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(score, video cosine or NaN, best name cosine or NaN) for every item, vectorised.

    ``vocab_embs`` are the text vectors of ``items.name_index()[0]``, row for row.
    """
    video = (
        items.embs @ query_emb if items.embs.shape[1] == len(query_emb) else np.full(len(items.ids), np.nan, np.float32)
    )
    _, flat, starts, has = items.name_index()
    name = np.full(len(items.ids), np.nan, np.float32)
    if len(flat):
        name[has] = np.maximum.reduceat((vocab_embs @ query_emb)[flat], starts)
    score = video_weight * np.nan_to_num(video) + (1 - video_weight) * np.nan_to_num(name)
    return score, video, name


def rank_items(
    items: Items, query: str, k: int = 10, video_weight: float = 0.5, text_encoder: str = DEFAULT_TEXT_ENCODER
) -> list[Hit]:
    """The ``k`` best of ``items`` for ``query`` (in memory: no database access)."""
    if not 0.0 <= video_weight <= 1.0:
        raise SpeakeridError(f"video weight {video_weight}: expected a value in [0, 1]")
    encoder = get_text_encoder(text_encoder)
    query_emb = encoder.encode([query])[0]
    vocab_embs = encode_cached(encoder, [label_text(n) for n in items.name_index()[0]])
    score, video, name = score_items(items, query_emb, vocab_embs, video_weight)
    k = min(k, len(score))
    top = np.argpartition(-score, k - 1)[:k] if k else np.zeros(0, int)
    top = top[np.argsort(-score[top], kind="stable")]
    return [
        Hit(
            r + 1,
            items.ids[i],
            items.sample_ids[i],
            items.paths[i],
            items.supports[i],
            items.names[i],
            float(score[i]),
            None if np.isnan(video[i]) else float(video[i]),
            None if np.isnan(name[i]) else float(name[i]),
        )
        for r, i in enumerate(top)
    ]


def text_search(
    samples,
    query: str,
    k: int = 10,
    level: str = "auto",
    clips_field: str = "speaker_segments",
    names_field: str = "speakers",
    video_weight: float = 0.5,
    text_encoder: str = DEFAULT_TEXT_ENCODER,
) -> tuple[list[Hit], Items]:
    """The ``k`` best clips/videos of ``samples`` for ``query``, and the items searched."""
    items = collect_items(samples, level, clips_field, names_field)
    return rank_items(items, query, k, video_weight, text_encoder), items


def hits_view(samples, hits: list[Hit], items: Items):
    """A view of the hits in rank order (a clips view at clip level)."""
    ids = [h.id for h in hits]
    base = samples.to_clips(items.clips_field) if items.level == "clips" else samples
    return base.select(ids, ordered=True)
