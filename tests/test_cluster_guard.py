"""The clustering guard: every pair of a cluster reaches the cut-off, a stricter one across videos.

Logic on small arrays, then real faces: the unknown tracks of the sample clip (the audience
shot) and of the street crowd, two videos that share nobody, never share a cluster, while the
same pedestrian's tracks within the street clip still may.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from speakerid.review.clusters import cluster_embeddings, cross_video_similarity

ROOT = Path(__file__).resolve().parents[1]


def _unit(rows: list[list[float]]) -> np.ndarray:
    v = np.asarray(rows, np.float64)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_a_chain_of_resemblances_does_not_join_its_two_ends():
    # a~b 0.89 and b~c 0.89 (above the 0.7 cut-off) but a~c 0.6: average linkage would join all three
    a, b, c = _unit([[1, 0, 0], [1, 0.5, 0], [0.6, 0.8, 0]])
    emb = np.stack([a, b, c])
    assert emb[0] @ emb[2] < 0.7 <= min(emb[0] @ emb[1], emb[1] @ emb[2])
    groups = cluster_embeddings(emb, 0.7)
    assert groups[0] != groups[2]


def test_tracks_of_two_videos_need_stronger_evidence():
    emb = _unit([[1, 0], [1, 0.75]])  # cosine 0.8
    assert cross_video_similarity(0.7) == pytest.approx(0.85)
    assert len(set(cluster_embeddings(emb, 0.7, videos=np.array(["a", "a"])))) == 1
    assert len(set(cluster_embeddings(emb, 0.7, videos=np.array(["a", "b"])))) == 2
    assert len(set(cluster_embeddings(emb, 0.7, videos=np.array(["a", "b"]), across_videos=0.75))) == 1


@pytest.mark.slow
def test_strangers_of_two_real_clips_never_share_a_cluster(hamilton, street):
    from speakerid.identity.folder_cache import open_gallery
    from speakerid.pipeline import annotate_video, load_models
    from speakerid.review.clusters import cluster_similarity
    from speakerid.settings import AnnotateSettings

    settings = AnnotateSettings()
    models = load_models(settings)
    gallery = open_gallery(ROOT / "sample_videos" / "gallery", models.detector, models.embedder)
    tracks = []
    for video in (hamilton, street):
        result = annotate_video(video, gallery, settings, models)
        tracks += [(video.name, t) for t in result.tracks if t.identity == "unknown" and t.embedding is not None]
    videos = np.array([v for v, _ in tracks])
    emb = np.stack([t.embedding for _, t in tracks])
    first = np.array([t.first_frame for _, t in tracks])
    last = np.array([t.last_frame for _, t in tracks])
    overlap = np.maximum(first[:, None], first[None]) <= np.minimum(last[:, None], last[None])
    apart = (videos[:, None] == videos[None]) & overlap
    np.fill_diagonal(apart, False)
    similarity = cluster_similarity(gallery)
    guarded = cluster_embeddings(emb, similarity, apart, videos)
    for k in np.unique(guarded):
        assert len(set(videos[guarded == k])) == 1, "a cluster holds strangers of two clips that share nobody"
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    across = (videos[:, None] != videos[None]) & (unit @ unit.T >= similarity)
    assert across.any()  # without the stricter cut-off, some pair of the two clips would join
    assert len(np.unique(guarded)) < len(tracks)  # the guard still joins tracks within a clip
