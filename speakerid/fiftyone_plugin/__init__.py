"""speakerid's FiftyOne App plugin: add and annotate videos, enroll, review, search, cluster and name speakers,
index faces, explain a face, and the Speakers panel.

Each operator lives in its own module and only wires the speakerid package (``speakerid.review``
and friends) into the App; see docs/plugin.md. The plugin ships inside the ``speakerid`` wheel:
``speakerid plugin install`` or ``speakerid app`` makes FiftyOne load it from here.
"""

from .add_videos import AddVideos
from .annotate import AnnotateVideos
from .clusters import ClusterUnknowns, NameCluster
from .enroll import EnrollSpeakers
from .explain import ExplainFace
from .faces import IndexFaces
from .faces_map import FacesMapPanel
from .open_clip import OpenClip
from .open_face import OpenFace
from .panel import SpeakersPanel
from .review import ApplyReview, ReviewLowConfidence
from .search import SearchByText
from .similar_faces import FindSimilarFaces
from .video_embeddings import ComputeVideoEmbeddings

OPERATORS = (
    AnnotateVideos,
    AddVideos,
    EnrollSpeakers,
    ReviewLowConfidence,
    ApplyReview,
    SearchByText,
    ComputeVideoEmbeddings,
    ExplainFace,
    ClusterUnknowns,
    NameCluster,
    IndexFaces,
    FindSimilarFaces,
    OpenClip,
    OpenFace,
    SpeakersPanel,
    FacesMapPanel,
)


def register(p) -> None:
    """FiftyOne's plugin entry point."""
    for cls in OPERATORS:
        p.register(cls)
