"""Video-level models: two-stream CNN + RNN Video2Vec embeddings and text-query retrieval.

Modules: ``clips`` (labelled spans -> windows, split), ``clip_frames`` (decode + transforms),
``flow`` + ``streams`` (frozen two-stream CNN), ``features`` (on-disk feature cache), ``model``
(TwoStreamRNN, loss, checkpoints), ``text`` (text encoder), ``train``, ``evaluate``, ``embed``
(dataset fields + brain index), ``search`` (text search), ``zoo`` (FiftyOne zoo model).
"""
