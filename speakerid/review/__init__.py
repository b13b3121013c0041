"""Curating speakerid's results in FiftyOne: what the App plugin's operators and panel run.

Each module is a library function with its own tests; the plugin (``speakerid.fiftyone_plugin``)
only wires them into the App. Everything works on face *tracks* (``face_tracks`` + their
embeddings in ``face_track_embeddings``; ``frames.faces`` boxes carry the track in ``index``).
"""
