"""speakerid's FiftyOne App plugin: annotate, enroll, review, search and explain, plus a Speakers panel.

Each operator lives in its own module and only wires the speakerid package into the App; see
docs/plugin.md for installing it and for what each operator does.
"""

from .annotate import AnnotateVideos
from .enroll import EnrollSpeakers
from .explain import ExplainFace
from .panel import SpeakersPanel
from .review import ApplyReview, ReviewLowConfidence
from .search import SearchByText

OPERATORS = (AnnotateVideos, EnrollSpeakers, ReviewLowConfidence, ApplyReview, SearchByText, ExplainFace, SpeakersPanel)


def register(p) -> None:
    """FiftyOne's plugin entry point."""
    for cls in OPERATORS:
        p.register(cls)
