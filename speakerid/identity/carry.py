"""Carry a name from the tracks the gallery named to the other tracks of the same person in a video.

The decision rule per track, in one line: *a track is named P when its best S-norm score against
P's gallery photos, or against a track of the same video that the gallery named P and that is
not on screen at the same time, reaches the threshold that names 0.1 % of public strangers;
otherwise it is unknown.*

Why: a person's tracks in one video share light, camera, make-up and age, so a track the gallery
cannot name (turned away, smaller, a few frames after the tracker lost the face) is often much
closer to that person's frontal track in the same video than to two promo photos. Measured on
the Friends clip out26: David Schwimmer's wide-shot and profile tracks score 0.49-0.64 against
his named two-shot track but 0.2-0.4 against his gallery photos. The score is normalised and
thresholded exactly like a gallery match (the named track plays the gallery person, with its
own cohort statistics), so it opens no wider door to strangers; a track on screen together with
a track named P is never P (one person, one face per frame). Names come only from tracks the
gallery itself named (no chains), so one carried mistake cannot spread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from speakerid.identity.calibrate import CohortCalibration
from speakerid.results import UNKNOWN, TrackResult

if TYPE_CHECKING:
    from speakerid.identity.gallery import Gallery


def on_screen_together(a: TrackResult, b: TrackResult) -> bool:
    """Whether two tracks of one video share an analysed frame (two faces, two people)."""
    return a.first_frame <= b.last_frame and b.first_frame <= a.last_frame


def carry_identities(tracks: list[TrackResult], gallery: Gallery, threshold: float | None = None) -> list[TrackResult]:
    """Name unknown ``tracks`` after a gallery-named track of the same video (rule above); returns
    the tracks that were renamed. ``tracks`` are all the tracks of one video; a fixed cosine
    ``threshold`` (default: the gallery's override, if any) replaces the open-set rule, as in
    :meth:`Gallery.classify`."""
    anchors = [t for t in tracks if t.identity != UNKNOWN and t.embedding is not None]
    open_ = [t for t in tracks if t.identity == UNKNOWN and t.embedding is not None]
    if not anchors or not open_:
        return []
    a = np.stack([t.embedding for t in anchors]).astype(np.float64)
    u = np.stack([t.embedding for t in open_]).astype(np.float64)
    raw = u @ a.T
    rule = gallery.open_set
    fixed = gallery.threshold_override if threshold is None else threshold
    if fixed is not None or not isinstance(rule, CohortCalibration):
        score, threshold = raw, gallery.threshold if fixed is None else fixed  # cosine similarities
    else:
        mu_u, sd_u = rule.snorm.probe_stats(u)
        mu_a, sd_a = rule.snorm.probe_stats(a)
        score = 0.5 * ((raw - mu_u[:, None]) / sd_u[:, None] + (raw - mu_a[None]) / sd_a[None])
        threshold = rule.threshold
    people = np.array([t.identity for t in anchors])
    best = np.argmax(score, axis=1)
    renamed: list[TrackResult] = []
    for i in np.argsort(-score[np.arange(len(open_)), best]):  # strongest evidence first
        track = open_[i]
        taken = {t.identity for t in anchors + renamed if on_screen_together(track, t)}
        candidates = np.where(np.isin(people, list(taken)), -np.inf, score[i])
        j = int(np.argmax(candidates))
        if candidates[j] < threshold:
            continue
        track.identity = track.best = anchors[j].identity
        track.similarity = float(raw[i, j])
        calibrated = fixed is None  # the score is on the rule's own scale
        track.confidence = (
            float(rule.probability(np.array([candidates[j]]))[0]) if calibrated else anchors[j].confidence
        )
        renamed.append(track)
    return renamed
