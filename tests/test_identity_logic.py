"""Calibration and classification on small hand-made embeddings (no model, milliseconds).

The cohort (S-norm) rule has its own fast tests in ``test_openset.py``; here: the gallery's own
leave-one-out calibration, the matchers (centroid, nearest reference, SVM), the threshold
override and the cohort statistics, each checked against a direct computation.
"""

from __future__ import annotations

import numpy as np
import pytest

from speakerid.identity.calibrate import MIN_THRESHOLD, _logistic, _stranger_threshold, calibrate, loo_folds, loo_scores
from speakerid.identity.classify import classify, person_similarities
from speakerid.identity.snorm import centroids, cohort_pairs, cohort_self_stats, top_k_stats
from speakerid.results import UNKNOWN

pytestmark = pytest.mark.timeout(20)


def unit(v) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


# Two people in 3-d: "a" near x, "b" near y; each photo followed by its mirror ("#flip").
REFS = unit([[1, 0.1, 0], [1, 0.1, 0.05], [1, -0.1, 0], [1, -0.1, 0.05], [0.1, 1, 0], [0.1, 1, 0.05]])
PERSON = np.array([0, 0, 0, 0, 1, 1])
SOURCES = ["a/1.jpg", "a/1.jpg#flip", "a/2.jpg", "a/2.jpg#flip", "b/1.jpg", "b/1.jpg#flip"]
NAMES = ["a", "b"]


def test_leave_one_out_holds_out_a_photo_with_its_mirror():
    folds = {
        SOURCES[int(np.flatnonzero((REFS == probe[0]).all(1))[0])]: (p, ids)
        for probe, p, _, ids in loo_folds(REFS, PERSON, SOURCES)
    }
    assert set(folds) == {"a/1.jpg", "a/2.jpg", "b/1.jpg"}  # only originals are scored
    assert list(folds["a/1.jpg"][1]) == [0, 1]  # "a" keeps photo 2
    assert list(folds["b/1.jpg"][1]) == [0]  # "b" had one photo: no centroid left to be genuine to
    genuine, impostor = loo_scores(REFS, PERSON, SOURCES)
    assert len(genuine) == 2 and len(impostor) == 3
    own = unit(REFS[2] + REFS[3])  # a/1.jpg against the centroid of a/2.jpg and its mirror
    assert genuine[0] == pytest.approx(float(REFS[0] @ own))


def test_calibration_threshold_and_confidence():
    cal = calibrate(REFS, PERSON, SOURCES, far=1e-3)
    assert (cal.n_genuine, cal.n_impostor) == (2, 3)
    assert MIN_THRESHOLD <= cal.threshold <= 1.0
    assert cal.impostor_max <= cal.threshold  # no held-out impostor would be named
    assert cal.probability(np.array([cal.threshold]))[0] == pytest.approx(0.5, abs=1e-3)  # too few genuine: centred
    assert cal.probability(np.array([0.99]))[0] > 0.9 > 0.1 > cal.probability(np.array([0.0]))[0]
    assert calibrate(np.zeros((0, 3)), np.zeros(0, np.int64), []) is None


def test_single_person_gallery_relies_on_the_floor():
    cal = calibrate(REFS[:4], PERSON[:4], SOURCES[:4])
    assert cal.threshold == MIN_THRESHOLD and cal.n_impostor == 1


def test_stranger_threshold_names_at_most_far_of_them():
    strangers = np.sort(np.linspace(-1.0, 1.0, 2001))
    t = _stranger_threshold(strangers, far=0.01)
    assert np.mean(strangers >= t) <= 0.01 < np.mean(strangers >= t - 2e-3)
    few = strangers[:10]
    assert _stranger_threshold(few, far=0.01) > few[-1]  # too few strangers to allow any


def test_logistic_fit_separates_the_two_classes():
    genuine, impostor = np.linspace(0.6, 0.9, 30), np.linspace(0.0, 0.4, 300)
    slope, intercept = _logistic(genuine, impostor, 0.5)
    p = 1 / (1 + np.exp(-(slope * np.array([0.2, 0.5, 0.8]) + intercept)))
    assert slope > 0 and p[0] < 0.05 and p[2] > 0.95


def test_person_similarities_centroid_and_nearest_reference():
    probe = unit([[1, 0.1, 0]])
    cent = person_similarities(probe, REFS, PERSON, 2, "centroid")
    np.testing.assert_allclose(cent[0], [probe[0] @ c for c in centroids(REFS, PERSON, 2)], atol=1e-6)
    knn = person_similarities(probe, REFS, PERSON, 2, "knn")
    assert knn[0, 0] == pytest.approx(1.0) and knn[0, 1] == pytest.approx(float(probe[0] @ REFS[4]))


def test_classify_open_set_rule_and_fixed_threshold():
    cal = calibrate(REFS, PERSON, SOURCES)
    probes = unit([[1, 0, 0.02], [0.05, 1, 0], [0, 0, 1]]).astype(np.float32)  # a, b, nobody
    matches = classify(probes, REFS, PERSON, NAMES, cal)
    assert [m.identity for m in matches] == ["a", "b", UNKNOWN]
    assert matches[2].best in NAMES and matches[2].similarity < cal.threshold
    assert all(0.5 <= m.confidence <= 1 for m in matches) and matches[0].score is None
    assert matches[1].scores.shape == (2,)
    # a fixed cosine threshold replaces the calibrated one (the gallery's --threshold)
    assert [m.identity for m in classify(probes, REFS, PERSON, NAMES, cal, threshold=-1.0)][2] != UNKNOWN
    best = matches[0].similarity
    assert classify(probes, REFS, PERSON, NAMES, cal, threshold=best - 1e-4)[0].identity == "a"
    assert classify(probes, REFS, PERSON, NAMES, cal, threshold=best + 1e-4)[0].identity == UNKNOWN
    assert classify(np.zeros((0, 3), np.float32), REFS, PERSON, NAMES, cal) == []
    with pytest.raises(ValueError, match="unknown classifier"):
        classify(probes, REFS, PERSON, NAMES, cal, method="forest")


def test_svm_changes_who_wins_not_the_open_set_rule():
    cal = calibrate(REFS, PERSON, SOURCES)
    probes = unit([[1, 0, 0.02], [0.05, 1, 0], [0, 0, 1]]).astype(np.float32)
    svm = classify(probes, REFS, PERSON, NAMES, cal, method="svm")
    assert [m.best for m in svm[:2]] == ["a", "b"] and [m.identity for m in svm[:2]] == ["a", "b"]
    assert svm[0].similarity == pytest.approx(classify(probes, REFS, PERSON, NAMES, cal)[0].similarity)
    one = classify(probes, REFS[:4], PERSON[:4], ["a"], calibrate(REFS[:4], PERSON[:4], SOURCES[:4]), method="svm")
    assert {m.best for m in one} == {"a"}  # one person: nothing for an SVM to separate


def test_cohort_statistics_match_a_direct_computation():
    rng = np.random.default_rng(0)
    emb = unit(rng.normal(size=(40, 8))).astype(np.float32)
    person = np.arange(40) // 2  # two photos per identity
    mean, std = cohort_self_stats(emb, person, top_k=5, chunk=7)  # chunks must not change anything
    scores = emb @ emb.T
    scores[person[:, None] == person[None, :]] = -np.inf  # a member never meets its own identity
    want_mean, want_std = top_k_stats(scores, 5)
    np.testing.assert_allclose(mean, want_mean, rtol=1e-5)
    np.testing.assert_allclose(std, want_std, rtol=1e-5)
    genuine, impostor = cohort_pairs(emb, person, np.arange(40), mean, std, n_impostor=50)
    assert len(genuine) == 20 and len(impostor) == 50  # one pair per identity; sampled strangers
    i, j = 0, 1
    s = float(emb[i] @ emb[j])
    assert genuine[0] == pytest.approx(0.5 * ((s - mean[i]) / std[i] + (s - mean[j]) / std[j]), rel=1e-5)
