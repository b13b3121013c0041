"""From network scores to "speaking": the voice gate and the synchrony rule (pure logic).

1. Voice gate: where the voice detector hears nobody (speech probability below 0.5 everywhere
   within +-0.2 s), nobody is speaking: the score becomes 0. Light-ASD alone cannot promise
   this (its TalkSet weights score moving lips as speech over digital silence).
2. Synchrony rule: where two or more visible faces both score at or above the speaking
   threshold at the same moment, the one whose mouth motion follows the sound best (highest
   synchrony, :mod:`speakerid.asd.sync`) keeps its score and the others are capped at half the
   threshold, so each moment of voice has at most one speaker. It only arbitrates between
   faces the network already judged talking: it never makes a silent face speak (an off-screen
   narrator leaves every face below the threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from speakerid.asd.vad import VOICE_THRESHOLD

LOSER_CAP = 0.5  # losers of the synchrony rule end at this fraction of the speaking threshold


@dataclass
class TrackScores:
    """One face track at the caller's times: network score, synchrony and voice, all (N,)."""

    times: np.ndarray
    asd: np.ndarray
    sync: np.ndarray
    voice: np.ndarray


def gate(track: TrackScores) -> np.ndarray:
    """Network score where a voice is heard, 0 where none is (NaN stays NaN)."""
    return np.where(track.voice >= VOICE_THRESHOLD, track.asd, np.where(np.isnan(track.asd), np.nan, 0.0))


def synchrony_rule(tracks: Sequence[TrackScores], scores: Sequence[np.ndarray], threshold: float) -> list[np.ndarray]:
    """Scores after the synchrony rule (see module doc); inputs are not modified.

    Two tracks compete at a time ``t`` of one of them when the other's span (first to last
    time) contains ``t``; the other's score and synchrony there are interpolated from its own
    times. A NaN synchrony counts as the lowest; ties go to the higher score.
    """
    out = []
    for i, (track, score) in enumerate(zip(tracks, scores)):
        score = np.asarray(score, np.float64)
        loses = np.zeros(len(score), bool)
        for j, (other, other_score) in enumerate(zip(tracks, scores)):
            if j == i or not len(other.times) or not len(track.times):
                continue
            inside = (track.times >= other.times[0]) & (track.times <= other.times[-1])
            if not inside.any():
                continue
            at = track.times[inside]
            rival = np.interp(at, other.times, other_score)
            rival_sync = _rank(np.interp(at, other.times, other.sync))
            mine_sync = _rank(track.sync[inside])
            better = (rival_sync > mine_sync) | ((rival_sync == mine_sync) & (rival > score[inside]))
            loses[inside] |= (rival >= threshold) & better
        out.append(np.where(loses & (score >= threshold), np.minimum(score, LOSER_CAP * threshold), score))
    return out


def _rank(sync: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(sync), -np.inf, sync)
