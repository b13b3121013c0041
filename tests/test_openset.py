"""Open-set decision with a cohort: S-norm on small arrays, FAR reporting, cohort files and
embedder-version refusal, and (slow) the shipped cohorts with the real models and gallery."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from speakerid.errors import GalleryError
from speakerid.identity.calibrate import Calibration, CohortCalibration
from speakerid.identity.cohort import Cohort, cohort_path, shipped_cohort
from speakerid.identity.gallery import Gallery
from speakerid.identity.snorm import SNorm, top_k_stats
from speakerid.results import UNKNOWN

DIM = 128


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _basis() -> np.ndarray:
    """Orthonormal directions: 0 = where the cohort crowds ("a blurry face"), 1-3 = people."""
    return np.linalg.qr(np.random.default_rng(0).normal(size=(DIM, DIM)))[0].T


BASIS = _basis()
HUB, AXES = BASIS[0], BASIS[1:4]
PEOPLE = _unit(0.5 * HUB + 0.85 * AXES)  # like real faces, people share some of the crowd's direction
FREE = BASIS[4:]  # directions nobody in the cohort or gallery uses


def _cohort(version: str = "v1", n: int = 300) -> Cohort:
    """Strangers that crowd around HUB (cosine ~0.6 with it), two photos per identity."""
    rng = np.random.default_rng(1)
    noise = _unit(rng.normal(size=(n // 2, DIM)) @ (np.eye(DIM) - np.outer(HUB, HUB)))
    identity = np.repeat(_unit(0.6 * HUB + 0.8 * noise), 2, axis=0)
    emb = _unit(identity + _unit(rng.normal(size=(n, DIM)))).astype(np.float32)
    return Cohort(
        "toy", version, emb, np.arange(n) // 2, np.arange(n), [f"s{i}" for i in range(n // 2)], "synthetic", "none"
    )


def _gallery() -> Gallery:
    """Three people, two photos (and their flips) each, close to their own direction."""
    g, rng = Gallery(embedder="toy", embedder_version="v1"), np.random.default_rng(2)
    for p, direction in enumerate(PEOPLE):
        photos = _unit(direction + 0.25 * _unit(rng.normal(size=(2, DIM)) @ FREE.T @ FREE)).astype(np.float32)
        g.add_person(
            f"p{p}",
            np.repeat(photos, 2, axis=0),
            [s for i in range(2) for s in (f"p{p}/{i}.jpg", f"p{p}/{i}.jpg#flip")],
            recalibrate=False,
        )
    g.recalibrate()
    return g


def _probe(axis: int, own: float, hub: float) -> np.ndarray:
    """A unit probe with weight ``own`` on a person's own axis and ``hub`` on the crowd's."""
    rest = _unit(np.random.default_rng(3).normal(size=DIM) @ FREE.T @ FREE)
    return _unit(own * AXES[axis] + hub * HUB + np.sqrt(max(1 - own**2 - hub**2, 0)) * rest)[None].astype(np.float32)


def test_top_k_stats_ignores_excluded_members():
    scores = np.array([[0.9, 0.5, 0.4, 0.1], [-np.inf, 0.5, 0.4, 0.1]])
    mean, std = top_k_stats(scores, 2)
    assert mean == pytest.approx([0.7, 0.45]) and std == pytest.approx([0.2, 0.05])
    mean, _ = top_k_stats(scores, 10)  # k shrinks to the finite entries of the sparsest row
    assert mean[1] == pytest.approx(1.0 / 3)


def test_snorm_is_symmetric_in_probe_and_person_statistics():
    rng = np.random.default_rng(4)
    cohort = _unit(rng.normal(size=(50, DIM))).astype(np.float32)
    probe, person = _unit(rng.normal(size=(1, DIM))), _unit(rng.normal(size=(1, DIM)))
    snorm = SNorm.fit(cohort, person, top_k=10)
    z = snorm.normalise(probe @ person.T, probe)[0, 0]
    mu_e, sd_e = top_k_stats(probe @ cohort.T, 10)
    mu_p, sd_p = top_k_stats(person @ cohort.T, 10)
    s = float((probe @ person.T)[0, 0])
    assert z == pytest.approx(0.5 * ((s - mu_e[0]) / sd_e[0] + (s - mu_p[0]) / sd_p[0]), rel=1e-5)


def test_low_raw_score_far_from_cohort_is_accepted_and_crowded_impostor_rejected():
    g = _gallery()
    g.use_cohort(_cohort())
    assert isinstance(g.open_set, CohortCalibration)
    genuine = _probe(0, own=0.5, hub=0.0)  # ~0.43 to p0: low in absolute terms, but no stranger is close
    crowded = _probe(1, own=0.1, hub=0.7)  # as close to p1, and as close to a crowd of strangers
    both = np.concatenate([genuine, crowded])
    genuine_match, crowded_match = g.classify(both)
    assert 0.35 < genuine_match.similarity <= crowded_match.similarity < 0.5  # raw cosine would rank them the other way
    assert genuine_match.identity == "p0" and genuine_match.score > g.threshold
    assert crowded_match.identity == UNKNOWN and crowded_match.best == "p1" and crowded_match.score < g.threshold
    assert genuine_match.confidence > 0.9
    # the gallery's own rule (one raw cosine threshold) accepts the crowded impostor as p1
    g.use_cohort(None)
    assert isinstance(g.open_set, Calibration)
    assert [m.identity for m in g.classify(both)] == ["p0", "p1"]


def test_false_accept_rate_is_reported_and_bounded():
    g = _gallery()
    g.use_cohort(_cohort())
    rule = g.open_set
    assert g.false_accept_rate() == pytest.approx(rule.false_accept_rate()) and g.false_accept_rate() <= rule.far
    assert np.mean(rule.strangers >= g.threshold) == pytest.approx(g.false_accept_rate())
    # strangers: every cohort member plus each held-out gallery photo against the other people
    assert len(rule.strangers) == len(rule.snorm.cohort) + 6 and len(rule.snorm.cohort) > 280
    assert f"names {g.false_accept_rate():.2%} of {len(rule.strangers)} public strangers" in g.describe_rule()
    fars = [g.false_accept_rate(t) for t in (0.0, 0.3, 0.6, 0.9)]  # a fixed cosine threshold
    assert fars == sorted(fars, reverse=True) and fars[0] > fars[-1]
    g.threshold_override = 0.3
    assert g.false_accept_rate() == pytest.approx(fars[1])
    g.use_cohort(None)
    assert g.false_accept_rate() is None  # no strangers to count without a cohort


def test_cohort_of_another_embedder_version_is_refused(caplog):
    g = _gallery()
    with caplog.at_level(logging.WARNING, logger="speakerid.identity.cohort"):
        g.use_cohort(_cohort(version="v2"))
    assert isinstance(g.open_set, Calibration)
    assert "toy v2, not toy v1" in caplog.text and "gallery's own calibration" in caplog.text


def test_cohort_members_close_to_an_enrolled_person_are_left_out():
    cohort = _cohort(n=20)
    twin = Cohort(
        "toy",
        "v1",
        np.concatenate([cohort.embeddings, PEOPLE[:1].astype(np.float32)]),
        np.append(cohort.person, 5),
        np.arange(21),
        cohort.names,
        "",
        "",
    )  # identity 5 gets a photo of p0
    kept = twin.excluding(PEOPLE[:1], 0.9)
    assert len(kept) == 18 and 5 not in kept.person  # all three photos of identity 5 dropped
    assert len(twin.excluding(np.zeros((0, DIM)), 0.9)) == 21


def test_cohort_file_roundtrip_and_bad_file(tmp_path):
    cohort = _cohort(n=30)
    path = tmp_path / "c.safetensors"
    cohort.save(path)
    back = Cohort.load(path)
    assert (back.embedder, back.embedder_version, back.names, back.source) == ("toy", "v1", cohort.names, "synthetic")
    np.testing.assert_array_equal(back.person, cohort.person)
    np.testing.assert_array_equal(back.photo, cohort.photo)
    np.testing.assert_allclose(back.embeddings, cohort.embeddings, atol=2e-3)  # stored as float16
    assert path.stat().st_size < 30 * DIM * 2 + 4096
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a cohort")
    with pytest.raises(GalleryError, match=str(bad)):
        Cohort.load(bad)


def test_calibration_is_deferred_until_asked():
    g = Gallery(embedder="toy", embedder_version="v1")
    g.add_person("a", PEOPLE[[0, 0]], ["a/1.jpg", "a/1.jpg#flip"], recalibrate=False)
    g.add_person("b", PEOPLE[[1, 1]], ["b/1.jpg", "b/1.jpg#flip"], recalibrate=False)
    assert g.calibration is None
    g.use_cohort(None)
    assert g.classify(PEOPLE[:1])[0].identity == "a"  # calibrated on first use
    assert g.calibration is not None and g.calibration.n_impostor == 2


@pytest.mark.slow
@pytest.mark.parametrize("embedder", ["facenet", "sface"])
def test_shipped_cohort_matches_its_embedder(embedder, caplog):
    from speakerid.faces.embedders import get_embedder

    e = get_embedder(embedder)
    cohort = shipped_cohort(e.name, e.version)
    assert cohort is not None, (
        f"{cohort_path(embedder)} missing or made with another {embedder} version: run python scripts/build_cohort.py"
    )
    assert len(cohort) > 1000 and cohort.embeddings.shape[1] == e.dim and "LFW" in cohort.source
    assert "research use only" in cohort.licence
    with caplog.at_level(logging.WARNING, logger="speakerid.identity.cohort"):
        assert shipped_cohort(e.name, "another-version") is None
    assert "another-version" in caplog.text
