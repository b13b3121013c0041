"""Active speaker detection: which visible face is talking (Light-ASD, audio + lips)."""

from speakerid.asd.score import ActiveSpeakerScorer

__all__ = ["ActiveSpeakerScorer"]
