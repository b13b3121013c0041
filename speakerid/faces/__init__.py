"""Faces: MTCNN detection (``detect``), alignment (``align``), embedders, pair verification."""
