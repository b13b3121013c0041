"""Active speaker detection: which visible face is talking (Light-ASD, audio + lips, voice gate).

Names are imported lazily so that the torch-free parts (voice detection, synchrony, buffers)
can be used without loading torch.
"""

from __future__ import annotations

__all__ = ["ActiveSpeakerCollector", "ActiveSpeakerScorer"]


def __getattr__(name: str):
    if name == "ActiveSpeakerScorer":
        from speakerid.asd.score import ActiveSpeakerScorer

        return ActiveSpeakerScorer
    if name == "ActiveSpeakerCollector":
        from speakerid.asd.collector import ActiveSpeakerCollector

        return ActiveSpeakerCollector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
