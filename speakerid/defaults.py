"""Defaults that several layers share (CLI, settings, decoding, the App plugin), written once.

A plain module without imports: the CLI reads it to build its help text before any model or
FiftyOne is imported.
"""

DEFAULT_FPS = 5.0  # frames analysed per second
DEFAULT_EMBEDDER = "facenet"  # research-only weights: see `speakerid models`
DEFAULT_DETECTOR = "yunet"
BACKENDS = ("pyav", "decord")  # video decoders; the first is the default
CLASSIFIERS = ("centroid", "knn", "svm")  # gallery matchers; the first is a new gallery's
