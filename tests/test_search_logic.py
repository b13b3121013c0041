"""Search scoring and retrieval metrics on hand-made vectors (no text model, no database)."""

from __future__ import annotations

import numpy as np
import pytest

from speakerid.errors import SpeakeridError
from speakerid.review.search import NEAREST, cut
from speakerid.video.evaluate import nearest_text_accuracy, retrieval_metrics
from speakerid.video.search import MATCH, Evidence, Hit, Items, combine, emb_matrix, order_of, raw_scores, strength
from speakerid.video.text import label_text

pytestmark = pytest.mark.timeout(20)


def items(names: list[list[str]], video: list | None = None, concepts: list | None = None) -> Items:
    n = len(names)
    return Items(
        [f"i{k}" for k in range(n)],
        ["s"] * n,
        ["v.mp4"] * n,
        [None] * n,
        names,
        "samples",
        None,
        emb_matrix(video or [None] * n),
        emb_matrix(concepts or [None] * n),
        [[] for _ in range(n)],
    )


def test_embeddings_matrix_marks_missing_rows_nan():
    m = emb_matrix([None, [1.0, 0.0], [0.0, 1.0]])
    assert m.shape == (3, 2) and np.isnan(m[0]).all() and (m[1:] == np.eye(2)).all()
    assert emb_matrix([None, None]).shape == (2, 1)


def test_name_index_is_built_once_over_the_vocabulary():
    it = items([["bob", "ada"], [], ["ada"]])
    vocab, flat, starts, has = it.name_index()
    assert vocab == ["ada", "bob"] and flat.tolist() == [1, 0, 0] and starts.tolist() == [0, 2]
    assert has.tolist() == [True, False, True] and it.name_index() is it.name_index()


def test_strength_maps_each_kinds_threshold_to_the_match_score():
    s = strength(np.array([0.0, 0.2, 0.4, 0.7, 1.0, np.nan], np.float32), 0.4)
    np.testing.assert_allclose(s[:5], [0.0, 0.25, MATCH, 0.75, 1.0], atol=1e-6)
    assert np.isnan(s[5])


def test_an_exact_name_match_stays_first_whatever_the_other_evidence_says():
    nan = np.nan
    strengths = {
        "name": np.array([1.0, 0.6, nan], np.float32),  # item 0: every query word in its name
        "concepts": np.array([0.1, 0.9, 0.95], np.float32),
        "video2vec": np.array([0.29, 1.0, nan], np.float32),  # a weak video score on the name hit
    }
    score, key = combine(strengths, np.array([True, False, False]))
    assert order_of(key, None).tolist()[0] == 0 and score[0] == pytest.approx(1.0)  # not dragged down by 0.29
    assert order_of(key, None).tolist() == [0, 1, 2]  # then by score (1.0 > 0.95)


def test_a_missing_signal_is_no_evidence_not_a_penalty():
    nan = np.nan
    names = {"name": np.array([0.8, 0.8, nan, nan], np.float32)}
    with_gaps = names | {
        "concepts": np.array([nan, 0.3, nan, 0.6], np.float32),
        "video2vec": np.array([nan, nan, nan, 0.2], np.float32),
    }
    score, key = combine(with_gaps, np.zeros(4, bool))
    assert score[0] == score[1] == pytest.approx(0.8)  # a name alone scores what it scores with a weak extra
    assert np.isnan(score[2]) and 2 not in order_of(key, None).tolist()  # no evidence at all: not a hit
    assert score[3] == pytest.approx(0.6)  # the strongest kind, not a mean with the weak one
    only_names, _ = combine(names, np.zeros(4, bool))
    np.testing.assert_allclose(only_names[:2], score[:2])  # adding kinds never lowered a score


def test_a_name_that_does_not_match_counts_only_alone():
    nan = np.nan
    strengths = {"name": np.array([0.45, 0.45, nan], np.float32), "concepts": np.array([0.3, nan, 0.35], np.float32)}
    score, key = combine(strengths, np.zeros(3, bool))
    np.testing.assert_allclose(score, [0.3, 0.45, 0.35])  # "someone else" says nothing about the scene
    assert order_of(key, None).tolist() == [1, 2, 0]


def test_ties_go_to_the_item_where_more_kinds_match():
    strengths = {"name": np.array([0.9, 0.9], np.float32), "concepts": np.array([0.2, 0.6], np.float32)}
    _, key = combine(strengths, np.zeros(2, bool))
    assert order_of(key, None).tolist() == [1, 0]


def test_the_k_best_are_the_head_of_the_full_order():
    rng = np.random.default_rng(0)
    strengths = {"name": rng.choice([np.nan, 0.3, 1.0], 500).astype(np.float32), "concepts": rng.random(500)}
    _, key = combine(strengths, rng.random(500) < 0.05)
    full = order_of(key, None)
    for k in (0, 1, 7, 500, 900):
        assert order_of(key, k).tolist() == full[:k].tolist()


def hit(rank: int, **scores: float) -> Hit:
    evidence = [Evidence(kind, s, s) for kind, s in scores.items()]
    return Hit(rank, f"i{rank}", "s", "v.mp4", None, [], max(scores.values()), False, evidence)


def test_the_cut_off_keeps_matches_and_else_offers_the_nearest_seen_as_weak():
    ranked = [hit(1, name=0.9), hit(2, concepts=0.6, name=0.3), hit(3, concepts=0.4), hit(4, name=0.45)]
    kept, nearest = cut(ranked, MATCH, 20)
    assert [h.id for h in kept] == ["i1", "i2"] and nearest == []  # a match: no weak candidates
    assert [h.id for h in cut(ranked, MATCH, 1)[0]] == ["i1"]
    # nothing reaches the cut-off: the best items with evidence of what is seen, never a name alone
    below = [
        hit(1, name=0.45),
        hit(2, concepts=0.3),
        hit(3, video2vec=0.28),
        hit(4, concepts=0.2),
        hit(5, concepts=0.1),
    ]
    kept, nearest = cut(below, MATCH, 20)
    assert kept == [] and [h.id for h in nearest] == ["i2", "i3", "i4"][:NEAREST]
    assert [h.id for h in cut(below, MATCH, 1)[1]] == ["i2"]  # never more than asked for
    assert cut([hit(1, name=0.4)], MATCH, 20) == ([], [])  # only names that do not match: nothing to offer


def test_raw_scores_by_spelling_without_a_model_find_exact_and_misspelt_names():
    it = items([["lin_manuel_miranda"], ["alex_lacamoire"], []])
    raw, exact, by_name = raw_scores(it, "lin manuel mirana", ("name",), text_encoder=None)
    assert raw["name"][0] > 0.9 and raw["name"][1] == 0 and np.isnan(raw["name"][2])
    assert exact.tolist() == [False, False, False] and by_name["alex_lacamoire"] == 0
    _, exact, _ = raw_scores(it, "LIN", ("name",), text_encoder=None)
    assert exact.tolist() == [True, False, False]
    with pytest.raises(SpeakeridError, match="evidence"):
        raw_scores(it, "lin", ("faces",), text_encoder=None)


def test_label_text_turns_identifiers_into_words():
    assert label_text("lin_manuel_miranda") == "lin manuel miranda"
    assert label_text("  Jean-Luc.Picard/2 ") == "jean luc picard 2"


def test_retrieval_metrics_by_hand():
    embs = np.eye(4, dtype=np.float32)
    labels = ["x", "y", "x", "y"]
    query = np.array([[0.9, 0.1, 0.5, 0.0]], np.float32)  # ranks items 0 (x), 2 (x), 1 (y), 3 (y)
    out = retrieval_metrics(embs, labels, ["x"], query, ks=(1, 3))
    x = out["per_label"]["x"]
    assert x["recall@1"] == 0.5 and x["recall@3"] == 1.0 and x["ap"] == pytest.approx(1.0)
    assert x["chance_ap"] == 0.5 and x["n_relevant"] == 2 and out["pool_size"] == 4
    worse = retrieval_metrics(embs, labels, ["x"], np.array([[0.5, 0.9, 0.1, 0.0]], np.float32), ks=(1,))
    assert worse["mAP"] == pytest.approx((1 / 2 + 2 / 3) / 2)  # x found at ranks 2 and 3
    assert retrieval_metrics(embs, labels, ["z"], query)["per_label"] == {}  # nothing to find: skipped


def test_nearest_text_accuracy():
    embs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1]], np.float32)
    texts = np.eye(2, dtype=np.float32)
    assert nearest_text_accuracy(embs, ["a", "b", "b"], ["a", "b"], texts) == pytest.approx(2 / 3)
    assert np.isnan(nearest_text_accuracy(np.zeros((0, 2)), [], ["a", "b"], texts))
