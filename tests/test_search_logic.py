"""Search scoring and retrieval metrics on hand-made vectors (no text model, no database)."""

from __future__ import annotations

import numpy as np
import pytest

from speakerid.video.evaluate import nearest_text_accuracy, retrieval_metrics
from speakerid.video.search import Items, _emb_matrix, score_items
from speakerid.video.text import label_text

pytestmark = pytest.mark.timeout(20)


def items(embs: list, names: list[list[str]]) -> Items:
    n = len(names)
    return Items(
        [f"i{k}" for k in range(n)], ["s"] * n, ["v.mp4"] * n, [None] * n, _emb_matrix(embs), names, "samples", None
    )


def test_embeddings_matrix_marks_missing_rows_nan():
    m = _emb_matrix([None, [1.0, 0.0], [0.0, 1.0]])
    assert m.shape == (3, 2) and np.isnan(m[0]).all() and (m[1:] == np.eye(2)).all()
    assert _emb_matrix([None, None]).shape == (2, 1)


def test_name_index_is_built_once_over_the_vocabulary():
    it = items([None] * 3, [["bob", "ada"], [], ["ada"]])
    vocab, flat, starts, has = it.name_index()
    assert vocab == ["ada", "bob"] and flat.tolist() == [1, 0, 0] and starts.tolist() == [0, 2]
    assert has.tolist() == [True, False, True] and it.name_index() is it.name_index()


def test_score_combines_video_and_best_name_and_missing_terms_count_zero():
    query = np.array([1.0, 0.0], np.float32)
    vocab_embs = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)  # "ada" matches the query, "bob" not
    it = items([[0.6, 0.8], None, [0.0, 1.0]], [["bob"], ["ada", "bob"], []])
    score, video, name = score_items(it, query, vocab_embs, video_weight=0.25)
    np.testing.assert_allclose(video[[0, 2]], [0.6, 0.0])
    assert np.isnan(video[1]) and np.isnan(name[2])
    np.testing.assert_allclose(name[[0, 1]], [0.0, 1.0])  # the best of an item's names
    np.testing.assert_allclose(score, [0.25 * 0.6, 0.75 * 1.0, 0.0])
    no_video = items([None, None], [["ada"], ["bob"]])
    score, video, _ = score_items(no_video, query, vocab_embs, video_weight=0.5)
    assert np.isnan(video).all() and score.tolist() == [0.5, 0.0]


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
