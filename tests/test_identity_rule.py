"""The per-track decision rule: a gallery match, or a name carried from a track of the same video.

Real faces: the Friends clip out26 (``../shared/data/videos_dev``) with the 23-person gallery
(``gallery/`` + ``gallery_dev/``): David Schwimmer is named by the gallery in the two-shot, and
his tracks after the camera pulls back (15.3 s on), too small and turned for his two promo
photos, are named after that track. Logic on small arrays: the one-face-per-frame guard and no
chains.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from speakerid.identity.carry import carry_identities, on_screen_together
from speakerid.identity.gallery import Gallery
from speakerid.results import UNKNOWN, TrackResult


def _track(tid: int, identity: str, emb: np.ndarray, first: int, last: int) -> TrackResult:
    v = np.asarray(emb, np.float32) / np.linalg.norm(emb)
    box = (0.0, 0.0, 1.0, 1.0)
    return TrackResult(tid, identity, identity, 0.9, 0.0, first / 5, last / 5, first, last, 3, 3, v, first, box)


@pytest.fixture()
def fixed_gallery() -> Gallery:
    """Two people; a fixed cosine threshold of 0.8 (no cohort)."""
    g = Gallery("facenet", "v")
    g.add_person("ann", np.eye(4, dtype=np.float32)[:1], ["ann/1.jpg"])
    g.add_person("bob", np.eye(4, dtype=np.float32)[1:2], ["bob/1.jpg"])
    g.use_cohort(None)
    g.threshold_override = 0.8
    return g


def test_a_name_is_carried_only_above_the_threshold_and_never_onto_a_face_beside_its_owner(fixed_gallery):
    anchor = _track(0, "ann", [1, 0, 0, 0], 0, 10)
    later = _track(1, UNKNOWN, [1, 0.3, 0, 0], 20, 30)  # cosine 0.96 to ann's track, after it
    beside = _track(2, UNKNOWN, [1, 0.2, 0, 0], 5, 15)  # as close, but on screen with ann's track
    far = _track(3, UNKNOWN, [1, 1.5, 0, 0], 40, 50)  # cosine 0.55: not enough
    renamed = carry_identities([anchor, later, beside, far], fixed_gallery)
    assert [t.id for t in renamed] == [1]
    assert (later.identity, beside.identity, far.identity) == ("ann", UNKNOWN, UNKNOWN)
    assert later.similarity == pytest.approx(1 / np.sqrt(1.09), abs=1e-6)
    assert on_screen_together(anchor, beside) and not on_screen_together(anchor, later)


def test_a_run_with_a_fixed_threshold_carries_at_that_threshold(fixed_gallery):
    anchor = _track(0, "ann", [1, 0, 0, 0], 0, 10)
    later = _track(1, UNKNOWN, [1, 0.3, 0, 0], 20, 30)  # cosine 0.96
    assert carry_identities([anchor, later], fixed_gallery, threshold=0.97) == []
    assert carry_identities([anchor, later], fixed_gallery, threshold=0.95) == [later]


def test_two_faces_on_one_frame_never_both_take_a_carried_name_and_names_do_not_chain(fixed_gallery):
    anchor = _track(0, "ann", [1, 0, 0, 0], 0, 10)
    a = _track(1, UNKNOWN, [1, 0.5, 0, 0], 20, 30)  # cosine 0.89 to ann's track: carried
    b = _track(2, UNKNOWN, [1, 0.6, 0, 0], 20, 30)  # 0.86, but on screen with ``a``, the closer one
    chained = _track(3, UNKNOWN, [1, 1.2, 0, 0], 40, 50)  # 0.64 to ann's track, 0.92 to ``a``
    carry_identities([anchor, a, b, chained], fixed_gallery)
    assert (a.identity, b.identity, chained.identity) == ("ann", UNKNOWN, UNKNOWN)


@pytest.mark.slow
def test_out26_carries_david_schwimmer_through_the_pull_back(shared_data: Path, tmp_path: Path):
    from speakerid.identity.folder_cache import open_gallery
    from speakerid.pipeline import annotate_video, load_models
    from speakerid.settings import AnnotateSettings

    settings = AnnotateSettings(start=4.9, end=17.0)  # the two-shot, then the camera pulls back
    models = load_models(settings)
    for name in ("gallery", "gallery_dev"):
        for person in (shared_data / name).iterdir():
            (tmp_path / person.name).symlink_to(person, target_is_directory=True)
    gallery = open_gallery(tmp_path, models.detector, models.embedder)
    result = annotate_video(shared_data / "videos_dev" / "out26.mp4", gallery, settings, models)
    named = {t.identity for t in result.tracks} - {UNKNOWN}
    assert named <= {"david_schwimmer", "courteney_cox", "lisa_kudrow", "matthew_perry", "matt_leblanc"}
    anchor = max((t for t in result.tracks if t.identity == "david_schwimmer"), key=lambda t: t.num_faces)
    assert gallery.classify(anchor.embedding[None])[0].identity == "david_schwimmer"
    carried = [
        t
        for t in result.tracks
        if t.identity == "david_schwimmer" and gallery.classify(t.embedding[None])[0].identity == UNKNOWN
    ]
    assert carried and all(t.start >= 15.2 and not on_screen_together(t, anchor) for t in carried)


@pytest.mark.slow
def test_readme_sample_segments_come_out():
    """README, "Run it on the bundled sample": Lin-Manuel Miranda 0.85-1.65 s and 3.65-8.06 s, then
    Barack Obama to the end (the file's presentation times)."""
    from speakerid.identity.folder_cache import open_gallery
    from speakerid.pipeline import annotate_video, load_models
    from speakerid.settings import AnnotateSettings

    settings = AnnotateSettings()
    models = load_models(settings)
    root = Path(__file__).resolve().parents[1]
    gallery = open_gallery(root / "sample_videos" / "gallery", models.detector, models.embedder)
    result = annotate_video(root / "sample_videos" / "short_hamilton_clip.mp4", gallery, settings, models)
    got = [(s.speaker, round(s.start, 2), round(s.end, 2)) for s in result.segments]
    assert got[:2] == [("lin_manuel_miranda", 0.85, 1.65), ("lin_manuel_miranda", 3.65, 8.06)]
    assert len(got) == 3 and got[2][:2] == ("obama", 8.06) and got[2][2] >= 9.9
